import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** Four-eyes account administration, notifications, recovery and recertification (identity issue). */
export function administration(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('admin_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('target_account_id', 'text', (c) => c.references('accounts.id'))
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('requested_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text', (c) => c.references('accounts.id'))
        .addColumn('decided_at', 'text')
        .addColumn('outcome', 'text')
        .execute();
      await db.schema
        .createIndex('admin_requests_by_organisation')
        .on('admin_requests')
        .columns(['organisation_id', 'status'])
        .execute();

      await db.schema
        .createTable('account_channels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('address', blob, (c) => c.notNull())
        .addColumn('address_version', 'integer', (c) => c.notNull())
        .addColumn('masked', 'text', (c) => c.notNull())
        .addColumn('verified_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('removed_at', 'text')
        .execute();
      await db.schema.createIndex('account_channels_by_account').on('account_channels').column('account_id').execute();

      await db.schema
        .createTable('credential_codes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.references('accounts.id'))
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.references('account_channels.id'))
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .execute();
      await db.schema
        .createIndex('credential_codes_by_account')
        .on('credential_codes')
        .columns(['account_id', 'purpose'])
        .execute();

      await db.schema
        .createTable('notifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('organisation_id', 'text')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('notifications_by_account')
        .on('notifications')
        .columns(['account_id', 'at'])
        .execute();

      await db.schema
        .createTable('recertification_campaigns')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('started_by', 'text')
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('due_at', 'text', (c) => c.notNull())
        .addColumn('closed_at', 'text')
        .execute();
      await db.schema
        .createIndex('recertification_campaigns_by_organisation')
        .on('recertification_campaigns')
        .columns(['organisation_id', 'started_at'])
        .execute();

      await db.schema
        .createTable('recertification_items')
        .addColumn('campaign_id', 'text', (c) => c.notNull().references('recertification_campaigns.id'))
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'text')
        .addPrimaryKeyConstraint('recertification_items_pk', ['campaign_id', 'account_id'])
        .execute();
    },
  };
}
