import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Bank details (issue 7): changes wait out a cooling-off before payments follow them, under
 * holds that only an agent's verification lifts. A change's new details are sealed; only a
 * keyed digest of the IBAN is in clear, for the shared-account (mule) check.
 */
export function bankDetailsTables(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('bank_changes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        // The person's id while the change is open, null once it is closed: one open change per person.
        .addColumn('open_slot', 'text', (c) => c.unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('requested_via', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('actor_id', 'text')
        .addColumn('request_kind', 'text')
        .addColumn('request_reference', 'text')
        .addColumn('requested_at', 'text', (c) => c.notNull())
        .addColumn('effective_at', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'text')
        .addColumn('notified_at', 'text')
        .addColumn('iban_digest', blob, (c) => c.notNull())
        .addColumn('kek_version', 'integer', (c) => c.notNull())
        .addColumn('wrapped_key', blob, (c) => c.notNull())
        .addColumn('ciphertext', blob, (c) => c.notNull())
        .addColumn('reasons', 'text', (c) => c.notNull())
        .addColumn('freeze_code_hash', 'text', (c) => c.notNull().unique())
        .addColumn('freeze_code_used_at', 'text')
        .addColumn('frozen_at', 'text')
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'text')
        .addColumn('decision_note', 'text')
        .execute();
      await db.schema
        .createIndex('bank_changes_by_person')
        .on('bank_changes')
        .columns(['person_id', 'requested_at'])
        .execute();
      await db.schema
        .createIndex('bank_changes_by_status')
        .on('bank_changes')
        .columns(['status', 'effective_at'])
        .execute();
      await db.schema.createIndex('bank_changes_by_iban').on('bank_changes').column('iban_digest').execute();

      await db.schema
        .createTable('bank_holds')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('placed_by', 'text')
        .addColumn('reference', 'text')
        .addColumn('placed_at', 'text', (c) => c.notNull())
        .addColumn('lifted_at', 'text')
        .addColumn('lifted_by', 'text')
        .addColumn('lift_note', 'text')
        .execute();
      await db.schema
        .createIndex('bank_holds_by_person')
        .on('bank_holds')
        .columns(['person_id', 'lifted_at'])
        .execute();
    },
  };
}
