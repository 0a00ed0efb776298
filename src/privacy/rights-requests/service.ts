import { randomUUID } from 'node:crypto';
import { openSecret, sealSecret, type Keyring } from '../../crypto/index.ts';
import {
  ConflictError,
  FIELD_CLASSES,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  type Clock,
  type FieldClass,
  type PersonFile,
} from '../../domain/index.ts';
import { announceToAccount, staffAccountsAllowedTo, staffMemberOf } from '../../identity/index.ts';
import { addressee, postalBlock, renderLetters, type LetterLayout } from '../../incidents/index.ts';
import { appendEvent, type DetailValue, type EventKind } from '../../ledger/index.ts';
import type { Notifier } from '../../notify/index.ts';
import { can, objectionExclusionOf, restrictProcessing } from '../../policy/index.ts';
import { inTransaction, type Executor, type PersonRecord, type RightsRequestsTable } from '../../store/index.ts';
import { dataCopyParagraphs, dataCopyText } from './copy.ts';
import { dueDates, requestClock } from './deadline.ts';
import {
  ACTION_LABELS,
  ACTIONS_FROM,
  DATA_COPY,
  OUTCOME_LABELS,
  REFUSAL_REASONS,
  RIGHTS_REQUEST_ACTIONS,
  RIGHTS_REQUEST_CHANNEL_LABELS,
  RIGHTS_REQUEST_KIND_LABELS,
  RIGHTS_REQUEST_STATUS_LABELS,
  VERIFICATION_METHOD_LABELS,
  type AnswerChannel,
  type Outcome,
  type OwnRightsRequest,
  type Refusal,
  type RefusalReason,
  type RightsAnswer,
  type RightsRequestAction,
  type RightsRequestChannel,
  type RightsRequestDetail,
  type RightsRequestKind,
  type RightsRequestQueuePage,
  type RightsRequestStatus,
  type RightsRequestView,
  type StepView,
  type VerificationMethod,
} from './model.ts';
import {
  answerParagraphs,
  answerSubject,
  answerText,
  extensionNotice,
  givesDataCopy,
  type AnswerFacts,
} from './text.ts';

const DETAILS_PURPOSE = 'rights_request_details';
const ANSWER_PURPOSE = 'rights_request_answer';
const NOTE_PURPOSE = 'rights_request_note';
const MAX_TEXT = 5000;
/** Where the letter comes from. */
const SENDER = [
  'France Travail — Délégué à la protection des données',
  'Demandes d’exercice des droits',
  'TSA 00000 — 75000 PARIS',
];

/** The person's identity and contact, read to write to them; the read recorded first (the runtime's, through the access pipeline). */
export type ReadAddress = (
  personId: string,
  by: { accountId: string | null },
  reference: string,
) => Promise<Pick<PersonFile, 'identity' | 'contact'> | undefined>;

/** The person's whole file, for the copy a granted access request sends by letter (Art. 15.3); the read recorded first (the runtime's, through the access pipeline). */
export type ReadCopy = (
  personId: string,
  by: { accountId: string | null },
  reference: string,
) => Promise<Pick<PersonRecord, 'classes' | 'fields'> | undefined>;

export interface RightsRequestDeps {
  db: Executor;
  keyring: () => Keyring;
  notifier: Notifier;
  clock: Clock;
  /** The DPO's contact as answers print it. */
  dpoContact: string;
  readAddress: ReadAddress;
  readCopy: ReadCopy;
  /** The letters' letterhead and footer (the controller, its address, the DPO), shared with the paper channel. */
  letterLayout?: LetterLayout;
}

export interface NewRightsRequest {
  personId: string;
  kind: RightsRequestKind;
  channel: RightsRequestChannel;
  details?: string;
  /** How the requester's identity was checked when the request came in; absent: to confirm (the clock waits). */
  verification?: { method: VerificationMethod };
}

export interface AnswerInput {
  outcome: Outcome;
  channel: AnswerChannel;
  message?: string;
  /** Required for `refused` and `partly_granted`. */
  refusal?: { reason: RefusalReason; organisationId?: string; purpose?: string };
  /**
   * A restriction request granted or partly granted: the classes whose processing is restricted
   * (Art. 18), set with the answer in one transaction. Required then, refused otherwise.
   */
  restrictedClasses?: readonly FieldClass[];
}

type By = { accountId: string | null };
type Row = RightsRequestsTable;
type Details = Record<string, DetailValue>;

function sealed(keyring: Keyring, ownerId: string, purpose: string, text: string | undefined | null): Buffer | null {
  const t = text?.trim();
  if (!t) return null;
  const s = sealSecret(keyring, ownerId, purpose, Buffer.from(t, 'utf8'));
  return Buffer.concat([Buffer.from([s.version]), s.sealed]);
}

function opened(keyring: Keyring, ownerId: string, purpose: string, blob: Buffer | null): string | null {
  if (!blob) return null;
  return openSecret(keyring, ownerId, purpose, { version: blob[0]!, sealed: blob.subarray(1) }).toString('utf8');
}

function tooLong(field: string, text: string | undefined): void {
  if (text !== undefined && text.length > MAX_TEXT)
    throw new ValidationError([{ field, rule: 'maxLength', message: `au plus ${MAX_TEXT} caractères` }]);
}

function invalidTransition(action: RightsRequestAction, status: RightsRequestStatus): ConflictError {
  return new ConflictError(
    `Cette demande est à l’état « ${RIGHTS_REQUEST_STATUS_LABELS[status]} » (${status}) : l’action « ${action} » n’y est pas possible.`,
    'invalid_transition',
  );
}

/**
 * Rights requests (GDPR Art. 12, 15–21): filed by the person in their espace or recorded by an
 * agent, worked by the DPO through their states, answered by the espace, mail or letter, each
 * step one row of the request's history and one event of the person's journal (the same
 * transaction). Time is the runtime's clock.
 */
export class RightsRequests {
  readonly #deps: RightsRequestDeps;

  constructor(deps: RightsRequestDeps) {
    this.#deps = deps;
  }

  get #db(): Executor {
    return this.#deps.db;
  }

  #now(): Date {
    return this.#deps.clock.now();
  }

  // ---- Filing ----

  /**
   * A new request. Verified at receipt (the espace's session, or an agent who checked it), it is
   * `received`; otherwise it starts in `identity_to_confirm`, its clock stopped from receipt.
   */
  async file(input: NewRightsRequest, by: By): Promise<RightsRequestView> {
    tooLong('body.details', input.details);
    const person = await this.#db
      .selectFrom('persons')
      .select(['id', 'status'])
      .where('id', '=', input.personId)
      .executeTakeFirst();
    if (!person) throw new NotFoundError('Personne');
    if (person.status !== 'active')
      throw new ConflictError('Le dossier de cette personne a été effacé.', 'person_erased');
    const id = randomUUID();
    const now = this.#now().toISOString();
    const reference = `DDR-${now.slice(0, 4)}-${id.slice(0, 8).toUpperCase()}`;
    const verified = input.verification !== undefined;
    const status: RightsRequestStatus = verified ? 'received' : 'identity_to_confirm';
    const row: Row = {
      id,
      reference,
      person_id: input.personId,
      kind: input.kind,
      channel: input.channel,
      status,
      received_at: now,
      recorded_by: by.accountId,
      details: sealed(this.#deps.keyring(), id, DETAILS_PURPOSE, input.details),
      verification_method: input.verification?.method ?? null,
      verified_by: verified ? by.accountId : null,
      verified_at: verified ? now : null,
      paused_ms: 0,
      paused_since: verified ? null : now,
      extended_at: null,
      outcome: null,
      refusal_reason: null,
      legal_reference: null,
      answer_channel: null,
      answer: null,
      answered_at: null,
      answered_by: null,
      closed_at: null,
      overdue_alerted_at: null,
    };
    await inTransaction(this.#db, async (trx) => {
      await trx.insertInto('rights_requests').values(row).execute();
      await this.#step(trx, row, 'receive', null, status, by, null, 'rights_request_received', {
        channel: input.channel,
        verification: input.verification?.method ?? null,
      });
    });
    return this.#view(row);
  }

  // ---- Reading ----

  /**
   * The DPO's queue, a page at a time: open requests first, the soonest due first, over every
   * request. The clocks are computed from the few columns they need (every request's: a
   * queue of tens of thousands a year stays small), and only the page's requests are opened.
   */
  async queue(options: {
    status?: RightsRequestStatus;
    overdue?: boolean;
    page: number;
    pageSize: number;
  }): Promise<RightsRequestQueuePage> {
    let query = this.#db
      .selectFrom('rights_requests')
      .select(['id', 'status', 'received_at', 'paused_ms', 'paused_since', 'extended_at', 'answered_at']);
    if (options.status) query = query.where('status', '=', options.status);
    const now = this.#now();
    const open = (status: RightsRequestStatus) => status !== 'answered' && status !== 'closed';
    const clocks = (await query.execute())
      .map((r) => ({
        id: r.id,
        open: open(r.status),
        receivedAt: r.received_at,
        clock: requestClock(this.#clockFacts(r), now),
      }))
      .filter((r) => options.overdue === undefined || (r.open && r.clock.overdue) === options.overdue)
      .sort(
        (a, b) =>
          Number(b.open) - Number(a.open) ||
          a.clock.dueAt.localeCompare(b.clock.dueAt) ||
          a.receivedAt.localeCompare(b.receivedAt) ||
          a.id.localeCompare(b.id),
      );
    const ids = clocks.slice((options.page - 1) * options.pageSize, options.page * options.pageSize).map((r) => r.id);
    const rows =
      ids.length === 0 ? [] : await this.#db.selectFrom('rights_requests').selectAll().where('id', 'in', ids).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    return {
      page: options.page,
      pageSize: options.pageSize,
      total: clocks.length,
      open: clocks.filter((r) => r.open).length,
      overdue: clocks.filter((r) => r.open && r.clock.overdue).length,
      items: ids.flatMap((id) => {
        const row = byId.get(id);
        return row ? [this.#view(row)] : [];
      }),
    };
  }

  async view(id: string): Promise<RightsRequestDetail> {
    const row = await this.#row(id);
    const steps = await this.#steps(row.id);
    return { ...this.#view(row), history: steps, actions: this.#actions(row) };
  }

  /** The person's own requests, newest first. */
  async listOwn(personId: string): Promise<OwnRightsRequest[]> {
    const rows = await this.#db
      .selectFrom('rights_requests')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy('received_at', 'desc')
      .execute();
    const out: OwnRightsRequest[] = [];
    for (const row of rows) out.push(this.#own(row, await this.#steps(row.id)));
    return out;
  }

  /** One of the person's own requests; someone else's is answered as if it did not exist. */
  async viewOwn(personId: string, id: string): Promise<OwnRightsRequest> {
    const row = await this.#db
      .selectFrom('rights_requests')
      .selectAll()
      .where('id', '=', id)
      .where('person_id', '=', personId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Demande');
    return this.#own(row, await this.#steps(row.id));
  }

  // ---- The DPO's transitions ----

  /** Identity in doubt: ask the requester to confirm it; the clock stops. `note` says what is asked (the person reads it). */
  askIdentity(id: string, note: string | undefined, by: By): Promise<RightsRequestDetail> {
    tooLong('body.note', note);
    return this.#transition(id, 'ask_identity', by, note ?? null, (row, now) => ({
      status: 'identity_to_confirm',
      paused_since: now,
      verification_method: null,
      verified_by: null,
      verified_at: null,
    }));
  }

  /** Identity confirmed: the clock starts again, moved by the time paused. */
  confirmIdentity(
    id: string,
    verification: { method: VerificationMethod; note?: string },
    by: By,
  ): Promise<RightsRequestDetail> {
    tooLong('body.note', verification.note);
    return this.#transition(
      id,
      'confirm_identity',
      by,
      verification.note ?? null,
      (row, now) => ({
        status: 'in_progress',
        paused_ms: Number(row.paused_ms) + (row.paused_since ? Date.parse(now) - Date.parse(row.paused_since) : 0),
        paused_since: null,
        verification_method: verification.method,
        verified_by: by.accountId,
        verified_at: now,
      }),
      { verification: verification.method },
    );
  }

  /** Work starts on a request whose identity was checked at receipt. */
  start(id: string, by: By): Promise<RightsRequestDetail> {
    return this.#transition(id, 'start', by, null, (row) => {
      if (!row.verification_method)
        throw new ConflictError(
          'L’identité du demandeur n’a pas été vérifiée : demandez-lui de la confirmer d’abord.',
          'identity_unverified',
        );
      return { status: 'in_progress' };
    });
  }

  /**
   * Extend to three months (Art. 12.3): only before the first due date, and only with the
   * reasons, sent to the person at once (their espace, and mail or letter as asked).
   */
  async extend(id: string, input: { reasons: string; notice: AnswerChannel }, by: By): Promise<RightsRequestDetail> {
    const reasons = input.reasons.trim();
    if (reasons.length < 10)
      throw new ValidationError([
        { field: 'body.reasons', rule: 'minLength', message: 'motivez la prolongation (10 caractères au moins)' },
      ]);
    tooLong('body.reasons', reasons);
    const row = await this.#row(id);
    if (!ACTIONS_FROM.extend.includes(row.status)) throw invalidTransition('extend', row.status);
    const now = this.#now();
    const facts = this.#clockFacts(row);
    if (now.getTime() > dueDates(facts, now).firstDueAt.getTime())
      throw new ConflictError(
        'Le premier délai d’un mois est échu : la prolongation devait être notifiée avant cette date (RGPD art. 12.3).',
        'extension_too_late',
      );
    const newDue = dueDates({ ...facts, extendedAt: now.toISOString() }, now).dueAt.toISOString();
    const text = extensionNotice(row.reference, reasons, newDue, this.#deps.dpoContact);
    const address = input.notice === 'espace' ? undefined : await this.#address(row, by, input.notice);
    return this.#transition(
      id,
      'extend',
      by,
      text,
      (_row, at) => ({ status: 'extended', extended_at: at }),
      { notice: input.notice, dueAt: newDue },
      async (trx, current) => {
        if (address)
          await this.#deps.notifier.deliver(
            {
              channel: input.notice as 'email' | 'letter',
              to: address,
              subject: `Prolongation du délai de réponse à votre demande (réf. ${current.reference})`,
              body: text,
              idempotencyKey: `rights-extension-${current.id}`,
            },
            trx,
          );
        if (input.notice !== 'letter')
          await this.#deps.notifier.paper?.(
            {
              personId: current.person_id,
              accountId: null,
              kind: 'rights_request_extension',
              subject: `Prolongation du délai de réponse à votre demande (réf. ${current.reference})`,
              body: text,
            },
            trx,
          );
      },
    );
  }

  /**
   * The answer: its outcome, by the espace, mail or letter. A refusal (whole or partial) carries
   * a reason code valid for the kind of request, its legal reference and the CNIL complaint; an
   * objection is refused only where the agreement of the processing excludes it, quoting its reference.
   */
  async answer(id: string, input: AnswerInput, by: By): Promise<RightsRequestDetail> {
    tooLong('body.message', input.message);
    const row = await this.#row(id);
    if (!ACTIONS_FROM.answer.includes(row.status)) throw invalidTransition('answer', row.status);
    const refusal = await this.#refusal(row, input);
    if (row.status === 'identity_to_confirm' && refusal?.reason !== 'identity_not_confirmed')
      throw invalidTransition('answer', row.status);
    const restricted = this.#restrictedClasses(row, input);
    const restrictor = restricted.length > 0 ? await this.#actorOf(by) : null;
    const facts: AnswerFacts = {
      reference: row.reference,
      kind: row.kind,
      receivedAt: row.received_at,
      outcome: input.outcome,
      message: input.message?.trim() || null,
      refusal,
      dpoContact: this.#deps.dpoContact,
      restrictedClasses: restricted,
    };
    // An access granted by letter: the letter carries the copy of the data (one recorded read of the whole file).
    const copy = input.channel === 'letter' && givesDataCopy(facts) ? await this.#letterWithCopy(row, by, facts) : null;
    const address =
      input.channel === 'espace' ? undefined : (copy?.address ?? (await this.#address(row, by, input.channel)));
    return this.#transition(
      id,
      'answer',
      by,
      null,
      (current, now) => {
        return {
          status: 'answered',
          // An answer given while paused (identity never confirmed) ends the pause.
          paused_ms:
            Number(current.paused_ms) + (current.paused_since ? Date.parse(now) - Date.parse(current.paused_since) : 0),
          paused_since: null,
          outcome: input.outcome,
          refusal_reason: refusal?.reason ?? null,
          legal_reference: refusal?.legalReference ?? null,
          answer_channel: input.channel,
          answer: sealed(
            this.#deps.keyring(),
            current.id,
            ANSWER_PURPOSE,
            JSON.stringify({ message: facts.message, refusal, restrictedClasses: restricted }),
          ),
          answered_at: now,
          answered_by: by.accountId,
        };
      },
      {
        outcome: input.outcome,
        channel: input.channel,
        reason: refusal?.reason ?? null,
        legalReference: refusal?.legalReference ?? null,
        cnilMentioned: refusal !== null,
        ...(restricted.length > 0 ? { restrictedClasses: restricted.join(',') } : {}),
      },
      async (trx, current) => {
        // The restriction granted is set in the answer's transaction, with its own event (Art. 18).
        if (restrictor)
          await restrictProcessing(trx, {
            personId: current.person_id,
            classes: restricted,
            reason: `Demande d’exercice des droits ${current.reference} : limitation accordée (RGPD art. 18).`,
            actorId: restrictor,
            rightsRequestId: current.id,
            now: this.#now(),
          });
        if (address)
          await this.#deps.notifier.deliver(
            {
              channel: input.channel as 'email' | 'letter',
              to: address,
              subject: answerSubject(current.reference),
              body: copy?.body ?? answerText(facts),
              idempotencyKey: `rights-answer-${current.id}`,
            },
            trx,
          );
        // A person who chose paper for all correspondence gets the answer as a letter too, whichever
        // channel the DPO chose (the paper channel checks the choice; a letter answer is one already).
        if (input.channel !== 'letter')
          await this.#deps.notifier.paper?.(
            {
              personId: current.person_id,
              accountId: null,
              kind: 'rights_request_answer',
              subject: answerSubject(current.reference),
              body: answerText(facts),
            },
            trx,
          );
      },
      'rights_request_answered',
    );
  }

  close(id: string, by: By): Promise<RightsRequestDetail> {
    return this.#transition(id, 'close', by, null, (_row, now) => ({ status: 'closed', closed_at: now }));
  }

  /** The answer as a letter (PDF, pdfkit), for the post or a copy: rendered as of the answer, the address read again (recorded). */
  async letter(id: string, by: By): Promise<{ reference: string; content: Buffer }> {
    const row = await this.#row(id);
    const answer = this.#answer(row);
    if (!answer) throw new ConflictError('Cette demande n’a pas encore reçu de réponse.', 'not_answered');
    const facts = this.#answerFacts(row)!;
    // An access granted: the letter carries the copy of the data, so the whole file is read (and recorded) once.
    const copy = givesDataCopy(facts) ? await this.#deps.readCopy(row.person_id, by, row.reference) : undefined;
    const file = copy ? copy.fields : await this.#deps.readAddress(row.person_id, by, row.reference);
    const block = file?.identity ? postalBlock(file.identity, file.contact) : undefined;
    if (!file?.identity || !block)
      throw new ConflictError(
        'Le dossier ne porte pas d’adresse postale : le courrier ne peut pas être préparé.',
        'no_address',
      );
    const date = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' }).format(
      new Date(answer.at),
    );
    const letter = {
      address: block,
      place: 'Paris',
      date,
      reference: row.reference,
      subject: answerSubject(row.reference).replace(/ \(réf\. .*\)$/, ''),
      paragraphs: [`${addressee(file.identity)},`, ...answerParagraphs(facts, copy ? 'letter' : 'text')],
      signature: ['Le délégué à la protection des données', 'France Travail'],
    };
    const annex = copy
      ? [
          {
            ...letter,
            subject: `Annexe : copie de vos données (RGPD art. 15.3) — réf. ${row.reference}`,
            paragraphs: dataCopyParagraphs(copy.fields, this.#now()),
          },
        ]
      : [];
    const rendered = await renderLetters(
      new Date(answer.at),
      `Réponse ${row.reference}`,
      SENDER,
      [letter, ...annex],
      this.#deps.letterLayout,
    );
    return { reference: row.reference, content: rendered.content };
  }

  // ---- Overdue ----

  /**
   * The daily check: each open request past its due date (not paused) is told once to the
   * DPOs (their mail) and recorded in the person's journal. Safe to run twice or on two processes.
   */
  async alertOverdue(): Promise<number> {
    const now = this.#now();
    const rows = await this.#db
      .selectFrom('rights_requests')
      .selectAll()
      .where('status', 'in', ['received', 'in_progress', 'extended'])
      .where('overdue_alerted_at', 'is', null)
      .execute();
    const overdue = rows.filter((r) => requestClock(this.#clockFacts(r), now).overdue);
    if (overdue.length === 0) return 0;
    const dpos = await staffAccountsAllowedTo(this.#db, 'receive', 'rights_request_alerts');
    let alerted = 0;
    for (const row of overdue) {
      const done = await inTransaction(this.#db, async (trx) => {
        const claimed = await trx
          .updateTable('rights_requests')
          .set({ overdue_alerted_at: now.toISOString() })
          .where('id', '=', row.id)
          .where('overdue_alerted_at', 'is', null)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) return false;
        const clock = requestClock(this.#clockFacts(row), now);
        await this.#step(
          trx,
          row,
          'overdue',
          row.status,
          row.status,
          { accountId: null },
          null,
          'rights_request_overdue',
          {
            dueAt: clock.dueAt,
          },
        );
        const messenger = { db: trx, keyring: this.#deps.keyring(), notifier: this.#deps.notifier };
        const body = [
          `La demande d’exercice des droits ${row.reference} (${RIGHTS_REQUEST_KIND_LABELS[row.kind]}) n’a pas reçu de réponse dans le délai.`,
          `Reçue le ${row.received_at} par ${RIGHTS_REQUEST_CHANNEL_LABELS[row.channel]} ; échéance : ${clock.dueAt} (${clock.label}).`,
          `État : ${RIGHTS_REQUEST_STATUS_LABELS[row.status]}.`,
          'Bureau : Demandes d’exercice des droits (/bureau/droits).',
        ].join('\n');
        for (const account of dpos)
          await announceToAccount(
            messenger,
            account,
            'rights_request_overdue',
            `[Rempart] Demande d’exercice des droits en retard : ${row.reference}`,
            body,
            { verifiedOnly: true },
          );
        return true;
      });
      if (done) alerted++;
    }
    return alerted;
  }

  // ---- Inside ----

  async #row(id: string, executor: Executor = this.#db): Promise<Row> {
    const row = await executor.selectFrom('rights_requests').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('Demande');
    return row;
  }

  async #refusal(row: Row, input: AnswerInput): Promise<Refusal | null> {
    if (input.outcome === 'granted') {
      if (input.refusal)
        throw new ValidationError([
          { field: 'body.refusal', rule: 'absent', message: 'une demande satisfaite n’a pas de motif de refus' },
        ]);
      return null;
    }
    if (!input.refusal)
      throw new ValidationError([
        {
          field: 'body.refusal',
          rule: 'required',
          message: 'un refus, même partiel, donne son motif, son fondement et la possibilité de saisir la CNIL',
        },
      ]);
    const code = input.refusal.reason;
    const reason = REFUSAL_REASONS[code];
    if (!(reason.kinds as readonly string[]).includes(row.kind))
      throw new ValidationError([
        {
          field: 'body.refusal.reason',
          rule: 'kind',
          message: `ce motif ne s’applique pas à une demande de ce type (${row.kind})`,
        },
      ]);
    if (code !== 'objection_excluded')
      return { reason: code, label: reason.label, legalReference: reason.legalReference! };
    const { organisationId, purpose } = input.refusal;
    if (!organisationId || !purpose)
      throw new ValidationError([
        {
          field: !organisationId ? 'body.refusal.organisationId' : 'body.refusal.purpose',
          rule: 'required',
          message: 'nommez le traitement (organisation et finalité) auquel la personne s’oppose',
        },
      ]);
    const exclusion = await objectionExclusionOf(this.#db, organisationId, purpose);
    if (!exclusion)
      throw new ConflictError(
        'La convention de ce traitement n’exclut pas l’opposition : la demande ne peut pas être refusée pour ce motif.',
        'objection_not_excluded',
      );
    return {
      reason: code,
      label: reason.label,
      legalReference: exclusion.legalReference,
      processing: { organisationId, purpose, purposeLabel: exclusion.purposeLabel },
    };
  }

  /**
   * The classes a restriction answer restricts: required when a restriction request is granted
   * or partly granted, refused with any other answer (400 naming the field).
   */
  #restrictedClasses(row: Row, input: AnswerInput): FieldClass[] {
    const field = 'body.restrictedClasses';
    const classes = input.restrictedClasses;
    const restricts = row.kind === 'restriction' && input.outcome !== 'refused';
    if (!restricts) {
      if (classes !== undefined)
        throw new ValidationError([
          {
            field,
            rule: 'absent',
            message: 'seule une demande de limitation satisfaite, même en partie, limite des classes de données',
          },
        ]);
      return [];
    }
    if (!classes || classes.length === 0)
      throw new ValidationError([
        {
          field,
          rule: 'required',
          message: 'nommez les classes de données dont le traitement est limité (RGPD art. 18)',
        },
      ]);
    const unknown = classes.findIndex((c) => !(FIELD_CLASSES as readonly string[]).includes(c));
    if (unknown >= 0)
      throw new ValidationError([
        { field: `${field}.${unknown}`, rule: 'enum', message: 'classe de données inconnue' },
      ]);
    return FIELD_CLASSES.filter((c) => classes.includes(c));
  }

  /** The actor who sets a restriction (its `set_by`): one the abilities let restrict processing, as the restriction route asks. */
  async #actorOf(by: By): Promise<string> {
    const member = by.accountId ? await staffMemberOf(this.#db, by.accountId) : undefined;
    if (!member || !can(member, 'restrict', 'processing'))
      throw new ForbiddenError('Réservé au délégué à la protection des données.', 'not_dpo');
    return member.actorId;
  }

  /**
   * The letter of a granted access request: the person's whole file read through the access
   * pipeline (recorded first), their postal address from it, and the answer with the copy of
   * their data as its annex; a 409 when the file has no postal address.
   */
  async #letterWithCopy(row: Row, by: By, facts: AnswerFacts): Promise<{ address: string; body: string }> {
    const file = await this.#deps.readCopy(row.person_id, by, row.reference);
    const block = file?.fields.identity ? postalBlock(file.fields.identity, file.fields.contact) : undefined;
    if (!file || !block)
      throw new ConflictError(
        'Le dossier ne porte pas d’adresse postale : répondez par courriel ou dans l’espace.',
        'no_address',
      );
    return {
      address: block.join('\n'),
      body: `${answerText(facts, 'letter')}\n\n${dataCopyText(file.fields, this.#now())}`,
    };
  }

  /** The person's address on that channel, read (and recorded) before anything is written; a 409 when the file has none. */
  async #address(row: Row, by: By, channel: 'email' | 'letter'): Promise<string> {
    const file = await this.#deps.readAddress(row.person_id, by, row.reference);
    if (channel === 'email') {
      const email = file?.contact?.email;
      if (!email)
        throw new ConflictError(
          'Le dossier ne porte pas d’adresse électronique : répondez par courrier ou dans l’espace.',
          'no_address',
        );
      return email;
    }
    const block = file ? postalBlock(file.identity, file.contact) : undefined;
    if (!block)
      throw new ConflictError(
        'Le dossier ne porte pas d’adresse postale : répondez par courriel ou dans l’espace.',
        'no_address',
      );
    return block.join('\n');
  }

  /**
   * One step: the state checked and changed only if it is still the one read (a concurrent step
   * loses with a 409), its history row and its event, in one transaction.
   */
  async #transition(
    id: string,
    action: RightsRequestAction,
    by: By,
    note: string | null,
    change: (row: Row, now: string) => Partial<Row> & { status: RightsRequestStatus },
    details: Details = {},
    also?: (trx: Executor, row: Row) => Promise<void>,
    kind: EventKind = 'rights_request_transition',
  ): Promise<RightsRequestDetail> {
    await inTransaction(this.#db, async (trx) => {
      const row = await this.#row(id, trx);
      if (!ACTIONS_FROM[action].includes(row.status)) throw invalidTransition(action, row.status);
      const now = this.#now().toISOString();
      const set = change(row, now);
      const updated = await trx
        .updateTable('rights_requests')
        .set(set)
        .where('id', '=', row.id)
        .where('status', '=', row.status)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw invalidTransition(action, row.status);
      const after = { ...row, ...set };
      await this.#step(trx, after, action, row.status, set.status, by, note, kind, details);
      await also?.(trx, after);
    });
    return this.view(id);
  }

  async #step(
    trx: Executor,
    row: Row,
    action: StepView['action'],
    from: RightsRequestStatus | null,
    to: RightsRequestStatus,
    by: By,
    note: string | null,
    kind: EventKind,
    details: Details,
  ): Promise<void> {
    const count = await trx
      .selectFrom('rights_request_steps')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('request_id', '=', row.id)
      .executeTakeFirst();
    const stepId = randomUUID();
    await trx
      .insertInto('rights_request_steps')
      .values({
        id: stepId,
        request_id: row.id,
        position: Number(count?.n ?? 0) + 1,
        at: this.#now().toISOString(),
        action,
        from_status: from,
        to_status: to,
        account_id: by.accountId,
        note: sealed(this.#deps.keyring(), stepId, NOTE_PURPOSE, note),
        details: JSON.stringify(details),
      })
      .execute();
    // The person's journal: the request's reference, kind, states; never its words.
    await appendEvent(trx, kind, {
      accountId: by.accountId,
      personId: row.person_id,
      operation: action,
      details: {
        requestId: row.id,
        reference: row.reference,
        requestKind: row.kind,
        from,
        to,
        ...details,
      },
    });
  }

  async #steps(requestId: string): Promise<StepView[]> {
    const keyring = this.#deps.keyring();
    const rows = await this.#db
      .selectFrom('rights_request_steps')
      .selectAll()
      .where('request_id', '=', requestId)
      .orderBy('position')
      .execute();
    return rows.map((s) => ({
      at: s.at,
      action: s.action as StepView['action'],
      label: ACTION_LABELS[s.action as StepView['action']] ?? s.action,
      from: s.from_status as RightsRequestStatus | null,
      to: s.to_status as RightsRequestStatus,
      accountId: s.account_id,
      note: opened(keyring, s.id, NOTE_PURPOSE, s.note),
      details: JSON.parse(s.details) as StepView['details'],
    }));
  }

  #clockFacts(row: Pick<Row, 'status' | 'received_at' | 'paused_ms' | 'paused_since' | 'extended_at' | 'answered_at'>) {
    return {
      status: row.status,
      receivedAt: row.received_at,
      pausedMs: Number(row.paused_ms),
      pausedSince: row.paused_since,
      extendedAt: row.extended_at,
      answeredAt: row.answered_at,
    };
  }

  #answerFacts(row: Row): AnswerFacts | null {
    if (!row.outcome || !row.answer) return null;
    const stored = JSON.parse(opened(this.#deps.keyring(), row.id, ANSWER_PURPOSE, row.answer)!) as {
      message: string | null;
      refusal: Refusal | null;
      restrictedClasses?: FieldClass[];
    };
    return {
      reference: row.reference,
      kind: row.kind,
      receivedAt: row.received_at,
      outcome: row.outcome,
      message: stored.message,
      refusal: stored.refusal,
      dpoContact: this.#deps.dpoContact,
      restrictedClasses: stored.restrictedClasses ?? [],
    };
  }

  #answer(row: Row): RightsAnswer | null {
    const facts = this.#answerFacts(row);
    if (!facts || !row.answered_at || !row.answer_channel) return null;
    return {
      outcome: facts.outcome,
      outcomeLabel: OUTCOME_LABELS[facts.outcome],
      channel: row.answer_channel,
      at: row.answered_at,
      text: answerText(facts),
      refusal: facts.refusal,
      late: requestClock(this.#clockFacts(row), this.#now()).overdue,
      dataCopy: givesDataCopy(facts) ? DATA_COPY : null,
      restrictedClasses: [...facts.restrictedClasses],
    };
  }

  #view(row: Row): RightsRequestView {
    const method = row.verification_method as VerificationMethod | null;
    return {
      id: row.id,
      reference: row.reference,
      personId: row.person_id,
      kind: row.kind,
      kindLabel: RIGHTS_REQUEST_KIND_LABELS[row.kind],
      channel: row.channel,
      channelLabel: RIGHTS_REQUEST_CHANNEL_LABELS[row.channel],
      status: row.status,
      statusLabel: RIGHTS_REQUEST_STATUS_LABELS[row.status],
      receivedAt: row.received_at,
      recordedBy: row.recorded_by,
      details: opened(this.#deps.keyring(), row.id, DETAILS_PURPOSE, row.details),
      verification:
        method && row.verified_at
          ? {
              method,
              methodLabel: VERIFICATION_METHOD_LABELS[method] ?? method,
              by: row.verified_by,
              at: row.verified_at,
            }
          : null,
      clock: requestClock(this.#clockFacts(row), this.#now()),
      answer: this.#answer(row),
      closedAt: row.closed_at,
    };
  }

  #actions(row: Row): RightsRequestAction[] {
    const now = this.#now();
    return RIGHTS_REQUEST_ACTIONS.filter((action) => {
      if (!ACTIONS_FROM[action].includes(row.status)) return false;
      if (action === 'start') return row.verification_method !== null;
      if (action === 'extend') return now.getTime() <= dueDates(this.#clockFacts(row), now).firstDueAt.getTime();
      return true;
    });
  }

  #own(row: Row, steps: StepView[]): OwnRightsRequest {
    const view = this.#view(row);
    return {
      id: view.id,
      reference: view.reference,
      kind: view.kind,
      kindLabel: view.kindLabel,
      channel: view.channel,
      channelLabel: view.channelLabel,
      status: view.status,
      statusLabel: view.statusLabel,
      receivedAt: view.receivedAt,
      details: view.details,
      dueAt: view.clock.dueAt,
      extended: view.clock.extended,
      paused: view.clock.paused,
      answer: view.answer,
      // The notes written to the person (what identity proof is asked, why the delay is extended); nothing of the agents.
      history: steps.map((s) => ({
        at: s.at,
        label: s.label,
        note: s.action === 'ask_identity' || s.action === 'extend' ? s.note : null,
      })),
    };
  }
}
