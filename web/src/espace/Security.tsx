import { Button } from '@codegouvfr/react-dsfr/Button';
import { ToggleSwitch } from '@codegouvfr/react-dsfr/ToggleSwitch';
import { useState } from 'react';
import { api, download } from '../app/api.ts';
import { DataTable } from '../app/DataTable.tsx';
import { formatDate, formatDateTime } from '../app/format.ts';
import { SecurityPage } from '../app/Security.tsx';
import { ErrorNotice, Loading, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';

interface SecurityEvents {
  page: number;
  pageSize: number;
  total: number;
  events: Array<{ id: string; at: string; kind: string; label: string; method: string | null }>;
}

const METHOD_LABELS: Record<string, string> = {
  totp: 'code d’application',
  passkey: 'clé d’accès',
  recovery_code: 'code de secours',
  read: 'consultation',
  export: 'téléchargement',
  password_change: 'changement du mot de passe',
};

/** « Sécurité du compte » in the job seeker's space: the account's page, then recent activity and the download of one's data. */
export function EspaceSecurityPage() {
  return (
    <SecurityPage>
      <Activity />
      <PaperCorrespondence />
      <MyData />
    </SecurityPage>
  );
}

function Activity() {
  const [page, setPage] = useState(1);
  const events = useLoad(() => api<SecurityEvents>(`/api/me/security-events?page=${page}&pageSize=15`), [page]);
  const pages = events.data ? Math.max(1, Math.ceil(events.data.total / events.data.pageSize)) : 1;
  return (
    <section className="fr-mb-6w" aria-labelledby="activite">
      <h2 id="activite">Activité récente du compte</h2>
      <ErrorNotice error={events.error} />
      {events.loading && !events.data ? <Loading what="Chargement de l’activité" /> : null}
      {events.data && events.data.events.length === 0 ? <p>Aucune activité enregistrée.</p> : null}
      <ul data-testid="security-events">
        {events.data?.events.map((e) => (
          <li key={e.id}>
            {formatDateTime(e.at)} — {e.label}
            {e.method ? ` (${METHOD_LABELS[e.method] ?? e.method})` : ''}
          </li>
        ))}
      </ul>
      {pages > 1 ? (
        <nav aria-label="Pages de l’activité">
          <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
            <li>
              <Button
                type="button"
                size="small"
                priority="secondary"
                disabled={page <= 1}
                onClick={() => setPage((p) => p - 1)}
              >
                Plus récent
              </Button>
            </li>
            <li>
              <Button
                type="button"
                size="small"
                priority="secondary"
                disabled={page >= pages}
                onClick={() => setPage((p) => p + 1)}
              >
                Plus ancien
              </Button>
            </li>
          </ul>
        </nav>
      ) : null}
    </section>
  );
}

function MyData() {
  const [message, setMessage] = useState<string | null>(null);
  const save = useAction(async () => {
    await download('/api/me/export', 'mes-donnees-rempart.json');
    setMessage(
      'Vos données ont été téléchargées. Ce fichier contient des informations personnelles : conservez-le en lieu sûr.',
    );
  });
  return (
    <section className="fr-mb-6w" aria-labelledby="mes-donnees">
      <h2 id="mes-donnees">Mes données</h2>
      <p>
        Téléchargez tout ce que Rempart sait de vous (dossier, journal des accès, seconds facteurs, sessions, activité,
        changements de coordonnées bancaires) dans un fichier JSON.
      </p>
      <ErrorNotice error={save.error} />
      <SuccessNotice message={message} />
      <Button type="button" iconId="fr-icon-download-line" onClick={() => void save.run()} disabled={save.busy}>
        Télécharger mes données
      </Button>
    </section>
  );
}

interface Correspondence {
  paper: boolean;
  setAt: string | null;
  setBy: 'person' | 'agent' | null;
  letters: Array<{
    id: string;
    kindLabel: string;
    statusLabel: string;
    queuedAt: string;
    postedAt: string | null;
    returnedAt: string | null;
    returnReasonLabel: string | null;
  }>;
}

/**
 * « Courrier papier pour toute correspondance » (issue 25 §5): every notice of Rempart also sent
 * as a letter to the postal address of the file; the letters sent and whether they were posted or
 * came back.
 */
function PaperCorrespondence() {
  const loaded = useLoad(() => api<Correspondence>('/api/me/correspondence'));
  const [message, setMessage] = useState<string | null>(null);
  // The switch moves at once; it goes back if the server refuses.
  const [asked, setAsked] = useState<boolean | null>(null);
  const save = useAction(async (paper: boolean) => {
    setAsked(paper);
    try {
      await api<Correspondence>('/api/me/correspondence', { method: 'PUT', body: { paper } });
    } catch (error) {
      setAsked(null);
      throw error;
    }
    setMessage(
      paper
        ? 'C’est noté : vos avis vous seront aussi envoyés par courrier, à l’adresse postale de votre dossier. Un premier courrier vous confirme ce choix.'
        : 'C’est noté : vous ne recevrez plus vos avis par courrier papier.',
    );
    loaded.reload();
  });
  const data = loaded.data;
  return (
    <section className="fr-mb-6w" aria-labelledby="courrier-papier">
      <h2 id="courrier-papier">Courrier papier</h2>
      <p>
        Recevez aussi par courrier, à l’adresse postale de votre dossier, chaque avis que Rempart vous envoie (sécurité
        du compte, coordonnées bancaires, incidents, réponses à vos demandes). Si un courrier nous revient, l’avis vous
        est envoyé par courriel ou SMS ; sinon un agent vous contacte.
      </p>
      <ErrorNotice error={loaded.error ?? save.error} />
      <SuccessNotice message={message} />
      {loaded.loading && !data ? <Loading what="Chargement de votre choix" /> : null}
      {data ? (
        <ToggleSwitch
          label="Courrier papier pour toute correspondance"
          helperText={
            data.setAt
              ? `Choix ${data.setBy === 'agent' ? 'enregistré par un agent à votre demande' : 'fait par vous'} le ${formatDateTime(data.setAt)}.`
              : 'Vous pouvez changer ce choix à tout moment.'
          }
          checked={asked ?? data.paper}
          disabled={save.busy}
          onChange={(checked) => {
            setMessage(null);
            void save.run(checked);
          }}
          showCheckedHint
          labelPosition="left"
        />
      ) : null}
      {data && data.letters.length > 0 ? (
        <DataTable caption="Mes derniers courriers" columns={['Avis', 'Préparé le', 'État']}>
          {data.letters.map((letter) => (
            <tr key={letter.id}>
              <td>{letter.kindLabel}</td>
              <td>{formatDateTime(letter.queuedAt)}</td>
              <td>
                {letter.statusLabel}
                {letter.postedAt ? ` le ${formatDate(letter.postedAt)}` : ''}
                {letter.returnReasonLabel ? ` (${letter.returnReasonLabel})` : ''}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </section>
  );
}
