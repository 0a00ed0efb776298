import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { useState, type FormEvent } from 'react';
import { api, download } from '../app/api.ts';
import { formatDate, formatDateTime } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';
import '../bureau/rights.css';

/** One of the person's requests, as the API shows it to them (src/privacy/rights-requests/model.ts: OwnRightsRequest). */
interface OwnRequest {
  id: string;
  reference: string;
  kindLabel: string;
  channelLabel: string;
  status: string;
  statusLabel: string;
  receivedAt: string;
  details: string | null;
  dueAt: string;
  extended: boolean;
  paused: boolean;
  answer: {
    outcomeLabel: string;
    at: string;
    text: string;
    /** An access request granted: the copy of the data is the espace's own download (Art. 15.3). */
    dataCopy: { href: string; page: string; label: string } | null;
  } | null;
  history: Array<{ at: string; label: string; note: string | null }>;
}

const KINDS: Array<[string, string, string]> = [
  ['access', 'Accéder à mes données', 'Recevoir une copie des données que nous détenons sur vous (article 15).'],
  ['rectification', 'Faire corriger mes données', 'Une donnée est inexacte ou incomplète (article 16).'],
  [
    'erasure',
    'Faire effacer mes données',
    'Certaines données ne peuvent pas l’être avant la fin de leur conservation légale (article 17).',
  ],
  [
    'restriction',
    'Limiter l’utilisation de mes données',
    'Le temps de vérifier une contestation, par exemple (article 18).',
  ],
  [
    'objection',
    'M’opposer à un traitement',
    'Sauf si la loi l’impose ou pour une mission de service public (article 21).',
  ],
];

/**
 * « Exercer mes droits »: a short form to ask, and the person's requests with their state, the
 * due date and the answer. Filed here, the request needs no other proof of identity: the
 * signed-in session is it.
 */
export function RightsRequestsPage() {
  const list = useLoad(() => api<{ items: OwnRequest[] }>('/api/me/rights-requests'));
  const [kind, setKind] = useState('access');
  const [details, setDetails] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const file = useAction(async () => {
    const filed = await api<OwnRequest>('/api/me/rights-requests', {
      method: 'POST',
      body: { kind, ...(details.trim() ? { details } : {}) },
    });
    setDetails('');
    setMessage(
      `Votre demande ${filed.reference} est enregistrée. Nous vous répondrons au plus tard le ${formatDate(filed.dueAt)}.`,
    );
    list.reload();
  });
  const items = list.data?.items ?? [];
  return (
    <>
      <PageTitle title="Exercer mes droits">Exercer mes droits sur mes données</PageTitle>
      <p>
        Nous vous répondons dans un délai d’un mois. Ce délai peut être prolongé de deux mois pour une demande complexe
        : nous vous en informons alors avant la fin du premier mois, en vous expliquant pourquoi.
      </p>
      <SuccessNotice message={message} />
      <form
        className="fr-mb-6w"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void file.run();
        }}
      >
        <ErrorNotice error={file.error} />
        <RadioButtons
          legend="Ce que vous demandez"
          name="kind"
          options={KINDS.map(([value, label, hint]) => ({
            label,
            hintText: hint,
            nativeInputProps: { value, checked: kind === value, onChange: () => setKind(value) },
          }))}
        />
        <Input
          label="Précisez votre demande (facultatif)"
          hintText="Par exemple : la donnée à corriger, le traitement auquel vous vous opposez."
          textArea
          nativeTextAreaProps={{
            value: details,
            onChange: (e) => setDetails(e.target.value),
            maxLength: 5000,
            rows: 4,
          }}
        />
        <Button type="submit" disabled={file.busy}>
          Envoyer ma demande
        </Button>
      </form>
      <h2>Mes demandes</h2>
      <ErrorNotice error={list.error} title="Vos demandes sont indisponibles" />
      {!list.data && list.loading ? <Loading /> : null}
      {list.data && items.length === 0 ? <p>Vous n’avez fait aucune demande.</p> : null}
      {items.map((r) => (
        <section key={r.id} className="fr-mb-4w" aria-labelledby={`demande-${r.id}`}>
          <h3 id={`demande-${r.id}`} className="fr-h5">
            {r.kindLabel} — {r.reference}
          </h3>
          <p>
            Reçue le {formatDateTime(r.receivedAt)} ({r.channelLabel}). État : <strong>{r.statusLabel}</strong>.{' '}
            {r.answer
              ? null
              : r.paused
                ? 'Le délai de réponse est suspendu tant que votre identité n’est pas confirmée.'
                : `Réponse au plus tard le ${formatDate(r.dueAt)}${r.extended ? ' (délai prolongé)' : ''}.`}
          </p>
          {r.details ? <p className="rempart-prewrap">Votre demande : {r.details}</p> : null}
          {r.history
            .filter((h) => h.note)
            .map((h, i) => (
              <div key={i} className="fr-callout fr-mb-2w">
                <p className="fr-callout__title">
                  {h.label} ({formatDate(h.at)})
                </p>
                <p className="fr-callout__text rempart-prewrap">{h.note}</p>
              </div>
            ))}
          {r.answer ? (
            <div className="fr-callout fr-mb-2w">
              <p className="fr-callout__title">
                Notre réponse du {formatDate(r.answer.at)} : {r.answer.outcomeLabel}
              </p>
              <p className="fr-callout__text rempart-prewrap">{r.answer.text}</p>
              {r.answer.dataCopy ? <DataCopy copy={r.answer.dataCopy} /> : null}
            </div>
          ) : null}
        </section>
      ))}
    </>
  );
}

/** The copy of the data an access answer gives: the same download as « Sécurité du compte », recorded as it is. */
function DataCopy({ copy }: { copy: { href: string; page: string; label: string } }) {
  const [message, setMessage] = useState<string | null>(null);
  const save = useAction(async () => {
    await download(copy.href, 'mes-donnees-rempart.json');
    setMessage(
      'Vos données ont été téléchargées. Ce fichier contient des informations personnelles : conservez-le en lieu sûr.',
    );
  });
  return (
    <div className="fr-mt-2w">
      <ErrorNotice error={save.error} />
      <SuccessNotice message={message} />
      <Button type="button" iconId="fr-icon-download-line" onClick={() => void save.run()} disabled={save.busy}>
        {copy.label}
      </Button>
    </div>
  );
}
