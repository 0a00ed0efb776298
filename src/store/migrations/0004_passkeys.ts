import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** WebAuthn ceremonies (identity issue): challenges, user handles, credential ids. */
export function passkeys(flavour: Flavour) {
  // Every column is text or integer: nothing here differs between SQLite and PostgreSQL.
  void flavour;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('passkey_challenges')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('ceremony', 'text', (c) => c.notNull())
        .addColumn('challenge', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      // At most one challenge waiting per session and ceremony: asking again replaces it.
      await db.schema
        .createIndex('passkey_challenges_by_session')
        .on('passkey_challenges')
        .columns(['session_id', 'ceremony'])
        .unique()
        .execute();
      await db.schema
        .createIndex('passkey_challenges_by_expiry')
        .on('passkey_challenges')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('passkey_user_handles')
        .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
        .addColumn('user_handle', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('passkey_credentials')
        .addColumn('credential_id', 'text', (c) => c.primaryKey())
        .addColumn('factor_id', 'text', (c) => c.notNull().unique().references('account_factors.id'))
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('passkey_credentials_by_account')
        .on('passkey_credentials')
        .column('account_id')
        .execute();
    },
  };
}
