import { openField, type Keyring } from '../crypto/index.ts';
import type { PersonFile } from '../domain/index.ts';
import { chunks, type Executor } from './transaction.ts';

/** The registration categories whose holders update each month (categories A, B and C: looking for work). */
export const UPDATING_CATEGORIES: ReadonlySet<string> = new Set(['A', 'B', 'C']);

/**
 * The question the monthly update asks of the person store (issue 25 §2): of these files, which
 * are registered in a category that must update each month, and since when? The registration
 * class is opened in memory here, in the store, and only that answer leaves it — no value — as the
 * retention's trigger dates do (src/store/retention-triggers.ts): the daily check reads no file in
 * the sense of the access pipeline; what it changes is recorded per person.
 */
export async function updateObligations(
  db: Executor,
  keyring: () => Keyring,
  personIds: readonly string[],
): Promise<Map<string, { registeredOn: string }>> {
  const out = new Map<string, { registeredOn: string }>();
  for (const part of chunks([...personIds], 1, 5_000)) {
    if (part.length === 0) continue;
    const rows = await db
      .selectFrom('person_fields')
      .select(['person_id', 'kek_version', 'wrapped_key', 'ciphertext'])
      .where('field_class', '=', 'registration')
      .where('person_id', 'in', part)
      .execute();
    for (const row of rows) {
      const registration = JSON.parse(
        openField(keyring(), row.person_id, 'registration', {
          kekVersion: row.kek_version,
          wrappedKey: row.wrapped_key,
          ciphertext: row.ciphertext,
        }).toString('utf8'),
      ) as NonNullable<PersonFile['registration']>;
      if (registration.status === 'registered' && UPDATING_CATEGORIES.has(registration.category))
        out.set(row.person_id, { registeredOn: registration.registeredOn });
    }
  }
  return out;
}
