import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Retention that runs by itself (issue 24, section 2): the imported rule files, the DPO's
 * litigation holds, the purge runs (their cursor, so an interrupted purge resumes), the notices
 * sent before a purge (once per person and rule), the statistics kept only as year-month counts,
 * and when a master key version stopped being used (for `keys retire`).
 */
export function retention(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('retention_rule_sets')
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('imported_at', 'text', (c) => c.notNull())
        .addColumn('imported_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('retention_holds')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('set_at', 'text', (c) => c.notNull())
        .addColumn('set_by', 'text', (c) => c.notNull())
        .addColumn('lifted_at', 'text')
        .addColumn('lifted_by', 'text')
        .execute();
      await db.schema
        .createIndex('retention_holds_by_person')
        .on('retention_holds')
        .columns(['person_id', 'lifted_at'])
        .execute();
      await db.schema
        .createTable('retention_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('started_at', 'text', (c) => c.notNull())
        /** The instant the rules are evaluated at: kept, so that a resumed run decides as the first half did. */
        .addColumn('as_of', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().check(sql.raw("state in ('running', 'done')")))
        .addColumn('rules_version', 'integer', (c) => c.notNull())
        /** The last person id whose batch is committed (keyset order). */
        .addColumn('cursor', 'text', (c) => c.notNull().defaultTo(''))
        /** JSON: counts per rule and class, never a value or a name. */
        .addColumn('counts', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema.createIndex('retention_runs_by_state').on('retention_runs').columns(['state']).execute();
      await db.schema
        .createTable('retention_notices')
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('retention_notices_pk', ['person_id', 'rule_id'])
        .execute();
      await db.schema
        .createTable('retention_stats')
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('retention_stats_pk', ['month', 'rule_id', 'subject', 'outcome'])
        .execute();
      await db.schema
        .createTable('retention_key_versions')
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('unused_since', 'text', (c) => c.notNull())
        .addColumn('retired_at', 'text')
        .addPrimaryKeyConstraint('retention_key_versions_pk', ['purpose', 'version'])
        .execute();
    },
  };
}
