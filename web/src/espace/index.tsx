import { Route, Routes } from 'react-router';
import { PageTitle } from '../app/ui.tsx';

function MyFile() {
  return <PageTitle title="Mon dossier">Mon dossier</PageTitle>;
}

/** Espace demandeur d’emploi. */
export function EspaceSpace() {
  return (
    <Routes>
      <Route index element={<MyFile />} />
    </Routes>
  );
}
