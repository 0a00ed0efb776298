import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { FieldClass } from '../domain/index.ts';
import { shredClasses } from './shred.ts';
import { chunks, locksRows, type Executor } from './transaction.ts';

/**
 * The intermediate archive (archivage intermédiaire, issue 24 §2). A retention rule whose outcome
 * is `archive` moves a class of a file out of `person_fields` into `retention_archive` as it was
 * sealed — master key version, wrapped data key, ciphertext: nothing decrypted, nothing
 * re-encrypted (the value's authenticated data is the person and the class, so the row opens
 * there as it did in the file). What a shred takes with the class goes the same way (its blind
 * indexes, the values a rectification replaced, past contacts, appointments, past bank details):
 * the class no longer exists for any purpose, list, search or export. Only the DPO's archive
 * read opens it (src/access, an access event first), and the archive's own rule destroys it in
 * the end: the row holds the only copy of its data key.
 */

/** A row of the archive, still sealed. */
export interface ArchivedRow {
  id: string;
  personId: string;
  fieldClass: FieldClass;
  kekVersion: number;
  wrappedKey: Buffer;
  ciphertext: Buffer;
  updatedAt: string;
  archivedAt: string;
  ruleId: string;
}

/**
 * Move these classes of these files to the archive, in the caller's transaction: the rows are
 * read (locked on PostgreSQL), copied, then removed from the file as a shred removes them.
 * Returns the (person, class) rows moved. Should a row appear between the copy and the removal
 * (a write beside the purge), nothing is left half done: the transaction fails and the next run
 * takes the batch again.
 */
export async function archiveClasses(
  trx: Executor,
  fieldClasses: readonly FieldClass[],
  personIds: readonly string[],
  by: { ruleId: string; at: string },
): Promise<Array<{ personId: string; fieldClass: FieldClass }>> {
  if (fieldClasses.length === 0 || personIds.length === 0) return [];
  const copied = new Set<string>();
  for (const part of chunks([...personIds], 1, 5_000)) {
    let query = trx
      .selectFrom('person_fields')
      .select(['person_id', 'field_class', 'kek_version', 'wrapped_key', 'ciphertext', 'updated_at'])
      .where('field_class', 'in', [...fieldClasses])
      .where('person_id', 'in', part);
    if (locksRows(trx)) query = query.forUpdate();
    const rows = await query.execute();
    for (const rowsPart of chunks(rows, 9, 5_000)) {
      if (rowsPart.length === 0) continue;
      await trx
        .insertInto('retention_archive')
        .values(
          rowsPart.map((r) => ({
            id: randomUUID(),
            person_id: r.person_id,
            field_class: r.field_class,
            kek_version: r.kek_version,
            wrapped_key: r.wrapped_key,
            ciphertext: r.ciphertext,
            updated_at: r.updated_at,
            archived_at: by.at,
            rule_id: by.ruleId,
          })),
        )
        .execute();
    }
    for (const r of rows) copied.add(`${r.person_id}|${r.field_class}`);
  }
  const gone = await shredClasses(trx, fieldClasses, personIds);
  if (gone.some((g) => !copied.has(`${g.personId}|${g.fieldClass}`)))
    throw new Error('archive: a class was written during its archiving; the batch is left for the next run');
  return gone;
}

/** A person's archived classes, sealed, oldest first (what the DPO's archive read fetches, then records, then opens). */
export async function archivedClasses(db: Executor, personId: string): Promise<ArchivedRow[]> {
  const rows = await db
    .selectFrom('retention_archive')
    .selectAll()
    .where('person_id', '=', personId)
    .orderBy('archived_at')
    .orderBy('field_class')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    personId: r.person_id,
    fieldClass: r.field_class as FieldClass,
    kekVersion: r.kek_version,
    wrappedKey: r.wrapped_key,
    ciphertext: r.ciphertext,
    updatedAt: r.updated_at,
    archivedAt: r.archived_at,
    ruleId: r.rule_id,
  }));
}

/**
 * The archive's own end: rows archived before `cutoff` are destroyed (crypto-shredding: each row
 * held the only copy of its data key), but none of the persons in `keep` (a litigation hold).
 * Returns the (person, class) rows destroyed — or, in a dry run, that would be.
 */
export async function retireArchive(
  trx: Executor,
  what: { cutoff: string; keep: readonly string[]; dryRun: boolean },
): Promise<Array<{ personId: string; fieldClass: FieldClass }>> {
  const keep = [...new Set(what.keep)];
  const notKept = keep.length ? sql<boolean>`person_id NOT IN (${sql.join(keep)})` : sql<boolean>`1 = 1`;
  const rows = what.dryRun
    ? await trx
        .selectFrom('retention_archive')
        .select(['person_id', 'field_class'])
        .where('archived_at', '<', what.cutoff)
        .where(notKept)
        .execute()
    : await trx
        .deleteFrom('retention_archive')
        .where('archived_at', '<', what.cutoff)
        .where(notKept)
        .returning(['person_id', 'field_class'])
        .execute();
  return rows.map((r) => ({ personId: r.person_id, fieldClass: r.field_class as FieldClass }));
}
