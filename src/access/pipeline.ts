import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  FIELD_CLASSES,
  NotFoundError,
  type CertificateSubmission,
  type DeclaredMonth,
  type Dispute,
  type FieldClass,
  type FieldValues,
  type PersonFile,
  type PersonPatch,
} from '../domain/index.ts';
import type { BlindIndexKind } from '../crypto/index.ts';
import type { MandateScope } from '../domain/mandates.ts';
import type { Admission, Guard, GuardedActor, SearchCriterion } from '../guard/index.ts';
import { appendEvent } from '../ledger/index.ts';
import {
  authorize,
  authorizeEach,
  authorizeWithoutPerson,
  ageInYears,
  CASELOAD_MAX_PAGE_SIZE,
  LISTED_IDENTITY_FIELDS,
  listedPersons,
  type AccessDecision,
  type AccessRequest,
  type DecisionActor,
  type ListedPerson,
} from '../policy/index.ts';
import {
  archivedClasses,
  inTransaction,
  type CertificateRecord,
  type ChangeAuthor,
  type EmployerCertificateStore,
  type Executor,
  type PersonRecord,
  type PersonStore,
  type SealedFile,
} from '../store/index.ts';

/** Who asks, as the request established it: the acting actor, its organisation and session, from where, under which declared purpose. */
export interface Caller {
  /** The actor as read with the session (staff), saving a query; absent for a machine client. */
  actor?: DecisionActor;
  guarded: GuardedActor;
  /** The policy data's version read with the session, when the request read it. */
  policyVersion?: number;
  clientAddress: string;
  /** The network (a /24 or /48) the request comes from. */
  network: string;
  purpose: string;
  caseReference: string;
}

export type Granted = Extract<AccessDecision, { allowed: true }>;

/** The purpose under which the figures of a monthly update are written into `benefits` (the journal words it). */
export const DECLARED_FIGURES_PURPOSE = 'actualisation';
/** Ten years of declared months, as long as the declarations themselves are kept. */
const DECLARED_MONTHS_KEPT = 120;

/** The bootstrap administrator reads under this name, counted by the guard like anyone (its own budget). */
export const BOOTSTRAP_PURPOSE = 'bootstrap';
/** The counsellor's read of a file a held registration matched (issue 25 §1): its identity and registration only. */
export const REGISTRATION_REVIEW_PURPOSE = 'registration_review';
/** Files one counsellor may compare in a day: a queue of duplicates, never a directory. */
export const REGISTRATION_REVIEW_DAILY_CEILING = 150;
/** The bootstrap administrator has no agreement: no agreement ceiling either, only its role's budget. */
export const BOOTSTRAP_DAILY_CEILING = 1_000_000;

/** A read's outcome: the file and the decision, or the refusal the caller answers (and records). */
export type ReadOutcome =
  | { outcome: 'read'; decision: Granted; record: PersonRecord; fields: PersonFile }
  | Denied
  | (GuardRefused & { decision: Granted });

type Denied = { outcome: 'denied'; decision: Extract<AccessDecision, { allowed: false }> };
type GuardRefused = { outcome: 'guard'; decision?: Granted; admission: Extract<Admission, { allowed: false }> };

/** A search's outcome: the matches within scope with their identity, or a refusal. */
export type SearchOutcome =
  { outcome: 'found'; results: Array<{ id: string; identity?: PersonFile['identity'] }> } | Denied | GuardRefused;

/** How a list is asked for: its page, and its order and filter. */
export interface ListOptions {
  /** Which list: a purpose over another relationship is refused (`operation_not_granted`). */
  relationship: 'caseload' | 'referral';
  page: number;
  pageSize: number;
  /** By next appointment (then the latest one), by the date the person joined the list, or by name. */
  sort: ListSort;
  /** Part of a name (accents and case ignored). */
  filter?: string;
}

export const LIST_SORTS = ['appointment', 'since', 'name'] as const;
export type ListSort = (typeof LIST_SORTS)[number];

/** What a list shows of a person's identity (`LISTED_IDENTITY_FIELDS`). */
export interface ListedIdentity {
  lastName: string;
  usageName?: string;
  firstName: string;
  birthDate: string;
}

export type ListedItem = ListedPerson & { identity: ListedIdentity };

/** A list page's outcome: the persons of the page with what the list shows, or a refusal. */
export type ListOutcome =
  | {
      outcome: 'listed';
      decision: Granted;
      relationship: 'caseload' | 'referral';
      page: number;
      pageSize: number;
      total: number;
      items: ListedItem[];
    }
  | Denied
  | (GuardRefused & { decision: Granted });

/** A write's outcome: the classes written, or a refusal. */
export type WriteOutcome<T = undefined> = { outcome: 'written'; decision: Granted; value: T } | Denied;

/** An employer's certificate: written, or why not. */
export type CertifyOutcome =
  | { outcome: 'written'; decision: Granted; id: string; personId: string }
  /** No single file has this NIR with this birth date: the same answer whatever the cause. */
  | { outcome: 'not_identified' }
  | Denied
  | GuardRefused;

/** An employer's disputed certificates, as routed back to it: never more than its own certificate's reference and the dispute. */
export interface DisputedCertificate {
  id: string;
  employerReference: string;
  receivedAt: string;
  disputedAt: string;
  reason: string;
  comment?: string;
}

/** An exact search: the blind index to look up, what is looked up there, and its shape for the guard (never the identifier). */
export interface SearchRequest {
  kind: BlindIndexKind;
  value: string;
  criterion: SearchCriterion;
}

export interface PipelineOptions {
  db: Executor;
  persons: PersonStore;
  guard: Guard;
  /** The guard's time, for what it later weighs (an appointment's booking). */
  clock: { now(): Date };
  /** Employers' end-of-contract certificates, sealed beside the file (issue 25 §3). */
  certificates: EmployerCertificateStore;
  /** Bank changes due are settled before a read of the `bank` class (payments read that class). */
  settleBank: (personId: string) => Promise<unknown>;
  /** Told of every decision taken here (the metrics). */
  observe?: PipelineObserver;
  /**
   * A notice to the person, in the write's transaction: on their espace account's channels, and as
   * a letter when they chose paper, an account or not (the runtime's `announceToPerson`). Without
   * it, nobody is told.
   */
  notifyPerson?: (db: Executor, personId: string, kind: string, subject: string, body: string) => Promise<unknown>;
  /**
   * The mandate that ties an aidant to a person for a step now (the mandates capability's
   * `tie`), asked by the decision for a purpose over the `mandate` relationship (issue 25 §4).
   */
  mandateTie?: (
    actor: { id: string; organisationId: string },
    personId: string,
    scope: MandateScope,
    now: Date,
  ) => Promise<string | undefined>;
}

const FRENCH_DAY = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'UTC' });
const frenchDay = (day: string) => FRENCH_DAY.format(new Date(`${day}T00:00:00Z`));

/** What the pipeline tells an observer: synchronous and cheap (it is on the read path), codes only, never whom. */
export interface PipelineObserver {
  /**
   * One decision of the policy: a permit and what it rests on (its relationship, or
   * `break_glass`), or a denial and its reason code. A search is the caller's decision, then one
   * per match.
   */
  decision(outcome: 'permit' | 'deny', reason: string): void;
}

/**
 * The access pipeline: a person's data is read here and nowhere else, in the order of the
 * design (§5): the declared purpose is decided against the agreement, the relationship and
 * the posture; the guard admits the read; its access event is durable; then exactly the
 * recorded classes are decrypted. In the steady state that is four statements: the session
 * (read by the caller's authentication), the relationship, the person's sealed row, the
 * guard's windows; and a share of one group commit.
 */
export class AccessPipeline {
  readonly #deps: PipelineOptions;

  constructor(options: PipelineOptions) {
    this.#deps = options;
  }

  /** Read one file: decided, admitted, recorded, then decrypted; only the recorded classes leave. */
  async read(
    caller: Caller,
    personId: string,
    classes: readonly FieldClass[] | undefined,
    operation = 'read',
  ): Promise<ReadOutcome> {
    // Decisions are taken on the wall clock (agreements' dates); the guard's windows on its own clock.
    const now = new Date();
    const decision = this.#seen(
      await authorize(this.#deps.db, {
        ...this.#context(caller),
        personId,
        operation: 'read',
        ...(classes ? { classes } : {}),
        now,
        // An age condition (a purpose for young people) opens `identity` in memory and keeps only the date.
        birthDateOf: (id) => this.#birthDate(id),
      }),
    );
    if (!decision.allowed) return { outcome: 'denied', decision };
    let file = await this.#deps.persons.fetchSealed(personId, decision.classes);
    // The event names the classes that leave: those decided that the file holds.
    const released = decision.classes.filter((c) => file.sealed.has(c));
    const admission = await this.#deps.guard.admitRead(
      {
        actor: caller.guarded,
        network: caller.network,
        purpose: decision.purpose,
        dailyCeiling: decision.obligations.dailyCeiling,
        followUpExpected: decision.obligations.followUpExpected,
        personIds: [personId],
      },
      [{ kind: 'access_granted', input: grantEvent(caller, decision, personId, operation, released) }],
    );
    if (!admission.allowed) return { outcome: 'guard', decision, admission };
    if (released.includes('bank')) {
      // Payments read this class: a change that became due is settled (a write) once the read is
      // admitted and recorded, never before, and the account in force is the one opened.
      await this.#deps.settleBank(personId);
      file = await this.#deps.persons.fetchSealed(personId, released);
    }
    const record = await this.#deps.persons.open(
      file,
      released.filter((c) => file.sealed.has(c)),
    );
    return { outcome: 'read', decision, record, fields: record.fields };
  }

  /**
   * An exact search within scope: the caller's own reasons (posture, role, purpose) are decided
   * before anything is looked up; each match is decided; the guard sees the search's shape
   * before anything leaves; each match released is recorded, then its identity decrypted. A miss
   * and a match out of scope look the same.
   */
  async search(caller: Caller, search: SearchRequest): Promise<SearchOutcome> {
    const base = {
      ...this.#context(caller),
      operation: 'read' as const,
      classes: ['identity' as const],
      now: new Date(),
    };
    const allowedCaller = this.#seen(await authorizeWithoutPerson(this.#deps.db, base));
    if (!allowedCaller.allowed) return { outcome: 'denied', decision: allowedCaller };
    const matches = await this.#deps.persons.lookup(search.kind, search.value);
    const decisions = (
      await authorizeEach(this.#deps.db, { ...base, birthDateOf: (personId) => this.#birthDate(personId) }, matches)
    ).map((decision) => this.#seen(decision));
    const allowed: Array<{ personId: string; decision: Granted }> = [];
    decisions.forEach((decision, i) => {
      if (decision.allowed) allowed.push({ personId: matches[i]!, decision });
    });
    const swept = await this.#deps.guard.noteSearch(caller.guarded, search.criterion, matches, allowed.length);
    if (!swept.allowed) return { outcome: 'guard', admission: swept };
    const files = new Map<string, SealedFile>();
    for (const { personId } of allowed)
      files.set(personId, await this.#deps.persons.fetchSealed(personId, ['identity']));
    const released = (personId: string) =>
      files.get(personId)!.sealed.has('identity') ? (['identity'] as FieldClass[]) : [];
    if (allowed.length) {
      const first = allowed[0]!.decision;
      const admission = await this.#deps.guard.admitRead(
        {
          actor: caller.guarded,
          network: caller.network,
          purpose: first.purpose,
          dailyCeiling: first.obligations.dailyCeiling,
          followUpExpected: first.obligations.followUpExpected,
          personIds: allowed.map((a) => a.personId),
        },
        allowed.map(({ personId, decision }) => ({
          kind: 'access_granted' as const,
          input: grantEvent(caller, decision, personId, 'search', released(personId)),
        })),
      );
      if (!admission.allowed) return { outcome: 'guard', decision: first, admission };
    }
    // The search is recorded without the identifier searched.
    await appendEvent(this.#deps.db, 'person_search', {
      actorId: caller.guarded.id,
      purpose: caller.purpose,
      caseReference: caller.caseReference,
      operation: 'search',
      details: { kind: search.kind, results: allowed.length },
    });
    const results: Array<{ id: string; identity?: PersonFile['identity'] }> = [];
    for (const { personId } of allowed) {
      const record = await this.#deps.persons.open(files.get(personId)!, released(personId));
      results.push({ id: personId, ...(record.fields.identity ? { identity: record.fields.identity } : {}) });
    }
    return { outcome: 'found', results };
  }

  /**
   * A page of the caller's list — its own caseload, or the persons referred to its organisation —
   * decided as a `list` of `identity` under the declared purpose (only a purpose over a list
   * relationship grants one). Sorted by the next appointment (clear), by the date the person
   * joined the list, or by name; a name sort or filter opens every listed identity in memory, as
   * an age condition does, and only the page leaves. Each person on the page is recorded (their
   * journal says they were seen in a list) and counted by the guard's list window, then only
   * their name, first name and birth date leave.
   */
  async list(caller: Caller, options: ListOptions): Promise<ListOutcome> {
    const now = new Date();
    const { relationship } = options;
    const decided = await authorizeWithoutPerson(this.#deps.db, {
      ...this.#context(caller),
      operation: 'list',
      classes: ['identity'],
      now,
    });
    // A purpose over the other list's relationship is refused here, and counted so.
    const decision = this.#seen(
      decided.allowed && decided.relationship !== relationship
        ? ({ allowed: false, reason: 'operation_not_granted' } as const)
        : decided,
    );
    if (!decision.allowed) return { outcome: 'denied', decision };
    let listed = await listedPersons(this.#deps.db, caller.guarded, relationship, now);
    const maxAge = decision.conditions?.maxAge;
    const needsNames = options.sort === 'name' || options.filter !== undefined || maxAge !== undefined;
    // One query per few hundred persons, not one per person: a name sort opens a whole caseload.
    const identities = needsNames
      ? await this.#identitiesOf(listed.map((p) => p.personId))
      : new Map<string, ListedIdentity>();
    if (needsNames) {
      listed = listed.filter((p) => identities.has(p.personId));
      if (maxAge !== undefined)
        listed = listed.filter((p) => (ageInYears(identities.get(p.personId)!.birthDate, now) ?? Infinity) <= maxAge);
      if (options.filter !== undefined) {
        const wanted = foldForSearch(options.filter);
        listed = listed.filter((p) => foldForSearch(displayedName(identities.get(p.personId)!)).includes(wanted));
      }
    }
    listed.sort(LIST_ORDERS[options.sort](identities));
    const pageSize = Math.min(CASELOAD_MAX_PAGE_SIZE, Math.max(1, Math.trunc(options.pageSize)));
    const page = Math.max(1, Math.trunc(options.page));
    const shown = listed.slice((page - 1) * pageSize, page * pageSize);
    const operation = relationship === 'caseload' ? 'list_caseload' : 'list_referrals';
    const admission = await this.#deps.guard.admitListing(
      caller.guarded,
      shown.map((p) => p.personId),
      [
        ...shown.map((p) => ({
          kind: 'access_granted' as const,
          input: grantEvent(caller, decision, p.personId, operation, ['identity'], {
            fields: LISTED_IDENTITY_FIELDS.join(','),
          }),
        })),
        {
          kind: 'access_granted' as const,
          input: {
            actorId: caller.guarded.id,
            purpose: decision.purpose,
            caseReference: decision.caseReference,
            operation: 'list_page',
            details: {
              list: relationship,
              page,
              count: shown.length,
              total: listed.length,
              sort: options.sort,
              filtered: options.filter !== undefined,
            },
          },
        },
      ],
    );
    if (!admission.allowed) return { outcome: 'guard', decision, admission };
    const opened = needsNames ? identities : await this.#identitiesOf(shown.map((p) => p.personId));
    const items: ListedItem[] = shown.flatMap((person) => {
      const identity = opened.get(person.personId);
      return identity ? [{ ...person, identity }] : [];
    });
    return { outcome: 'listed', decision, relationship, page, pageSize, total: listed.length, items };
  }

  /** The listed part of these persons' identities, opened in memory; a file without one (or erased meanwhile) is absent. */
  async #identitiesOf(personIds: readonly string[]): Promise<Map<string, ListedIdentity>> {
    const out = new Map<string, ListedIdentity>();
    for (const [id, file] of await this.#deps.persons.fetchSealedMany(personIds, ['identity'])) {
      const identity = (await this.#deps.persons.open(file, ['identity'])).fields.identity;
      if (identity)
        out.set(id, {
          lastName: identity.lastName,
          ...(identity.usageName ? { usageName: identity.usageName } : {}),
          firstName: identity.firstNames[0]!,
          birthDate: identity.birthDate,
        });
    }
    return out;
  }

  /**
   * Replace the classes of a patch (`null` removes one), decided as a write of exactly those
   * classes: the event, the write and the guard's follow-up mark in one transaction, or none.
   */
  async write(caller: Caller, personId: string, patch: PersonPatch): Promise<WriteOutcome> {
    const written = FIELD_CLASSES.filter((c) => patch[c] !== undefined);
    return this.#written(caller, personId, written, undefined, async (trx) => {
      await this.#deps.persons.update(personId, patch, trx, authorOf(caller.guarded));
      return undefined;
    });
  }

  /**
   * Change one class from its current value (an action appended to the follow-up), decided as a
   * write of that class; the event, the change and the follow-up mark in one transaction. The
   * person's row is written first, so two changes at the same moment both keep their part.
   */
  async modify<C extends Exclude<FieldClass, 'bank'>>(
    caller: Caller,
    personId: string,
    fieldClass: C,
    change: (current: FieldValues[C] | undefined) => FieldValues[C],
  ): Promise<WriteOutcome<FieldValues[C]>> {
    return this.#written(caller, personId, [fieldClass], undefined, (trx) =>
      this.#deps.persons.modify(personId, fieldClass, change, trx, authorOf(caller.guarded)),
    );
  }

  /**
   * Book an appointment of the person with the caller: decided as a write of the follow-up (the
   * appointment joins it, sealed), counted by the guard first (a booking explains later reads, so
   * a burst of them is a thief preparing cover), and indexed in clear for the agenda and the guard,
   * in one transaction with its event.
   */
  async book(
    caller: Caller,
    personId: string,
    appointment: { at: string; kind: string },
  ): Promise<WriteOutcome<{ id: string }> | GuardRefused> {
    const decision = await this.decide(caller, personId, 'write', ['follow_up']);
    if (!decision.allowed) return { outcome: 'denied', decision };
    const admission = await this.#deps.guard.noteBooking(caller.guarded, personId);
    if (!admission.allowed) return { outcome: 'guard', decision, admission };
    const id = randomUUID();
    return this.#written(caller, personId, ['follow_up'], decision, async (trx) => {
      await this.#deps.persons.modify(
        personId,
        'follow_up',
        (current) => {
          const base = current ?? { appointments: [], actions: [] };
          return {
            ...base,
            appointments: [
              ...base.appointments.slice(-199),
              { date: appointment.at.slice(0, 10), kind: appointment.kind },
            ],
          };
        },
        trx,
        authorOf(caller.guarded),
      );
      const organisationId = caller.guarded.organisationId;
      await trx
        .insertInto('appointments')
        .values({
          id,
          person_id: personId,
          organisation_id: organisationId,
          actor_id: caller.guarded.id,
          at: appointment.at,
          kind: appointment.kind,
          created_by: caller.guarded.id,
          created_at: this.#deps.clock.now().toISOString(),
          cancelled_at: null,
        })
        .execute();
      return { id };
    });
  }

  /** A write decided (or already decided by the caller, as a booking is before the guard counts it), recorded and done in one transaction. */
  async #written<T>(
    caller: Caller,
    personId: string,
    classes: FieldClass[],
    decided: AccessDecision | undefined,
    work: (trx: Executor) => Promise<T>,
  ): Promise<WriteOutcome<T>> {
    const decision =
      decided ??
      this.#seen(
        await authorize(this.#deps.db, {
          ...this.#context(caller),
          personId,
          operation: 'write',
          classes,
          now: new Date(),
          birthDateOf: (id) => this.#birthDate(id),
        }),
      );
    if (!decision.allowed) return { outcome: 'denied', decision };
    // An aidant never writes a class of the file directly: under a mandate, only a step's own
    // service writes (the monthly update declared for the person), each recorded as such.
    if (decision.relationship === 'mandate')
      return { outcome: 'denied', decision: { allowed: false, reason: 'operation_not_granted' } };
    const value = await inTransaction(this.#deps.db, async (trx) => {
      await appendEvent(trx, 'access_granted', grantEvent(caller, decision, personId, 'write', decision.classes));
      const result = await work(trx);
      // A follow-up: what a person doing their job does with the files they read.
      await this.#deps.guard.noteFollowUp(trx, caller.guarded.id, personId);
      return result;
    });
    return { outcome: 'written', decision, value };
  }

  /**
   * The decision alone, for a route whose capability does the rest under it (bank details):
   * the same as a read's or a write's, an age condition included.
   */
  async decide(
    caller: Caller,
    personId: string,
    operation: 'read' | 'write',
    classes: FieldClass[],
  ): Promise<AccessDecision> {
    return this.#seen(
      await authorize(this.#deps.db, {
        ...this.#context(caller),
        personId,
        operation,
        classes,
        now: new Date(),
        birthDateOf: (id) => this.#birthDate(id),
      }),
    );
  }

  /** The caller's own reasons alone (posture, role, purpose, classes), before any person: as a search or a list is first decided. */
  async decideWithoutPerson(
    caller: Caller,
    operation: 'read' | 'write',
    classes: FieldClass[],
  ): Promise<AccessDecision> {
    return this.#seen(
      await authorizeWithoutPerson(this.#deps.db, { ...this.#context(caller), operation, classes, now: new Date() }),
    );
  }

  /** A decision per person, in the order given (the actor and organisation read once). */
  async decideEach(
    caller: Caller,
    personIds: readonly string[],
    operation: 'read' | 'write',
    classes: FieldClass[],
  ): Promise<AccessDecision[]> {
    return (
      await authorizeEach(
        this.#deps.db,
        { ...this.#context(caller), operation, classes, now: new Date(), birthDateOf: (id) => this.#birthDate(id) },
        personIds,
      )
    ).map((decision) => this.#seen(decision));
  }

  /**
   * The job seeker's own file (GDPR Art. 15): every class it holds, recorded as a subject
   * access before anything is decrypted; a ledger failure stops it there.
   */
  async readOwn(accountId: string, personId: string, operation: 'read' | 'export'): Promise<PersonRecord> {
    const file = await this.#deps.persons.fetchSealed(personId);
    await appendEvent(this.#deps.db, 'subject_access', {
      accountId,
      personId,
      operation,
      classes: file.classes,
      details: { operation },
    });
    return this.#deps.persons.open(file, file.classes);
  }

  /**
   * The figures a person declared for a month (their monthly update, issue 25 §2) written into
   * their `benefits` class under the platform's purpose `actualisation`, in the declaration's
   * transaction (`trx`): the access event first — the declaration's author (the person's own
   * account, or the aidant acting under the person's mandate, named), the month and the version its
   * details, never a figure —, then the class read and rewritten inside the transaction, the month
   * replacing any earlier version of it. No agreement decides it here: it is what the person
   * declared on their honour (an aidant's act was decided over the mandate before), as reading
   * their own file is theirs; the controller's purpose is what the journal names. A file without
   * the class gets one holding no allowance (`none`) until the indemnisation computes one.
   */
  async recordDeclaredMonth(
    trx: Executor,
    by: { accountId: string | null; actorId?: string; mandateId?: string },
    personId: string,
    month: DeclaredMonth,
  ): Promise<void> {
    await appendEvent(trx, 'access_granted', {
      accountId: by.accountId,
      ...(by.actorId ? { actorId: by.actorId } : {}),
      personId,
      purpose: DECLARED_FIGURES_PURPOSE,
      operation: month.version > 1 ? 'correct_figures' : 'declare_figures',
      classes: ['benefits'],
      details: {
        period: month.period,
        version: month.version,
        ...(by.mandateId ? { mandate: by.mandateId } : {}),
      },
    });
    await this.#deps.persons.modify(
      personId,
      'benefits',
      (current) => {
        const base = current ?? { allowance: 'none' as const, payments: [] };
        const months = [...(base.declaredMonths ?? []).filter((m) => m.period !== month.period), month]
          .sort((a, b) => a.period.localeCompare(b.period))
          .slice(-DECLARED_MONTHS_KEPT);
        return { ...base, declaredMonths: months };
      },
      trx,
    );
  }

  /**
   * The DPO writing to a person (a rights request's answer or extension notice, GDPR Art. 12):
   * their identity and contact only, recorded as an access under `purpose` before anything is
   * decrypted; a ledger failure stops it there. An erased file has no address (undefined).
   */
  async readAddress(
    accountId: string | null,
    personId: string,
    purpose: string,
    details: Record<string, string>,
  ): Promise<Pick<PersonFile, 'identity' | 'contact'> | undefined> {
    return (
      await this.#readForPerson(accountId, personId, purpose, 'write_to_person', details, ['identity', 'contact'])
    )?.fields;
  }

  /**
   * The DPO sending a person the copy of their data (a granted access request answered by
   * letter, GDPR Art. 15.3): every class the file holds, recorded as an access under `purpose`
   * (operation `copy_to_person`) before anything is decrypted; a ledger failure stops it there.
   * An erased file has nothing to copy (undefined).
   */
  readCopyForPerson(
    accountId: string | null,
    personId: string,
    purpose: string,
    details: Record<string, string>,
  ): Promise<PersonRecord | undefined> {
    return this.#readForPerson(accountId, personId, purpose, 'copy_to_person', details);
  }

  /** A read the platform makes to write to the person: recorded before anything is opened; an erased file gives nothing. */
  async #readForPerson(
    accountId: string | null,
    personId: string,
    purpose: string,
    operation: string,
    details: Record<string, string>,
    only?: readonly FieldClass[],
  ): Promise<PersonRecord | undefined> {
    let file;
    try {
      file = await this.#deps.persons.fetchSealed(personId, only);
    } catch (error) {
      if (error instanceof NotFoundError || (error as { code?: string }).code === 'person_erased') return undefined;
      throw error;
    }
    await appendEvent(this.#deps.db, 'access_granted', {
      accountId,
      personId,
      purpose,
      operation,
      classes: file.classes,
      details,
    });
    return this.#deps.persons.open(file, file.classes);
  }

  /**
   * The DPO's read of a person's intermediate archive (retention, issue 24 §2): the classes a
   * retention rule moved there, which no other purpose reaches. The caller has checked the role
   * and a fresh second factor; here the read is recorded first — an `archive_read` event of the
   * person's journal, naming the classes, under the purpose `retention_archive` — and only then
   * is each archived row opened (as it was sealed in the file: same person, same class). Nothing
   * archived: nothing recorded, an empty list.
   */
  async readArchive(
    by: { accountId: string | null; actorId: string | null },
    personId: string,
  ): Promise<Array<{ fieldClass: FieldClass; value: unknown; archivedAt: string; updatedAt: string; rule: string }>> {
    const rows = await archivedClasses(this.#deps.db, personId);
    if (rows.length === 0) return [];
    await appendEvent(this.#deps.db, 'archive_read', {
      accountId: by.accountId,
      actorId: by.actorId,
      personId,
      purpose: 'retention_archive',
      operation: 'read_archive',
      classes: [...new Set(rows.map((r) => r.fieldClass))],
      details: { rows: rows.length },
    });
    const out = [];
    for (const row of rows) {
      const sealed: SealedFile = {
        id: personId,
        status: 'active',
        createdAt: row.archivedAt,
        updatedAt: row.updatedAt,
        classes: [row.fieldClass],
        sealed: new Map([[row.fieldClass, row]]),
      };
      const opened = await this.#deps.persons.open(sealed, [row.fieldClass]);
      out.push({
        fieldClass: row.fieldClass,
        value: opened.fields[row.fieldClass],
        archivedAt: row.archivedAt,
        updatedAt: row.updatedAt,
        rule: row.ruleId,
      });
    }
    return out;
  }

  /**
   * The bootstrap administrator's read of a whole file. It has no agreement yet (its role's
   * budget and the ceiling below are its only bounds: see the note on issue 18), but it goes the
   * same way as everyone's: the guard admits, the event names the classes the file holds, and
   * only then are they decrypted.
   */
  async readWhole(
    actor: GuardedActor,
    network: string,
    personId: string,
  ): Promise<{ outcome: 'read'; record: PersonRecord } | GuardRefused> {
    const file = await this.#deps.persons.fetchSealed(personId);
    const admission = await this.#deps.guard.admitRead(
      {
        actor,
        network,
        purpose: BOOTSTRAP_PURPOSE,
        dailyCeiling: BOOTSTRAP_DAILY_CEILING,
        followUpExpected: false,
        personIds: [personId],
      },
      [
        {
          kind: 'access_granted',
          input: {
            actorId: actor.id,
            personId,
            operation: 'read',
            classes: file.classes,
            details: { via: 'bootstrap' },
          },
        },
      ],
    );
    if (!admission.allowed) return { outcome: 'guard', admission };
    return { outcome: 'read', record: await this.#deps.persons.open(file, file.classes) };
  }

  /**
   * A counsellor comparing a held registration with a file it matched (issue 25 §1): the file's
   * identity and registration only — what deciding « même personne » or « personnes différentes »
   * needs — admitted by the guard (the actor's budgets and the review's daily ceiling), recorded
   * in the person's journal under `registration_review`, then decrypted. The caller has checked
   * the ability and that the file is one the review matched.
   */
  async readForRegistrationReview(
    actor: GuardedActor,
    network: string,
    personId: string,
    reviewId: string,
  ): Promise<{ outcome: 'read'; record: PersonRecord } | GuardRefused> {
    const file = await this.#deps.persons.fetchSealed(personId, ['identity', 'registration']);
    const admission = await this.#deps.guard.admitRead(
      {
        actor,
        network,
        purpose: REGISTRATION_REVIEW_PURPOSE,
        dailyCeiling: REGISTRATION_REVIEW_DAILY_CEILING,
        followUpExpected: false,
        personIds: [personId],
      },
      [
        {
          kind: 'access_granted',
          input: {
            actorId: actor.id,
            organisationId: actor.organisationId,
            accountId: actor.accountId ?? null,
            personId,
            purpose: REGISTRATION_REVIEW_PURPOSE,
            operation: 'read',
            classes: file.classes,
            details: { review: reviewId },
          },
        },
      ],
    );
    if (!admission.allowed) return { outcome: 'guard', admission };
    return { outcome: 'read', record: await this.#deps.persons.open(file, file.classes) };
  }

  /**
   * The bootstrap administrator's change to a file, answered with the whole file: the guard
   * admits before anything is written, the change and its event commit together, then the file
   * is read back as `readWhole` reads it.
   */
  async writeWhole(
    actor: GuardedActor,
    network: string,
    personId: string,
    patch: PersonPatch,
  ): Promise<{ outcome: 'read'; record: PersonRecord } | GuardRefused> {
    const admission = await this.#deps.guard.admit({
      actor,
      network,
      purpose: BOOTSTRAP_PURPOSE,
      dailyCeiling: BOOTSTRAP_DAILY_CEILING,
      followUpExpected: false,
      personIds: [personId],
    });
    if (!admission.allowed) return { outcome: 'guard', admission };
    await inTransaction(this.#deps.db, async (trx) => {
      await appendEvent(trx, 'access_granted', {
        actorId: actor.id,
        personId,
        operation: 'update',
        classes: FIELD_CLASSES.filter((c) => patch[c] !== undefined),
        details: { via: 'bootstrap' },
      });
      await this.#deps.persons.update(personId, patch, trx, authorOf(actor));
    });
    return this.readWhole(actor, network, personId);
  }

  /**
   * An employer's end-of-contract certificate (issue 25 §3), received from its payroll system (a
   * machine client) under its agreement's purpose. In the order of every access: the caller's
   * own reasons are decided before anything is looked up (a client without the purpose learns
   * nothing); the person is identified by NIR and birth date together — the NIR's blind index,
   * then the birth date compared in memory — and the lookup is a search for the guard (a hacked
   * system trying NIRs misses, and is contained as a sweep is); the certificate is decided as a
   * write of `benefits` over the `employment` tie this identification establishes; the guard
   * admits it like a read (the person counted against the machine's hourly and the agreement's
   * daily ceilings: a mass import is contained like a mass read); then, in the guard's
   * transaction, one access event naming the person and the class (never a value), the sealed
   * certificate, and for a correction the disputed certificate superseded. A certificate that
   * names nobody — unknown NIR, another birth date — gets one answer, whatever the cause.
   */
  async certify(
    caller: Caller,
    employer: { clientId: string },
    submission: CertificateSubmission,
  ): Promise<CertifyOutcome> {
    const now = new Date();
    const allowedCaller = this.#seen(
      await authorizeWithoutPerson(this.#deps.db, {
        ...this.#context(caller),
        operation: 'write',
        classes: ['benefits'],
        now,
      }),
    );
    if (!allowedCaller.allowed) return { outcome: 'denied', decision: allowedCaller };
    const matches = await this.#deps.persons.lookup('nir', submission.person.nir);
    const identified: string[] = [];
    for (const personId of matches)
      if ((await this.#birthDate(personId)) === submission.person.birthDate) identified.push(personId);
    const personId = identified.length === 1 ? identified[0]! : undefined;
    if (!personId) {
      // A miss is a search for the guard (a system trying NIRs it does not hold misses, and is
      // contained as a sweep is; a decoy's NIR contains it at once). A hit is counted below, by
      // the read budgets: an employer re-sending or correcting one person's certificate is no sweep.
      const swept = await this.#deps.guard.noteSearch(
        caller.guarded,
        { kind: 'nir', value: submission.person.nir },
        matches,
        0,
      );
      if (!swept.allowed) return { outcome: 'guard', admission: swept };
    }
    // The lookup is recorded without the identifier, as a search is.
    await appendEvent(this.#deps.db, 'person_search', {
      actorId: caller.guarded.id,
      purpose: caller.purpose,
      caseReference: caller.caseReference,
      operation: 'search',
      details: { kind: 'nir_birth_date', results: personId ? 1 : 0, via: 'employer_certificate' },
    });
    if (!personId) return { outcome: 'not_identified' };

    const decision = this.#seen(
      await authorize(this.#deps.db, {
        ...this.#context(caller),
        personId,
        operation: 'write',
        classes: ['benefits'],
        now,
        employment: async (id) => id === personId,
      }),
    );
    if (!decision.allowed) return { outcome: 'denied', decision };
    const organisationId = caller.guarded.organisationId;
    if (submission.supersedes !== undefined) {
      const corrected = await this.#deps.certificates.one(submission.supersedes);
      // Another employer's certificate, or another person's, is answered as one that does not exist.
      if (!corrected || corrected.organisationId !== organisationId || corrected.personId !== personId)
        throw new NotFoundError('attestation contestée');
      if (corrected.status !== 'disputed')
        throw new ConflictError(
          'seule une attestation contestée peut être corrigée par une nouvelle attestation',
          'certificate_not_disputed',
        );
    }
    const id = randomUUID();
    const receivedAt = this.#deps.clock.now().toISOString();
    const { person: _person, employerReference, supersedes, ...content } = submission;
    const admission = await this.#deps.guard
      .admit(
        {
          actor: caller.guarded,
          network: caller.network,
          purpose: decision.purpose,
          dailyCeiling: decision.obligations.dailyCeiling,
          followUpExpected: decision.obligations.followUpExpected,
          personIds: [personId],
        },
        async (trx) => {
          await appendEvent(
            trx,
            'access_granted',
            grantEvent(caller, decision, personId, 'employer_certificate', ['benefits'], {
              certificate: id,
              supersedes: supersedes ?? null,
            }),
          );
          await this.#deps.certificates.insert(
            trx,
            {
              id,
              personId,
              organisationId,
              clientId: employer.clientId,
              actorId: caller.guarded.id,
              employerReference,
              supersedes: supersedes ?? null,
              receivedAt,
            },
            content,
          );
          if (supersedes !== undefined && !(await this.#deps.certificates.supersede(trx, supersedes, id, receivedAt)))
            throw new ConflictError('l’attestation contestée vient d’être corrigée', 'certificate_not_disputed');
          // The person sees every certificate filed in their name, and can dispute it: a stolen NIR
          // and an employer's credentials would file certificates, the person is who notices.
          const period = `du ${frenchDay(content.employment.from)} au ${frenchDay(content.employment.to)}`;
          await this.#deps.notifyPerson?.(
            trx,
            personId,
            supersedes !== undefined ? 'employer_certificate_corrected' : 'employer_certificate_received',
            supersedes !== undefined
              ? 'Votre employeur a corrigé l’attestation que vous aviez contestée'
              : 'Une attestation employeur vous concernant a été reçue',
            [
              'Bonjour,',
              '',
              supersedes !== undefined
                ? `Suite à la contestation, votre employeur a transmis une attestation corrigée pour votre emploi ${period}. Elle remplace l’attestation contestée.`
                : `Un employeur a transmis une attestation de fin de contrat à votre nom, pour un emploi ${period}. Elle sert au calcul de vos droits.`,
              'Vous la trouvez dans votre espace personnel, rubrique « Mes attestations employeur ». Si elle est inexacte — ou si vous n’avez pas travaillé pour cet employeur —, contestez-la : la contestation est transmise à l’employeur. Vous pouvez aussi le faire à votre agence.',
            ].join('\n'),
          );
        },
      )
      .catch((error: unknown) => {
        // Two corrections of one dispute at once: the loser's transaction rolled back, nothing written; a conflict, not the guard's failure.
        throw (error as { cause?: unknown }).cause instanceof ConflictError
          ? (error as { cause: unknown }).cause
          : error;
      });
    if (!admission.allowed) return { outcome: 'guard', decision, admission };
    return { outcome: 'written', decision, id, personId };
  }

  /**
   * The disputes routed back to an employer: its own certificates that a person or an agent
   * disputed, oldest first. A dispute says something of the person (what they contest, in their
   * words), so it leaves as a read does: each certificate's person decided under the employer's
   * purpose (the answer to its own write of `benefits`, over the `employment` tie its earlier
   * certificate established), admitted by the guard, one access event per person, then the
   * comments opened. Only the employer's own reference, the dates, the reason and the comment
   * leave: never the person's identity or file.
   */
  async employerDisputes(
    caller: Caller,
    limit: number,
  ): Promise<{ outcome: 'listed'; items: DisputedCertificate[] } | Denied | GuardRefused> {
    const allowedCaller = this.#seen(
      await authorizeWithoutPerson(this.#deps.db, {
        ...this.#context(caller),
        operation: 'write',
        classes: ['benefits'],
        now: new Date(),
      }),
    );
    if (!allowedCaller.allowed) return { outcome: 'denied', decision: allowedCaller };
    const organisationId = caller.guarded.organisationId;
    const disputed = await this.#deps.certificates.ofEmployer(organisationId, 'disputed', limit);
    if (disputed.length === 0) return { outcome: 'listed', items: [] };
    const personIds = [...new Set(disputed.map((c) => c.personId))];
    const decisions = (
      await authorizeEach(
        this.#deps.db,
        {
          ...this.#context(caller),
          operation: 'write',
          classes: ['benefits'],
          now: new Date(),
          employment: (id) => this.#deps.certificates.issuedFor(organisationId, id),
        },
        personIds,
      )
    ).map((d) => this.#seen(d));
    const allowed = new Map<string, Granted>();
    decisions.forEach((d, i) => {
      if (d.allowed) allowed.set(personIds[i]!, d);
    });
    const shown = disputed.filter((c) => allowed.has(c.personId));
    if (shown.length === 0) return { outcome: 'listed', items: [] };
    const first = allowed.values().next().value!;
    const admission = await this.#deps.guard.admitRead(
      {
        actor: caller.guarded,
        network: caller.network,
        purpose: first.purpose,
        dailyCeiling: first.obligations.dailyCeiling,
        followUpExpected: false,
        personIds: [...allowed.keys()],
      },
      [...allowed].map(([personId, decision]) => ({
        kind: 'access_granted' as const,
        input: grantEvent(caller, decision, personId, 'employer_dispute_read', ['benefits'], {
          certificates: shown
            .filter((c) => c.personId === personId)
            .map((c) => c.id)
            .join(','),
        }),
      })),
    );
    if (!admission.allowed) return { outcome: 'guard', decision: first, admission };
    return {
      outcome: 'listed',
      items: shown.map((c) => {
        const opened = this.#deps.certificates.open(c);
        return {
          id: c.id,
          employerReference: c.employerReference,
          receivedAt: c.receivedAt,
          disputedAt: c.disputedAt!,
          reason: c.disputeReason!,
          ...(opened.disputeComment !== undefined ? { comment: opened.disputeComment } : {}),
        };
      }),
    };
  }

  /**
   * A person's certificates for an agent (the agency's indemnisation): decided as a read of
   * `benefits`, admitted by the guard and recorded (operation `read_certificates`) before any is
   * opened, as a file's read is.
   */
  async readCertificates(
    caller: Caller,
    personId: string,
  ): Promise<{ outcome: 'read'; decision: Granted; records: CertificateRecord[] } | Denied | GuardRefused> {
    const decision = await this.decide(caller, personId, 'read', ['benefits']);
    if (!decision.allowed) return { outcome: 'denied', decision };
    const sealed = await this.#deps.certificates.ofPerson(personId);
    const admission = await this.#deps.guard.admitRead(
      {
        actor: caller.guarded,
        network: caller.network,
        purpose: decision.purpose,
        dailyCeiling: decision.obligations.dailyCeiling,
        followUpExpected: decision.obligations.followUpExpected,
        personIds: [personId],
      },
      [
        {
          kind: 'access_granted',
          input: grantEvent(caller, decision, personId, 'read_certificates', sealed.length ? ['benefits'] : [], {
            certificates: sealed.length,
          }),
        },
      ],
    );
    if (!admission.allowed) return { outcome: 'guard', decision, admission };
    return { outcome: 'read', decision, records: sealed.map((c) => this.#deps.certificates.open(c)) };
  }

  /**
   * The job seeker's own certificates (their espace): recorded first as a `subject_access` naming
   * `benefits` (as reading their own file is), then opened. None: nothing recorded.
   */
  async ownCertificates(accountId: string, personId: string): Promise<CertificateRecord[]> {
    const sealed = await this.#deps.certificates.ofPerson(personId);
    if (sealed.length === 0) return [];
    await appendEvent(this.#deps.db, 'subject_access', {
      accountId,
      personId,
      operation: 'read_certificates',
      classes: ['benefits'],
      details: { operation: 'read_certificates', certificates: sealed.length },
    });
    return sealed.map((c) => this.#deps.certificates.open(c));
  }

  /**
   * A dispute of a certificate, by the person in their espace or by an agent for them: the
   * certificate becomes `disputed`, routed back to its employer (`employerDisputes`), with one
   * `employer_certificate_disputed` event of the person's journal in the same transaction (the
   * reason code, never the comment). An agent's dispute is decided first as a write of
   * `benefits` of the person (the agency's indemnisation). Another person's certificate is one
   * that does not exist (404); one no longer `received` is a conflict (409).
   */
  async disputeCertificate(
    by: { accountId: string; personId: string } | { caller: Caller },
    personId: string,
    certificateId: string,
    dispute: Dispute,
  ): Promise<{ outcome: 'disputed'; decision?: Granted } | Denied> {
    let decision: Granted | undefined;
    if ('caller' in by) {
      const decided = await this.decide(by.caller, personId, 'write', ['benefits']);
      if (!decided.allowed) return { outcome: 'denied', decision: decided };
      // Under a mandate only the monthly update writes `benefits` (as in #written): no dispute.
      if (decided.relationship === 'mandate')
        return { outcome: 'denied', decision: { allowed: false, reason: 'operation_not_granted' } };
      decision = decided;
    } else if (by.personId !== personId) throw new NotFoundError('attestation');
    const certificate = await this.#deps.certificates.one(certificateId);
    if (!certificate || certificate.personId !== personId) throw new NotFoundError('attestation');
    if (certificate.status !== 'received')
      throw new ConflictError(
        certificate.status === 'disputed'
          ? 'cette attestation est déjà contestée : son employeur doit la corriger'
          : 'cette attestation a été remplacée par une attestation corrigée',
        `certificate_${certificate.status}`,
      );
    const at = this.#deps.clock.now().toISOString();
    await inTransaction(this.#deps.db, async (trx) => {
      await appendEvent(trx, 'employer_certificate_disputed', {
        ...('caller' in by
          ? { actorId: by.caller.guarded.id, purpose: decision!.purpose, caseReference: decision!.caseReference }
          : { accountId: by.accountId }),
        personId,
        operation: 'dispute_certificate',
        classes: ['benefits'],
        details: {
          certificate: certificateId,
          employer: certificate.organisationId,
          reason: dispute.reason,
          by: 'caller' in by ? 'agent' : 'person',
        },
      });
      // An agent's dispute, made for the person, is told to them (their own in the espace needs no notice).
      if ('caller' in by)
        await this.#deps.notifyPerson?.(
          trx,
          personId,
          'employer_certificate_disputed',
          'Une attestation employeur a été contestée pour vous',
          [
            'Bonjour,',
            '',
            'Un agent de France Travail a contesté pour vous une attestation de fin de contrat de votre employeur. La contestation est transmise à l’employeur, qui doit la corriger ; vous serez prévenu(e) de la correction.',
            'Vous suivez l’attestation dans votre espace personnel, rubrique « Mes attestations employeur », ou à votre agence.',
          ].join('\n'),
        );
      const done = await this.#deps.certificates.dispute(trx, certificate, {
        reason: dispute.reason,
        ...(dispute.comment !== undefined ? { comment: dispute.comment } : {}),
        accountId: 'caller' in by ? (by.caller.guarded.accountId ?? null) : by.accountId,
        actorId: 'caller' in by ? by.caller.guarded.id : null,
        at,
      });
      if (!done) throw new ConflictError('cette attestation vient d’être contestée', 'certificate_disputed');
    });
    return { outcome: 'disputed', ...(decision ? { decision } : {}) };
  }

  /** A decision, told to the observer on its way out. */
  #seen<D extends AccessDecision>(decision: D): D {
    const observe = this.#deps.observe;
    if (observe) {
      if (decision.allowed) observe.decision('permit', decision.breakGlassId ? 'break_glass' : decision.relationship);
      else observe.decision('deny', decision.reason);
    }
    return decision;
  }

  /** What every decision of this caller shares. */
  #context(caller: Caller): Omit<AccessRequest, 'personId' | 'operation' | 'now'> {
    const tie = this.#deps.mandateTie;
    const actor = { id: caller.guarded.id, organisationId: caller.guarded.organisationId };
    return {
      ...(tie ? { mandate: (personId: string, scope: MandateScope) => tie(actor, personId, scope, new Date()) } : {}),
      actorId: caller.guarded.id,
      ...(caller.actor ? { actor: caller.actor } : {}),
      ...(caller.policyVersion !== undefined ? { policyVersion: caller.policyVersion } : {}),
      purpose: caller.purpose,
      caseReference: caller.caseReference,
      clientAddress: caller.clientAddress,
    };
  }

  /** For an age condition: `identity` opened in memory, only the birth date kept. */
  async #birthDate(personId: string): Promise<string | undefined> {
    try {
      return (await this.#deps.persons.open(await this.#deps.persons.fetchSealed(personId, ['identity']), ['identity']))
        .fields.identity?.birthDate;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }
}

/** Who wrote a change, kept with a previous contact: the bank-details procedure's "other team" rule needs it. */
function authorOf(actor: GuardedActor): ChangeAuthor {
  return { actorId: actor.id, organisationId: actor.organisationId };
}

/** The access event of a grant: who, which purpose and case, which person, which classes; never a value. */
export function grantEvent(
  caller: Pick<Caller, 'guarded'>,
  decision: Granted,
  personId: string,
  operation: string,
  classes: readonly FieldClass[],
  extra: Record<string, unknown> = {},
) {
  return {
    actorId: caller.guarded.id,
    personId,
    purpose: decision.purpose,
    caseReference: decision.caseReference,
    operation,
    classes,
    details: {
      agreement: `${decision.agreement.reference}@${decision.agreement.version}`,
      breakGlass: decision.breakGlassId ?? null,
      // An act under a mandate names it: the person's journal words it « X (…), avec votre mandat du … ».
      ...(decision.mandateId ? { mandate: decision.mandateId } : {}),
      ...extra,
    },
  };
}

/** A name as a list shows it: usage name first when there is one, then the birth name and the first name. */
export function displayedName(identity: ListedIdentity): string {
  const last = identity.usageName ? `${identity.usageName} (${identity.lastName})` : identity.lastName;
  return `${last} ${identity.firstName}`;
}

/** Lower case without accents, for a filter a counsellor types quickly. */
function foldForSearch(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

const byText = (a: string, b: string) => a.localeCompare(b, 'fr', { sensitivity: 'base' });
const byIso = (a: string | undefined, b: string | undefined) =>
  a === b ? 0 : a === undefined ? 1 : b === undefined ? -1 : a < b ? -1 : 1;

const latestFirst = (a: string | undefined, b: string | undefined) =>
  a === b ? 0 : a === undefined ? 1 : b === undefined ? -1 : a > b ? -1 : 1;

/** The orders of a list; ties by person id, so that pages never overlap. */
const LIST_ORDERS: Record<
  ListSort,
  (names: Map<string, ListedIdentity>) => (a: ListedPerson, b: ListedPerson) => number
> = {
  // The next appointment first (soonest first), then those without one by their latest contact (most recent first).
  appointment: () => (a, b) =>
    byIso(a.nextAppointment?.at, b.nextAppointment?.at) ||
    latestFirst(a.lastAppointment?.at, b.lastAppointment?.at) ||
    byIso(a.since, b.since) ||
    byIso(a.personId, b.personId),
  since: () => (a, b) => latestFirst(a.since, b.since) || byIso(a.personId, b.personId),
  name: (names) => (a, b) => {
    const x = names.get(a.personId);
    const y = names.get(b.personId);
    return (
      byText(x ? displayedName(x) : '', y ? displayedName(y) : '') ||
      byIso(x?.birthDate, y?.birthDate) ||
      byIso(a.personId, b.personId)
    );
  },
};
