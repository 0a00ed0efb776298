import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Contact history (issue 19): a file's previous contact (email, phone, postal address), kept
 * sealed as it was — its own ciphertext and wrapped key, bound to the person and the `contact`
 * class — with when and by whom it was replaced. Notices of a bank change reach these
 * channels too, and a recent change holds the bank change for an agent of another team.
 */
export function contactHistory(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('contact_history')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('changed_at', 'text', (c) => c.notNull())
        // JSON array of the parts that changed ('email', 'phone', 'address'): no value.
        .addColumn('changed', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('organisation_id', 'text')
        .addColumn('account_id', 'text')
        // The previous contact, sealed as the file held it; null when the file had none.
        .addColumn('kek_version', 'integer')
        .addColumn('wrapped_key', blob)
        .addColumn('ciphertext', blob)
        .addColumn('announced_at', 'text')
        .execute();
      await db.schema
        .createIndex('contact_history_by_person')
        .on('contact_history')
        .columns(['person_id', 'changed_at'])
        .execute();
      await db.schema
        .createIndex('contact_history_unannounced')
        .on('contact_history')
        .columns(['announced_at', 'changed_at'])
        .execute();
      // The contact changes an agent of another team verified, after reaching the person, for this bank change (JSON array of ids).
      await db.schema
        .alterTable('bank_changes')
        .addColumn('contact_cleared', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
    },
  };
}
