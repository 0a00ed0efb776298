import { FIELD_CLASSES, type FieldClass } from '../domain/index.ts';
import { KeyringError, rewrapDataKey, type Keyring } from '../crypto/index.ts';
import { PostgresAdapter, sql } from 'kysely';
import { inTransaction, yieldToEventLoop, type Executor } from './transaction.ts';

interface Rewrap {
  personId: string;
  from: number;
  kekVersion: number;
  wrappedKey: Buffer;
}

/**
 * Write a batch of rewrapped keys, each only if its row still holds the version it was read
 * with. PostgreSQL gets one UPDATE … FROM (VALUES …) per 500 keys: a round trip per key
 * would dominate. SQLite is in-process and its planner would drive that join through the
 * (class, version) index, scanning the whole class per key: one prepared update per row.
 */
async function applyRewraps(trx: Executor, fieldClass: FieldClass, rewraps: readonly Rewrap[]): Promise<void> {
  if (trx.getExecutor().adapter instanceof PostgresAdapter) {
    for (let i = 0; i < rewraps.length; i += 500) {
      const values = rewraps
        .slice(i, i + 500)
        .map((r) => sql`(${r.personId}::text, ${r.from}::integer, ${r.kekVersion}::integer, ${r.wrappedKey}::bytea)`);
      await sql`UPDATE person_fields AS f SET kek_version = v.kek_version, wrapped_key = v.wrapped_key
        FROM (VALUES ${sql.join(values)}) AS v(person_id, from_version, kek_version, wrapped_key)
        WHERE f.person_id = v.person_id AND f.field_class = ${fieldClass} AND f.kek_version = v.from_version`.execute(
        trx,
      );
    }
    return;
  }
  for (const r of rewraps) {
    await trx
      .updateTable('person_fields')
      .set({ kek_version: r.kekVersion, wrapped_key: r.wrappedKey })
      .where('person_id', '=', r.personId)
      .where('field_class', '=', fieldClass)
      .where('kek_version', '=', r.from)
      .execute();
  }
}

const KEYRING_ID = 'keyring_id';

/**
 * Refuse to run with a keyring this store was not written with: a wrong keyring must fail
 * at start with a clear message, never produce garbage or half-readable data.
 */
export async function verifyKeyring(
  db: Executor,
  keyring: Keyring,
  options: { usedVersions?: boolean } = {},
): Promise<void> {
  const bound = await db.selectFrom('meta').select('value').where('key', '=', KEYRING_ID).executeTakeFirst();
  if (bound && bound.value !== keyring.id) {
    throw new KeyringError(
      `this keyring (id ${keyring.id}) is not the one this store was written with (id ${bound.value})`,
    );
  }
  const known = new Map(keyring.fingerprints().map((f) => [`${f.purpose}#${f.version}`, f.fingerprint]));
  const checks = await db.selectFrom('key_checks').selectAll().execute();
  for (const check of checks) {
    const fingerprint = known.get(`${check.purpose}#${check.version}`);
    if (fingerprint === undefined)
      throw new KeyringError(`keyring lacks ${check.purpose} version ${check.version}, which this store uses`);
    if (fingerprint !== check.fingerprint)
      throw new KeyringError(
        `keyring's ${check.purpose} version ${check.version} is not the key this store was written with (fingerprint mismatch)`,
      );
  }
  if (options.usedVersions === false) return;
  // Lowest and highest version per class, each one index probe: cheap even at millions of rows.
  for (const fieldClass of FIELD_CLASSES) {
    for (const direction of ['asc', 'desc'] as const) {
      const row = await db
        .selectFrom('person_fields')
        .select('kek_version')
        .where('field_class', '=', fieldClass)
        .orderBy('kek_version', direction)
        .limit(1)
        .executeTakeFirst();
      if (row && !keyring.hasKek(fieldClass, row.kek_version))
        throw new KeyringError(`keyring lacks kek:${fieldClass} version ${row.kek_version}, which this store uses`);
    }
    for (const version of await versionsElsewhere(db, fieldClass)) {
      if (!keyring.hasKek(fieldClass, version))
        throw new KeyringError(`keyring lacks kek:${fieldClass} version ${version}, which this store uses`);
    }
  }
}

/** Bind the store to this keyring and record fingerprints of versions not seen yet. */
export async function recordKeyring(db: Executor, keyring: Keyring): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx
      .insertInto('meta')
      .values({ key: KEYRING_ID, value: keyring.id })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const now = new Date().toISOString();
    const rows = keyring.fingerprints().map((f) => ({ ...f, created_at: now }));
    await trx
      .insertInto('key_checks')
      .values(rows)
      .onConflict((oc) => oc.columns(['purpose', 'version']).doNothing())
      .execute();
  });
}

export async function isStoreBoundToKeyring(db: Executor): Promise<boolean> {
  return (await db.selectFrom('meta').select('value').where('key', '=', KEYRING_ID).executeTakeFirst()) !== undefined;
}

/**
 * Rows outside `person_fields` sealed with a class's data keys, each with the context its key is
 * bound to: a previous contact kept for the bank-change notices (the person's, as the contact it
 * was copied from), a value a rectification replaced (the person's, any class: `field_class`
 * says which) and a bank change waiting or applied (its own, `bank-change:<id>`, as src/bank
 * seals it). A rotation rewraps them too, or retiring an old KEK would lose them.
 */
const SEALED_ELSEWHERE = [
  {
    table: 'contact_history',
    fieldClass: 'contact',
    context: (row: { id: string; person_id: string }) => row.person_id,
  },
  {
    table: 'field_versions',
    fieldClass: 'any',
    context: (row: { id: string; person_id: string }) => row.person_id,
  },
  {
    // A class moved to the intermediate archive (retention), as the file held it: the person's.
    table: 'retention_archive',
    fieldClass: 'any',
    context: (row: { id: string; person_id: string }) => row.person_id,
  },
  {
    table: 'bank_changes',
    fieldClass: 'bank',
    context: (row: { id: string; person_id: string }) => `bank-change:${row.id}`,
  },
  {
    // An employer's end-of-contract certificate (issue 25 §3): its own, as src/store/employer-certificates.ts seals it.
    table: 'employer_certificates',
    fieldClass: 'benefits',
    context: (row: { id: string; person_id: string }) => `employer-certificate:${row.id}`,
  },
] as const;

/** The tables above holding keys of this class, with the condition that keeps that class's rows only. */
function sealedElsewhere(fieldClass: FieldClass) {
  return SEALED_ELSEWHERE.filter((o) => o.fieldClass === fieldClass || o.fieldClass === 'any').map((o) => ({
    ...o,
    ofClass: o.fieldClass === 'any' ? sql<boolean>`field_class = ${fieldClass}` : sql<boolean>`1 = 1`,
  }));
}

/** Data keys of one class still wrapped under an older version than the active one (every table that holds them). */
export async function countStaleDataKeys(db: Executor, keyring: Keyring, fieldClass: FieldClass): Promise<number> {
  const active = keyring.activeVersion(fieldClass);
  const row = await db
    .selectFrom('person_fields')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('field_class', '=', fieldClass)
    .where('kek_version', '<', active)
    .executeTakeFirstOrThrow();
  let total = Number(row.n);
  for (const other of sealedElsewhere(fieldClass)) {
    const n = await db
      .selectFrom(other.table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(other.ofClass)
      .where('kek_version', '<', active)
      .executeTakeFirstOrThrow();
    total += Number(n.n);
  }
  return total;
}

/** The lowest and highest key versions rows outside `person_fields` use for a class. */
async function versionsElsewhere(db: Executor, fieldClass: FieldClass): Promise<number[]> {
  const versions: number[] = [];
  for (const other of sealedElsewhere(fieldClass)) {
    for (const direction of ['asc', 'desc'] as const) {
      const row = await db
        .selectFrom(other.table)
        .select('kek_version')
        .where(other.ofClass)
        .where('kek_version', 'is not', null)
        .orderBy('kek_version', direction)
        .limit(1)
        .executeTakeFirst();
      if (row?.kek_version != null) versions.push(row.kek_version);
    }
  }
  return versions;
}

/** Rewrap the stale keys of the rows outside `person_fields`, batch by batch (small tables: one update per row). */
async function rewrapElsewhere(
  db: Executor,
  keyring: Keyring,
  fieldClass: FieldClass,
  batchSize: number,
  onBatch?: (done: number) => void,
): Promise<number> {
  const active = keyring.activeVersion(fieldClass);
  let total = 0;
  for (const other of sealedElsewhere(fieldClass)) {
    for (;;) {
      const rows = await db
        .selectFrom(other.table)
        .select(['id', 'person_id', 'kek_version', 'wrapped_key'])
        .where(other.ofClass)
        .where('kek_version', '<', active)
        .limit(batchSize)
        .execute();
      if (rows.length === 0) break;
      await inTransaction(db, async (trx) => {
        for (const row of rows) {
          const next = rewrapDataKey(keyring, other.context(row), fieldClass, {
            kekVersion: row.kek_version!,
            wrappedKey: row.wrapped_key!,
          });
          await trx
            .updateTable(other.table)
            .set({ kek_version: next.kekVersion, wrapped_key: next.wrappedKey })
            .where('id', '=', row.id)
            .where('kek_version', '=', row.kek_version)
            .execute();
        }
      });
      total += rows.length;
      onBatch?.(rows.length);
      await yieldToEventLoop();
    }
  }
  return total;
}

/**
 * Rewrap every data key of a class under the active KEK version, batch by batch, each batch
 * its own transaction: a crash loses at most one uncommitted batch, and running again
 * resumes where it stopped because only stale keys are selected. Values are never touched.
 */
export async function rewrapDataKeys(
  db: Executor,
  keyring: Keyring,
  fieldClass: FieldClass,
  options: { batchSize?: number; onBatch?: (done: number) => void } = {},
): Promise<number> {
  const active = keyring.activeVersion(fieldClass);
  const batchSize = options.batchSize ?? 2000;
  let total = 0;
  for (;;) {
    const rows = await db
      .selectFrom('person_fields')
      .select(['person_id', 'kek_version', 'wrapped_key'])
      .where('field_class', '=', fieldClass)
      .where('kek_version', '<', active)
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return total + (await rewrapElsewhere(db, keyring, fieldClass, batchSize, options.onBatch));
    const rewrapped: Rewrap[] = rows.map((row) => ({
      personId: row.person_id,
      from: row.kek_version,
      ...rewrapDataKey(keyring, row.person_id, fieldClass, {
        kekVersion: row.kek_version,
        wrappedKey: row.wrapped_key,
      }),
    }));
    await inTransaction(db, (trx) => applyRewraps(trx, fieldClass, rewrapped));
    total += rows.length;
    options.onBatch?.(rows.length);
    await yieldToEventLoop();
  }
}
