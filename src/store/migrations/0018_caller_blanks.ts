import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Caller checks that reached nobody (no such person, no verified channel) are answered as if a
 * code had gone out; their confirmations must then fail as wrong codes do on every server
 * process, not only on the one that answered the check: kept in the store, not in memory.
 */
export function callerBlanks(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('caller_blank_verifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('actor_id', 'text', (c) => c.notNull().references('actors.id'))
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('caller_blank_verifications_by_expiry')
        .on('caller_blank_verifications')
        .column('expires_at')
        .execute();
    },
  };
}
