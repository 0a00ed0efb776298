import { Route, Routes } from 'react-router';
import { PageTitle } from '../app/ui.tsx';

function Alerts() {
  return <PageTitle title="Alertes">Alertes et comptes confinés</PageTitle>;
}

/** Bureau sécurité et DPO. */
export function BureauSpace() {
  return (
    <Routes>
      <Route index element={<Alerts />} />
    </Routes>
  );
}
