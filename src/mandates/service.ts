import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../crypto/index.ts';
import { ConflictError, NotFoundError, ValidationError, validate, type Clock } from '../domain/index.ts';
import { mandateEnd, MANDATE_SCOPES, type MandateScope } from '../domain/mandates.ts';
import { activeJobSeekerAccountOf, announceToAccount } from '../identity/index.ts';
import { appendEvent } from '../ledger/index.ts';
import type { Notifier } from '../notify/index.ts';
import { inTransaction, type Executor, type MandatesTable } from '../store/index.ts';
import {
  MandateCodeSchema,
  MandateLetterSchema,
  MandateRequestSchema,
  MandateRevocationSchema,
  type MandateState,
  type MandateView,
} from './model.ts';
import { frenchDay, mandateText, textDigest } from './text.ts';

/** How long the code sent to the person stays good: they confirm it while still with the aidant, or soon after. */
export const MANDATE_CODE_MINUTES = 30;
/** Wrong codes a confirmation takes before the mandate is cancelled: five, as an account's codes. */
export const CODE_MAX_ATTEMPTS = 5;
/** A mandate nobody confirmed within a day lapses: the aidant prepares a new one with the person. */
export const MANDATE_PENDING_HOURS = 24;
/** The notice before the end goes this many days ahead (a one-day mandate gets only the end's). */
export const MANDATE_NOTICE_DAYS = 7;

export interface MandateDeps {
  db: Executor;
  keyring: () => Keyring;
  notifier: Notifier;
  clock: Clock;
}

/** The aidant preparing a mandate, as their session established them. */
export interface MandateHelper {
  actorId: string;
  organisationId: string;
}

function codeHash(id: string, code: string): string {
  return createHash('sha256').update(`mandate\u0000${id}\u0000${code}`).digest('hex');
}

/**
 * Mandates (issue 25 §4, modelled on Aidants Connect). An aidant of a France Services house
 * prepares one with the person — which steps, how long, how the person consents —, its text is
 * rendered here and its SHA-256 kept; it does nothing until the person confirms it themself (in
 * their espace, or with the one-time code sent to their own verified channel, read out to the
 * aidant): never created by the aidant alone. Once confirmed it ties that aidant, and no one else,
 * to the person for its steps until it ends; the person withdraws any step at any time (in their
 * espace, or by a letter an agent records). Every step of a mandate's life is an event of the
 * person's journal; what the aidant does under it is an access event naming the mandate.
 */
export class Mandates {
  readonly #deps: MandateDeps;

  constructor(deps: MandateDeps) {
    this.#deps = deps;
  }

  /** The aidant's form, checked field by field (a 400 naming the field, nothing written). */
  static parseRequest(raw: unknown) {
    const request = validate(MandateRequestSchema, raw, 'body');
    if (request.consent === 'in_person' && request.signatureAttested !== true)
      throw new ValidationError([
        {
          field: 'body.signatureAttested',
          rule: 'required',
          message: 'en personne, l’aidant atteste que la personne a signé le mandat imprimé',
        },
      ]);
    return request;
  }

  /**
   * Prepare a mandate for a person found by the caller (the route, under the guard): the mandate
   * and its steps pending, its event, and the code sent to the person's verified channels — or
   * nothing, when the person has no espace account with a verified channel to confirm from.
   */
  async prepare(
    helper: MandateHelper,
    personId: string,
    raw: unknown,
  ): Promise<{ mandate: MandateView; codeExpiresAt: string }> {
    const request = Mandates.parseRequest(raw);
    const db = this.#deps.db;
    const account = await activeJobSeekerAccountOf(db, personId);
    if (!account)
      throw new ConflictError(
        'La personne n’a pas d’espace personnel actif : elle ne peut pas confirmer un mandat. Elle peut être aidée à son agence.',
        'no_espace_account',
      );
    const names = await this.#names(helper.actorId, helper.organisationId);
    const now = this.#deps.clock.now();
    const id = randomUUID();
    const createdAt = now.toISOString();
    const scopes = MANDATE_SCOPES.filter((s) => request.scopes.includes(s));
    const text = mandateText({
      id,
      helper: names.helper,
      organisation: names.organisation,
      scopes,
      duration: request.duration,
      consent: request.consent,
      createdAt,
    });
    const code = String(randomInt(0, 100_000_000)).padStart(8, '0');
    const codeExpiresAt = new Date(now.getTime() + MANDATE_CODE_MINUTES * 60_000).toISOString();
    await inTransaction(db, async (trx) => {
      await trx
        .insertInto('mandates')
        .values({
          id,
          person_id: personId,
          organisation_id: helper.organisationId,
          actor_id: helper.actorId,
          duration: request.duration,
          consent: request.consent,
          text,
          text_sha256: textDigest(text),
          status: 'pending',
          created_at: createdAt,
          confirmed_at: null,
          confirmed_via: null,
          expires_at: null,
          code_hash: codeHash(id, code),
          code_attempts: 0,
          code_expires_at: codeExpiresAt,
          notice_sent_at: null,
          expiry_sent_at: null,
        })
        .execute();
      await trx
        .insertInto('mandate_scopes')
        .values(
          scopes.map((scope) => ({
            mandate_id: id,
            scope,
            revoked_at: null,
            revoked_via: null,
            revoked_by_actor: null,
          })),
        )
        .execute();
      await appendEvent(trx, 'mandate_requested', {
        actorId: helper.actorId,
        personId,
        operation: 'mandate_request',
        details: {
          mandate: id,
          scopes: scopes.join(','),
          duration: request.duration,
          consent: request.consent,
          textSha256: textDigest(text),
        },
      });
      const sent = await announceToAccount(
        { db: trx, keyring: this.#deps.keyring(), notifier: this.#deps.notifier },
        account.id,
        'mandate_code',
        'France Travail : confirmez le mandat donné à votre aidant',
        [
          'Bonjour,',
          '',
          `${names.helper} (${names.organisation}) prépare avec vous un mandat pour agir en votre nom.`,
          `Votre code de confirmation : ${code}`,
          `Donnez-le à votre aidant, ou confirmez le mandat dans votre espace personnel (« Mes mandats »). Il expire dans ${MANDATE_CODE_MINUTES} minutes.`,
          'Si vous n’êtes pas avec un aidant France Services, ne donnez ce code à personne et ignorez ce message.',
        ].join('\n'),
        { verifiedOnly: true, paper: false },
      );
      if (sent === 0)
        throw new ConflictError(
          'La personne n’a aucun moyen de contact vérifié : elle ne peut pas confirmer un mandat. Elle peut en vérifier un dans son espace personnel.',
          'no_verified_channel',
        );
    });
    return { mandate: (await this.one(id))!, codeExpiresAt };
  }

  /**
   * The code the person received, typed by the aidant who prepared the mandate: the mandate works
   * from now, or why not. Each wrong code is counted and recorded; the fifth burns the mandate.
   */
  async confirmByCode(actorId: string, mandateId: string, raw: unknown): Promise<MandateView> {
    const { code } = validate(MandateCodeSchema, raw, 'body');
    const db = this.#deps.db;
    const row = await db
      .selectFrom('mandates')
      .selectAll()
      .where('id', '=', mandateId)
      .where('actor_id', '=', actorId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('mandat');
    this.#confirmable(row);
    const now = this.#deps.clock.now();
    if (row.code_attempts >= CODE_MAX_ATTEMPTS)
      throw new ConflictError('Trop d’essais : préparez un nouveau mandat avec la personne.', 'code_burned');
    if (!row.code_expires_at || Date.parse(row.code_expires_at) <= now.getTime())
      throw new ConflictError(
        'Code expiré : la personne peut encore confirmer dans son espace, ou préparez un nouveau mandat.',
        'code_expired',
      );
    const presented = code.replace(/[\s-]/g, '');
    // Each try takes one of the five first, atomically: tries sent all at once are counted as many.
    const claimed = await db
      .updateTable('mandates')
      .set((eb) => ({ code_attempts: eb('code_attempts', '+', 1) }))
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .where('code_attempts', '<', CODE_MAX_ATTEMPTS)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1)
      throw new ConflictError('Trop d’essais : préparez un nouveau mandat avec la personne.', 'code_burned');
    if (!timingSafeEqual(Buffer.from(row.code_hash!, 'hex'), Buffer.from(codeHash(row.id, presented), 'hex'))) {
      let burned = false;
      await inTransaction(db, async (trx) => {
        const marked = await trx
          .updateTable('mandates')
          .set({ status: 'refused' })
          .where('id', '=', row.id)
          .where('status', '=', 'pending')
          .where('code_attempts', '>=', CODE_MAX_ATTEMPTS)
          .executeTakeFirst();
        burned = Number(marked.numUpdatedRows) === 1;
        await appendEvent(trx, 'access_denied', {
          actorId,
          personId: row.person_id,
          operation: 'confirm_mandate',
          details: { reason: burned ? 'code_burned' : 'code_invalid', mandate: row.id },
        });
      });
      if (burned) throw new ConflictError('Trop d’essais : le mandat est annulé.', 'code_burned');
      throw new ValidationError([{ field: 'body.code', rule: 'match', message: 'code incorrect' }]);
    }
    return this.#activate(row, 'code', { actorId });
  }

  /** The person confirming in their espace, signed in as themself: the mandate works from now. */
  async confirmByPerson(personId: string, accountId: string, mandateId: string): Promise<MandateView> {
    const row = await this.#ofPerson(personId, mandateId);
    this.#confirmable(row);
    return this.#activate(row, 'espace', { accountId });
  }

  /** The person withdrawing steps of a mandate (all of them when none named), or refusing a pending one. */
  async revokeByPerson(personId: string, accountId: string, mandateId: string, raw: unknown): Promise<MandateView> {
    const { scopes } = validate(MandateRevocationSchema, raw ?? {}, 'body');
    const row = await this.#ofPerson(personId, mandateId);
    return this.#revoke(row, scopes, 'espace', { accountId });
  }

  /** An agent recording a letter of the person withdrawing steps of a mandate (the caller decided the agent may act for the person). */
  async revokeByLetter(actorId: string, personId: string, mandateId: string, raw: unknown): Promise<MandateView> {
    const { scopes, receivedOn } = validate(MandateLetterSchema, raw, 'body');
    if (receivedOn > this.#deps.clock.now().toISOString().slice(0, 10))
      throw new ValidationError([
        { field: 'body.receivedOn', rule: 'past', message: 'la date de réception ne peut pas être dans le futur' },
      ]);
    const row = await this.#ofPerson(personId, mandateId);
    return this.#revoke(row, scopes, 'letter', { actorId, receivedOn });
  }

  /**
   * The mandate that ties this aidant of this organisation to this person for `scope` now:
   * confirmed, not ended, that step not withdrawn. The access decision asks it for a purpose over
   * the `mandate` relationship; another aidant, even of the same house, has no tie.
   */
  async tie(
    actor: { id: string; organisationId: string },
    personId: string,
    scope: MandateScope,
    now: Date,
  ): Promise<string | undefined> {
    const row = await this.#deps.db
      .selectFrom('mandates as m')
      .innerJoin('mandate_scopes as s', 's.mandate_id', 'm.id')
      .select('m.id')
      .where('m.actor_id', '=', actor.id)
      .where('m.organisation_id', '=', actor.organisationId)
      .where('m.person_id', '=', personId)
      .where('m.status', '=', 'active')
      .where('m.expires_at', '>', now.toISOString())
      .where('s.scope', '=', scope)
      .where('s.revoked_at', 'is', null)
      .orderBy('m.confirmed_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  async one(mandateId: string): Promise<MandateView | undefined> {
    return (await this.#views({ id: mandateId }))[0];
  }

  /** A person's mandates, newest first. */
  async ofPerson(personId: string): Promise<MandateView[]> {
    return this.#views({ personId });
  }

  /** The mandates an aidant prepared, newest first (what their console lists). */
  async ofHelper(actorId: string, limit = 100): Promise<MandateView[]> {
    return this.#views({ actorId }, limit);
  }

  /** How the journal words acts under these mandates (`mandateWordings`). */
  async wordings(mandateIds: readonly string[]): Promise<Map<string, string>> {
    return mandateWordings(this.#deps.db, mandateIds);
  }

  /**
   * The expiry notices, once each: some days before a mandate ends, and when it has ended — on the
   * person's espace channels, and by letter when they chose paper (the notifier's paper channel).
   * The end is also an event of their journal. Returns how many notices went.
   */
  async noticeExpiries(): Promise<number> {
    const db = this.#deps.db;
    const now = this.#deps.clock.now();
    const at = now.toISOString();
    const soon = new Date(now.getTime() + MANDATE_NOTICE_DAYS * 86_400_000).toISOString();
    let sent = 0;
    const ending = await db
      .selectFrom('mandates')
      .selectAll()
      .where('status', '=', 'active')
      .where('notice_sent_at', 'is', null)
      .where('expires_at', '>', at)
      .where('expires_at', '<=', soon)
      .where('duration', '!=', '1d')
      .limit(500)
      .execute();
    for (const row of ending) {
      if (!(await this.#liveScopes(row.id)).length) continue;
      await inTransaction(db, async (trx) => {
        const claimed = await trx
          .updateTable('mandates')
          .set({ notice_sent_at: at })
          .where('id', '=', row.id)
          .where('notice_sent_at', 'is', null)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) return;
        await this.#announce(trx, row, 'mandate_expiring', 'Votre mandat à votre aidant se termine bientôt', [
          `Le mandat que vous avez donné à ${await this.#wording(trx, row)} se termine le ${frenchDay(row.expires_at!)}.`,
          'Après cette date, votre aidant ne pourra plus agir en votre nom. Si vous souhaitez continuer, préparez un nouveau mandat avec lui.',
        ]);
        sent++;
      });
    }
    const ended = await db
      .selectFrom('mandates')
      .selectAll()
      .where('status', '=', 'active')
      .where('expiry_sent_at', 'is', null)
      .where('expires_at', '<=', at)
      .limit(500)
      .execute();
    for (const row of ended) {
      await inTransaction(db, async (trx) => {
        const claimed = await trx
          .updateTable('mandates')
          .set({ expiry_sent_at: at })
          .where('id', '=', row.id)
          .where('expiry_sent_at', 'is', null)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) return;
        await appendEvent(trx, 'mandate_expired', {
          personId: row.person_id,
          operation: 'mandate_expire',
          details: { mandate: row.id, expiresAt: row.expires_at },
        });
        if ((await this.#liveScopes(row.id, trx)).length === 0) return;
        await this.#announce(trx, row, 'mandate_expired', 'Votre mandat à votre aidant a pris fin', [
          `Le mandat que vous avez donné à ${await this.#wording(trx, row)} a pris fin le ${frenchDay(row.expires_at!)}.`,
          'Votre aidant ne peut plus agir en votre nom. Si vous souhaitez être aidé(e) à nouveau, préparez un nouveau mandat avec lui.',
        ]);
        sent++;
      });
    }
    return sent;
  }

  async #announce(trx: Executor, row: MandatesTable, kind: string, subject: string, lines: string[]): Promise<void> {
    const account = await activeJobSeekerAccountOf(trx, row.person_id);
    if (!account) return;
    await announceToAccount(
      { db: trx, keyring: this.#deps.keyring(), notifier: this.#deps.notifier },
      account.id,
      kind,
      subject,
      ['Bonjour,', '', ...lines, '', 'Vous voyez vos mandats dans votre espace personnel, « Mes mandats ».'].join('\n'),
    );
  }

  async #wording(db: Executor, row: MandatesTable): Promise<string> {
    const names = await this.#names(row.actor_id, row.organisation_id, db);
    return `${names.helper} (${names.organisation}), le ${frenchDay(row.confirmed_at ?? row.created_at)}`;
  }

  async #names(actorId: string, organisationId: string, db: Executor = this.#deps.db) {
    const actor = await db.selectFrom('actors').select('display_name').where('id', '=', actorId).executeTakeFirst();
    const organisation = await db
      .selectFrom('organisations')
      .select('name')
      .where('id', '=', organisationId)
      .executeTakeFirst();
    return { helper: actor?.display_name ?? actorId, organisation: organisation?.name ?? organisationId };
  }

  async #liveScopes(mandateId: string, db: Executor = this.#deps.db): Promise<string[]> {
    return (
      await db
        .selectFrom('mandate_scopes')
        .select('scope')
        .where('mandate_id', '=', mandateId)
        .where('revoked_at', 'is', null)
        .execute()
    ).map((r) => r.scope);
  }

  async #ofPerson(personId: string, mandateId: string): Promise<MandatesTable> {
    const row = await this.#deps.db
      .selectFrom('mandates')
      .selectAll()
      .where('id', '=', mandateId)
      .where('person_id', '=', personId)
      .executeTakeFirst();
    // Another person's mandate is one that does not exist.
    if (!row) throw new NotFoundError('mandat');
    return row;
  }

  /** Only a pending mandate, not lapsed nor wholly withdrawn, can be confirmed. */
  #confirmable(row: MandatesTable): void {
    const state = stateOf(row, this.#deps.clock.now(), []);
    if (state === 'active' || state === 'expired')
      throw new ConflictError('Ce mandat est déjà confirmé.', 'mandate_confirmed');
    if (state === 'refused') throw new ConflictError('Ce mandat a été annulé.', 'mandate_refused');
    if (state === 'lapsed')
      throw new ConflictError(
        `Ce mandat n’a pas été confirmé dans les ${MANDATE_PENDING_HOURS} heures : préparez-en un nouveau.`,
        'mandate_lapsed',
      );
  }

  async #activate(
    row: MandatesTable,
    via: 'code' | 'espace',
    by: { actorId: string } | { accountId: string },
  ): Promise<MandateView> {
    const now = this.#deps.clock.now();
    const expiresAt = mandateEnd(now, row.duration as MandateView['duration']).toISOString();
    await inTransaction(this.#deps.db, async (trx) => {
      if ((await this.#liveScopes(row.id, trx)).length === 0)
        throw new ConflictError('Ce mandat a été refusé par la personne.', 'mandate_refused');
      const done = await trx
        .updateTable('mandates')
        .set({
          status: 'active',
          confirmed_at: now.toISOString(),
          confirmed_via: via,
          expires_at: expiresAt,
          code_hash: null,
          code_expires_at: null,
        })
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) !== 1)
        throw new ConflictError('Ce mandat est déjà confirmé.', 'mandate_confirmed');
      await appendEvent(trx, 'mandate_confirmed', {
        ...by,
        personId: row.person_id,
        operation: 'confirm_mandate',
        details: { mandate: row.id, via, expiresAt, textSha256: row.text_sha256 },
      });
    });
    return (await this.one(row.id))!;
  }

  async #revoke(
    row: MandatesTable,
    scopes: readonly MandateScope[] | undefined,
    via: 'espace' | 'letter',
    by: { accountId: string } | { actorId: string; receivedOn: string },
  ): Promise<MandateView> {
    const now = this.#deps.clock.now().toISOString();
    const live = await this.#liveScopes(row.id);
    const asked = scopes ?? (live as MandateScope[]);
    const withdrawn = asked.filter((s) => live.includes(s));
    if (withdrawn.length === 0)
      throw new ConflictError('Ces démarches ne sont pas (ou plus) dans ce mandat.', 'mandate_scope_not_live');
    await inTransaction(this.#deps.db, async (trx) => {
      await trx
        .updateTable('mandate_scopes')
        .set({ revoked_at: now, revoked_via: via, revoked_by_actor: 'actorId' in by ? by.actorId : null })
        .where('mandate_id', '=', row.id)
        .where('scope', 'in', withdrawn)
        .where('revoked_at', 'is', null)
        .execute();
      const { receivedOn, ...author } = { receivedOn: undefined, ...by };
      await appendEvent(trx, 'mandate_revoked', {
        ...author,
        personId: row.person_id,
        operation: 'revoke_mandate',
        details: {
          mandate: row.id,
          scopes: withdrawn.join(','),
          via,
          whole: withdrawn.length === live.length,
          ...(receivedOn ? { receivedOn } : {}),
        },
      });
    });
    return (await this.one(row.id))!;
  }

  async #views(by: { id?: string; personId?: string; actorId?: string }, limit = 200): Promise<MandateView[]> {
    let query = this.#deps.db
      .selectFrom('mandates as m')
      .innerJoin('actors as a', 'a.id', 'm.actor_id')
      .innerJoin('organisations as o', 'o.id', 'm.organisation_id')
      .selectAll('m')
      .select(['a.display_name as helper_name', 'o.name as organisation_name']);
    if (by.id !== undefined) query = query.where('m.id', '=', by.id);
    if (by.personId !== undefined) query = query.where('m.person_id', '=', by.personId);
    if (by.actorId !== undefined) query = query.where('m.actor_id', '=', by.actorId);
    const rows = await query.orderBy('m.created_at', 'desc').limit(limit).execute();
    if (rows.length === 0) return [];
    const scopeRows = await this.#deps.db
      .selectFrom('mandate_scopes')
      .selectAll()
      .where(
        'mandate_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    const now = this.#deps.clock.now();
    return rows.map((r) => {
      const scopes = MANDATE_SCOPES.flatMap((scope) => {
        const s = scopeRows.find((x) => x.mandate_id === r.id && x.scope === scope);
        return s ? [{ scope, revokedAt: s.revoked_at, revokedVia: s.revoked_via }] : [];
      });
      return {
        id: r.id,
        personId: r.person_id,
        helper: { actorId: r.actor_id, name: r.helper_name },
        organisation: { id: r.organisation_id, name: r.organisation_name },
        scopes,
        duration: r.duration as MandateView['duration'],
        consent: r.consent as MandateView['consent'],
        state: stateOf(r, now, scopes),
        createdAt: r.created_at,
        confirmedAt: r.confirmed_at,
        confirmedVia: r.confirmed_via,
        expiresAt: r.expires_at,
        text: r.text,
        textSha256: r.text_sha256,
      };
    });
  }
}

/**
 * How the person's journal words an act under a mandate: « X (France Services de Y), avec votre
 * mandat du … » — the aidant's name, their house and the day the person confirmed it.
 */
export async function mandateWordings(db: Executor, mandateIds: readonly string[]): Promise<Map<string, string>> {
  if (mandateIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('mandates as m')
    .innerJoin('actors as a', 'a.id', 'm.actor_id')
    .innerJoin('organisations as o', 'o.id', 'm.organisation_id')
    .select(['m.id', 'm.confirmed_at', 'm.created_at', 'a.display_name', 'o.name'])
    .where('m.id', 'in', [...new Set(mandateIds)])
    .execute();
  return new Map(
    rows.map((r) => [
      r.id,
      `${r.display_name} (${r.name}), avec votre mandat du ${frenchDay(r.confirmed_at ?? r.created_at)}`,
    ]),
  );
}

/** A mandate's state as a person says it: waiting, in force, ended, withdrawn, cancelled, or never confirmed in time. */
export function stateOf(
  row: Pick<MandatesTable, 'status' | 'created_at' | 'expires_at'>,
  now: Date,
  scopes: ReadonlyArray<{ revokedAt: string | null }>,
): MandateState {
  const withdrawn = scopes.length > 0 && scopes.every((s) => s.revokedAt !== null);
  if (row.status === 'refused') return 'refused';
  if (row.status === 'pending') {
    if (withdrawn) return 'refused';
    return Date.parse(row.created_at) + MANDATE_PENDING_HOURS * 3_600_000 <= now.getTime() ? 'lapsed' : 'pending';
  }
  if (withdrawn) return 'revoked';
  return row.expires_at !== null && Date.parse(row.expires_at) <= now.getTime() ? 'expired' : 'active';
}
