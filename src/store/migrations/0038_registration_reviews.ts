import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Registration (issue 25 §1): the candidates that matched an existing file by NIR or by name and
 * birth date, held sealed for an agent's decision — never merged, never created silently.
 */
export function registrationReviews(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('registration_reviews')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('actor_id', 'text')
        .addColumn('organisation_id', 'text')
        .addColumn('source_organisation_id', 'text')
        .addColumn('matched_on', 'text', (c) => c.notNull())
        .addColumn('matched_person_ids', 'text', (c) => c.notNull())
        .addColumn('secret_version', 'integer')
        .addColumn('sealed', blob)
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('decided_at', 'text')
        .addColumn('decided_by_account', 'text')
        .addColumn('decided_by_actor', 'text')
        .addColumn('person_id', 'text')
        .execute();
      await db.schema
        .createIndex('registration_reviews_queue')
        .on('registration_reviews')
        .columns(['status', 'created_at'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('registration_reviews').execute();
    },
  };
}
