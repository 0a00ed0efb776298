import { Button } from '@codegouvfr/react-dsfr/Button';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Pagination } from '@codegouvfr/react-dsfr/Pagination';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { REFUSAL_REASONS } from '../../../src/privacy/rights-requests/model.ts';
import { api, download } from '../app/api.ts';
import { DataTable } from '../app/DataTable.tsx';
import { classLabel, FIELD_CLASS_ORDER, formatDate, formatDateTime } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';
import './bureau.css';
import './rights.css';
import { SensitiveOutcome } from './sensitive.tsx';
import { Rectification } from './Rectification.tsx';

/** The clock of a request, as the API computes it (src/privacy/rights-requests/deadline.ts). */
interface RequestClock {
  receivedAt: string;
  firstDueAt: string;
  dueAt: string;
  extended: boolean;
  paused: boolean;
  pausedDays: number;
  daysLeft: number | null;
  overdue: boolean;
  label: string;
}
interface Refusal {
  reason: string;
  label: string;
  legalReference: string;
}
interface RightsRequest {
  id: string;
  reference: string;
  personId: string;
  kind: string;
  kindLabel: string;
  channel: string;
  channelLabel: string;
  status: string;
  statusLabel: string;
  receivedAt: string;
  details: string | null;
  verification: { method: string; methodLabel: string; at: string } | null;
  clock: RequestClock;
  answer: {
    outcome: string;
    outcomeLabel: string;
    channel: string;
    at: string;
    text: string;
    refusal: Refusal | null;
    late: boolean;
    restrictedClasses: string[];
    dataCopy: { href: string; page: string; label: string } | null;
  } | null;
  closedAt: string | null;
}
/** A page of the queue (src/privacy/rights-requests/model.ts: RightsRequestQueuePage). */
interface QueuePage {
  page: number;
  pageSize: number;
  total: number;
  open: number;
  overdue: number;
  items: RightsRequest[];
}
interface RightsRequestDetail extends RightsRequest {
  history: Array<{ at: string; action: string; label: string; note: string | null }>;
  actions: string[];
}

const BASE = '/api/security/rights-requests';
const PAGE_SIZE = 20;

/** A refusal as the person reads it: the sentence of its reason and its legal reference, never the code. */
function refusalText(refusal: Refusal): string {
  return `${refusal.label} (${refusal.legalReference})`;
}

/** Methods an agent may have checked the requester's identity by (the espace's session is the espace's own). */
const METHODS: Array<[string, string]> = [
  ['identity_document_seen', 'Pièce d’identité présentée à un agent'],
  ['identity_document_copy', 'Copie d’une pièce d’identité jointe à la demande'],
  ['verified_caller', 'Identité vérifiée au téléphone'],
  ['mandate_checked', 'Mandat et pièces d’identité vérifiés'],
];
const CHANNELS: Array<[string, string]> = [
  ['espace', 'Espace personnel seulement'],
  ['email', 'Courriel (et espace personnel)'],
  ['letter', 'Courrier postal (et espace personnel)'],
];
const OUTCOMES: Array<[string, string]> = [
  ['granted', 'Demande satisfaite'],
  ['partly_granted', 'Satisfaite en partie'],
  ['refused', 'Refusée'],
];
/** Refusal reasons and the kinds of request each applies to (the API checks it). */
const REASONS: Array<{ code: string; label: string; kinds: string[] | null }> = [
  { code: 'identity_not_confirmed', label: 'Identité non confirmée (RGPD art. 11.2 et 12.6)', kinds: null },
  { code: 'manifestly_unfounded', label: 'Demande manifestement infondée ou excessive (art. 12.5.b)', kinds: null },
  { code: 'rights_of_others', label: 'Atteinte aux droits d’autrui (art. 15.4)', kinds: ['access'] },
  {
    code: 'legal_obligation',
    label: 'Obligation légale ou mission d’intérêt public (art. 17.3.b)',
    kinds: ['erasure'],
  },
  {
    code: 'objection_excluded',
    label: 'Opposition exclue par la convention du traitement (sa référence est citée)',
    kinds: ['objection'],
  },
];

/** Days left, or the delay: red and in words when overdue, never the colour alone. */
function ClockBadge({ clock, answered }: { clock: RequestClock; answered: boolean }) {
  const severity = answered
    ? clock.overdue
      ? 'warning'
      : 'success'
    : clock.overdue
      ? 'error'
      : clock.paused
        ? 'info'
        : (clock.daysLeft ?? 0) <= 7
          ? 'warning'
          : 'info';
  return (
    <span className={`fr-badge fr-badge--sm fr-badge--${severity}`}>
      {clock.overdue && !answered ? 'En retard : ' : ''}
      {clock.label}
    </span>
  );
}

/** « Demandes d’exercice des droits »: the DPO's queue, soonest due first, overdue in red and in words. */
export function RightsRequestList() {
  const [params] = useSearchParams();
  const asked = Number(params.get('page') ?? '1');
  const page = Number.isInteger(asked) && asked >= 1 ? asked : 1;
  const list = useLoad(() => api<QueuePage>(`${BASE}?page=${page}&pageSize=${PAGE_SIZE}`), [page]);
  const items = list.data?.items ?? [];
  const open = list.data?.open ?? 0;
  const overdue = list.data?.overdue ?? 0;
  const pages = list.data ? Math.max(1, Math.ceil(list.data.total / list.data.pageSize)) : 1;
  return (
    <>
      <PageTitle title="Demandes d’exercice des droits">Demandes d’exercice des droits</PageTitle>
      <p>
        Réponse due dans un mois civil à compter de la réception, trois mois au plus si le délai est prolongé par un
        avis motivé envoyé avant la première échéance (RGPD, article 12.3). Le délai est suspendu tant que l’identité du
        demandeur est à confirmer.
      </p>
      <ErrorNotice error={list.error} title="Demandes indisponibles" />
      {!list.data && list.loading ? <Loading /> : null}
      {list.data && list.data.total === 0 ? <p>Aucune demande reçue.</p> : null}
      {list.data && list.data.total > 0 && items.length === 0 ? (
        <p>
          Cette page est vide : <Link to="/bureau/droits">revenir à la première page</Link>.
        </p>
      ) : null}
      {list.data && items.length > 0 ? (
        <>
          <p>
            {open} demande{open > 1 ? 's' : ''} en cours
            {overdue > 0 ? `, dont ${overdue} en retard` : ''}.
            {pages > 1 ? ` Page ${list.data.page} sur ${pages} (${list.data.total} demandes).` : ''}
          </p>
          <DataTable
            caption="Demandes, les échéances les plus proches d’abord"
            columns={['Référence', 'Droit exercé', 'Reçue le', 'Canal', 'État', 'Échéance', 'Délai']}
          >
            {items.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/bureau/droits/${r.id}`}>{r.reference}</Link>
                </td>
                <td>{r.kindLabel}</td>
                <td>{formatDate(r.receivedAt)}</td>
                <td>{r.channelLabel}</td>
                <td>{r.statusLabel}</td>
                <td>{r.clock.paused ? 'suspendue' : formatDate(r.clock.dueAt)}</td>
                <td>
                  <ClockBadge clock={r.clock} answered={r.answer !== null} />
                </td>
              </tr>
            ))}
          </DataTable>
        </>
      ) : null}
      {pages > 1 ? (
        <Pagination
          className="fr-mt-3w"
          count={pages}
          defaultPage={Math.min(page, pages)}
          showFirstLast
          getPageLinkProps={(n) => ({ to: `/bureau/droits?page=${n}` })}
        />
      ) : null}
    </>
  );
}

/** One request: what was asked, its clock, its history, and the actions its state allows. */
export function RightsRequestPage() {
  const { id = '' } = useParams();
  const request = useLoad(() => api<RightsRequestDetail>(`${BASE}/${encodeURIComponent(id)}`), [id]);
  const [message, setMessage] = useState<string | null>(null);
  const done = (text: string) => {
    setMessage(text);
    request.reload();
  };
  const r = request.data;
  return (
    <>
      <PageTitle title={r ? `Demande ${r.reference}` : 'Demande'}>{r ? `Demande ${r.reference}` : 'Demande'}</PageTitle>
      <p>
        <Link to="/bureau/droits">Toutes les demandes</Link>
      </p>
      <SuccessNotice message={message} />
      <ErrorNotice error={request.error} title="Demande indisponible" />
      {!r && request.loading ? <Loading /> : null}
      {r ? (
        <>
          <dl>
            <dt>Droit exercé</dt>
            <dd>{r.kindLabel}</dd>
            <dt>Reçue</dt>
            <dd>
              le {formatDateTime(r.receivedAt)}, par {r.channelLabel}
            </dd>
            <dt>Personne concernée</dt>
            <dd>
              <code>{r.personId}</code>
            </dd>
            <dt>Identité du demandeur</dt>
            <dd>
              {r.verification
                ? `vérifiée le ${formatDateTime(r.verification.at)} : ${r.verification.methodLabel}`
                : 'à confirmer (délai suspendu)'}
            </dd>
            <dt>État</dt>
            <dd>{r.statusLabel}</dd>
            <dt>Échéance</dt>
            <dd>
              {r.clock.paused ? 'suspendue' : formatDateTime(r.clock.dueAt)}
              {r.clock.extended ? ` (prolongée ; première échéance le ${formatDate(r.clock.firstDueAt)})` : ''}{' '}
              <ClockBadge clock={r.clock} answered={r.answer !== null} />
              {r.clock.pausedDays > 0 ? ` — ${r.clock.pausedDays} jour(s) de suspension reportés` : ''}
            </dd>
          </dl>
          <h2 className="fr-h4">La demande</h2>
          <p className="rempart-prewrap">{r.details ?? 'Sans précision écrite.'}</p>
          {r.answer ? (
            <>
              <h2 className="fr-h4">Réponse du {formatDateTime(r.answer.at)}</h2>
              <p>{r.answer.outcomeLabel}</p>
              {r.answer.refusal ? <p>Motif : {refusalText(r.answer.refusal)}</p> : null}
              {r.answer.dataCopy ? (
                <p>
                  Copie des données (RGPD art. 15.3) : dans l’espace de la personne, « {r.answer.dataCopy.label} » ; le
                  courrier ci-dessous la joint en annexe (sa préparation lit tout le dossier, et cette lecture est
                  journalisée).
                </p>
              ) : null}
              {r.answer.restrictedClasses.length > 0 ? (
                <p>
                  Traitement limité (RGPD art. 18) : {r.answer.restrictedClasses.map((c) => classLabel(c)).join(' ; ')}
                </p>
              ) : null}
              <p className="rempart-prewrap">{r.answer.text}</p>
              <LetterDownload id={r.id} reference={r.reference} />
            </>
          ) : null}
          {r.kind === 'rectification' ? (
            <Rectification requestId={r.id} open={r.status === 'in_progress' || r.status === 'extended'} />
          ) : null}
          <Actions request={r} onDone={done} />
          <h2 className="fr-h4">Historique</h2>
          <DataTable caption="Étapes de la demande" columns={['Date', 'Étape', 'Note']}>
            {r.history.map((h, i) => (
              <tr key={i}>
                <td>{formatDateTime(h.at)}</td>
                <td>{h.label}</td>
                <td className="rempart-prewrap">{h.note ?? '—'}</td>
              </tr>
            ))}
          </DataTable>
        </>
      ) : null}
    </>
  );
}

function LetterDownload({ id, reference }: { id: string; reference: string }) {
  const action = useAction(() => download(`${BASE}/${id}/letter`, `${reference}.pdf`));
  return (
    <div className="fr-mb-3w">
      <SensitiveOutcome error={action.error} retry={() => void action.run()} cancel={() => action.setError(null)} />
      <Button
        priority="secondary"
        iconId="fr-icon-download-line"
        disabled={action.busy}
        onClick={() => void action.run()}
      >
        Télécharger la réponse en courrier (PDF)
      </Button>
    </div>
  );
}

/** The forms of the actions this state allows; the API refuses anything else with a 409 naming the state. */
function Actions({ request, onDone }: { request: RightsRequestDetail; onDone: (message: string) => void }) {
  const can = (action: string) => request.actions.includes(action);
  if (request.actions.length === 0) return null;
  return (
    <section className="fr-mb-4w">
      <h2 className="fr-h4">Actions possibles</h2>
      {can('start') ? (
        <SimpleAction label="Commencer le traitement" path={`${request.id}/start`} onDone={onDone} />
      ) : null}
      {can('ask_identity') ? <AskIdentity id={request.id} onDone={onDone} /> : null}
      {can('confirm_identity') ? <ConfirmIdentity id={request.id} onDone={onDone} /> : null}
      {can('extend') ? <Extend id={request.id} onDone={onDone} /> : null}
      {can('answer') ? <Answer request={request} onDone={onDone} /> : null}
      {can('close') ? <SimpleAction label="Clore la demande" path={`${request.id}/close`} onDone={onDone} /> : null}
    </section>
  );
}

function SimpleAction({ label, path, onDone }: { label: string; path: string; onDone: (m: string) => void }) {
  const action = useAction(async () => {
    await api(`${BASE}/${path}`, { method: 'POST' });
    onDone(`${label} : fait.`);
  });
  return (
    <div className="fr-mb-2w">
      <ErrorNotice error={action.error} />
      <Button disabled={action.busy} onClick={() => void action.run()}>
        {label}
      </Button>
    </div>
  );
}

function AskIdentity({ id, onDone }: { id: string; onDone: (m: string) => void }) {
  const [note, setNote] = useState('');
  const action = useAction(async () => {
    await api(`${BASE}/${id}/ask-identity`, { method: 'POST', body: note.trim() ? { note } : {} });
    onDone('Confirmation d’identité demandée : le délai est suspendu.');
  });
  return (
    <form
      className="fr-mb-3w"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <ErrorNotice error={action.error} />
      <Input
        label="Ce qui est demandé au demandeur pour confirmer son identité"
        hintText="La personne lit ce texte dans son espace."
        textArea
        nativeTextAreaProps={{ value: note, onChange: (e) => setNote(e.target.value), maxLength: 5000, rows: 2 }}
      />
      <Button type="submit" priority="secondary" disabled={action.busy}>
        Demander une confirmation d’identité
      </Button>
    </form>
  );
}

function ConfirmIdentity({ id, onDone }: { id: string; onDone: (m: string) => void }) {
  const [method, setMethod] = useState(METHODS[0]![0]);
  const [note, setNote] = useState('');
  const action = useAction(async () => {
    await api(`${BASE}/${id}/confirm-identity`, {
      method: 'POST',
      body: { method, ...(note.trim() ? { note } : {}) },
    });
    onDone('Identité confirmée : le délai reprend.');
  });
  return (
    <form
      className="fr-mb-3w"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <ErrorNotice error={action.error} />
      <Select
        label="Comment l’identité a été confirmée"
        nativeSelectProps={{ value: method, onChange: (e) => setMethod(e.target.value) }}
      >
        {METHODS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </Select>
      <Input
        label="Note (facultative)"
        textArea
        nativeTextAreaProps={{ value: note, onChange: (e) => setNote(e.target.value), maxLength: 5000, rows: 2 }}
      />
      <Button type="submit" disabled={action.busy}>
        Confirmer l’identité
      </Button>
    </form>
  );
}

function Extend({ id, onDone }: { id: string; onDone: (m: string) => void }) {
  const [reasons, setReasons] = useState('');
  const [notice, setNotice] = useState('email');
  const action = useAction(async () => {
    await api(`${BASE}/${id}/extend`, { method: 'POST', body: { reasons, notice } });
    onDone('Délai prolongé : l’avis motivé a été envoyé à la personne.');
  });
  return (
    <form
      className="fr-mb-3w"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <SensitiveOutcome error={action.error} retry={() => void action.run()} cancel={() => action.setError(null)} />
      <Input
        label="Motifs de la prolongation"
        hintText="Complexité ou nombre des demandes (RGPD art. 12.3) ; la personne lit ce texte. 10 caractères au moins."
        textArea
        nativeTextAreaProps={{
          value: reasons,
          onChange: (e) => setReasons(e.target.value),
          required: true,
          minLength: 10,
          maxLength: 5000,
          rows: 3,
        }}
      />
      <Select label="Envoi de l’avis" nativeSelectProps={{ value: notice, onChange: (e) => setNotice(e.target.value) }}>
        {CHANNELS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </Select>
      <Button type="submit" priority="secondary" disabled={action.busy}>
        Prolonger le délai à trois mois
      </Button>
    </form>
  );
}

function Answer({ request, onDone }: { request: RightsRequestDetail; onDone: (m: string) => void }) {
  const paused = request.status === 'identity_to_confirm';
  const [outcome, setOutcome] = useState(paused ? 'refused' : 'granted');
  const [channel, setChannel] = useState('espace');
  const [message, setMessage] = useState('');
  const reasons = REASONS.filter(
    (r) => (r.kinds === null || r.kinds.includes(request.kind)) && (!paused || r.code === 'identity_not_confirmed'),
  );
  const [reason, setReason] = useState(reasons[0]?.code ?? '');
  const [organisationId, setOrganisationId] = useState('');
  const [purpose, setPurpose] = useState('');
  const [restricted, setRestricted] = useState<string[]>([]);
  const restricts = request.kind === 'restriction' && outcome !== 'refused';
  const chosen = REFUSAL_REASONS[reason as keyof typeof REFUSAL_REASONS] as
    { label: string; legalReference: string | null } | undefined;
  const action = useAction(async () => {
    await api(`${BASE}/${request.id}/answer`, {
      method: 'POST',
      body: {
        outcome,
        channel,
        ...(message.trim() ? { message } : {}),
        ...(outcome === 'granted'
          ? {}
          : {
              refusal: {
                reason,
                ...(reason === 'objection_excluded'
                  ? { organisationId: organisationId.trim(), purpose: purpose.trim() }
                  : {}),
              },
            }),
        // The API refuses an empty list: it names the field, and the form says why.
        ...(restricts ? { restrictedClasses: restricted } : {}),
      },
    });
    onDone('Réponse envoyée.');
  });
  return (
    <form
      className="fr-mb-3w"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <h3 className="fr-h5">Répondre</h3>
      <SensitiveOutcome error={action.error} retry={() => void action.run()} cancel={() => action.setError(null)} />
      <RadioButtons
        legend="Décision"
        name="outcome"
        options={OUTCOMES.filter(([value]) => !paused || value === 'refused').map(([value, label]) => ({
          label,
          nativeInputProps: { value, checked: outcome === value, onChange: () => setOutcome(value) },
        }))}
      />
      {outcome !== 'granted' ? (
        <>
          <Select
            label="Motif du refus"
            hint={
              chosen
                ? `La personne lira : « ${chosen.label} » (${chosen.legalReference ?? 'la référence de la convention du traitement'}), et la possibilité de saisir la CNIL.`
                : 'La réponse cite son fondement et la possibilité de saisir la CNIL.'
            }
            nativeSelectProps={{ value: reason, onChange: (e) => setReason(e.target.value), required: true }}
          >
            {reasons.map((r) => (
              <option key={r.code} value={r.code}>
                {r.label}
              </option>
            ))}
          </Select>
          {reason === 'objection_excluded' ? (
            <>
              <Input
                label="Organisation du traitement visé (identifiant)"
                nativeInputProps={{
                  value: organisationId,
                  onChange: (e) => setOrganisationId(e.target.value),
                  required: true,
                }}
              />
              <Input
                label="Finalité visée (ex. accompagnement)"
                nativeInputProps={{ value: purpose, onChange: (e) => setPurpose(e.target.value), required: true }}
              />
            </>
          ) : null}
        </>
      ) : null}
      {restricts ? (
        <Checkbox
          legend="Données dont le traitement est limité (RGPD art. 18)"
          hintText="Posée avec la réponse : ces classes ne sont plus lues ni modifiées pour aucune finalité, sauf la défense de droits en justice. La personne continue d’y accéder."
          options={FIELD_CLASS_ORDER.map((c) => ({
            label: classLabel(c),
            nativeInputProps: {
              name: 'restrictedClasses',
              value: c,
              checked: restricted.includes(c),
              onChange: (e) =>
                setRestricted((current) =>
                  e.target.checked ? [...current, c] : current.filter((other) => other !== c),
                ),
            },
          }))}
        />
      ) : null}
      <Input
        label="Message à la personne (ce qui a été fait, ce qui est joint)"
        textArea
        nativeTextAreaProps={{ value: message, onChange: (e) => setMessage(e.target.value), maxLength: 5000, rows: 4 }}
      />
      <Select
        label="Envoi de la réponse"
        nativeSelectProps={{ value: channel, onChange: (e) => setChannel(e.target.value) }}
      >
        {CHANNELS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </Select>
      <Button type="submit" disabled={action.busy}>
        Envoyer la réponse
      </Button>
    </form>
  );
}
