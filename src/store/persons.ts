import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { DecryptionError, openField, type BlindIndexKind, type Keyring, type KeyringAccess } from '../crypto/index.ts';
import {
  assertNoDirectBankWrite,
  ConflictError,
  FIELD_CLASSES,
  type FieldClass,
  type FieldValues,
  NotFoundError,
  type PersonFile,
  type PersonPatch,
} from '../domain/index.ts';
import { isUniqueLookup, lookupDigest, lookupKindsOf, lookupRows, sealPersonRows } from './person-rows.ts';
import type { PersonFieldsTable, PersonLookupsTable } from './schema.ts';
import type { ContactHistoryTable } from './tables/contact-history.ts';
import { chunks, inTransaction, type Executor } from './transaction.ts';

export interface PersonRecord {
  id: string;
  status: 'active' | 'erased';
  createdAt: string;
  updatedAt: string;
  /** The classes this file holds, whether or not they were decrypted. */
  classes: FieldClass[];
  /** Exactly the requested classes that exist, decrypted; nothing else. */
  fields: PersonFile;
}

interface SealedField {
  kekVersion: number;
  wrappedKey: Buffer;
  ciphertext: Buffer;
}

/** A file as stored: its row and its classes still sealed. */
export interface SealedFile {
  id: string;
  status: 'active' | 'erased';
  createdAt: string;
  updatedAt: string;
  /** The classes the file holds. */
  classes: FieldClass[];
  sealed: ReadonlyMap<FieldClass, SealedField>;
}

/** Who writes a change to a file, as far as the caller knows: kept with the previous contact. */
export interface ChangeAuthor {
  actorId?: string | null;
  organisationId?: string | null;
  accountId?: string | null;
}

/** The parts of a contact that reach the person: a change of any of them is remembered. */
export const CONTACT_PARTS = ['email', 'phone', 'address'] as const;
export type ContactPart = (typeof CONTACT_PARTS)[number];

/** One change of a file's contact: when, by whom, which parts, and the previous value still sealed. */
export interface ContactChange {
  id: string;
  personId: string;
  changedAt: string;
  changed: ContactPart[];
  actorId: string | null;
  organisationId: string | null;
  accountId: string | null;
  announcedAt: string | null;
  /** The previous contact as a sealed file of one class (open it like any file); null when there was none. */
  previous: SealedFile | null;
}

function contactPartsChanged(
  before: PersonFile['contact'] | undefined,
  after: PersonFile['contact'] | null | undefined,
): ContactPart[] {
  const canonical = (value: unknown) =>
    value === undefined ? '' : JSON.stringify(value, Object.keys(value as object).sort());
  const norm = (c: PersonFile['contact'] | null | undefined, part: ContactPart) => {
    const v = c?.[part];
    if (v === undefined) return '';
    return typeof v === 'string' ? v.trim().toLowerCase() : canonical(v);
  };
  return CONTACT_PARTS.filter((part) => norm(before, part) !== norm(after, part));
}

function contactChangeOf(row: ContactHistoryTable): ContactChange {
  const sealed =
    row.kek_version !== null && row.wrapped_key && row.ciphertext
      ? { kekVersion: row.kek_version, wrappedKey: row.wrapped_key, ciphertext: row.ciphertext }
      : null;
  return {
    id: row.id,
    personId: row.person_id,
    changedAt: row.changed_at,
    changed: JSON.parse(row.changed) as ContactPart[],
    actorId: row.actor_id,
    organisationId: row.organisation_id,
    accountId: row.account_id,
    announcedAt: row.announced_at,
    previous: sealed
      ? {
          id: row.person_id,
          status: 'active',
          createdAt: row.changed_at,
          updatedAt: row.changed_at,
          classes: ['contact'],
          sealed: new Map([['contact', sealed]]),
        }
      : null,
  };
}

/**
 * The changes of a person's contact since `since` (inclusive), oldest first; nothing is
 * decrypted. For the bank-details procedure: recent changes hold a bank change, and its
 * notices reach the channels known before.
 */
export async function contactChangesSince(
  executor: Executor,
  personId: string,
  since: string,
): Promise<ContactChange[]> {
  const rows = await executor
    .selectFrom('contact_history')
    .selectAll()
    .where('person_id', '=', personId)
    .where('changed_at', '>=', since)
    .orderBy('changed_at')
    .orderBy('id')
    .execute();
  return rows.map(contactChangeOf);
}

/**
 * Two concurrent writes can both pass the store's own check; the partial unique index on
 * (kind, digest) then stops the second, which gets the same conflict as a sequential one.
 */
async function withUniqueIdentifiers<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const e = error as { code?: string; constraint?: string; message?: string };
    const duplicate =
      (e.code === '23505' && e.constraint === 'person_lookups_unique_identifiers') ||
      (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && /person_lookups\.kind, person_lookups\.digest/.test(e.message ?? ''));
    if (duplicate)
      throw new ConflictError('cet identifiant est déjà rattaché à un autre dossier', 'identifier_already_registered');
    throw error;
  }
}

/**
 * The encrypted dossier store. Every field class value is sealed under its own data key;
 * reads decrypt exactly the classes the caller names, and fetch no other ciphertext.
 */
export class PersonStore {
  constructor(
    private readonly db: Executor,
    private readonly keys: KeyringAccess,
  ) {}

  private get keyring(): Keyring {
    return this.keys.current;
  }

  /**
   * Which classes each file holds, from the rows alone (nothing decrypted): a read records the
   * classes that actually leave, not those its purpose would allow, so that an incident tells a
   * person only what was really seen of them.
   */
  async heldClasses(personIds: readonly string[], executor: Executor = this.db): Promise<Map<string, Set<FieldClass>>> {
    const held = new Map<string, Set<FieldClass>>(personIds.map((id) => [id, new Set<FieldClass>()]));
    for (const part of chunks([...new Set(personIds)], 1, 500)) {
      const rows = await executor
        .selectFrom('person_fields')
        .select(['person_id', 'field_class'])
        .where('person_id', 'in', part)
        .execute();
      for (const row of rows) held.get(row.person_id)?.add(row.field_class);
    }
    return held;
  }

  async #assertUniqueIdentifiers(trx: Executor, rows: PersonLookupsTable[], personId: string): Promise<void> {
    for (const row of rows) {
      if (!isUniqueLookup(row.kind)) continue;
      const other = await trx
        .selectFrom('person_lookups')
        .select('person_id')
        .where('kind', '=', row.kind)
        .where('digest', '=', row.digest)
        .where('person_id', '!=', personId)
        .executeTakeFirst();
      if (other)
        throw new ConflictError(
          `cet identifiant (${row.kind}) est déjà rattaché à un autre dossier`,
          `${row.kind}_already_registered`,
        );
    }
  }

  /** Create one file from a validated, canonical PersonFile; returns its id. */
  async create(file: PersonFile, options: { id?: string; executor?: Executor } = {}): Promise<string> {
    const id = options.id ?? randomUUID();
    const now = new Date().toISOString();
    const fields = sealPersonRows(this.keyring, id, file, now);
    const lookups = lookupRows(this.keyring, id, file);
    await withUniqueIdentifiers(
      inTransaction(options.executor ?? this.db, async (trx) => {
        await this.#assertUniqueIdentifiers(trx, lookups, id);
        await trx
          .insertInto('persons')
          .values({ id, status: 'active', created_at: now, updated_at: now, erased_at: null })
          .execute();
        if (fields.length) await trx.insertInto('person_fields').values(fields).execute();
        if (lookups.length) await trx.insertInto('person_lookups').values(lookups).execute();
      }),
    );
    return id;
  }

  /**
   * Bulk creation for seeding and imports: one transaction for the batch, multi-row inserts.
   * Identifiers are trusted unique here (the generator guarantees it).
   */
  async createMany(persons: ReadonlyArray<{ id: string; file: PersonFile }>, executor?: Executor): Promise<void> {
    const now = new Date().toISOString();
    await this.insertSealed(
      persons.map((p) => p.id),
      persons.flatMap((p) => sealPersonRows(this.keyring, p.id, p.file, now)),
      persons.flatMap((p) => lookupRows(this.keyring, p.id, p.file)),
      now,
      executor,
    );
  }

  /** Insert rows sealed elsewhere (a seeding worker thread), in one transaction. */
  async insertSealed(
    ids: readonly string[],
    fieldRows: readonly PersonFieldsTable[],
    lookups: readonly PersonLookupsTable[],
    now: string,
    executor?: Executor,
  ): Promise<void> {
    const personRows = ids.map((id) => ({
      id,
      status: 'active' as const,
      created_at: now,
      updated_at: now,
      erased_at: null,
    }));
    await inTransaction(executor ?? this.db, async (trx) => {
      for (const batch of chunks(personRows, 5)) await trx.insertInto('persons').values(batch).execute();
      for (const batch of chunks(fieldRows, 6)) await trx.insertInto('person_fields').values(batch).execute();
      for (const batch of chunks(lookups, 3)) await trx.insertInto('person_lookups').values(batch).execute();
    });
  }

  async #person(trx: Executor, id: string) {
    const person = await trx.selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirst();
    if (!person) throw new NotFoundError('dossier');
    if (person.status === 'erased') throw new ConflictError('ce dossier a été effacé', 'person_erased');
    return person;
  }

  /**
   * A file's row and sealed classes (all, or `only` those) in one query, nothing decrypted: what
   * the access pipeline fetches before recording a read (the classes it holds are what the event
   * names), to open afterwards with `open`. Not found and erased files fail as `read` does.
   */
  async fetchSealed(id: string, only?: readonly FieldClass[], executor: Executor = this.db): Promise<SealedFile> {
    // Only the classes that may be opened are fetched (`only`); an empty list fetches the row alone.
    const which =
      only === undefined ? sql`` : only.length ? sql` AND f.field_class IN (${sql.join([...only])})` : sql` AND 1 = 0`;
    // In SQL rather than the query builder: on every read, building the query cost more than running it.
    const rows = (
      await sql<SealedRow>`
        SELECT p.status, p.created_at, p.updated_at, f.field_class, f.kek_version, f.wrapped_key, f.ciphertext
        FROM persons p LEFT JOIN person_fields f ON f.person_id = p.id${which}
        WHERE p.id = ${id}`.execute(executor)
    ).rows;
    const first = rows[0];
    if (!first) throw new NotFoundError('dossier');
    if (first.status === 'erased') throw new ConflictError('ce dossier a été effacé', 'person_erased');
    return sealedFileOf(id, rows);
  }

  /**
   * `fetchSealed` for many files at once (a list's identities), a few hundred ids a query: the
   * active files found, by id; a missing or erased one is simply absent.
   */
  async fetchSealedMany(
    ids: readonly string[],
    only: readonly FieldClass[],
    executor: Executor = this.db,
  ): Promise<Map<string, SealedFile>> {
    const out = new Map<string, SealedFile>();
    const which = only.length ? sql` AND f.field_class IN (${sql.join([...only])})` : sql` AND 1 = 0`;
    for (const part of chunks(ids, 1, 500)) {
      const rows = (
        await sql<SealedRow & { id: string }>`
          SELECT p.id, p.status, p.created_at, p.updated_at, f.field_class, f.kek_version, f.wrapped_key, f.ciphertext
          FROM persons p LEFT JOIN person_fields f ON f.person_id = p.id${which}
          WHERE p.id IN (${sql.join([...part])}) AND p.status = 'active'`.execute(executor)
      ).rows;
      const byId = new Map<string, SealedRow[]>();
      for (const row of rows) byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
      for (const [id, fileRows] of byId) out.set(id, sealedFileOf(id, fileRows));
    }
    return out;
  }

  /**
   * Decrypt exactly `classes` of a fetched file (those its access event recorded), nothing else.
   * Asynchronous like `read`, so whoever watches the store sees the two the same way.
   */
  async open(file: SealedFile, classes: readonly FieldClass[]): Promise<PersonRecord> {
    const fields: PersonFile = {};
    const openAll = () => {
      const keyring = this.keyring;
      for (const c of classes) {
        const field = file.sealed.get(c);
        if (field)
          (fields as Record<string, unknown>)[c] = JSON.parse(openField(keyring, file.id, c, field).toString('utf8'));
      }
    };
    try {
      openAll();
    } catch (error) {
      // A key version this process has not seen yet: a rotation ran beside it. Look once more.
      if (!(error instanceof DecryptionError && error.reason === 'unknown_key' && this.keys.refresh())) throw error;
      openAll();
    }
    return {
      id: file.id,
      status: file.status,
      createdAt: file.createdAt,
      updatedAt: file.updatedAt,
      classes: file.classes,
      fields,
    };
  }

  /** Read a file, decrypting exactly `classes` (those the decision allows) and nothing else. */
  async read(id: string, classes: readonly FieldClass[], executor?: Executor): Promise<PersonRecord> {
    try {
      return await this.#read(id, classes, executor);
    } catch (error) {
      // A key version this process has not seen yet: a rotation ran beside it. Look once more.
      if (error instanceof DecryptionError && error.reason === 'unknown_key' && this.keys.refresh())
        return this.#read(id, classes, executor);
      throw error;
    }
  }

  async #read(id: string, classes: readonly FieldClass[], executor?: Executor): Promise<PersonRecord> {
    const trx = executor ?? this.db;
    const person = await this.#person(trx, id);
    const keyring = this.keyring;
    // One query for the file's rows; only the classes asked for are ever decrypted.
    const rows = await trx
      .selectFrom('person_fields')
      .select(['field_class', 'kek_version', 'wrapped_key', 'ciphertext'])
      .where('person_id', '=', id)
      .execute();
    const wanted = new Set<FieldClass>(classes);
    const fields: PersonFile = {};
    for (const row of rows) {
      if (!wanted.has(row.field_class)) continue;
      const plaintext = openField(keyring, id, row.field_class, {
        kekVersion: row.kek_version,
        wrappedKey: row.wrapped_key,
        ciphertext: row.ciphertext,
      });
      (fields as Record<string, unknown>)[row.field_class] = JSON.parse(plaintext.toString('utf8'));
    }
    const presentSet = new Set(rows.map((r) => r.field_class));
    return {
      id,
      status: person.status,
      createdAt: person.created_at,
      updatedAt: person.updated_at,
      classes: FIELD_CLASSES.filter((c) => presentSet.has(c)),
      fields,
    };
  }

  /**
   * Replace the classes present in the patch (`null` removes one); one transaction. The `bank`
   * class is not among them: where an allowance is paid changes only through the bank-details
   * procedure (checks, notices, cooling-off), which calls `applyBankChange`.
   */
  async update(id: string, patch: PersonPatch, executor?: Executor, author: ChangeAuthor = {}): Promise<void> {
    assertNoDirectBankWrite(patch, 'la procédure de changement de coordonnées bancaires');
    return this.#update(id, patch, executor, author);
  }

  /**
   * Change one class from its current value without losing a change made at the same moment:
   * the person's row is written first — a row lock on PostgreSQL, the write lock on SQLite — so
   * a second caller waits, then reads what the first one wrote. Not for `bank` (its procedure).
   */
  async modify<C extends Exclude<FieldClass, 'bank'>>(
    id: string,
    fieldClass: C,
    change: (current: FieldValues[C] | undefined) => FieldValues[C],
    executor?: Executor,
    author: ChangeAuthor = {},
  ): Promise<FieldValues[C]> {
    return inTransaction(executor ?? this.db, async (trx) => {
      await trx.updateTable('persons').set({ updated_at: new Date().toISOString() }).where('id', '=', id).execute();
      const current = (await this.read(id, [fieldClass], trx)).fields[fieldClass] as FieldValues[C] | undefined;
      const next = change(current);
      await this.update(id, { [fieldClass]: next } as PersonPatch, trx, author);
      return next;
    });
  }

  /**
   * A rectification (GDPR Art. 16): the classes named replaced by what `change` makes of them as
   * they stand (read inside the transaction, so a change made meanwhile is not lost), each replaced
   * value kept first — its sealed row copied as the file held it, nothing re-encrypted — in
   * `field_versions`, where the DPO can still read it until the class's retention destroys it
   * with the class. Returns, per class, the kept version and when the replaced value had been
   * written (absent for a class that was empty). Not for `bank`.
   */
  async rectify(
    id: string,
    classes: readonly FieldClass[],
    change: (current: PersonFile) => PersonPatch,
    executor: Executor,
    author: ChangeAuthor,
  ): Promise<Map<FieldClass, { versionId: string; recordedAt: string }>> {
    const kept = new Map<FieldClass, { versionId: string; recordedAt: string }>();
    await inTransaction(executor, async (trx) => {
      await trx.updateTable('persons').set({ updated_at: new Date().toISOString() }).where('id', '=', id).execute();
      const patch = change((await this.read(id, classes, trx)).fields);
      assertNoDirectBankWrite(patch, 'la procédure de changement de coordonnées bancaires');
      const rows = await trx
        .selectFrom('person_fields')
        .selectAll()
        .where('person_id', '=', id)
        .where(
          'field_class',
          'in',
          FIELD_CLASSES.filter((c) => patch[c] !== undefined),
        )
        .execute();
      const now = new Date().toISOString();
      for (const row of rows) {
        const versionId = randomUUID();
        await trx
          .insertInto('field_versions')
          .values({
            id: versionId,
            person_id: id,
            field_class: row.field_class,
            recorded_at: row.updated_at,
            replaced_at: now,
            kek_version: row.kek_version,
            wrapped_key: row.wrapped_key,
            ciphertext: row.ciphertext,
          })
          .execute();
        kept.set(row.field_class, { versionId, recordedAt: row.updated_at });
      }
      await this.#update(id, patch, trx, author);
    });
    return kept;
  }

  /** A value a rectification replaced, opened (the caller records the read first); undefined once its class was destroyed. */
  async openVersion(versionId: string, executor: Executor = this.db): Promise<PersonRecord | undefined> {
    const row = await executor.selectFrom('field_versions').selectAll().where('id', '=', versionId).executeTakeFirst();
    if (!row) return undefined;
    const fieldClass = row.field_class as FieldClass;
    return this.open(
      {
        id: row.person_id,
        status: 'active',
        createdAt: row.recorded_at,
        updatedAt: row.replaced_at,
        classes: [fieldClass],
        sealed: new Map([
          [fieldClass, { kekVersion: row.kek_version, wrappedKey: row.wrapped_key, ciphertext: row.ciphertext }],
        ]),
      },
      [fieldClass],
    );
  }

  /** The bank-details procedure's write, once a change is due: the new details become the file's `bank` class. */
  async applyBankChange(id: string, bank: NonNullable<PersonPatch['bank']>, executor?: Executor): Promise<void> {
    return this.#update(id, { bank }, executor);
  }

  async #update(id: string, patch: PersonPatch, executor?: Executor, author: ChangeAuthor = {}): Promise<void> {
    const now = new Date().toISOString();
    const changed = FIELD_CLASSES.filter((c) => patch[c] !== undefined);
    const set: PersonFile = Object.fromEntries(changed.filter((c) => patch[c] !== null).map((c) => [c, patch[c]]));
    const removed = changed.filter((c) => patch[c] === null);
    const fields = sealPersonRows(this.keyring, id, set, now);
    const touched = new Set(changed);
    const lookups = lookupRows(this.keyring, id, set, touched);
    await withUniqueIdentifiers(
      inTransaction(executor ?? this.db, async (trx) => {
        await this.#person(trx, id);
        await this.#assertUniqueIdentifiers(trx, lookups, id);
        if (patch.contact !== undefined) await this.#rememberContact(trx, id, patch.contact, now, author);
        if (removed.length)
          await trx
            .deleteFrom('person_fields')
            .where('person_id', '=', id)
            .where('field_class', 'in', removed)
            .execute();
        for (const row of fields) {
          await trx
            .insertInto('person_fields')
            .values(row)
            .onConflict((oc) =>
              oc.columns(['person_id', 'field_class']).doUpdateSet({
                kek_version: row.kek_version,
                wrapped_key: row.wrapped_key,
                ciphertext: row.ciphertext,
                updated_at: now,
              }),
            )
            .execute();
        }
        const kinds = lookupKindsOf(touched);
        if (kinds.length)
          await trx.deleteFrom('person_lookups').where('person_id', '=', id).where('kind', 'in', kinds).execute();
        if (lookups.length) await trx.insertInto('person_lookups').values(lookups).execute();
        await trx.updateTable('persons').set({ updated_at: now }).where('id', '=', id).execute();
      }),
    );
  }

  /**
   * Whatever path writes the contact (an agent, the person, an import), the previous value is
   * kept — its sealed row copied as it is, nothing re-encrypted — when an email, phone or postal
   * address changed: a thief who rewrites them must not silence the notices of a bank change.
   */
  async #rememberContact(
    trx: Executor,
    id: string,
    next: PersonFile['contact'] | null,
    now: string,
    author: ChangeAuthor,
  ): Promise<void> {
    const row = await trx
      .selectFrom('person_fields')
      .select(['kek_version', 'wrapped_key', 'ciphertext'])
      .where('person_id', '=', id)
      .where('field_class', '=', 'contact')
      .executeTakeFirst();
    const sealed = row
      ? { kekVersion: row.kek_version, wrappedKey: row.wrapped_key, ciphertext: row.ciphertext }
      : undefined;
    let before: PersonFile['contact'] | undefined;
    if (sealed) {
      try {
        before = JSON.parse(openField(this.keyring, id, 'contact', sealed).toString('utf8')) as PersonFile['contact'];
      } catch (error) {
        // A key version this process has not seen yet: a rotation ran beside it. Look once more.
        if (!(error instanceof DecryptionError && error.reason === 'unknown_key' && this.keys.refresh())) throw error;
        before = JSON.parse(openField(this.keyring, id, 'contact', sealed).toString('utf8')) as PersonFile['contact'];
      }
    }
    const changed = contactPartsChanged(before, next);
    if (changed.length === 0) return;
    await trx
      .insertInto('contact_history')
      .values({
        id: randomUUID(),
        person_id: id,
        changed_at: now,
        changed: JSON.stringify(changed),
        actor_id: author.actorId ?? null,
        organisation_id: author.organisationId ?? null,
        account_id: author.accountId ?? null,
        kek_version: sealed?.kekVersion ?? null,
        wrapped_key: sealed?.wrappedKey ?? null,
        ciphertext: sealed?.ciphertext ?? null,
        announced_at: null,
      })
      .execute();
  }

  /** Contact changes not yet announced on the channels known before them, older than `before` (all when absent), oldest first. */
  async unannouncedContactChanges(
    options: { personId?: string; before?: string } = {},
    executor: Executor = this.db,
  ): Promise<ContactChange[]> {
    let query = executor.selectFrom('contact_history').selectAll().where('announced_at', 'is', null);
    if (options.personId) query = query.where('person_id', '=', options.personId);
    if (options.before) query = query.where('changed_at', '<', options.before);
    return (await query.orderBy('changed_at').limit(500).execute()).map(contactChangeOf);
  }

  async markContactChangeAnnounced(changeId: string, at: string, executor: Executor = this.db): Promise<void> {
    await executor.updateTable('contact_history').set({ announced_at: at }).where('id', '=', changeId).execute();
  }

  /**
   * Recompute the blind indexes of these kinds for every file (a kind added after the store was
   * filled): the classes they come from are decrypted batch by batch, in memory only.
   */
  async reindex(kinds: readonly BlindIndexKind[], onProgress?: (done: number, total: number) => void): Promise<number> {
    const classes = new Set(FIELD_CLASSES.filter((c) => lookupKindsOf(new Set([c])).some((k) => kinds.includes(k))));
    if (classes.size === 0) return 0;
    const total = Number(
      (
        await this.db
          .selectFrom('persons')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('status', '=', 'active')
          .executeTakeFirstOrThrow()
      ).n,
    );
    let done = 0;
    let after = '';
    for (;;) {
      const ids = (
        await this.db
          .selectFrom('persons')
          .select('id')
          .where('status', '=', 'active')
          .where('id', '>', after)
          .orderBy('id')
          .limit(500)
          .execute()
      ).map((r) => r.id);
      if (ids.length === 0) break;
      after = ids[ids.length - 1]!;
      const rows: PersonLookupsTable[] = [];
      for (const id of ids) {
        const record = await this.read(id, [...classes]);
        rows.push(
          ...lookupRows(this.keyring, id, record.fields, classes).filter((r) =>
            (kinds as readonly string[]).includes(r.kind),
          ),
        );
      }
      await inTransaction(this.db, async (trx) => {
        await trx
          .deleteFrom('person_lookups')
          .where('person_id', 'in', ids)
          .where('kind', 'in', [...kinds])
          .execute();
        for (const batch of chunks(rows, 3)) await trx.insertInto('person_lookups').values(batch).execute();
      });
      done += ids.length;
      onProgress?.(done, total);
    }
    return done;
  }

  /** Exact lookup by identifier through its blind index: nothing is decrypted. */
  async lookup(kind: BlindIndexKind, value: string, executor?: Executor): Promise<string[]> {
    const digest = lookupDigest(this.keyring, kind, value);
    const rows = await (executor ?? this.db)
      .selectFrom('person_lookups')
      .select('person_id')
      .where('kind', '=', kind)
      .where('digest', '=', digest)
      .execute();
    return rows.map((r) => r.person_id).sort();
  }

  /**
   * Crypto-shredding: the person's data keys are destroyed with their values and blind
   * indexes; what remains is a tombstone (id, dates) that the ledger's events can still name.
   */
  async erase(id: string, executor?: Executor): Promise<{ shreddedKeys: number }> {
    return inTransaction(executor ?? this.db, async (trx) => {
      await this.#person(trx, id);
      const now = new Date().toISOString();
      const deleted = await trx.deleteFrom('person_fields').where('person_id', '=', id).executeTakeFirst();
      await trx.deleteFrom('person_lookups').where('person_id', '=', id).execute();
      // Previous contacts and rectified values go with the rest: their data keys are destroyed too.
      await trx.deleteFrom('contact_history').where('person_id', '=', id).execute();
      await trx.deleteFrom('field_versions').where('person_id', '=', id).execute();
      // Classes a retention rule moved to the intermediate archive hold their own data keys: erased too.
      const archived = await trx.deleteFrom('retention_archive').where('person_id', '=', id).executeTakeFirst();
      // Employers' certificates hold their own data keys (issue 25 §3): erased too.
      await trx.deleteFrom('employer_certificates').where('person_id', '=', id).execute();
      await trx.deleteFrom('referrals').where('person_id', '=', id).execute();
      await trx.deleteFrom('caseloads').where('person_id', '=', id).execute();
      await trx.deleteFrom('appointments').where('person_id', '=', id).execute();
      await trx
        .updateTable('persons')
        .set({ status: 'erased', erased_at: now, updated_at: now })
        .where('id', '=', id)
        .execute();
      return { shreddedKeys: Number(deleted.numDeletedRows) + Number(archived.numDeletedRows) };
    });
  }
}

/** A file's row joined to one of its sealed classes (or to none). */
interface SealedRow {
  status: PersonRecord['status'];
  created_at: string;
  updated_at: string;
  field_class: FieldClass | null;
  kek_version: number | null;
  wrapped_key: Buffer | null;
  ciphertext: Buffer | null;
}

/** The sealed file these rows (one file's, at least one) describe, nothing decrypted. */
function sealedFileOf(id: string, rows: readonly SealedRow[]): SealedFile {
  const first = rows[0]!;
  const sealed = new Map<FieldClass, SealedField>();
  for (const row of rows) {
    if (row.field_class && row.kek_version !== null && row.wrapped_key && row.ciphertext)
      sealed.set(row.field_class, {
        kekVersion: row.kek_version,
        wrappedKey: row.wrapped_key,
        ciphertext: row.ciphertext,
      });
  }
  return {
    id,
    status: first.status,
    createdAt: first.created_at,
    updatedAt: first.updated_at,
    classes: FIELD_CLASSES.filter((c) => sealed.has(c)),
    sealed,
  };
}
