import { Tile } from '@codegouvfr/react-dsfr/Tile';
import { PageTitle } from './ui.tsx';

/** The three spaces, each for its audience (DESIGN.md §2). */
export function Home() {
  return (
    <>
      <PageTitle title="Accueil">Rempart</PageTitle>
      <p className="fr-text--lead">
        Vos données de demandeur d’emploi sont chiffrées, chaque consultation est justifiée et inscrite dans un journal
        que vous pouvez lire.
      </p>
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-md-4">
          <Tile
            title="Espace demandeur d’emploi"
            desc="Consulter mon dossier, voir qui l’a consulté, sécuriser mon compte."
            linkProps={{ to: '/mon-espace' }}
            orientation="vertical"
          />
          <p className="fr-mt-2w">
            <a className="fr-link" href="/inscription">
              M’inscrire comme demandeur d’emploi
            </a>
          </p>
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <Tile
            title="Console conseiller et partenaire"
            desc="Mon portefeuille, la recherche exacte, l’accès finalisé aux dossiers."
            linkProps={{ to: '/console' }}
            orientation="vertical"
          />
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <Tile
            title="Bureau sécurité et protection des données"
            desc="Alertes, comptes confinés, organisations, incidents, journal."
            linkProps={{ to: '/bureau' }}
            orientation="vertical"
          />
        </div>
      </div>
    </>
  );
}
