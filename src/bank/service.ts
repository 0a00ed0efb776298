import { createHash, randomInt, randomUUID } from 'node:crypto';
import { blindIndex, openField, sealField, type Keyring } from '../crypto/index.ts';
import {
  bankDetailsIssues,
  canonicalBankDetails,
  ConflictError,
  ForbiddenError,
  maskIban,
  normalizeIban,
  NotFoundError,
  ValidationError,
  type BankDetailsInput,
  type Clock,
  type PersonFile,
} from '../domain/index.ts';
import {
  accountsOfPerson,
  announceToAccount,
  revokeAllSessions,
  staffAccountsAllowedTo,
  type Messenger,
} from '../identity/index.ts';
import { appendEvent, type EventInput } from '../ledger/index.ts';
import type { Notifier } from '../notify/index.ts';
import {
  contactChangesSince,
  householdKey,
  inTransaction,
  locksRows,
  lookupDigest,
  type BankChangesTable,
  type BankHoldsTable,
  type ContactChange,
  type Executor,
  type PersonStore,
} from '../store/index.ts';
import {
  channelsBeforeContactChange,
  knownChannels,
  noticeMessage,
  sendChangeNotices,
  sendContactChangeNotices,
  staffToAlert,
} from './notices.ts';
import {
  CHANGE_STATUS_LABELS,
  REACH_METHODS,
  reasonLabel,
  type AgentRequestKind,
  type HoldReason,
  type ReachMethod,
} from './reasons.ts';
import { holdReasons, type RequestOrigin } from './risk.ts';
import { DAY_MS, HOUR_MS, type BankSettings } from './settings.ts';

export interface BankDeps {
  db: Executor;
  keyring: () => Keyring;
  persons: PersonStore;
  notifier: Notifier;
  clock: Clock;
  settings: BankSettings;
  /** The public page where a "ce n'est pas moi" code is entered. */
  freezeUrl: string;
}

/** Who asks for a change, and on what ground. */
export type ChangeRequester =
  | { via: 'job_seeker'; accountId: string; fingerprint: string }
  | {
      via: 'agent';
      actorId: string;
      organisationId: string;
      purpose: string;
      caseReference: string;
      requestKind: AgentRequestKind;
      requestReference: string;
    };

export interface ChangeOutcome {
  changeId: string;
  status: 'cooling_off' | 'awaiting_verification';
  requestedAt: string;
  effectiveAt: string;
  reasons: Array<{ code: HoldReason; label: string }>;
  notices: string[];
  maskedIban: string;
}

export interface BankChangeView {
  id: string;
  status: BankChangesTable['status'];
  statusLabel: string;
  requestedVia: BankChangesTable['requested_via'];
  requestedAt: string;
  effectiveAt: string;
  appliedAt: string | null;
  maskedIban: string;
  reasons: Array<{ code: string; label: string }>;
}

/** A recent change of the file's contact, as an agent sees it: no value, only what changed, when, by whom. */
export interface ContactChangeView {
  id: string;
  changedAt: string;
  changed: string[];
  by: 'agent' | 'job_seeker' | 'unknown';
  announced: boolean;
}

export interface BankHoldView {
  id: string;
  source: BankHoldsTable['source'];
  reason: string;
  label: string;
  since: string;
}

const SELF_FIELDS = ['identity', 'contact', 'bank'] as const;
/** Crockford's base32 without I, L, O, U: read aloud on the phone or copied from a letter without doubt. */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function freezeCode(): string {
  let code = '';
  for (let i = 0; i < 10; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

export function canonicalFreezeCode(input: string): string {
  const raw = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  return raw.length === 10 ? `${raw.slice(0, 5)}-${raw.slice(5)}` : raw;
}

/** What a transition that lost the race says: the state another one committed first. */
const LOST_MESSAGES: Record<BankChangesTable['status'], string> = {
  frozen: 'Ce changement a déjà été gelé (« ce n’est pas moi ») : il ne prendra pas effet.',
  effective: 'Ce changement est déjà en vigueur.',
  rejected: 'Ce changement a déjà été refusé.',
  cooling_off: 'Ce changement a déjà été validé : il attend la fin de son délai de sécurité.',
  awaiting_verification: 'Ce changement attend déjà la vérification d’un agent.',
};

/** A transition found its change no longer in the state it read: 409, naming what happened meanwhile. */
async function lostTransition(trx: Executor, changeId: string): Promise<never> {
  const now = await trx.selectFrom('bank_changes').select('status').where('id', '=', changeId).executeTakeFirst();
  throw new ConflictError(
    now ? LOST_MESSAGES[now.status] : 'Ce changement n’existe plus.',
    now ? `bank_change_${now.status}` : 'bank_change_gone',
  );
}

export const freezeCodeHash = (code: string) =>
  createHash('sha256').update(`rempart/bank-freeze/v1\u0000${code}`).digest('hex');
const OPEN: BankChangesTable['status'][] = ['cooling_off', 'awaiting_verification'];

/**
 * The bank details of a person: the most guarded write a job seeker can make. A change is
 * validated, checked for mules and takeovers, announced on the channels known before it, and
 * only followed by payments after a cooling-off and any verification; "ce n'est pas moi"
 * freezes it. Every step is a ledger event, in the transaction that makes it.
 */
export class BankDetails {
  readonly #deps: BankDeps;

  constructor(deps: BankDeps) {
    this.#deps = deps;
  }

  get settings(): BankSettings {
    return this.#deps.settings;
  }

  #messenger(): Messenger {
    return { db: this.#deps.db, keyring: this.#deps.keyring(), notifier: this.#deps.notifier };
  }

  #now(): Date {
    return this.#deps.clock.now();
  }

  /** Ask for a change: 400 for details that cannot be used, 409 while another is open or too soon. */
  async requestChange(
    personId: string,
    input: BankDetailsInput,
    requester: ChangeRequester,
    event: EventInput = {},
  ): Promise<ChangeOutcome> {
    const record = await this.#deps.persons.read(personId, [...SELF_FIELDS]);
    const identity = record.fields.identity;
    const issues = bankDetailsIssues(input, identity);
    // Bad input changes nothing, the ledger included.
    if (issues.length) throw new ValidationError(issues);
    const details = canonicalBankDetails(input);
    const current = record.fields.bank;
    if (current && normalizeIban(current.iban) === details.iban) {
      throw new ValidationError([
        {
          field: 'iban',
          rule: 'iban.unchanged',
          message: 'Ce compte est déjà celui sur lequel vos allocations sont versées : rien à modifier.',
        },
      ]);
    }
    const keyring = this.#deps.keyring();
    const now = this.#now();
    const requestedAt = now.toISOString();
    const id = randomUUID();
    const code = freezeCode();
    const ibanDigest = lookupDigest(keyring, 'iban', details.iban);
    const householdDigest = record.fields.contact?.address
      ? blindIndex(keyring, 'household', householdKey(record.fields.contact.address))
      : undefined;
    const sealed = sealField(keyring, `bank-change:${id}`, 'bank', Buffer.from(JSON.stringify(details), 'utf8'));
    const effectiveAt = new Date(now.getTime() + this.#deps.settings.coolingOffHours * HOUR_MS).toISOString();
    const origin: RequestOrigin =
      requester.via === 'job_seeker' ? { accountId: requester.accountId, fingerprint: requester.fingerprint } : {};
    const agentEvent: EventInput =
      requester.via === 'agent'
        ? {
            actorId: requester.actorId,
            organisationId: requester.organisationId,
            purpose: requester.purpose,
            caseReference: requester.caseReference,
          }
        : {};

    const outcome = await this.#openChange(async (trx) => {
      const open = await trx
        .selectFrom('bank_changes')
        .select('id')
        .where('open_slot', '=', personId)
        .executeTakeFirst();
      if (open)
        throw new ConflictError(
          'Une modification de vos coordonnées bancaires est déjà en cours : attendez qu’elle aboutisse ou contactez votre conseiller.',
          'bank_change_in_progress',
        );
      const since = new Date(now.getTime() - 30 * DAY_MS).toISOString();
      const recent = await trx
        .selectFrom('bank_changes')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('person_id', '=', personId)
        .where('requested_at', '>', since)
        .executeTakeFirstOrThrow();
      if (Number(recent.n) >= this.#deps.settings.maxRequestsPer30Days) {
        throw new ConflictError(
          `Pas plus de ${this.#deps.settings.maxRequestsPer30Days} demandes de modification en 30 jours : contactez votre conseiller.`,
          'bank_change_too_frequent',
        );
      }
      const reasons = await holdReasons(trx, this.#deps.settings, {
        personId,
        ibanDigest,
        householdDigest,
        origin,
        now,
      });
      const status = reasons.length ? 'awaiting_verification' : 'cooling_off';
      await trx
        .insertInto('bank_changes')
        .values({
          id,
          person_id: personId,
          open_slot: personId,
          status,
          requested_via: requester.via,
          account_id: requester.via === 'job_seeker' ? requester.accountId : null,
          actor_id: requester.via === 'agent' ? requester.actorId : null,
          request_kind: requester.via === 'agent' ? requester.requestKind : null,
          request_reference: requester.via === 'agent' ? requester.requestReference : null,
          requested_at: requestedAt,
          effective_at: effectiveAt,
          applied_at: null,
          notified_at: null,
          iban_digest: ibanDigest,
          kek_version: sealed.kekVersion,
          wrapped_key: sealed.wrappedKey,
          ciphertext: sealed.ciphertext,
          reasons: JSON.stringify(reasons),
          freeze_code_hash: freezeCodeHash(code),
          freeze_code_used_at: null,
          frozen_at: null,
          decided_by: null,
          decided_at: null,
          decision_note: null,
          contact_cleared: '[]',
        })
        .execute();
      const base: EventInput = {
        ...event,
        ...agentEvent,
        personId,
        classes: ['bank'],
        operation: 'bank_change',
        at: now,
      };
      await appendEvent(trx, 'bank_change_requested', {
        ...base,
        details: {
          change: id,
          via: requester.via,
          effectiveAt,
          ...(requester.via === 'agent' ? { requestKind: requester.requestKind } : {}),
        },
      });
      if (reasons.length)
        await appendEvent(trx, 'bank_change_held', { ...base, details: { change: id, reasons: reasons.join(',') } });
      return { status, reasons } as const;
    });

    const notices = await this.#announce(
      id,
      personId,
      record.fields,
      details.iban,
      code,
      requestedAt,
      effectiveAt,
      requester.via,
      outcome.status === 'awaiting_verification',
    );
    if (outcome.reasons.length) await this.#alertHeld(personId, outcome.reasons);
    return {
      changeId: id,
      status: outcome.status,
      requestedAt,
      effectiveAt,
      reasons: outcome.reasons.map((code) => ({ code, label: reasonLabel(code) })),
      notices,
      maskedIban: maskIban(details.iban),
    };
  }

  /** The unique open slot turns a concurrent second request into the same 409 as a sequential one. */
  async #openChange<T>(work: (trx: Executor) => Promise<T>): Promise<T> {
    try {
      return await inTransaction(this.#deps.db, work);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      if (e.code === '23505' || (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && /open_slot/.test(e.message ?? ''))) {
        throw new ConflictError(
          'Une modification de vos coordonnées bancaires est déjà en cours.',
          'bank_change_in_progress',
        );
      }
      throw error;
    }
  }

  /** Tell the person on every channel known before the change; the change cannot take effect before this is done. */
  async #announce(
    changeId: string,
    personId: string,
    fields: PersonFile,
    newIban: string,
    code: string,
    requestedAt: string,
    effectiveAt: string,
    via: 'job_seeker' | 'agent',
    held: boolean,
  ): Promise<string[]> {
    const m = this.#messenger();
    const since = new Date(
      new Date(requestedAt).getTime() - this.#deps.settings.contactChangeDays * DAY_MS,
    ).toISOString();
    const recent = await contactChangesSince(this.#deps.db, personId, since);
    const channels = await knownChannels(m, personId, fields.contact, requestedAt, {
      previous: await this.#previousContacts(recent),
      changed: recent.length > 0,
    });
    const fullName = fields.identity
      ? `${fields.identity.firstNames[0] ?? ''} ${fields.identity.usageName ?? fields.identity.lastName}`.trim()
      : 'Madame, Monsieur';
    const notice = {
      requestedAt,
      effectiveAt,
      via,
      newIban,
      currentIban: fields.bank?.iban,
      held,
      freezeCode: code,
      freezeUrl: this.#deps.freezeUrl,
      fullName,
    };
    const sent = await sendChangeNotices(m, channels, notice);
    // A person who chose paper for all correspondence gets the notice as a letter too (issue 25 §5),
    // when none of the channels above is one.
    if (m.notifier.paper && !channels.some((c) => c.channel === 'letter')) {
      const { subject, body } = noticeMessage('letter', notice);
      const accountId = channels.find((c) => c.accountId)?.accountId ?? null;
      if (await m.notifier.paper({ personId, accountId, kind: 'bank_change_notice', subject, body }, m.db))
        sent.push('letter');
    }
    await inTransaction(this.#deps.db, async (trx) => {
      await trx
        .updateTable('bank_changes')
        .set({ notified_at: this.#now().toISOString() })
        .where('id', '=', changeId)
        .execute();
      await appendEvent(trx, 'bank_change_notified', {
        at: this.#now(),
        personId,
        classes: ['bank'],
        operation: 'bank_change',
        details: {
          change: changeId,
          email: sent.filter((c) => c === 'email').length,
          sms: sent.filter((c) => c === 'sms').length,
          letter: sent.filter((c) => c === 'letter').length,
        },
      });
    });
    if (sent.length === 0)
      await this.#alertStaff(
        personId,
        'Changement de coordonnées bancaires sans moyen de prévenir la personne',
        `Le dossier ${personId} n’a ni courriel, ni téléphone, ni adresse postale : prévenez la personne d’une demande de modification de ses coordonnées bancaires.`,
      );
    return sent;
  }

  async #alertStaff(personId: string, subject: string, body: string, alsoSecurityOfficers = false): Promise<void> {
    const m = this.#messenger();
    const accounts = await staffToAlert(this.#deps.db, personId);
    // The person's own agency may be where the accounts were taken: those who receive the security alerts hear of it too.
    if (alsoSecurityOfficers)
      accounts.push(...(await staffAccountsAllowedTo(this.#deps.db, 'receive', 'security_alerts')));
    for (const account of new Set(accounts))
      await announceToAccount(m, account, 'bank_alert', `[Rempart] ${subject}`, body);
  }

  async #alertHeld(personId: string, reasons: readonly string[]): Promise<void> {
    const contact = reasons.includes('recent_contact_change');
    const who = contact
      ? '\nLes coordonnées du dossier ont changé récemment : seul un agent d’une autre équipe que celles qui ont modifié les coordonnées ou saisi la demande peut la valider, après avoir joint la personne par un moyen connu avant ce changement.'
      : '';
    await this.#alertStaff(
      personId,
      'Changement de coordonnées bancaires à vérifier',
      `Une demande de modification des coordonnées bancaires du dossier ${personId} attend votre vérification.\nMotifs : ${reasons.map(reasonLabel).join(' ; ')}${who}\nLa demande est dans la file « coordonnées bancaires à vérifier » de Rempart.`,
      contact,
    );
  }

  /**
   * "Ce n'est pas moi": the code from a notice freezes its change (it will never take effect),
   * holds the person's bank details, signs out every session of their account, and alerts
   * their counsellor. A code works once.
   */
  async freeze(
    codeInput: string,
    address: string,
  ): Promise<{ personId: string; frozen: boolean; alreadyEffective: boolean }> {
    const code = canonicalFreezeCode(codeInput);
    if (!/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/.test(code))
      throw new ValidationError([
        {
          field: 'code',
          rule: 'format',
          message: 'Le code comporte 10 caractères (lettres et chiffres), par exemple 7KX2M-Q9PRT.',
        },
      ]);
    const now = this.#now();
    const at = now.toISOString();
    const result = await inTransaction(this.#deps.db, async (trx) => {
      const change = await trx
        .selectFrom('bank_changes')
        .selectAll()
        .where('freeze_code_hash', '=', freezeCodeHash(code))
        .$if(locksRows(trx), (q) => q.forUpdate())
        .executeTakeFirst();
      if (
        !change ||
        now.getTime() - new Date(change.requested_at).getTime() > this.#deps.settings.freezeCodeDays * DAY_MS
      )
        throw new NotFoundError('code');
      if (change.freeze_code_used_at)
        throw new ConflictError(
          'Ce code a déjà été utilisé : la modification est déjà bloquée. Votre conseiller vous contactera.',
          'freeze_code_used',
        );
      const frozen = OPEN.includes(change.status);
      // Only from the state just read: a settlement committed in between makes this freeze lose
      // (it then says so), never a change recorded frozen while its account already receives payments.
      const marked = await trx
        .updateTable('bank_changes')
        .set({
          freeze_code_used_at: at,
          ...(frozen ? { status: 'frozen' as const, frozen_at: at, open_slot: null } : {}),
        })
        .where('id', '=', change.id)
        .where('status', '=', change.status)
        .where('freeze_code_used_at', 'is', null)
        .executeTakeFirst();
      if (Number(marked.numUpdatedRows) !== 1)
        throw new ConflictError(
          'La modification a changé d’état pendant votre demande : saisissez le code une nouvelle fois.',
          'bank_change_changed',
        );
      await appendEvent(trx, 'bank_change_frozen', {
        personId: change.person_id,
        classes: ['bank'],
        operation: 'bank_change',
        address,
        at: now,
        details: { change: change.id, frozen, status: change.status },
      });
      await this.#placeHold(
        trx,
        change.person_id,
        { source: 'freeze', reason: 'not_me', note: null, placedBy: null, reference: change.id },
        now,
      );
      for (const account of await accountsOfPerson(trx, change.person_id))
        await revokeAllSessions(trx, account, 'bank_change_frozen');
      return { personId: change.person_id, frozen, alreadyEffective: change.status === 'effective' };
    });
    await this.#alertStaff(
      result.personId,
      'Modification de coordonnées bancaires contestée (« ce n’est pas moi »)',
      `La personne du dossier ${result.personId} dit ne pas avoir demandé la modification de ses coordonnées bancaires.\n${result.frozen ? 'La modification est bloquée.' : 'La modification était déjà en vigueur : vérifiez les derniers paiements.'}\nSes sessions ont été fermées et ses coordonnées bancaires sont sous surveillance. Contactez-la.`,
    );
    return result;
  }

  async #placeHold(
    trx: Executor,
    personId: string,
    hold: {
      source: BankHoldsTable['source'];
      reason: HoldReason;
      note: string | null;
      placedBy: string | null;
      reference: string | null;
    },
    now: Date,
    event: EventInput = {},
  ): Promise<string> {
    const id = randomUUID();
    await trx
      .insertInto('bank_holds')
      .values({
        id,
        person_id: personId,
        source: hold.source,
        reason: hold.reason,
        note: hold.note,
        placed_by: hold.placedBy,
        reference: hold.reference,
        placed_at: now.toISOString(),
        lifted_at: null,
        lifted_by: null,
        lift_note: null,
      })
      .execute();
    await appendEvent(trx, 'bank_hold_placed', {
      ...event,
      personId,
      classes: ['bank'],
      operation: 'bank_hold',
      at: now,
      details: { hold: id, source: hold.source, reason: hold.reason },
    });
    // A change already waiting out its cooling-off now waits for an agent as well.
    const waiting = await trx
      .selectFrom('bank_changes')
      .select(['id', 'reasons'])
      .where('open_slot', '=', personId)
      .where('status', '=', 'cooling_off')
      .$if(locksRows(trx), (q) => q.forUpdate())
      .executeTakeFirst();
    if (waiting) {
      const reasons = [...new Set([...(JSON.parse(waiting.reasons) as string[]), 'hold_in_force'])];
      const moved = await trx
        .updateTable('bank_changes')
        .set({ status: 'awaiting_verification', reasons: JSON.stringify(reasons) })
        .where('id', '=', waiting.id)
        .where('status', '=', 'cooling_off')
        .executeTakeFirst();
      // Settled in between: the hold stays in force for any next change, this one has nothing left to wait for.
      if (Number(moved.numUpdatedRows) === 1)
        await appendEvent(trx, 'bank_change_held', {
          ...event,
          personId,
          classes: ['bank'],
          operation: 'bank_change',
          at: now,
          details: { change: waiting.id, reasons: 'hold_in_force' },
        });
    }
    return id;
  }

  /** A counsellor, an agent or an incident holds the person's bank details: every change then waits for an agent. */
  async placeHold(
    personId: string,
    hold: {
      source: BankHoldsTable['source'];
      reason: HoldReason;
      note?: string | null;
      placedBy?: string | null;
      reference?: string | null;
    },
    event: EventInput = {},
  ): Promise<string> {
    const now = this.#now();
    return inTransaction(this.#deps.db, async (trx) => {
      const person = await trx.selectFrom('persons').select('status').where('id', '=', personId).executeTakeFirst();
      if (!person) throw new NotFoundError('dossier');
      return this.#placeHold(
        trx,
        personId,
        {
          source: hold.source,
          reason: hold.reason,
          note: hold.note ?? null,
          placedBy: hold.placedBy ?? null,
          reference: hold.reference ?? null,
        },
        now,
        event,
      );
    });
  }

  /**
   * An incident exposed the person: their bank-detail changes wait for an agent's verification.
   * Once per incident (the reference), so running the remediation again places nothing new.
   */
  async placeIncidentHold(
    personId: string,
    hold: { reference: string; note: string },
    event: EventInput = {},
  ): Promise<'placed' | 'already'> {
    const now = this.#now();
    return inTransaction(this.#deps.db, async (trx) => {
      const person = await trx.selectFrom('persons').select('status').where('id', '=', personId).executeTakeFirst();
      if (!person) throw new NotFoundError('dossier');
      const existing = await trx
        .selectFrom('bank_holds')
        .select('id')
        .where('person_id', '=', personId)
        .where('source', '=', 'incident')
        .where('reference', '=', hold.reference)
        .where('lifted_at', 'is', null)
        .executeTakeFirst();
      if (existing) return 'already';
      await this.#placeHold(
        trx,
        personId,
        { source: 'incident', reason: 'incident_exposure', note: hold.note, placedBy: null, reference: hold.reference },
        now,
        event,
      );
      return 'placed';
    });
  }

  /** An agent lifts a hold after verifying the person; the lift and its note are recorded. */
  async liftHold(
    holdId: string,
    personId: string,
    liftedBy: string,
    note: string,
    event: EventInput = {},
  ): Promise<void> {
    const now = this.#now();
    await inTransaction(this.#deps.db, async (trx) => {
      const hold = await trx
        .selectFrom('bank_holds')
        .selectAll()
        .where('id', '=', holdId)
        .where('person_id', '=', personId)
        .$if(locksRows(trx), (q) => q.forUpdate())
        .executeTakeFirst();
      if (!hold) throw new NotFoundError('mise sous surveillance');
      if (hold.lifted_at)
        throw new ConflictError('Cette mise sous surveillance est déjà levée.', 'hold_already_lifted');
      const lifted = await trx
        .updateTable('bank_holds')
        .set({ lifted_at: now.toISOString(), lifted_by: liftedBy, lift_note: note })
        .where('id', '=', holdId)
        .where('lifted_at', 'is', null)
        .executeTakeFirst();
      // Another agent lifted it in between: one lift, one event.
      if (Number(lifted.numUpdatedRows) !== 1)
        throw new ConflictError(
          'Cette mise sous surveillance vient d’être levée par un autre agent.',
          'hold_already_lifted',
        );
      await appendEvent(trx, 'bank_hold_lifted', {
        ...event,
        personId,
        classes: ['bank'],
        operation: 'bank_hold',
        at: now,
        details: { hold: holdId, source: hold.source },
      });
    });
  }

  /**
   * An agent's verification of a held change. Approved, it takes effect at the end of its
   * cooling-off (never sooner than now); rejected, it is closed. The agent who entered a change
   * cannot verify it.
   */
  async verifyChange(
    changeId: string,
    personId: string,
    verifier: string,
    decision: 'approve' | 'reject',
    note: string,
    event: EventInput = {},
    reached?: ReachMethod,
  ): Promise<BankChangeView> {
    const now = this.#now();
    await inTransaction(this.#deps.db, async (trx) => {
      const change = await trx
        .selectFrom('bank_changes')
        .selectAll()
        .where('id', '=', changeId)
        .where('person_id', '=', personId)
        .$if(locksRows(trx), (q) => q.forUpdate())
        .executeTakeFirst();
      if (!change) throw new NotFoundError('demande de modification');
      if (change.status !== 'awaiting_verification')
        throw new ConflictError(
          `Cette demande n’attend pas de vérification (état : ${CHANGE_STATUS_LABELS[change.status]}).`,
          'bank_change_not_awaiting',
        );
      if (change.actor_id === verifier)
        throw new ForbiddenError(
          'Quatre yeux : l’agent qui a saisi la modification ne peut pas la vérifier lui-même.',
          'four_eyes',
        );
      const base: EventInput = { ...event, personId, classes: ['bank'], operation: 'bank_change', at: now };
      if (decision === 'approve') {
        // A contact rewritten around the change: only another team, having reached the person, releases it.
        const uncleared = await this.#unclearedContactChanges(trx, change);
        if (uncleared.length) {
          await this.#assertOtherTeam(trx, verifier, [change.actor_id, ...uncleared.map((c) => c.actorId)]);
          if (!reached) {
            throw new ValidationError([
              {
                field: 'body.reached',
                rule: 'required',
                message: `Les coordonnées de la personne ont changé récemment : indiquez comment vous l’avez jointe par un moyen connu avant ce changement (${Object.keys(REACH_METHODS).join(', ')}).`,
              },
            ]);
          }
        }
        const effectiveAt = new Date(Math.max(new Date(change.effective_at).getTime(), now.getTime())).toISOString();
        const cleared = [
          ...new Set([...(JSON.parse(change.contact_cleared) as string[]), ...uncleared.map((c) => c.id)]),
        ];
        const approved = await trx
          .updateTable('bank_changes')
          .set({
            status: 'cooling_off',
            effective_at: effectiveAt,
            decided_by: verifier,
            decided_at: now.toISOString(),
            decision_note: note,
            contact_cleared: JSON.stringify(cleared),
          })
          .where('id', '=', changeId)
          .where('status', '=', 'awaiting_verification')
          .executeTakeFirst();
        // A freeze or another agent's decision in between: an approval never revives a frozen change.
        if (Number(approved.numUpdatedRows) !== 1) await lostTransition(trx, changeId);
        await appendEvent(trx, 'bank_change_approved', {
          ...base,
          details: {
            change: changeId,
            effectiveAt,
            ...(uncleared.length ? { contactChanges: uncleared.length, reached: reached ?? null } : {}),
          },
        });
      } else {
        const rejected = await trx
          .updateTable('bank_changes')
          .set({
            status: 'rejected',
            open_slot: null,
            decided_by: verifier,
            decided_at: now.toISOString(),
            decision_note: note,
          })
          .where('id', '=', changeId)
          .where('status', '=', 'awaiting_verification')
          .executeTakeFirst();
        if (Number(rejected.numUpdatedRows) !== 1) await lostTransition(trx, changeId);
        await appendEvent(trx, 'bank_change_rejected', { ...base, details: { change: changeId } });
      }
    });
    return this.#view(
      await this.#deps.db.selectFrom('bank_changes').selectAll().where('id', '=', changeId).executeTakeFirstOrThrow(),
    );
  }

  /**
   * Payments follow a change once its cooling-off is over, it was announced, and nothing holds
   * it: its details become the file's `bank` class, in the transaction that records it.
   * Returns how many changes took effect.
   */
  async settleDue(personId?: string): Promise<number> {
    const now = this.#now();
    let query = this.#deps.db
      .selectFrom('bank_changes')
      .select('id')
      .where('status', '=', 'cooling_off')
      .where('effective_at', '<=', now.toISOString())
      .where('notified_at', 'is not', null);
    if (personId) query = query.where('person_id', '=', personId);
    const due = await query.execute();
    let applied = 0;
    const held: string[] = [];
    for (const { id } of due) {
      const done = await inTransaction(this.#deps.db, async (trx) => {
        const change = await trx
          .selectFrom('bank_changes')
          .selectAll()
          .where('id', '=', id)
          .where('status', '=', 'cooling_off')
          .$if(locksRows(trx), (q) => q.forUpdate())
          .executeTakeFirst();
        // Frozen, held or decided since the list was read: this settlement lost, and does nothing.
        if (!change) return false;
        // The last gate: a contact change not yet verified by another team holds the change, whichever path wrote it.
        if ((await this.#unclearedContactChanges(trx, change)).length) {
          if (await this.#holdForContactChange(trx, change, now)) held.push(change.person_id);
          return false;
        }
        // The transition first, and only from the state read: a "ce n'est pas moi" committed in
        // between leaves no row to update, and the payment account is not touched.
        const settled = await trx
          .updateTable('bank_changes')
          .set({ status: 'effective', applied_at: now.toISOString(), open_slot: null })
          .where('id', '=', id)
          .where('status', '=', 'cooling_off')
          .executeTakeFirst();
        if (Number(settled.numUpdatedRows) !== 1) return false;
        await this.#deps.persons.applyBankChange(change.person_id, this.#sealedDetails(change), trx);
        await appendEvent(trx, 'bank_change_effective', {
          personId: change.person_id,
          classes: ['bank'],
          operation: 'bank_change',
          at: now,
          details: { change: id },
        });
        return true;
      });
      if (done) applied++;
    }
    for (const person of held) await this.#alertHeld(person, ['recent_contact_change']);
    return applied;
  }

  /** Contact changes since 30 days before the change's request that no agent of another team has verified for it. */
  async #unclearedContactChanges(trx: Executor, change: BankChangesTable): Promise<ContactChange[]> {
    const since = new Date(
      new Date(change.requested_at).getTime() - this.#deps.settings.contactChangeDays * DAY_MS,
    ).toISOString();
    const cleared = new Set(JSON.parse(change.contact_cleared) as string[]);
    return (await contactChangesSince(trx, change.person_id, since)).filter((c) => !cleared.has(c.id));
  }

  /** A change waiting out its cooling-off now waits for an agent of another team. */
  async #holdForContactChange(
    trx: Executor,
    change: Pick<BankChangesTable, 'id' | 'person_id' | 'reasons'>,
    now: Date,
  ): Promise<boolean> {
    const reasons = [...new Set([...(JSON.parse(change.reasons) as string[]), 'recent_contact_change'])];
    const moved = await trx
      .updateTable('bank_changes')
      .set({ status: 'awaiting_verification', reasons: JSON.stringify(reasons) })
      .where('id', '=', change.id)
      .where('status', '=', 'cooling_off')
      .executeTakeFirst();
    // No longer waiting out its cooling-off (frozen, settled): nothing to hold, nothing to record.
    if (Number(moved.numUpdatedRows) !== 1) return false;
    await appendEvent(trx, 'bank_change_held', {
      personId: change.person_id,
      classes: ['bank'],
      operation: 'bank_change',
      at: now,
      details: { change: change.id, reasons: 'recent_contact_change' },
    });
    return true;
  }

  /**
   * "Another team": the model knows an actor's organisation and roles, so a team is an
   * organisation's staff of one role (its counsellors, its indemnisation agents). The verifier
   * must be none of the actors who changed the contact or entered the bank change, and share
   * no team with any of them: two accounts of one agency cannot release what they set up,
   * nor can a colleague of the same desk.
   */
  async #assertOtherTeam(trx: Executor, verifier: string, involved: ReadonlyArray<string | null>): Promise<void> {
    const ids = [...new Set(involved.filter((id): id is string => id !== null))];
    const refuse = () => {
      throw new ForbiddenError(
        'Les coordonnées de la personne ont changé récemment : seul un agent d’une autre équipe que celles qui ont modifié les coordonnées ou saisi la demande peut la valider.',
        'contact_change_other_team_required',
      );
    };
    if (ids.includes(verifier)) refuse();
    if (ids.length === 0) return;
    const rows = await trx
      .selectFrom('actors')
      .select(['id', 'organisation_id', 'roles'])
      .where('id', 'in', [verifier, ...ids])
      .execute();
    const teams = (row: { organisation_id: string; roles: string }) =>
      new Set((JSON.parse(row.roles) as string[]).map((role) => `${row.organisation_id}/${role}`));
    const me = rows.find((r) => r.id === verifier);
    if (!me) refuse();
    const mine = teams(me!);
    for (const other of rows.filter((r) => r.id !== verifier)) if ([...teams(other)].some((t) => mine.has(t))) refuse();
  }

  /** The previous contacts kept by recent changes, opened (the bank procedure tells them of a change). */
  async #previousContacts(changes: readonly ContactChange[]): Promise<Array<PersonFile['contact']>> {
    const out: Array<PersonFile['contact']> = [];
    for (const c of changes)
      if (c.previous) out.push((await this.#deps.persons.open(c.previous, ['contact'])).fields.contact);
    return out;
  }

  /**
   * Announce contact changes on the channels known before them (the previous email, phone and,
   * when the address changed, the previous address by letter; the accounts' channels), record
   * it, and hold the person's bank change waiting out its cooling-off. Without a person, those
   * left unannounced for five minutes (a crash between the write and its announcement).
   * Returns how many were announced.
   */
  async announceContactChanges(personId?: string): Promise<number> {
    const now = this.#now();
    const pending = await this.#deps.persons.unannouncedContactChanges(
      personId ? { personId } : { before: new Date(Date.now() - 5 * 60_000).toISOString() },
    );
    const m = this.#messenger();
    const heldPersons = new Set<string>();
    for (const change of pending) {
      const previous = change.previous
        ? (await this.#deps.persons.open(change.previous, ['contact'])).fields.contact
        : undefined;
      const identity = (await this.#deps.persons.read(change.personId, ['identity'])).fields.identity;
      const fullName = identity
        ? `${identity.firstNames[0] ?? ''} ${identity.usageName ?? identity.lastName}`.trim()
        : 'Madame, Monsieur';
      const channels = await channelsBeforeContactChange(
        m,
        change.personId,
        previous,
        change.changed,
        change.changedAt,
      );
      const sent = await sendContactChangeNotices(m, channels, {
        changedAt: change.changedAt,
        changed: change.changed,
        byAgent: change.actorId !== null,
        fullName,
      });
      const held = await inTransaction(this.#deps.db, async (trx) => {
        await this.#deps.persons.markContactChangeAnnounced(change.id, now.toISOString(), trx);
        await appendEvent(trx, 'contact_change_announced', {
          at: now,
          personId: change.personId,
          classes: ['contact'],
          operation: 'contact_change',
          details: {
            contactChange: change.id,
            changed: change.changed.join(','),
            email: sent.filter((c) => c === 'email').length,
            sms: sent.filter((c) => c === 'sms').length,
            letter: sent.filter((c) => c === 'letter').length,
          },
        });
        const waiting = await trx
          .selectFrom('bank_changes')
          .selectAll()
          .where('open_slot', '=', change.personId)
          .where('status', '=', 'cooling_off')
          .$if(locksRows(trx), (q) => q.forUpdate())
          .executeTakeFirst();
        if (!waiting || (await this.#unclearedContactChanges(trx, waiting)).length === 0) return false;
        return this.#holdForContactChange(trx, waiting, now);
      });
      if (held) heldPersons.add(change.personId);
      if (sent.length === 0)
        await this.#alertStaff(
          change.personId,
          'Changement de coordonnées sans moyen de prévenir la personne',
          `Les coordonnées du dossier ${change.personId} ont été modifiées et aucun moyen connu avant ce changement ne permet de l’en avertir : contactez la personne.`,
          true,
        );
    }
    for (const person of heldPersons) await this.#alertHeld(person, ['recent_contact_change']);
    return pending.length;
  }

  /** The file's contact changes of the last days (no value), for the agent who verifies a change. */
  async contactChanges(personId: string): Promise<ContactChangeView[]> {
    const since = new Date(this.#now().getTime() - this.#deps.settings.contactChangeDays * DAY_MS).toISOString();
    const changes = await contactChangesSince(this.#deps.db, personId, since);
    return changes.reverse().map((c) => ({
      id: c.id,
      changedAt: c.changedAt,
      changed: c.changed,
      by: c.actorId ? 'agent' : c.accountId ? 'job_seeker' : 'unknown',
      announced: c.announcedAt !== null,
    }));
  }

  /** Changes whose notices were not all sent (a crash between the request and its notices): send them now. */
  async resendMissingNotices(): Promise<number> {
    // A request sends its own notices right after it commits: only those left unsent for minutes were lost.
    const before = new Date(this.#now().getTime() - 5 * 60_000).toISOString();
    const lost = await this.#deps.db
      .selectFrom('bank_changes')
      .selectAll()
      .where('notified_at', 'is', null)
      .where('status', 'in', OPEN)
      .where('requested_at', '<', before)
      .execute();
    // The code was only ever in the lost notices: a fresh one replaces it.
    for (const change of lost) {
      const code = freezeCode();
      const renewed = await this.#deps.db
        .updateTable('bank_changes')
        .set({ freeze_code_hash: freezeCodeHash(code) })
        .where('id', '=', change.id)
        .where('status', 'in', OPEN)
        .where('freeze_code_used_at', 'is', null)
        .executeTakeFirst();
      // Frozen, settled or decided since the list was read: no notice for a change that is closed.
      if (Number(renewed.numUpdatedRows) !== 1) continue;
      const record = await this.#deps.persons.read(change.person_id, [...SELF_FIELDS]);
      await this.#announce(
        change.id,
        change.person_id,
        record.fields,
        this.#sealedDetails(change).iban,
        code,
        change.requested_at,
        change.effective_at,
        change.requested_via,
        change.status === 'awaiting_verification',
      );
    }
    return lost.length;
  }

  /** The new details of a change, opened with its own data key (bound to the change, not to the file). */
  #sealedDetails(change: BankChangesTable): BankDetailsInput {
    return JSON.parse(
      openField(this.#deps.keyring(), `bank-change:${change.id}`, 'bank', {
        kekVersion: change.kek_version,
        wrappedKey: change.wrapped_key,
        ciphertext: change.ciphertext,
      }).toString('utf8'),
    ) as BankDetailsInput;
  }

  /** The person's changes, newest first, with the new IBAN masked. */
  async changes(personId: string): Promise<BankChangeView[]> {
    const rows = await this.#deps.db
      .selectFrom('bank_changes')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy('requested_at', 'desc')
      .execute();
    return rows.map((r) => this.#view(r));
  }

  #view(r: BankChangesTable): BankChangeView {
    return {
      id: r.id,
      status: r.status,
      statusLabel: CHANGE_STATUS_LABELS[r.status],
      requestedVia: r.requested_via,
      requestedAt: r.requested_at,
      effectiveAt: r.effective_at,
      appliedAt: r.applied_at,
      maskedIban: maskIban(this.#sealedDetails(r).iban),
      reasons: (JSON.parse(r.reasons) as string[]).map((code) => ({ code, label: reasonLabel(code) })),
    };
  }

  /** Holds in force on the person's bank details, with the reason they read. */
  async holds(personId: string): Promise<BankHoldView[]> {
    const rows = await this.#deps.db
      .selectFrom('bank_holds')
      .selectAll()
      .where('person_id', '=', personId)
      .where('lifted_at', 'is', null)
      .orderBy('placed_at')
      .execute();
    return rows.map((h) => ({
      id: h.id,
      source: h.source,
      reason: h.reason,
      label: reasonLabel(h.reason),
      since: h.placed_at,
    }));
  }

  /**
   * A store filled before the IBAN and household indexes existed has files whose bank account
   * the shared-account check cannot see: true when some file's `bank` class has no IBAN index.
   */
  async indexMissing(): Promise<boolean> {
    const count = async (q: Promise<{ n: unknown } | undefined>) => Number((await q)?.n ?? 0);
    const banks = await count(
      this.#deps.db
        .selectFrom('person_fields')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('field_class', '=', 'bank')
        .executeTakeFirst(),
    );
    const indexed = await count(
      this.#deps.db
        .selectFrom('person_lookups')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('kind', '=', 'iban')
        .executeTakeFirst(),
    );
    return indexed < banks;
  }

  /** Changes waiting for an agent, oldest first (ids and reasons, nothing of the details). */
  async awaitingVerification(
    limit = 100,
  ): Promise<Array<{ id: string; personId: string; requestedAt: string; requestedVia: string; reasons: string[] }>> {
    const rows = await this.#deps.db
      .selectFrom('bank_changes')
      .select(['id', 'person_id', 'requested_at', 'requested_via', 'reasons'])
      .where('status', '=', 'awaiting_verification')
      .orderBy('requested_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      personId: r.person_id,
      requestedAt: r.requested_at,
      requestedVia: r.requested_via,
      reasons: JSON.parse(r.reasons) as string[],
    }));
  }
}
