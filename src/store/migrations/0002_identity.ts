import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** Accounts, sessions, login throttling and security events (identity issue). */
export function identity(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text', (c) => c.references('actors.id'))
        .addColumn('person_id', 'text', (c) => c.references('persons.id'))
        .addColumn('login', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_login_at', 'text')
        .addColumn('password_changed_at', 'text')
        .execute();
      await db.schema.createIndex('accounts_by_actor').on('accounts').column('actor_id').execute();
      await db.schema.createIndex('accounts_by_person').on('accounts').column('person_id').execute();

      await db.schema
        .createTable('account_factors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('secret', blob)
        .addColumn('secret_version', 'integer')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('last_used_step', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('account_factors_by_account').on('account_factors').column('account_id').execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('public_id', 'text', (c) => c.notNull().unique())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('idle_seconds', 'integer', (c) => c.notNull())
        .addColumn('second_factor_at', 'text')
        .addColumn('requires_second_factor', 'integer', (c) => c.notNull())
        .addColumn('network', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('csrf_hash', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('revoked_reason', 'text')
        .execute();
      await db.schema.createIndex('sessions_by_account').on('sessions').column('account_id').execute();

      await db.schema
        .createTable('login_throttle')
        .addColumn('scope', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('window_started_at', 'text', (c) => c.notNull())
        .addColumn('blocked_until', 'text')
        .addColumn('block_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable('security_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('address', 'text')
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('security_events_by_account')
        .on('security_events')
        .columns(['account_id', 'at'])
        .execute();
    },
  };
}
