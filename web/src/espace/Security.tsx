import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { api, download } from '../app/api.ts';
import { formatDateTime } from '../app/format.ts';
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
