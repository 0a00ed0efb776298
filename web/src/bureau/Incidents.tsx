import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, download } from '../app/api.ts';
import { classLabel, formatDateTime, plural, SENSITIVE_FIELD_CLASSES } from '../app/format.ts';
import { useSignedIn } from '../app/session.tsx';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';
import { DataTable } from '../app/DataTable.tsx';
import './bureau.css';
import { ACTION_LABELS, FOUR_EYES_ACTIONS, PERSONAL_DOCUMENTS, REQUEST_STATUS_LABELS, RISK_LABELS } from './labels.ts';
import { useIsSecurityOfficer } from './roles.ts';
import { SensitiveOutcome } from './sensitive.tsx';
import { DeclareIncident } from './DeclareIncident.tsx';

interface Clock {
  deadline: string;
  minutesLeft: number;
  label: string;
  late: boolean;
  filed: boolean;
}
interface Totals {
  persons: number;
  decoys: number;
  byClass: Record<string, number>;
  special: Record<string, number>;
  byRisk: Record<string, number>;
}
interface Incident {
  id: string;
  reference: string;
  title: string;
  vectorLabel: string;
  description: string;
  status: string;
  window: { from: string; to: string };
  awareAt: string;
  declaredAt: string;
  clock: Clock;
  scope: { events: number; totals: Totals; empty: boolean } | null;
  cnil: { reference: string | null; filedAt: string | null };
  closedAt: string | null;
}
interface IncidentDetail extends Incident {
  /** The register's steps (GDPR Art. 33(5)): what was done, when, in the desk's words. */
  timeline: Array<{ at: string; kind: string; summary: string }>;
  documents: Array<{ id: string; kind: string; version: number; title: string; mediaType: string; createdAt: string }>;
  notices: { planned: number; byStatus: Record<string, number>; byChannel: Record<string, Record<string, number>> };
}

/** A request of the desk awaiting (or past) a second person's decision. */
interface DeskRequest {
  id: string;
  incidentId: string | null;
  kind: string;
  summary: string;
  status: string;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  decidedBy: string | null;
  usableUntil: string | null;
  documentId: string | null;
}
interface Submitted {
  request: DeskRequest;
  message: string;
}

const STATUS_LABELS: Record<string, string> = {
  open: 'ouvert',
  scoped: 'périmètre calculé',
  notified: 'notifié',
  closed: 'clos',
};
const NOTICE_STATUS: Record<string, string> = {
  pending: 'à envoyer',
  sending: 'en cours',
  sent: 'envoyés',
  printed: 'imprimés',
  failed: 'en échec',
  no_address: 'sans adresse',
};

function ClockBadge({ clock }: { clock: Clock }) {
  const severity = clock.filed ? 'success' : clock.late ? 'error' : clock.minutesLeft < 24 * 60 ? 'warning' : 'info';
  return <span className={`fr-badge fr-badge--sm fr-badge--${severity}`}>{clock.label}</span>;
}

export function IncidentList() {
  const list = useLoad(() => api<{ incidents: Incident[] }>('/api/security/incidents'));
  const [message, setMessage] = useState<string | null>(null);
  const officer = useIsSecurityOfficer();
  return (
    <>
      <PageTitle title="Incidents">Incidents</PageTitle>
      <p>La notification à la CNIL est due dans les 72 heures suivant la prise de connaissance (RGPD, article 33).</p>
      <SuccessNotice message={message} />
      {officer ? (
        <DeclareIncident
          onSubmitted={(text) => {
            setMessage(text);
            list.reload();
          }}
        />
      ) : null}
      <DeskRequests
        query="status=pending"
        title="Demandes en attente d’une seconde personne"
        onDecided={(text) => {
          setMessage(text);
          list.reload();
        }}
      />
      <ErrorNotice error={list.error} title="Incidents indisponibles" />
      {!list.data && list.loading ? <Loading /> : null}
      {list.data && list.data.incidents.length === 0 ? <p>Aucun incident déclaré.</p> : null}
      {list.data && list.data.incidents.length > 0 ? (
        <DataTable
          caption="Incidents déclarés"
          columns={['Référence', 'Intitulé', 'État', 'Délai de 72 heures', 'Personnes exposées']}
        >
          {list.data.incidents.map((i) => (
            <tr key={i.id}>
              <td>
                <Link to={`/bureau/incidents/${encodeURIComponent(i.reference)}`}>{i.reference}</Link>
              </td>
              <td>{i.title}</td>
              <td>{STATUS_LABELS[i.status] ?? i.status}</td>
              <td>
                <ClockBadge clock={i.clock} />
              </td>
              <td>{i.scope ? i.scope.totals.persons : 'à calculer'}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </>
  );
}

function Operation({
  label,
  name,
  run,
  sensitive = false,
  onDone,
  priority = 'secondary',
  outcomeHere = false,
}: {
  /** Say the outcome beside the button (a measure), rather than at the top of the page. */
  outcomeHere?: boolean;
  label: string;
  /** The accessible name when the visible label is short (it starts with the label). */
  name?: string;
  run: () => Promise<string>;
  sensitive?: boolean;
  onDone: (message: string) => void;
  priority?: 'primary' | 'secondary';
}) {
  const [outcome, setOutcome] = useState<string | null>(null);
  const action = useAction(async () => {
    const message = await run();
    if (!outcomeHere) return onDone(message);
    setOutcome(message);
    onDone('');
  });
  return (
    <div className="fr-mb-2w">
      <SensitiveOutcome error={action.error} retry={() => void action.run()} cancel={() => action.setError(null)} />
      <Button
        priority={priority}
        onClick={() => void action.run()}
        disabled={action.busy}
        iconId={sensitive ? 'fr-icon-lock-line' : undefined}
        nativeButtonProps={name ? { 'aria-label': name } : {}}
      >
        {label}
      </Button>
      {outcome ? (
        <p className="fr-message fr-message--valid fr-mt-1w" role="status" data-testid="measure-outcome">
          {outcome}
        </p>
      ) : null}
    </div>
  );
}

/**
 * Four eyes: what one desk account must not do alone (an incident over several organisations,
 * sending the notices, a document naming people, wiping credentials) waits here for another
 * security officer or the DPO. Nobody approves their own request; the API decides either way.
 */
function DeskRequests({
  query,
  title,
  onDecided,
}: {
  query: string;
  title: string;
  onDecided: (message: string) => void;
}) {
  const me = useSignedIn().account.login;
  const requests = useLoad(
    () => api<{ requests: DeskRequest[] }>(`/api/security/incidents/requests?${query}`),
    [query],
  );
  const decided = (text: string) => {
    requests.reload();
    onDecided(text);
  };
  const shown = (requests.data?.requests ?? []).filter((r) => r.status === 'pending' || r.status === 'approved');
  return (
    <section aria-labelledby="requests-title" className="fr-mb-4w">
      <h2 id="requests-title" className="fr-h4">
        Quatre yeux : {title.toLowerCase()}
      </h2>
      <p className="fr-text--sm">
        Déclarer un incident sur plusieurs organisations, envoyer les avis, télécharger un document qui nomme des
        personnes ou effacer des moyens de connexion : un responsable de la sécurité le demande, une autre personne du
        bureau l’approuve.
      </p>
      <ErrorNotice error={requests.error} title="Demandes indisponibles" />
      {requests.data && shown.length === 0 ? <p>Aucune demande en attente.</p> : null}
      {shown.length > 0 ? (
        <DataTable caption={`${title} (${shown.length})`} columns={['Demande', 'Par', 'Le', 'État', 'Décision']}>
          {shown.map((r) => (
            <tr key={r.id}>
              <td>{r.summary}</td>
              <td>{r.requestedBy}</td>
              <td>{formatDateTime(r.requestedAt)}</td>
              <td>
                {REQUEST_STATUS_LABELS[r.status] ?? r.status}
                {r.decidedBy ? ` par ${r.decidedBy}` : ''}
              </td>
              <td>
                {r.status === 'pending' && r.requestedBy !== me ? (
                  <>
                    <Operation
                      label="Approuver"
                      name={`Approuver : ${r.summary}`}
                      sensitive
                      run={async () => (
                        await api(`/api/security/incidents/requests/${r.id}/approve`, { method: 'POST' }),
                        `Demande approuvée : ${r.summary}.`
                      )}
                      onDone={decided}
                    />
                    <Operation
                      label="Refuser"
                      name={`Refuser : ${r.summary}`}
                      sensitive
                      run={async () => (
                        await api(`/api/security/incidents/requests/${r.id}/refuse`, {
                          method: 'POST',
                          body: { note: 'Refusée par la seconde personne du bureau.' },
                        }),
                        `Demande refusée : ${r.summary}.`
                      )}
                      onDone={decided}
                    />
                  </>
                ) : r.status === 'pending' ? (
                  'En attente d’une autre personne du bureau'
                ) : null}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </section>
  );
}

export function IncidentPage() {
  const { reference = '' } = useParams();
  const officer = useIsSecurityOfficer();
  const me = useSignedIn().account.login;
  const myDownloads = useLoad(
    () =>
      api<{ requests: DeskRequest[] }>(
        `/api/security/incidents/requests?status=approved&incident=${encodeURIComponent(reference)}`,
      ),
    [reference],
  );
  const incident = useLoad(
    () => api<IncidentDetail>(`/api/security/incidents/${encodeURIComponent(reference)}`),
    [reference],
  );
  const [message, setMessage] = useState<string | null>(null);
  // Each step remounts the requests' table, so that a request just made shows up there.
  const [round, setRound] = useState(0);
  const done = (text: string) => {
    setMessage(text);
    setRound((r) => r + 1);
    incident.reload();
    myDownloads.reload();
  };
  const approvedFor = (documentId: string) =>
    (myDownloads.data?.requests ?? []).some(
      (r) => r.documentId === documentId && r.requestedBy === me && r.status === 'approved',
    );
  const base = `/api/security/incidents/${encodeURIComponent(reference)}`;
  const data = incident.data;
  const totals = data?.scope?.totals;
  return (
    <>
      <PageTitle title={`Incident ${reference}`}>Incident {reference}</PageTitle>
      <p>
        <Link to="/bureau/incidents" className="fr-link fr-icon-arrow-left-line fr-link--icon-left">
          Tous les incidents
        </Link>
      </p>
      <ErrorNotice error={incident.error} title="Incident indisponible" />
      <SuccessNotice message={message} />
      {!data && incident.loading ? <Loading /> : null}
      {data ? (
        <>
          <section aria-labelledby="facts-title" className="fr-mb-4w">
            <h2 id="facts-title" className="fr-h4">
              {data.title}
            </h2>
            <p>
              <ClockBadge clock={data.clock} /> — échéance le {formatDateTime(data.clock.deadline)}
            </p>
            <dl>
              <dt className="fr-text--bold">Vecteur</dt>
              <dd>{data.vectorLabel}</dd>
              <dt className="fr-text--bold">Fenêtre de compromission</dt>
              <dd>
                du {formatDateTime(data.window.from)} au {formatDateTime(data.window.to)}
              </dd>
              <dt className="fr-text--bold">Prise de connaissance</dt>
              <dd>{formatDateTime(data.awareAt)}</dd>
              <dt className="fr-text--bold">Circonstances</dt>
              <dd>{data.description}</dd>
              <dt className="fr-text--bold">État</dt>
              <dd>{STATUS_LABELS[data.status] ?? data.status}</dd>
            </dl>
          </section>

          <section aria-labelledby="scope-title" className="fr-mb-4w">
            <h2 id="scope-title" className="fr-h4">
              Périmètre
            </h2>
            {totals ? (
              <>
                <p>
                  {plural(totals.persons, 'personne exposée', 'personnes exposées')} à travers {data.scope!.events}{' '}
                  accès ; {plural(totals.decoys, 'leurre consulté', 'leurres consultés')}.
                </p>
                {Object.keys(totals.byClass).length === 0 ? <p>Aucune donnée de personne réelle exposée.</p> : null}
                <DataTable
                  className={Object.keys(totals.byClass).length === 0 ? 'fr-hidden' : 'fr-table rempart-scroll'}
                  caption="Personnes exposées par classe de données"
                  columns={['Classe', 'Personnes']}
                >
                  {Object.entries(totals.byClass).map(([c, n]) => (
                    <tr key={c}>
                      <td>{classLabel(c)}</td>
                      <td>{n}</td>
                    </tr>
                  ))}
                </DataTable>
                {totals.persons > 0 ? (
                  <Exposures base={base} total={totals.persons} version={data.scope!.events} />
                ) : null}
                <p>
                  Risque :{' '}
                  {Object.entries(totals.byRisk)
                    .map(([level, n]) => `${RISK_LABELS[level] ?? level} ${n}`)
                    .join(', ')}
                  . Données sensibles :{' '}
                  {SENSITIVE_FIELD_CLASSES.map((c) => `${classLabel(c)} ${totals.special[c] ?? 0}`).join(' ; ')}.
                </p>
              </>
            ) : (
              <p>Le périmètre n’est pas encore calculé.</p>
            )}
            {data.status !== 'closed' && officer ? (
              <Operation
                label={totals ? 'Recalculer le périmètre' : 'Calculer le périmètre'}
                run={async () => (await api<{ message: string }>(`${base}/scope`, { method: 'POST' })).message}
                onDone={done}
              />
            ) : null}
          </section>

          <section aria-labelledby="cnil-title" className="fr-mb-4w">
            <h2 id="cnil-title" className="fr-h4">
              Notification à la CNIL
            </h2>
            <p>
              {data.cnil.filedAt
                ? `Déposée le ${formatDateTime(data.cnil.filedAt)} (référence ${data.cnil.reference ?? '—'}).`
                : 'Pas encore déposée.'}
            </p>
            {data.status !== 'closed' && totals ? (
              <Operation
                label="Produire le projet de notification"
                run={async () => {
                  await api(`${base}/cnil`, { method: 'POST' });
                  return 'Projet de notification à la CNIL produit (JSON et PDF), conservé au registre.';
                }}
                onDone={done}
              />
            ) : null}
            {data.status !== 'closed' && !data.cnil.filedAt ? <FiledForm base={base} onDone={done} /> : null}
            <h3 className="fr-h6">Documents</h3>
            {data.documents.length === 0 ? <p>Aucun document.</p> : null}
            <p className="fr-text--sm">
              Un document qui nomme des personnes (courriers, liste du périmètre) se télécharge une fois, par le
              responsable de la sécurité qui l’a demandé, après l’approbation d’une seconde personne du bureau.
            </p>
            <ul>
              {data.documents.map((d) => (
                <li key={d.id}>
                  {d.title} (version {d.version}, {formatDateTime(d.createdAt)}){' '}
                  {!PERSONAL_DOCUMENTS.includes(d.kind) || approvedFor(d.id) ? (
                    <Operation
                      label={`Télécharger « ${d.title} »`}
                      sensitive
                      run={async () => {
                        await download(`${base}/documents/${d.id}`, `${reference}-${d.kind}`);
                        myDownloads.reload();
                        return `Document « ${d.title} » téléchargé ; la lecture est inscrite au registre.`;
                      }}
                      onDone={setMessage}
                    />
                  ) : officer ? (
                    <Operation
                      label={`Demander le téléchargement de « ${d.title} »`}
                      sensitive
                      run={async () =>
                        (await api<Submitted>(`${base}/documents/${d.id}/request`, { method: 'POST' })).message
                      }
                      onDone={done}
                    />
                  ) : null}
                </li>
              ))}
            </ul>
          </section>

          <section aria-labelledby="notices-title" className="fr-mb-4w">
            <h2 id="notices-title" className="fr-h4">
              Avis aux personnes
            </h2>
            <p>
              {plural(data.notices.planned, 'avis planifié', 'avis planifiés')}
              {Object.keys(data.notices.byStatus).length
                ? ` : ${Object.entries(data.notices.byStatus)
                    .map(([s, n]) => `${n} ${NOTICE_STATUS[s] ?? s}`)
                    .join(', ')}`
                : ''}
              .
            </p>
            {data.status !== 'closed' && officer && totals && totals.persons > 0 ? (
              <ul className="fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left">
                <li>
                  <Operation
                    label="Planifier les avis"
                    run={async () => (
                      await api<{ planned?: number }>(`${base}/notices/plan`, { method: 'POST' }),
                      'Avis planifiés.'
                    )}
                    onDone={done}
                  />
                </li>
                <li>
                  <Operation
                    label="Demander l’envoi des avis planifiés"
                    sensitive
                    run={async () =>
                      (await api<Submitted>(`${base}/notices/run`, { method: 'POST', body: {} })).message
                    }
                    onDone={done}
                  />
                </li>
              </ul>
            ) : null}
          </section>

          <section aria-labelledby="register-title" className="fr-mb-4w">
            <h2 id="register-title" className="fr-h4">
              Registre de l’incident (RGPD, article 33, paragraphe 5)
            </h2>
            {data.timeline.length ? (
              <DataTable
                caption="Étapes inscrites au registre, de la plus ancienne à la plus récente"
                columns={['Date', 'Étape']}
              >
                {data.timeline.map((step, i) => (
                  <tr key={`${step.at}-${i}`} data-testid="register-step">
                    <td>{formatDateTime(step.at)}</td>
                    <td>{step.summary}</td>
                  </tr>
                ))}
              </DataTable>
            ) : (
              <p>Aucune étape inscrite.</p>
            )}
          </section>

          <DeskRequests
            key={round}
            query={`incident=${encodeURIComponent(reference)}`}
            title="Demandes soumises à une seconde personne"
            onDecided={done}
          />

          {data.status !== 'closed' && officer ? (
            <section aria-labelledby="actions-title" className="fr-mb-4w">
              <h2 id="actions-title" className="fr-h4">
                Mesures correctives
              </h2>
              <p className="fr-text--sm">
                Chaque mesure demande de confirmer votre identité et est inscrite au registre ; celles qui effacent des
                moyens de connexion attendent l’approbation d’une seconde personne.
              </p>
              {Object.entries(ACTION_LABELS).map(([action, label]) =>
                FOUR_EYES_ACTIONS.includes(action) ? (
                  <Operation
                    key={action}
                    label={`Demander : ${label.toLowerCase()}`}
                    outcomeHere
                    sensitive
                    run={async () => (await api<Submitted>(`${base}/actions/${action}`, { method: 'POST' })).message}
                    onDone={done}
                  />
                ) : (
                  <Operation
                    key={action}
                    label={label}
                    outcomeHere
                    sensitive
                    run={async () => {
                      const result = await api<{ summary?: string }>(`${base}/actions/${action}`, { method: 'POST' });
                      return result.summary
                        ? `Fait : ${result.summary}.`
                        : `Mesure appliquée : ${label.toLowerCase()}.`;
                    }}
                    onDone={done}
                  />
                ),
              )}
            </section>
          ) : null}
          {data.status === 'closed' ? (
            <p>Incident clos le {formatDateTime(data.closedAt)} ; il reste au registre.</p>
          ) : officer ? (
            <CloseForm base={base} onDone={done} />
          ) : null}
          {!officer ? (
            <p className="fr-text--sm">
              Délégué à la protection des données : vous consultez l’incident, produisez le projet de notification à la
              CNIL, enregistrez son dépôt et approuvez ou refusez les demandes du responsable de la sécurité.
            </p>
          ) : null}
        </>
      ) : null}
    </>
  );
}

interface Exposure {
  personId: string;
  classes: string[];
  firstAt: string;
  lastAt: string;
  events: number;
  risk: string;
}

/** The first exposed files, highest risk first as the register orders them: identifiers only, never names. */
function Exposures({ base, total, version }: { base: string; total: number; version: number }) {
  const exposures = useLoad(() => api<{ exposures: Exposure[] }>(`${base}/exposures?limit=20`), [base, version]);
  if (exposures.error) return <ErrorNotice error={exposures.error} title="Personnes exposées indisponibles" />;
  if (!exposures.data) return <Loading what="Chargement des personnes exposées" />;
  return (
    <DataTable
      caption={
        exposures.data.exposures.length < total
          ? `Personnes exposées (les ${exposures.data.exposures.length} premières sur ${total})`
          : `Personnes exposées (${total})`
      }
      columns={['Dossier', 'Classes exposées', 'Risque', 'Accès', 'Période']}
    >
      {exposures.data.exposures.map((e) => (
        <tr key={e.personId}>
          <td>
            <code className="fr-text--xs">{e.personId.slice(0, 8)}</code>
          </td>
          <td>{e.classes.map(classLabel).join(', ')}</td>
          <td>{RISK_LABELS[e.risk] ?? e.risk}</td>
          <td>{e.events}</td>
          <td>
            {formatDateTime(e.firstAt)} – {formatDateTime(e.lastAt)}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

/** « Dépôt effectué » : the reference the CNIL gave and when the initial notification was filed. */
function FiledForm({ base, onDone }: { base: string; onDone: (message: string) => void }) {
  const [reference, setReference] = useState('');
  const [filedAt, setFiledAt] = useState('');
  const save = useAction(async (event: FormEvent) => {
    event.preventDefault();
    await api(`${base}/cnil/filed`, { method: 'POST', body: { reference, filedAt: new Date(filedAt).toISOString() } });
    onDone('Dépôt auprès de la CNIL enregistré.');
  });
  return (
    <form onSubmit={(event) => void save.run(event)} className="fr-mb-3w" aria-labelledby="filed-title">
      <h3 id="filed-title" className="fr-h6">
        Enregistrer le dépôt auprès de la CNIL
      </h3>
      <ErrorNotice error={save.error} />
      <Input
        label="Référence attribuée par la CNIL"
        nativeInputProps={{
          value: reference,
          onChange: (e) => setReference(e.target.value),
          required: true,
          minLength: 3,
          maxLength: 100,
          name: 'reference',
        }}
      />
      <Input
        label="Date et heure du dépôt"
        nativeInputProps={{
          type: 'datetime-local',
          value: filedAt,
          onChange: (e) => setFiledAt(e.target.value),
          required: true,
          name: 'filedAt',
        }}
      />
      <Button type="submit" priority="secondary" disabled={save.busy}>
        Enregistrer le dépôt
      </Button>
    </form>
  );
}

function CloseForm({ base, onDone }: { base: string; onDone: (message: string) => void }) {
  const [note, setNote] = useState('');
  const close = useAction(async (event: FormEvent) => {
    event.preventDefault();
    await api(`${base}/close`, { method: 'POST', body: { note } });
    onDone('Incident clos.');
  });
  return (
    <form onSubmit={(event) => void close.run(event)} className="fr-mb-3w" aria-labelledby="close-title">
      <h2 id="close-title" className="fr-h4">
        Clore l’incident
      </h2>
      <ErrorNotice error={close.error} />
      <Input
        label="Bilan de clôture"
        hintText="10 caractères au moins ; l’incident reste au registre."
        textArea
        nativeTextAreaProps={{
          value: note,
          onChange: (e) => setNote(e.target.value),
          required: true,
          minLength: 10,
          maxLength: 2000,
          name: 'note',
        }}
      />
      <Button type="submit" priority="tertiary" disabled={close.busy}>
        Clore l’incident
      </Button>
    </form>
  );
}
