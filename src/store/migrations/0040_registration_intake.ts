import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Registration by an agent (desk, paper form) and by a partner's import (issue 25 §1): each
 * intake with its consent and its receipt's sealed text, and each partner batch. Nothing of the
 * person is in clear here: the file is the person store's, the receipt's text sealed.
 */
export function registrationIntake(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('registration_import_batches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('client_id', 'text')
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('reference', 'text', (c) => c.notNull())
        .addColumn('records', 'integer', (c) => c.notNull())
        .addColumn('registered', 'integer', (c) => c.notNull())
        .addColumn('held', 'integer', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('registration_import_batches_organisation')
        .on('registration_import_batches')
        .columns(['organisation_id', 'received_at'])
        .execute();
      await db.schema
        .createTable('registration_intakes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.references('persons.id'))
        .addColumn('review_id', 'text')
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('batch_id', 'text', (c) => c.references('registration_import_batches.id'))
        .addColumn('consent_given', 'text')
        .addColumn('consent_received_on', 'text')
        .addColumn('consent_text_hash', 'text')
        .addColumn('receipt', 'text', (c) => c.notNull())
        .addColumn('letter_id', 'text')
        .addColumn('key_version', 'integer')
        .addColumn('sealed', blob)
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .addColumn('registered_at', 'text')
        .addColumn('receipt_issued_at', 'text')
        .execute();
      await db.schema
        .createIndex('registration_intakes_person')
        .on('registration_intakes')
        .columns(['person_id'])
        .execute();
      await db.schema
        .createIndex('registration_intakes_review')
        .on('registration_intakes')
        .columns(['review_id'])
        .execute();
      await db.schema
        .createIndex('registration_intakes_batch')
        .on('registration_intakes')
        .columns(['batch_id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('registration_intakes').execute();
      await db.schema.dropTable('registration_import_batches').execute();
    },
  };
}
