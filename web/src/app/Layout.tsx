import { Footer } from '@codegouvfr/react-dsfr/Footer';
import { Header, type HeaderProps } from '@codegouvfr/react-dsfr/Header';
import { SkipLinks } from '@codegouvfr/react-dsfr/SkipLinks';
import type { MainNavigationProps } from '@codegouvfr/react-dsfr/MainNavigation';
import type { ReactNode } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { RECTIFICATION_NOTICE_ROLES, REGISTRATION_REVIEW_ROLES, SECURITY_ROLES, useSession } from './session.tsx';

const BRAND = (
  <>
    République
    <br />
    Française
  </>
);

/** Each space's menu; the current page is marked for assistive technologies (aria-current). */
function navigationFor(kind: string | undefined, roles: string[], path: string): MainNavigationProps.Item[] {
  // A space's first item is its root (/mon-espace, /console, /bureau): active on that page only,
  // else every page of the space would mark two items as current.
  const item = (text: string, to: string, root = false): MainNavigationProps.Item => ({
    text,
    linkProps: { to },
    isActive: path === to || (!root && path.startsWith(`${to}/`)),
  });
  if (kind === 'job_seeker') {
    return [
      item('Mon dossier', '/mon-espace', true),
      item('M’actualiser', '/mon-espace/actualisation'),
      item('Mes attestations employeur', '/mon-espace/attestations'),
      item('Qui a consulté mon dossier', '/mon-espace/consultations'),
      item('Sécurité du compte', '/mon-espace/securite'),
      item('Coordonnées bancaires', '/mon-espace/banque'),
      item('Exercer mes droits', '/mon-espace/droits'),
      item('Mes mandats', '/mon-espace/mandats'),
    ];
  }
  if (kind === 'staff' && roles.some((r) => SECURITY_ROLES.includes(r))) {
    return [
      item('Alertes', '/bureau', true),
      item('Incidents', '/bureau/incidents'),
      item('Organisations', '/bureau/organisations'),
      item('Accès signalés', '/bureau/signalements'),
      item('Registre des traitements', '/bureau/registre'),
      // The DPO's queue (the API lets no one else work it).
      ...(roles.includes('dpo') ? [item('Demandes d’exercice des droits', '/bureau/droits')] : []),
      item('Administration des comptes', '/bureau/administration'),
      item('Journal et activité', '/bureau/activite'),
      // The mail room of the paper channel (the API lets only the security officer in).
      ...(roles.includes('security_officer') ? [item('Courrier', '/bureau/courrier')] : []),
    ];
  }
  if (kind === 'staff' && roles.includes('aidant')) return [item('Mes mandats', '/console', true)];
  if (kind === 'staff')
    return [
      item('Mon portefeuille', '/console', true),
      item('Rechercher un dossier', '/console/recherche'),
      ...(roles.some((r) => RECTIFICATION_NOTICE_ROLES.includes(r))
        ? [item('Rectifications à répercuter', '/console/rectifications')]
        : []),
      ...(roles.some((r) => REGISTRATION_REVIEW_ROLES.includes(r))
        ? [item('Inscriptions à vérifier', '/console/inscriptions')]
        : []),
    ];
  return [];
}

export function Layout({ children }: { children: ReactNode }) {
  const { state, signOut } = useSession();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const info = state.status === 'signed_in' ? state.info : undefined;
  const quickAccess: HeaderProps.QuickAccessItem[] = info
    ? [
        {
          iconId: 'fr-icon-account-circle-line',
          text: info.staff ? `${info.staff.displayName} — ${info.staff.organisation.name}` : info.account.login,
          linkProps: { to: info.account.kind === 'job_seeker' ? '/mon-espace/securite' : '/securite' },
        },
        {
          iconId: 'fr-icon-logout-box-r-line',
          text: 'Se déconnecter',
          buttonProps: {
            onClick: () => {
              void signOut().finally(() => navigate('/connexion'));
            },
          },
        },
      ]
    : [{ iconId: 'fr-icon-lock-line', text: 'Se connecter', linkProps: { to: '/connexion' } }];
  return (
    <>
      <SkipLinks
        links={[
          { anchor: '#contenu', label: 'Contenu' },
          { anchor: '#header-navigation', label: 'Menu' },
          { anchor: '#pied-de-page', label: 'Pied de page' },
        ]}
      />
      <Header
        brandTop={BRAND}
        serviceTitle="Rempart"
        serviceTagline="Vos données d’emploi, chiffrées et sous votre regard"
        homeLinkProps={{ to: '/', title: 'Accueil — Rempart' }}
        quickAccessItems={quickAccess}
        navigation={navigationFor(info?.account.kind, info?.staff?.roles ?? [], pathname)}
      />
      <main id="contenu" className="fr-container fr-py-4w" tabIndex={-1}>
        {children}
      </main>
      <Footer
        id="pied-de-page"
        accessibility="partially compliant"
        accessibilityLinkProps={{ to: '/accessibilite' }}
        contentDescription="Rempart est le registre des données personnelles des demandeurs d’emploi : chaque donnée est chiffrée, chaque accès est justifié, borné et inscrit dans un journal que la personne concernée peut lire."
        // A page of the server, not of the application: the router must not handle it (its Link would drop an href).
        bottomItems={[{ text: 'Documentation de l’API', linkProps: { to: '/api/docs', reloadDocument: true } }]}
      />
    </>
  );
}
