import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Restriction of processing (GDPR Art. 18): the field classes of a person that no purpose may
 * read or write until the restriction is lifted, but one for legal claims. One row per class in
 * force; its history is in the ledger (`processing_restricted`, `restriction_lifted`).
 */
export function restrictions(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('person_restrictions')
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('class', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('rights_request_id', 'text')
        .addColumn('set_by', 'text', (c) => c.notNull().references('actors.id'))
        .addColumn('set_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('person_restrictions_pk', ['person_id', 'class'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('person_restrictions').execute();
    },
  };
}
