import { openField, type Keyring } from '../crypto/index.ts';
import type { FieldClass, PersonFile } from '../domain/index.ts';
import { chunks, type Executor } from './transaction.ts';

/** When a person's retention periods start, as far as their file says: dates only, never a value. */
export interface RetentionTriggerDates {
  /** The file holds a registration class. */
  registered: boolean;
  /** The registration says `deregistered`: since when (YYYY-MM-DD). */
  registrationEnd: string | null;
  /** Every justice measure of the judicial class has an end: the latest one (YYYY-MM-DD). */
  release: string | null;
}

const TRIGGER_CLASSES: readonly FieldClass[] = ['registration', 'judicial'];

/**
 * The question retention asks of the person store (issue 24 §2): from which day do a file's
 * periods run? The registration and judicial classes are opened in memory here, in the store, and
 * only the dates derived from them leave it — the answer names no value, so the daily purge reads
 * no file in the sense of the access pipeline (no decision, no access event for a million files a
 * day); what it destroys is recorded per person instead.
 */
export async function retentionTriggerDates(
  db: Executor,
  keyring: () => Keyring,
  personIds: readonly string[],
): Promise<Map<string, RetentionTriggerDates>> {
  const out = new Map<string, RetentionTriggerDates>();
  for (const part of chunks([...personIds], 1, 5_000)) {
    if (part.length === 0) continue;
    const rows = await db
      .selectFrom('person_fields')
      .select(['person_id', 'field_class', 'kek_version', 'wrapped_key', 'ciphertext'])
      .where('field_class', 'in', [...TRIGGER_CLASSES])
      .where('person_id', 'in', part)
      .execute();
    for (const row of rows) {
      const entry = out.get(row.person_id) ?? { registered: false, registrationEnd: null, release: null };
      out.set(row.person_id, entry);
      const value = JSON.parse(
        openField(keyring(), row.person_id, row.field_class, {
          kekVersion: row.kek_version,
          wrappedKey: row.wrapped_key,
          ciphertext: row.ciphertext,
        }).toString('utf8'),
      ) as unknown;
      if (row.field_class === 'registration') {
        const registration = value as NonNullable<PersonFile['registration']>;
        entry.registered = true;
        entry.registrationEnd = registration.status === 'deregistered' ? (registration.deregisteredOn ?? null) : null;
      } else {
        const measures = (value as NonNullable<PersonFile['judicial']>).measures;
        entry.release =
          measures.length > 0 && measures.every((m) => m.until)
            ? measures
                .map((m) => m.until!)
                .sort()
                .at(-1)!
            : null;
      }
    }
  }
  return out;
}
