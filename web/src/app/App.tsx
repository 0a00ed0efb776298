import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { Home } from './Home.tsx';
import { Layout } from './Layout.tsx';
import { homeOf, SECURITY_ROLES, SessionProvider, useSession } from './session.tsx';
import { SignIn } from './SignIn.tsx';
import { Loading, PageTitle } from './ui.tsx';

// Each space is its own chunk: a job seeker's browser never downloads the desk (and its charts).
const EspaceSpace = lazy(() => import('../espace/index.tsx').then((m) => ({ default: m.EspaceSpace })));
const ConsoleSpace = lazy(() => import('../console/index.tsx').then((m) => ({ default: m.ConsoleSpace })));
const BureauSpace = lazy(() => import('../bureau/index.tsx').then((m) => ({ default: m.BureauSpace })));

/** A space opens only to its audience; anyone else is sent to sign in or to their own space. */
function RequireSession({
  kind,
  roles,
  children,
}: {
  kind: 'job_seeker' | 'staff';
  roles?: string[];
  children: ReactNode;
}) {
  const { state } = useSession();
  if (state.status === 'loading') return <Loading what="Vérification de la session" />;
  if (state.status === 'anonymous') return <Navigate to="/connexion" replace />;
  const { info } = state;
  const allowed = info.account.kind === kind && (!roles || info.staff?.roles.some((r) => roles.includes(r)));
  if (!allowed) return <Navigate to={homeOf(info)} replace />;
  return <Suspense fallback={<Loading what="Chargement de l’espace" />}>{children}</Suspense>;
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
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Layout>
    </SessionProvider>
  );
}
