import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** The guard's shared state (guard issue): sliding-window counters, searches, signals, containments, decoys. */
export function guard(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('guard_seen')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('first_at', 'text', (c) => c.notNull())
        .addColumn('last_at', 'text', (c) => c.notNull())
        .addColumn('followed_up', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('guard_seen_pk', ['scope', 'subject'])
        .execute();
      await db.schema.createIndex('guard_seen_by_window').on('guard_seen').columns(['scope', 'last_at']).execute();

      await db.schema
        .createTable('guard_actor_days')
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('persons', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('guard_actor_days_pk', ['actor_id', 'day'])
        .execute();

      await db.schema
        .createTable('guard_searches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('bucket', 'text')
        .addColumn('rank', 'integer')
        .addColumn('hit', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('guard_searches_by_actor').on('guard_searches').columns(['actor_id', 'at']).execute();

      await db.schema
        .createTable('guard_signals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('organisation_id', 'text', (c) => c.notNull())
        .addColumn('signal', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('guard_signals_by_organisation')
        .on('guard_signals')
        .columns(['organisation_id', 'at'])
        .execute();
      await db.schema
        .createIndex('guard_signals_by_actor')
        .on('guard_signals')
        .columns(['actor_id', 'signal', 'at'])
        .execute();

      await db.schema
        .createTable('guard_containments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('organisation_id', 'text', (c) => c.notNull())
        .addColumn('signal', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('contained_at', 'text', (c) => c.notNull())
        .addColumn('released_at', 'text')
        .addColumn('released_by', 'text')
        .addColumn('release_note', 'text')
        .execute();
      await db.schema
        .createIndex('guard_containments_by_organisation')
        .on('guard_containments')
        .columns(['organisation_id', 'contained_at'])
        .execute();
      await db.schema
        .createIndex('guard_containments_by_actor')
        .on('guard_containments')
        .columns(['actor_id', 'released_at'])
        .execute();

      await db.schema
        .createTable('guard_decoys')
        .addColumn('person_id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
