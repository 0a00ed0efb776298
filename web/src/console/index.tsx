import { Route, Routes } from 'react-router';
import { PageTitle } from '../app/ui.tsx';

function Caseload() {
  return <PageTitle title="Mon portefeuille">Mon portefeuille</PageTitle>;
}

/** Console conseiller et partenaire. */
export function ConsoleSpace() {
  return (
    <Routes>
      <Route index element={<Caseload />} />
    </Routes>
  );
}
