import { Route, Routes } from 'react-router';
import { BankDetailsPage } from './BankDetails.tsx';
import { JournalPage } from './Journal.tsx';
import { MonthlyUpdatePage } from './MonthlyUpdate.tsx';
import { MyFile } from './MyFile.tsx';
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
    </Routes>
  );
}
