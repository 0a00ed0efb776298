import { Route, Routes } from 'react-router';
import { PageTitle } from '../app/ui.tsx';
import { Activity } from './Activity.tsx';
import { Administration } from './Administration.tsx';
import { Alerts } from './Alerts.tsx';
import { IncidentList, IncidentPage } from './Incidents.tsx';
import { Letters } from './Letters.tsx';
import { Organisations } from './Organisations.tsx';
import { Reports } from './Reports.tsx';
import { RegisterPage } from './Register.tsx';
import { RightsRequestList, RightsRequestPage } from './RightsRequests.tsx';

function NotFound() {
  return <PageTitle title="Page introuvable">Page introuvable</PageTitle>;
}

/** Bureau sécurité et DPO. */
export function BureauSpace() {
  return (
    <Routes>
      <Route index element={<Alerts />} />
      <Route path="incidents" element={<IncidentList />} />
      <Route path="incidents/:reference" element={<IncidentPage />} />
      <Route path="organisations" element={<Organisations />} />
      <Route path="signalements" element={<Reports />} />
      <Route path="registre" element={<RegisterPage />} />
      <Route path="droits" element={<RightsRequestList />} />
      <Route path="droits/:id" element={<RightsRequestPage />} />
      <Route path="administration" element={<Administration />} />
      <Route path="activite" element={<Activity />} />
      <Route path="courrier" element={<Letters />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
