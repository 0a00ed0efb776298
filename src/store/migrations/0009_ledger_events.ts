import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * The ledger's events, its state and its signed checkpoints (ledger issue). On PostgreSQL the
 * events are partitioned by month of `at` (a default partition catches any month not yet
 * created), so retention can drop a month at a time; SQLite keeps one table. `at` is an ISO
 * instant compared byte by byte (collation "C"), so month bounds like '2026-11' cut it exactly.
 */
export function ledgerEvents(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (flavour === 'postgres') {
        await sql`
          CREATE TABLE ledger_events (
            id text NOT NULL,
            seq bigint,
            at text COLLATE "C" NOT NULL,
            kind text NOT NULL,
            account_id text,
            actor_id text,
            organisation_id text,
            person_id text,
            body text NOT NULL,
            PRIMARY KEY (id, at)
          ) PARTITION BY RANGE (at)`.execute(db);
        await sql`CREATE TABLE ledger_events_default PARTITION OF ledger_events DEFAULT`.execute(db);
      } else {
        await db.schema
          .createTable('ledger_events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('seq', 'bigint')
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('account_id', 'text')
          .addColumn('actor_id', 'text')
          .addColumn('organisation_id', 'text')
          .addColumn('person_id', 'text')
          .addColumn('body', 'text', (c) => c.notNull())
          .execute();
      }
      // A partitioned table cannot hold a unique index without its partition key: sequence numbers
      // are unique by construction (one integrator at a time) and `ledger verify` checks it.
      await db.schema.createIndex('ledger_events_by_seq').on('ledger_events').column('seq').execute();
      await db.schema
        .createIndex('ledger_events_pending')
        .on('ledger_events')
        .columns(['at', 'id'])
        .where(sql.ref('seq'), 'is', null)
        .execute();
      await db.schema.createIndex('ledger_events_by_person').on('ledger_events').columns(['person_id', 'at']).execute();
      await db.schema.createIndex('ledger_events_by_actor').on('ledger_events').columns(['actor_id', 'at']).execute();
      await db.schema
        .createIndex('ledger_events_by_organisation')
        .on('ledger_events')
        .columns(['organisation_id', 'at'])
        .execute();
      await db.schema.createIndex('ledger_events_by_kind').on('ledger_events').columns(['kind', 'at']).execute();

      await db.schema
        .createTable('ledger_state')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('pruned_below', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('ledger_checkpoints')
        .addColumn('size', 'bigint', (c) => c.primaryKey())
        .addColumn('root', blob, (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('access_reports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('comment', blob)
        .addColumn('status', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('access_reports_by_person')
        .on('access_reports')
        .columns(['person_id', 'at'])
        .execute();
      await db.schema
        .createIndex('access_reports_one_per_event')
        .on('access_reports')
        .columns(['account_id', 'event_id'])
        .unique()
        .execute();
    },
  };
}
