import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * The online registration's drafts (issue 25 §1): bound to an e-mail address proved by a
 * one-time code, sealed, kept 15 days after their last save.
 */
export function registrationDrafts(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('registration_drafts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email_digest', blob, (c) => c.notNull().unique())
        .addColumn('code_hash', 'text')
        .addColumn('code_expires_at', 'text')
        .addColumn('code_attempts', 'integer', (c) => c.notNull())
        .addColumn('verified_at', 'text')
        .addColumn('token_hash', 'text')
        .addColumn('secret_version', 'integer')
        .addColumn('sealed', blob)
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('registration_drafts_expiry')
        .on('registration_drafts')
        .column('expires_at')
        .execute();
      await db.schema.createIndex('registration_drafts_token').on('registration_drafts').column('token_hash').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('registration_drafts').execute();
    },
  };
}
