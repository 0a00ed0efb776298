import { useMemo, useState } from 'react';
import { Route, Routes } from 'react-router';
import { api } from '../app/api.ts';
import { ErrorNotice, Loading, PageTitle, useLoad } from '../app/ui.tsx';
import { Caseload } from './Caseload.tsx';
import { ConsoleContext, type ConsoleProfile, type Declaration } from './context.tsx';
import { FileView } from './FileView.tsx';
import { MandatesConsole } from './Mandates.tsx';
import { Rectifications } from './Rectifications.tsx';
import { RegistrationReviews } from './RegistrationReviews.tsx';
import { Search } from './Search.tsx';

/**
 * The declaration outlives a reload of this tab (sessionStorage: this tab only, gone when it
 * closes, cleared at sign-out): a purpose and the agent's own case reference, never a person.
 */
const DECLARATION_KEY = 'rempart.console.declaration';

function restoredDeclaration(): Declaration | null {
  try {
    const kept = JSON.parse(sessionStorage.getItem(DECLARATION_KEY) ?? 'null') as Partial<Declaration> | null;
    return kept && typeof kept.purpose === 'string' && typeof kept.caseReference === 'string'
      ? { purpose: kept.purpose, caseReference: kept.caseReference }
      : null;
  } catch {
    return null;
  }
}

function keepDeclaration(declaration: Declaration | null): void {
  try {
    if (declaration) sessionStorage.setItem(DECLARATION_KEY, JSON.stringify(declaration));
    else sessionStorage.removeItem(DECLARATION_KEY);
  } catch {
    // A browser that keeps nothing asks again after a reload.
  }
}

/**
 * Console conseiller et partenaire. The agent's profile (purposes it may declare) is read once;
 * the declared purpose lives in this tab's session storage and the opened file in the history
 * state, never in the page address: only page numbers and the sort go there.
 */
export function ConsoleSpace() {
  const profile = useLoad(() => api<ConsoleProfile>('/api/staff/profile'));
  const [declaration, setDeclarationState] = useState<Declaration | null>(restoredDeclaration);
  const value = useMemo(() => {
    const setDeclaration = (next: Declaration | null) => {
      keepDeclaration(next);
      setDeclarationState(next);
    };
    return profile.data ? { profile: profile.data, declaration, setDeclaration } : null;
  }, [profile.data, declaration]);
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
        {/* An aidant of a France Services house has no caseload: their mandates are their page. */}
        <Route index element={value.profile.roles.includes('aidant') ? <MandatesConsole /> : <Caseload />} />
        <Route path="mandats" element={<MandatesConsole />} />
        <Route path="recherche" element={<Search />} />
        <Route path="dossier" element={<FileView />} />
        <Route path="rectifications" element={<Rectifications />} />
        <Route path="inscriptions" element={<RegistrationReviews />} />
      </Routes>
    </ConsoleContext.Provider>
  );
}
