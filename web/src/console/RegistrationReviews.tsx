import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { api } from '../app/api.ts';
import { DataTable } from '../app/DataTable.tsx';
import { formatDate, formatDateTime } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';

/** GET /api/staff/registration-reviews (src/registration/model.ts ReviewSummary): no value. */
interface Review {
  id: string;
  createdAt: string;
  channel: string;
  matchedOn: string[];
  matchedPersonIds: string[];
}
interface Identity {
  lastName: string;
  usageName?: string;
  firstNames: string[];
  sex: string;
  birthDate: string;
  birthPlace?: string;
}
interface Opened {
  review: Review;
  candidate: { identity: Identity; nirEnd: string | null; emailOnFile: string[] | null };
  matches: Array<{
    personId: string;
    identity?: Identity;
    registration?: {
      franceTravailId: string;
      category: string;
      registeredOn: string;
      status: string;
      deregisteredOn?: string;
    };
  }>;
}

const CHANNELS: Record<string, string> = {
  online: 'En ligne',
  desk: 'À l’accueil',
  paper: 'Formulaire papier',
  import: 'Import d’un partenaire',
};
const MATCHES: Record<string, string> = { nir: 'NIR', name_birth: 'Nom, prénom et date de naissance' };
const STATUSES: Record<string, string> = {
  registered: 'Inscrit(e)',
  suspended: 'Suspendue',
  deregistered: 'Inscription terminée',
};

function who(identity: Identity | undefined): string {
  if (!identity) return '—';
  return `${identity.lastName}${identity.usageName ? ` (${identity.usageName})` : ''} ${identity.firstNames.join(' ')}, né(e) le ${formatDate(identity.birthDate)}${identity.birthPlace ? ` à ${identity.birthPlace}` : ''}`;
}

/**
 * « Inscriptions à vérifier » (issue 25 §1): registrations held because they matched a file by NIR,
 * or by name and birth date — never merged. Opening one reads each matched file's identity and
 * registration (recorded in that person's journal) beside the candidate's identity; the
 * counsellor decides « même personne » (no new file) or « personnes différentes » (the file is created).
 */
export function RegistrationReviews() {
  const queue = useLoad(() => api<{ total: number; reviews: Review[] }>('/api/staff/registration-reviews'));
  const [opened, setOpened] = useState<Opened | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const open = useAction(async (id: string) => {
    setDone(null);
    setOpened(await api<Opened>(`/api/staff/registration-reviews/${id}`));
  });
  const decide = useAction(async (decision: 'same_person' | 'different_persons', personId?: string) => {
    const answer = await api<{ decision: string; reopened: boolean; franceTravailId?: string }>(
      `/api/staff/registration-reviews/${opened!.review.id}/decision`,
      { method: 'POST', body: { decision, ...(personId ? { personId } : {}) } },
    );
    setDone(
      answer.decision === 'same_person'
        ? `Même personne : aucun nouveau dossier${answer.reopened ? ', son inscription est rouverte' : ''}. La personne est invitée à se connecter.`
        : `Personnes différentes : dossier créé (identifiant France Travail ${answer.franceTravailId ?? ''}).`,
    );
    setOpened(null);
    queue.reload();
  });
  const reviews = queue.data?.reviews ?? [];
  return (
    <>
      <PageTitle title="Inscriptions à vérifier">Inscriptions à vérifier</PageTitle>
      <p>
        Ces demandes d’inscription ressemblent à un dossier existant. Rien n’est fusionné : comparez, puis décidez.
        Chaque dossier ouvert ici est inscrit dans le journal de la personne.
      </p>
      <SuccessNotice message={done} />
      <ErrorNotice error={queue.error ?? open.error ?? decide.error} />
      {queue.loading && !queue.data ? <Loading what="Chargement des demandes" /> : null}
      {opened ? (
        <section aria-labelledby="comparaison" className="fr-mb-4w">
          <h2 id="comparaison" className="fr-h4">
            Demande du {formatDateTime(opened.review.createdAt)}
          </h2>
          <p>
            <strong>Demande :</strong> {who(opened.candidate.identity)}
            {opened.candidate.nirEnd ? ` — NIR se terminant par ${opened.candidate.nirEnd}` : ' — sans NIR'}
          </p>
          {opened.candidate.emailOnFile && opened.candidate.emailOnFile.length === 0 ? (
            <div data-testid="email-not-on-file">
              <Alert
                severity="warning"
                small
                className="fr-mb-2w"
                description="L’adresse électronique de la demande n’est celle d’aucun des dossiers trouvés : quelqu’un peut s’inscrire avec l’identité d’une autre personne. Avant de rattacher la demande à un dossier, vérifiez l’identité de la personne (pièce d’identité à l’agence)."
              />
            </div>
          ) : null}
          <DataTable caption="Dossiers trouvés" columns={['Personne', 'Inscription', 'Décision']}>
            {opened.matches.map((m) => (
              <tr key={m.personId}>
                <td>{who(m.identity)}</td>
                <td>
                  {m.registration
                    ? `${m.registration.franceTravailId} — ${STATUSES[m.registration.status] ?? m.registration.status} depuis le ${formatDate(m.registration.deregisteredOn ?? m.registration.registeredOn)}`
                    : '—'}
                </td>
                <td>
                  <Button
                    size="small"
                    disabled={decide.busy}
                    onClick={() => void decide.run('same_person', m.personId)}
                  >
                    Même personne
                  </Button>
                </td>
              </tr>
            ))}
          </DataTable>
          <div className="fr-btns-group fr-btns-group--inline">
            <Button priority="secondary" disabled={decide.busy} onClick={() => void decide.run('different_persons')}>
              Personnes différentes : créer le dossier
            </Button>
            <Button priority="tertiary" onClick={() => setOpened(null)}>
              Revenir à la liste
            </Button>
          </div>
        </section>
      ) : null}
      {queue.data ? (
        <DataTable
          caption={`Demandes en attente (${queue.data.total})`}
          columns={['Reçue le', 'Canal', 'Correspondance', 'Dossiers', '']}
        >
          {reviews.map((r) => (
            <tr key={r.id}>
              <td>{formatDateTime(r.createdAt)}</td>
              <td>{CHANNELS[r.channel] ?? r.channel}</td>
              <td>{r.matchedOn.map((m) => MATCHES[m] ?? m).join(' ; ')}</td>
              <td>{r.matchedPersonIds.length}</td>
              <td>
                <Button size="small" priority="secondary" disabled={open.busy} onClick={() => void open.run(r.id)}>
                  Examiner
                </Button>
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </>
  );
}
