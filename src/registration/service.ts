import { randomInt, randomUUID } from 'node:crypto';
import { openSecret, sealSecret, type Keyring } from '../crypto/index.ts';
import {
  ConflictError,
  NotFoundError,
  parisDate,
  ValidationError,
  type Clock,
  type FieldValues,
  type PersonFile,
} from '../domain/index.ts';
import { appendEvent } from '../ledger/index.ts';
import { inTransaction, locksRows, nameBirthKey, type Executor, type PersonStore } from '../store/index.ts';
import { categoriesOf } from './category.ts';
import {
  type Attachment,
  type CandidateView,
  type Decider,
  type DuplicateConfirmedEvent,
  type MatchKind,
  type Registered,
  type RegisteredEvent,
  type RegistrationChannel,
  type RegistrationChannelKind,
  type RegistrationInput,
  type RegistrationOutcome,
  type ReviewDecision,
  type ReviewSummary,
  REGISTRATION_CHANNELS,
  REVIEW_DECISIONS,
} from './model.ts';
import { validateRegistration } from './validation.ts';

const SEAL_PURPOSE = 'registration_candidate';
const ID_ATTEMPTS = 8;
const ID_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';

export interface RegistrationDeps {
  db: Executor;
  keyring: () => Keyring;
  persons: PersonStore;
  clock: Clock;
}

export interface RegisterOptions {
  /** The caller's transaction: the file (or the held candidate) is written in it, with its event. */
  executor?: Executor;
  /** Where the input came from in the request, for the fields errors name (`body` unless said). */
  prefix?: string;
  /** Kept sealed with a held candidate and handed back to the channel's hook on creation. */
  attachment?: Attachment;
}

type Hook<E> = (event: E, trx: Executor) => Promise<void>;

interface Sealed {
  input: RegistrationInput;
  attachment: Attachment | null;
}

/**
 * Registration (inscription, issue 25 §1): one core for every channel — the person online, an
 * agent at the desk, a paper form keyed in, a partner's import. It validates the whole input,
 * looks for the person among the files by blind index (NIR; birth name, first given name and
 * birth date) without decrypting anything, and either creates the file — a new France Travail id,
 * today's date, status `registered`, the categories from the declared situation — with its event
 * in one transaction, or, on a match, keeps the candidate sealed for an agent: never merged,
 * never created silently. The agent decides « même personne » (no new file; the existing file is
 * kept as it is, its registration re-opened if it had ended) or « personnes différentes » (the
 * file is created). Each step is an event; no event carries a value.
 */
export class Registrations {
  readonly #deps: RegistrationDeps;
  readonly #onRegistered = new Map<RegistrationChannelKind, Hook<RegisteredEvent>[]>();
  readonly #onConfirmed = new Map<RegistrationChannelKind, Hook<DuplicateConfirmedEvent>[]>();

  constructor(deps: RegistrationDeps) {
    this.#deps = deps;
  }

  /**
   * What a channel does once its candidate's file exists (create an account, post a receipt), in
   * the creating transaction: at once when there was no match, after the agent's decision otherwise.
   */
  onRegistered(channel: RegistrationChannelKind, hook: Hook<RegisteredEvent>): void {
    this.#onRegistered.set(channel, [...(this.#onRegistered.get(channel) ?? []), hook]);
  }

  /** What a channel does when an agent finds its candidate is an existing person (tell them how to sign in). */
  onDuplicateConfirmed(channel: RegistrationChannelKind, hook: Hook<DuplicateConfirmedEvent>): void {
    this.#onConfirmed.set(channel, [...(this.#onConfirmed.get(channel) ?? []), hook]);
  }

  /** Validate only (a 400 naming the field, as `register` would): for a form's step or a file's line. */
  validate(raw: unknown, channel: RegistrationChannelKind, prefix = 'body'): RegistrationInput {
    return validateRegistration(raw, channel, this.#today(), prefix);
  }

  /**
   * Register a person. Bad input: a ValidationError naming each field, nothing written. A match
   * by NIR or by name and birth date: the candidate held for an agent (`held_as_duplicate`).
   * Otherwise the file, with its `person_registered` event and the channel's hooks, in one
   * transaction (the caller's when `options.executor` is one).
   */
  async register(
    raw: unknown,
    channel: RegistrationChannel,
    options: RegisterOptions = {},
  ): Promise<RegistrationOutcome> {
    assertChannel(channel);
    const input = validateRegistration(raw, channel.kind, this.#today(), options.prefix ?? 'body');
    return inTransaction(options.executor ?? this.#deps.db, async (trx) => {
      const matches = await this.#matches(input, trx);
      if (matches.personIds.length === 0)
        return this.#create(input, channel, options.attachment ?? null, 'direct', false, trx);
      const reviewId = randomUUID();
      const secret = sealSecret(
        this.#deps.keyring(),
        reviewId,
        SEAL_PURPOSE,
        Buffer.from(JSON.stringify({ input, attachment: options.attachment ?? null } satisfies Sealed), 'utf8'),
      );
      await trx
        .insertInto('registration_reviews')
        .values({
          id: reviewId,
          created_at: this.#deps.clock.now().toISOString(),
          channel: channel.kind,
          account_id: channel.accountId ?? null,
          actor_id: channel.actorId ?? null,
          organisation_id: channel.organisationId ?? null,
          source_organisation_id: channel.sourceOrganisationId ?? null,
          matched_on: matches.kinds.join(','),
          matched_person_ids: JSON.stringify(matches.personIds),
          secret_version: secret.version,
          sealed: secret.sealed,
          status: 'pending',
          decided_at: null,
          decided_by_account: null,
          decided_by_actor: null,
          person_id: null,
        })
        .execute();
      await appendEvent(trx, 'registration_held', {
        ...authorOf(channel),
        operation: 'hold_duplicate',
        details: {
          review: reviewId,
          channel: channel.kind,
          source: channel.sourceOrganisationId ?? null,
          matchedOn: matches.kinds.join(','),
          matches: matches.personIds.length,
        },
      });
      return { outcome: 'held_as_duplicate', reviewId };
    });
  }

  /** The agents' queue, oldest first: what was matched and how, no value of the candidate. */
  async reviews(
    options: { status?: ReviewSummary['status']; limit?: number; offset?: number } = {},
  ): Promise<{ total: number; reviews: ReviewSummary[] }> {
    const status = options.status ?? 'pending';
    const db = this.#deps.db;
    const total = await db
      .selectFrom('registration_reviews')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('status', '=', status)
      .executeTakeFirstOrThrow();
    const rows = await db
      .selectFrom('registration_reviews')
      .selectAll()
      .where('status', '=', status)
      .orderBy('created_at', status === 'pending' ? 'asc' : 'desc')
      .orderBy('id')
      .limit(Math.min(Math.max(options.limit ?? 50, 1), 200))
      .offset(Math.max(options.offset ?? 0, 0))
      .execute();
    return { total: Number(total.n), reviews: rows.map(summaryOf) };
  }

  async review(reviewId: string): Promise<ReviewSummary> {
    return summaryOf(await this.#row(reviewId, this.#deps.db));
  }

  /**
   * The candidate's identity, for the agent to compare with the matched files (the NIR's end
   * only): opened for a pending review, each opening an event naming the agent.
   */
  async candidate(reviewId: string, by: Decider): Promise<CandidateView> {
    const row = await this.#row(reviewId, this.#deps.db);
    if (row.status !== 'pending' || !row.sealed)
      throw new ConflictError('Cette demande d’inscription a déjà été examinée.', 'review_decided');
    await appendEvent(this.#deps.db, 'registration_candidate_read', {
      accountId: by.accountId,
      actorId: by.actorId,
      organisationId: by.organisationId,
      operation: 'read_candidate',
      classes: ['identity', 'nir'],
      details: { review: reviewId },
    });
    const { input } = this.#open(row);
    const matched = JSON.parse(row.matched_person_ids) as string[];
    const email = input.contact.email;
    const emailOnFile = email
      ? (await this.#deps.persons.lookup('email', email)).filter((id) => matched.includes(id))
      : null;
    return { identity: input.identity, nirEnd: input.nir ? input.nir.slice(-3) : null, emailOnFile };
  }

  /**
   * An agent's decision on a held candidate. « même personne » (`personId`: which matched file,
   * needed when several matched): no new file, the existing one kept as it is — its registration
   * re-opened if it had ended — and the channel told (the person is invited to sign in or to
   * recover their account). « personnes différentes »: the file is created (without the NIR when
   * the NIR itself matched: one NIR, one file — it is checked with the person at the agency).
   * Either way the sealed candidate is destroyed and the decision is an event of the file's journal.
   */
  async decide(
    reviewId: string,
    decision: ReviewDecision,
    by: Decider,
    options: { personId?: string; executor?: Executor } = {},
  ): Promise<{ decision: ReviewDecision; personId: string; reopened: boolean; registered?: Registered }> {
    if (!(REVIEW_DECISIONS as readonly string[]).includes(decision))
      throw new ValidationError([
        { field: 'body.decision', rule: 'enum', message: 'La décision est « same_person » ou « different_persons ».' },
      ]);
    return inTransaction(options.executor ?? this.#deps.db, async (trx) => {
      // Locked until the decision commits: two decisions at once (a double click, two agents) make one.
      const row = await this.#row(reviewId, trx, true);
      if (row.status !== 'pending' || !row.sealed)
        throw new ConflictError('Cette demande d’inscription a déjà été examinée.', 'review_decided');
      const matched = JSON.parse(row.matched_person_ids) as string[];
      const { input, attachment } = this.#open(row);
      const channel: RegistrationChannel = {
        kind: row.channel,
        accountId: row.account_id,
        actorId: row.actor_id,
        organisationId: row.organisation_id,
        sourceOrganisationId: row.source_organisation_id,
      };
      const author = { accountId: by.accountId, actorId: by.actorId, organisationId: by.organisationId };
      let personId: string;
      let reopened = false;
      let registered: Registered | undefined;
      if (decision === 'same_person') {
        if (options.personId === undefined && matched.length > 1)
          throw new ValidationError([
            {
              field: 'body.personId',
              rule: 'required',
              message: 'Plusieurs dossiers correspondent : choisissez celui de la personne.',
            },
          ]);
        personId = options.personId ?? matched[0]!;
        if (!matched.includes(personId))
          throw new ValidationError([
            {
              field: 'body.personId',
              rule: 'review.match',
              message: 'Ce dossier n’est pas l’un de ceux qui correspondent à la demande.',
            },
          ]);
        reopened = await this.#reopen(personId, input, trx);
      } else {
        const nirWithheld = row.matched_on.split(',').includes('nir');
        registered = await this.#create(
          nirWithheld ? withoutNir(input) : input,
          channel,
          attachment,
          'review',
          nirWithheld,
          trx,
        );
        personId = registered.personId;
      }
      // The candidate's values are no longer needed: only the decision is kept.
      await trx
        .updateTable('registration_reviews')
        .set({
          status: decision,
          decided_at: this.#deps.clock.now().toISOString(),
          decided_by_account: by.accountId,
          decided_by_actor: by.actorId,
          person_id: personId,
          sealed: null,
          secret_version: null,
        })
        .where('id', '=', reviewId)
        .execute();
      await appendEvent(trx, 'registration_review_decided', {
        ...author,
        personId,
        operation: decision,
        classes: decision === 'same_person' && reopened ? ['registration'] : [],
        details: { review: reviewId, decision, channel: channel.kind, reopened },
      });
      if (decision === 'same_person')
        for (const hook of this.#onConfirmed.get(channel.kind) ?? [])
          await hook({ personId, channel, input, attachment, reopened }, trx);
      return { decision, personId, reopened, ...(registered ? { registered } : {}) };
    });
  }

  async #matches(input: RegistrationInput, trx: Executor): Promise<{ kinds: MatchKind[]; personIds: string[] }> {
    const kinds: MatchKind[] = [];
    const ids = new Set<string>();
    const byNir = input.nir ? await this.#deps.persons.lookup('nir', input.nir, trx) : [];
    const identity = input.identity;
    const byName = await this.#deps.persons.lookup(
      'name_birth',
      nameBirthKey(identity.lastName, identity.firstNames[0] ?? '', identity.birthDate),
      trx,
    );
    if (byNir.length) kinds.push('nir');
    if (byName.length) kinds.push('name_birth');
    for (const id of [...byNir, ...byName]) ids.add(id);
    return { kinds, personIds: [...ids].sort() };
  }

  async #create(
    input: RegistrationInput,
    channel: RegistrationChannel,
    attachment: Attachment | null,
    via: 'direct' | 'review',
    nirWithheld: boolean,
    trx: Executor,
  ): Promise<Registered> {
    const registeredOn = this.#today();
    const { category, administrativeCategory } = categoriesOf(input);
    const franceTravailId = await this.#newFranceTravailId(trx);
    const file: PersonFile = {
      identity: input.identity,
      ...(input.nir ? { nir: { nir: input.nir } } : {}),
      contact: input.contact,
      career: {
        experiences: input.experience,
        diplomas: input.education,
        soughtJobs: input.soughtJobs,
        availability: input.availability,
        mobility: input.mobility,
      },
      registration: {
        franceTravailId,
        category,
        administrativeCategory,
        registeredOn,
        status: 'registered',
        situation: input.situation,
        channel: channel.kind,
      },
    };
    const personId = await this.#deps.persons.create(file, { executor: trx });
    await appendEvent(trx, 'person_registered', {
      ...authorOf(channel),
      personId,
      operation: 'register',
      classes: Object.keys(file),
      details: { channel: channel.kind, source: channel.sourceOrganisationId ?? null, via, nirWithheld },
    });
    const registered: Registered = {
      outcome: 'registered',
      personId,
      franceTravailId,
      category,
      administrativeCategory,
      registeredOn,
    };
    for (const hook of this.#onRegistered.get(channel.kind) ?? [])
      await hook({ ...registered, channel, input, attachment, via, nirWithheld }, trx);
    return registered;
  }

  /**
   * A registration that had ended starts again today, in the categories of the new declaration;
   * nothing else changes (a running one is written back as it was). Read and written under the
   * store's row lock, so a concurrent change is not lost.
   */
  async #reopen(personId: string, input: RegistrationInput, trx: Executor): Promise<boolean> {
    const { category, administrativeCategory } = categoriesOf(input);
    const today = this.#today();
    // A file that never had a registration (loaded by the bootstrap administrator) gets an id now.
    const freshId = await this.#newFranceTravailId(trx);
    let reopened = false;
    await this.#deps.persons.modify(
      personId,
      'registration',
      (current) => {
        if (current && current.status !== 'deregistered') return current;
        reopened = true;
        const { deregisteredOn: _ended, ...kept } = current ?? ({} as Partial<FieldValues['registration']>);
        void _ended;
        return {
          ...kept,
          franceTravailId: kept.franceTravailId ?? freshId,
          category,
          administrativeCategory,
          registeredOn: today,
          status: 'registered',
          situation: input.situation,
        } as FieldValues['registration'];
      },
      trx,
    );
    return reopened;
  }

  async #newFranceTravailId(trx: Executor): Promise<string> {
    for (let i = 0; i < ID_ATTEMPTS; i++) {
      const id = `${String(randomInt(0, 10_000_000)).padStart(7, '0')}${ID_LETTERS[randomInt(ID_LETTERS.length)]}`;
      if ((await this.#deps.persons.lookup('france_travail_id', id, trx)).length === 0) return id;
    }
    throw new Error('no free France Travail id after several draws');
  }

  async #row(reviewId: string, db: Executor, lock = false) {
    const row = await db
      .selectFrom('registration_reviews')
      .selectAll()
      .where('id', '=', reviewId)
      .$if(lock && locksRows(db), (q) => q.forUpdate())
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Demande d’inscription');
    return row;
  }

  #open(row: { id: string; secret_version: number | null; sealed: Buffer | null }): Sealed {
    return JSON.parse(
      openSecret(this.#deps.keyring(), row.id, SEAL_PURPOSE, {
        version: row.secret_version!,
        sealed: row.sealed!,
      }).toString('utf8'),
    ) as Sealed;
  }

  #today(): string {
    const { y, m, d } = parisDate(this.#deps.clock.now());
    return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  }
}

function withoutNir(input: RegistrationInput): RegistrationInput {
  const { nir: _nir, ...rest } = input;
  void _nir;
  return rest;
}

function authorOf(channel: RegistrationChannel) {
  return {
    accountId: channel.accountId ?? null,
    actorId: channel.actorId ?? null,
    organisationId: channel.organisationId ?? null,
  };
}

/** The channel says who answers for the registration: an agent's or an import's actor, an import's source. */
function assertChannel(channel: RegistrationChannel): void {
  if (!(REGISTRATION_CHANNELS as readonly string[]).includes(channel.kind))
    throw new Error(`unknown registration channel ${String(channel.kind)}`);
  if (channel.kind !== 'online' && !channel.actorId)
    throw new Error(`a ${channel.kind} registration names the acting agent or client (actorId)`);
  if (channel.kind === 'import' && !channel.sourceOrganisationId)
    throw new Error('an import names the organisation the person comes from (sourceOrganisationId)');
}

function summaryOf(row: {
  id: string;
  created_at: string;
  channel: RegistrationChannelKind;
  source_organisation_id: string | null;
  matched_on: string;
  matched_person_ids: string;
  status: ReviewSummary['status'];
  decided_at: string | null;
  person_id: string | null;
}): ReviewSummary {
  return {
    id: row.id,
    createdAt: row.created_at,
    channel: row.channel,
    sourceOrganisationId: row.source_organisation_id,
    matchedOn: row.matched_on.split(',').filter(Boolean) as MatchKind[],
    matchedPersonIds: JSON.parse(row.matched_person_ids) as string[],
    status: row.status,
    decidedAt: row.decided_at,
    personId: row.person_id,
  };
}
