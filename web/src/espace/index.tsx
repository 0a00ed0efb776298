import { Route, Routes } from 'react-router';
import { BankDetailsPage } from './BankDetails.tsx';
import { EmployerCertificatesPage } from './EmployerCertificates.tsx';
import { JournalPage } from './Journal.tsx';
import { MandatesPage } from './Mandates.tsx';
import { MonthlyUpdatePage } from './MonthlyUpdate.tsx';
import { MyFile } from './MyFile.tsx';
import { RenewalPage } from './Renewal.tsx';
import { EspaceSecurityPage } from './Security.tsx';
import { RightsRequestsPage } from './RightsRequests.tsx';
import './espace.css';

/** Espace demandeur d’emploi: the file, who read it, the account's security, the bank details. */
export function EspaceSpace() {
  return (
    <Routes>
      <Route index element={<MyFile />} />
      <Route path="consultations" element={<JournalPage />} />
      <Route path="securite" element={<EspaceSecurityPage />} />
      <Route path="banque" element={<BankDetailsPage />} />
      <Route path="droits" element={<RightsRequestsPage />} />
      <Route path="actualisation" element={<MonthlyUpdatePage />} />
      <Route path="reinscription" element={<RenewalPage />} />
      <Route path="attestations" element={<EmployerCertificatesPage />} />
      <Route path="mandats" element={<MandatesPage />} />
    </Routes>
  );
}
