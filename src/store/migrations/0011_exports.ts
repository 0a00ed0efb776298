import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** Bulk exports (guard issue): two-person approval, sealed file until expiry, canary digests. */
export function exportsTables(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('exports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('recipient_organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('classes', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('days', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decision_note', 'text')
        .addColumn('requested_at', 'text', (c) => c.notNull())
        .addColumn('decided_at', 'text')
        .addColumn('expires_at', 'text')
        .addColumn('scope_count', 'integer')
        .addColumn('row_count', 'integer')
        .addColumn('capped', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('file', blob)
        .addColumn('file_sha256', 'text')
        .addColumn('downloads', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('exports_by_status').on('exports').columns(['status', 'expires_at']).execute();
      await db.schema
        .createIndex('exports_by_recipient')
        .on('exports')
        .columns(['recipient_organisation_id', 'requested_at'])
        .execute();

      await db.schema
        .createTable('export_canaries')
        .addColumn('export_id', 'text', (c) => c.notNull().references('exports.id'))
        .addColumn('canary', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('digest', blob, (c) => c.notNull())
        .addPrimaryKeyConstraint('export_canaries_pk', ['export_id', 'canary', 'kind'])
        .execute();
      await db.schema.createIndex('export_canaries_by_digest').on('export_canaries').column('digest').execute();
    },
  };
}
