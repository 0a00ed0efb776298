import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { AccessibilityStatement } from './Accessibility.tsx';
import { Contained } from './Contained.tsx';
import { NotMe } from './NotMe.tsx';
import { ForgottenPassword } from './ForgottenPassword.tsx';
import { Registration } from './Registration.tsx';
import { Home } from './Home.tsx';
import { Layout } from './Layout.tsx';
import { homeOf, SECURITY_ROLES, SessionProvider, useSession, useSignedIn } from './session.tsx';
import { SignIn } from './SignIn.tsx';
import { Loading, PageTitle } from './ui.tsx';

// Each space is its own chunk: a job seeker's browser never downloads the desk (and its charts).
const EspaceSpace = lazy(() => import('../espace/index.tsx').then((m) => ({ default: m.EspaceSpace })));
const ConsoleSpace = lazy(() => import('../console/index.tsx').then((m) => ({ default: m.ConsoleSpace })));
const BureauSpace = lazy(() => import('../bureau/index.tsx').then((m) => ({ default: m.BureauSpace })));
const SecurityPage = lazy(() => import('./Security.tsx').then((m) => ({ default: m.SecurityPage })));

/**
 * A space opens only to its audience (any account when no kind is named); anyone else is sent to
 * sign in or to their own space. `returnHere`: once signed in, back to this page rather than home.
 */
function RequireSession({
  kind,
  roles,
  returnHere = false,
  children,
}: {
  kind?: 'job_seeker' | 'staff';
  roles?: string[];
  returnHere?: boolean;
  children: ReactNode;
}) {
  const { state } = useSession();
  const { pathname } = useLocation();
  if (state.status === 'loading') return <Loading what="Vérification de la session" />;
  if (state.status === 'contained') return <Contained containment={state.containment} />;
  if (state.status === 'anonymous')
    return <Navigate to="/connexion" replace {...(returnHere ? { state: { from: pathname } } : {})} />;
  const { info } = state;
  const allowed = (!kind || info.account.kind === kind) && (!roles || info.staff?.roles.some((r) => roles.includes(r)));
  if (!allowed) return <Navigate to={homeOf(info)} replace />;
  return <Suspense fallback={<Loading what="Chargement de l’espace" />}>{children}</Suspense>;
}

/** « Sécurité du compte »: a job seeker's is in their space, with their activity and their data. */
function AccountSecurity() {
  const info = useSignedIn();
  if (info.account.kind === 'job_seeker') return <Navigate to="/mon-espace/securite" replace />;
  return <SecurityPage />;
}

function NotFound() {
  return (
    <>
      <PageTitle title="Page introuvable">Page introuvable</PageTitle>
      <p>Cette adresse ne correspond à aucune page de Rempart.</p>
      <a className="fr-link" href="/">
        Revenir à l’accueil
      </a>
    </>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Layout>
        <Routes>
          <Route path="/" element={<Home />} />
          <Route path="/connexion" element={<SignIn />} />
          <Route path="/accessibilite" element={<AccessibilityStatement />} />
          <Route path="/ce-n-est-pas-moi" element={<NotMe />} />
          <Route path="/mot-de-passe-oublie" element={<ForgottenPassword />} />
          <Route path="/inscription" element={<Registration />} />
          <Route
            path="/mon-espace/*"
            element={
              <RequireSession kind="job_seeker">
                <EspaceSpace />
              </RequireSession>
            }
          />
          <Route
            path="/console/*"
            element={
              <RequireSession kind="staff">
                <ConsoleSpace />
              </RequireSession>
            }
          />
          <Route
            path="/bureau/*"
            element={
              <RequireSession kind="staff" roles={SECURITY_ROLES}>
                <BureauSpace />
              </RequireSession>
            }
          />
          <Route
            path="/securite"
            element={
              <RequireSession returnHere>
                <AccountSecurity />
              </RequireSession>
            }
          />
          {/* The address of the former passkey page, which this page replaced: links to it still work. */}
          <Route path="/securite/cles-d-acces" element={<Navigate to="/securite" replace />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Layout>
    </SessionProvider>
  );
}
