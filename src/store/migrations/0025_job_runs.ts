import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * One row per run of a scheduled job and its slot (issue 22): the primary key is what makes a
 * job run once per slot across every process on the store, whichever queue delivered it, and the
 * rows are what the readiness check, the metrics and the operator read.
 */
export function jobRuns(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('job_runs')
        .addColumn('job', 'text', (c) => c.notNull())
        .addColumn('slot', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().check(sql.raw("state in ('running', 'done', 'failed')")))
        .addColumn('runner', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('lease_until', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addColumn('error', 'text')
        .addPrimaryKeyConstraint('job_runs_pk', ['job', 'slot'])
        .execute();
      await db.schema.createIndex('job_runs_by_start').on('job_runs').columns(['job', 'started_at']).execute();
    },
  };
}
