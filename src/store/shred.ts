import { sql } from 'kysely';
import type { FieldClass } from '../domain/index.ts';
import { lookupKindsOf } from './person-rows.ts';
import { chunks, type Executor } from './transaction.ts';

/**
 * Crypto-shredding of classes of many files at once (retention, issue 24 §2). A class's value is
 * sealed under a data key of its own, drawn at random for that person and that class, and the row
 * holds that key only wrapped by the class's master key: deleting the row destroys the one copy of
 * the data key with the value. No other row of the live store can open it — every other person's
 * and every other class's data key is a different random key — so what is gone cannot be read
 * back from the store, even by whoever holds the keyring. Go with it: the class's blind indexes
 * (HMAC digests, which would still say « this NIR was here »), the values a rectification
 * replaced in the class (kept for the DPO until now), for `contact` the previous contacts
 * kept for the bank-change notices (sealed under their own data keys), and for `bank` the sealed
 * details of past bank changes (their wrapped key and value emptied: an empty wrapped key reads
 * as « shredded ») and the IBAN's digest, and for `follow_up` the appointments kept beside the file.
 * SQLite runs with `secure_delete` (the deleted bytes are overwritten in the file); PostgreSQL keeps
 * dead rows until VACUUM reclaims their space, without zeroing it: a copy of the data files taken
 * meanwhile, with the keyring, could still open them — which `keys rotate` then `keys retire` ends,
 * as for backups. Old backups still hold the rows: `keys retire` handles
 * those by dropping the master key versions they were wrapped under.
 *
 * One statement for the batch's rows of these classes; returns the (person, class) rows actually
 * deleted (a concurrent run deletes nothing twice).
 */
export async function shredClasses(
  trx: Executor,
  fieldClasses: readonly FieldClass[],
  personIds: readonly string[],
): Promise<Array<{ personId: string; fieldClass: FieldClass }>> {
  const gone: Array<{ personId: string; fieldClass: FieldClass }> = [];
  if (fieldClasses.length === 0) return gone;
  for (const part of chunks([...personIds], 1, 5_000)) {
    const rows = await trx
      .deleteFrom('person_fields')
      .where('field_class', 'in', [...fieldClasses])
      .where('person_id', 'in', part)
      .returning(['person_id', 'field_class'])
      .execute();
    for (const r of rows) gone.push({ personId: r.person_id, fieldClass: r.field_class });
  }
  if (gone.length === 0) return gone;
  const kinds = lookupKindsOf(new Set(fieldClasses));
  const touched = [...new Set(gone.map((g) => g.personId))];
  const of = (c: FieldClass) => [...new Set(gone.filter((g) => g.fieldClass === c).map((g) => g.personId))];
  for (const part of chunks(touched, 1, 5_000))
    if (kinds.length)
      await trx.deleteFrom('person_lookups').where('kind', 'in', kinds).where('person_id', 'in', part).execute();
  // The values a rectification replaced go with their class (each holds its own data key).
  for (const c of new Set(gone.map((g) => g.fieldClass)))
    for (const part of chunks(of(c), 1, 5_000))
      await trx.deleteFrom('field_versions').where('field_class', '=', c).where('person_id', 'in', part).execute();
  if (fieldClasses.includes('contact'))
    for (const part of chunks(of('contact'), 1, 5_000))
      await trx.deleteFrom('contact_history').where('person_id', 'in', part).execute();
  // The appointments kept beside the file (who meets whom, when) go with its follow-up.
  if (fieldClasses.includes('follow_up'))
    for (const part of chunks(of('follow_up'), 1, 5_000))
      await trx.deleteFrom('appointments').where('person_id', 'in', part).execute();
  // Employers' end-of-contract certificates feed `benefits` and go with it (each holds its own data key).
  if (fieldClasses.includes('benefits'))
    for (const part of chunks(of('benefits'), 1, 5_000))
      await trx.deleteFrom('employer_certificates').where('person_id', 'in', part).execute();
  if (fieldClasses.includes('bank'))
    for (const part of chunks(of('bank'), 1, 5_000))
      await trx
        .updateTable('bank_changes')
        .set({ wrapped_key: Buffer.alloc(0), ciphertext: Buffer.alloc(0), iban_digest: Buffer.alloc(0) })
        .where('person_id', 'in', part)
        .execute();
  return gone;
}

/**
 * Files left with no class at all become tombstones as `PersonStore.erase` leaves them: status
 * `erased`, blind indexes, referrals, caseloads and appointments gone; the id stays for the ledger.
 * Returns the ids turned into tombstones.
 */
export async function eraseEmptied(trx: Executor, personIds: readonly string[], now: string): Promise<string[]> {
  const emptied: string[] = [];
  for (const part of chunks([...personIds], 1, 5_000)) {
    const rows = (
      await sql<{ id: string }>`SELECT p.id FROM persons p WHERE p.id IN (${sql.join(part)}) AND p.status = 'active'
        AND NOT EXISTS (SELECT 1 FROM person_fields f WHERE f.person_id = p.id)`.execute(trx)
    ).rows;
    emptied.push(...rows.map((r) => r.id));
  }
  for (const part of chunks(emptied, 1, 5_000)) {
    await trx.deleteFrom('person_lookups').where('person_id', 'in', part).execute();
    await trx.deleteFrom('contact_history').where('person_id', 'in', part).execute();
    await trx.deleteFrom('field_versions').where('person_id', 'in', part).execute();
    await trx.deleteFrom('employer_certificates').where('person_id', 'in', part).execute();
    await trx.deleteFrom('referrals').where('person_id', 'in', part).execute();
    await trx.deleteFrom('caseloads').where('person_id', 'in', part).execute();
    await trx.deleteFrom('appointments').where('person_id', 'in', part).execute();
    await trx
      .updateTable('persons')
      .set({ status: 'erased', erased_at: now, updated_at: now })
      .where('id', 'in', part)
      .execute();
  }
  return emptied;
}
