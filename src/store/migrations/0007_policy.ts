import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** Derogations to the partner security gate, verified callers, break-glass access (policy issue). */
export function policy(flavour: Flavour) {
  void flavour;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('derogations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('requirement', 'text', (c) => c.notNull())
        .addColumn('justification', 'text', (c) => c.notNull())
        .addColumn('approved_by', 'text', (c) => c.notNull())
        .addColumn('approved_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createIndex('derogations_by_organisation')
        .on('derogations')
        .columns(['organisation_id', 'expires_at'])
        .execute();

      await db.schema
        .createTable('caller_verifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('actor_id', 'text', (c) => c.notNull().references('actors.id'))
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('verified_at', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('caller_verifications_by_actor')
        .on('caller_verifications')
        .columns(['actor_id', 'person_id'])
        .execute();

      await db.schema
        .createTable('break_glass')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('actor_id', 'text', (c) => c.notNull().references('actors.id'))
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('case_reference', 'text', (c) => c.notNull())
        .addColumn('justification', 'text', (c) => c.notNull())
        .addColumn('classes', 'text', (c) => c.notNull())
        .addColumn('granted_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('review_status', 'text', (c) => c.notNull())
        .addColumn('reviewed_by', 'text')
        .addColumn('reviewed_at', 'text')
        .addColumn('review_note', 'text')
        .execute();
      await db.schema
        .createIndex('break_glass_by_actor')
        .on('break_glass')
        .columns(['actor_id', 'person_id', 'expires_at'])
        .execute();
      await db.schema
        .createIndex('break_glass_by_review')
        .on('break_glass')
        .columns(['review_status', 'granted_at'])
        .execute();
    },
  };
}
