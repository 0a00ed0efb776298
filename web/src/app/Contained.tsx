import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Link } from 'react-router';
import type { Containment } from './api.ts';
import { PageTitle } from './ui.tsx';

/**
 * The account suspended by the guard, said at once on the page where it happened: what, why in
 * plain words, whom to call, and what happens next. Signing in again would only say it again.
 */
export function Contained({ containment }: { containment: Containment }) {
  return (
    <>
      <PageTitle title="Compte suspendu par mesure de sécurité">Compte suspendu par mesure de sécurité</PageTitle>
      <Alert
        severity="error"
        small={false}
        title="Votre compte est suspendu"
        description={containment.message}
        className="fr-mb-3w"
        role="alert"
      />
      <h2 className="fr-h5">Pourquoi ?</h2>
      <p>
        Rempart compte les dossiers que chaque compte consulte. Quand un compte en consulte beaucoup plus qu’une journée
        de travail ne l’explique, ou d’une manière qui ressemble à une extraction, il est suspendu aussitôt : c’est ce
        qui protège les personnes si votre mot de passe ou votre poste ont été volés. Vos sessions sont fermées ; les
        consultations faites jusqu’ici restent inscrites au journal.
      </p>
      <h2 className="fr-h5">Qui appeler ?</h2>
      {containment.securityContact ? (
        <p>
          Le référent sécurité de votre organisation :{' '}
          <a href={`mailto:${containment.securityContact}`}>{containment.securityContact}</a>. Dites-lui ce que vous
          faisiez au moment de la suspension ; il vérifie avec le responsable de la sécurité et rétablit votre accès si
          tout est normal.
        </p>
      ) : (
        <p>Le référent sécurité de votre organisation, qui vérifie avec le responsable de la sécurité.</p>
      )}
      <p>
        Si vous ne reconnaissez pas les consultations faites avec votre compte, dites-le aussi : c’est peut-être que
        quelqu’un d’autre l’utilise.
      </p>
      <p>
        <Link to="/connexion" reloadDocument>
          Retour à la connexion
        </Link>
      </p>
    </>
  );
}
