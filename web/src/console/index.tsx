import { useMemo, useState } from 'react';
import { Route, Routes } from 'react-router';
import { api } from '../app/api.ts';
import { ErrorNotice, Loading, PageTitle, useLoad } from '../app/ui.tsx';
import { Caseload } from './Caseload.tsx';
import { ConsoleContext, type ConsoleProfile, type Declaration } from './context.tsx';
import { FileView } from './FileView.tsx';
import { Search } from './Search.tsx';

/**
 * Console conseiller et partenaire. The agent's profile (purposes it may declare) is read once;
 * the declared purpose and the opened file live in memory and in the history state, never in
 * the page address: only page numbers go there.
 */
export function ConsoleSpace() {
  const profile = useLoad(() => api<ConsoleProfile>('/api/staff/profile'));
  const [declaration, setDeclaration] = useState<Declaration | null>(null);
  const value = useMemo(
    () => (profile.data ? { profile: profile.data, declaration, setDeclaration } : null),
    [profile.data, declaration],
  );
  if (profile.error) {
    return (
      <>
        <PageTitle title="Console">Console</PageTitle>
        <ErrorNotice error={profile.error} title="Console indisponible" />
      </>
    );
  }
  if (!value) return <Loading what="Chargement de votre profil" />;
  return (
    <ConsoleContext.Provider value={value}>
      <Routes>
        <Route index element={<Caseload />} />
        <Route path="recherche" element={<Search />} />
        <Route path="dossier" element={<FileView />} />
      </Routes>
    </ConsoleContext.Provider>
  );
}
