import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * The messages to send, queued in the store instead of on a host's disk (issue 22): written in the
 * transaction of what caused them, sealed (a body may hold a one-time code), claimed by one
 * process at a time, retried until a transport accepts them, and their sealed body wiped once sent.
 */
export function outgoingMessages(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('outgoing_messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull().check(sql.raw("channel in ('email', 'sms', 'letter')")))
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.unique())
        .addColumn('key_version', 'integer', (c) => c.notNull())
        .addColumn('sealed', blob)
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql.raw("status in ('queued', 'sending', 'sent', 'failed')")),
        )
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('lease_until', 'text')
        .addColumn('last_error', 'text')
        .addColumn('transport', 'text')
        .addColumn('sent_at', 'text')
        .execute();
      await db.schema
        .createIndex('outgoing_messages_due')
        .on('outgoing_messages')
        .columns(['status', 'next_attempt_at'])
        .execute();
    },
  };
}
