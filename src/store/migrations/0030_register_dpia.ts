import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** Gate inputs: a write to them must be in force at the next request of every process, like a posture's. */
const GATE_INPUT_TABLES = ['dpias', 'baseline_attestations'] as const;

/**
 * Issue 24: the DPIA of each processing (versioned), the organisations' security-baseline
 * attestations, and the versions of the generated Art. 30 register. The first two feed the
 * partner security gate, so writing them bumps `policy_epoch` (migration 0014) as the
 * organisations, agreements and derogations do.
 */
export function registerDpia(flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('dpias')
        .addColumn('processing', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('complete', 'integer', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('dpias_pk', ['processing', 'version'])
        .execute();

      await db.schema
        .createTable('baseline_attestations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('attested_by', 'text', (c) => c.notNull())
        .addColumn('attester_role', 'text', (c) => c.notNull())
        .addColumn('attested_at', 'text', (c) => c.notNull())
        .addColumn('items', 'text', (c) => c.notNull())
        .addColumn('statement', 'text')
        .addColumn('recorded_by', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('baseline_attestations_by_organisation')
        .on('baseline_attestations')
        .columns(['organisation_id', 'attested_at'])
        .execute();

      await db.schema
        .createTable('register_versions')
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('cause', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      if (flavour === 'postgres') {
        // bump_policy_epoch() comes from migration 0014.
        for (const table of GATE_INPUT_TABLES) {
          await sql`CREATE TRIGGER ${sql.id(`${table}_bump_policy_epoch`)} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${sql.table(table)} FOR EACH STATEMENT EXECUTE FUNCTION bump_policy_epoch()`.execute(
            db,
          );
        }
        return;
      }
      for (const table of GATE_INPUT_TABLES) {
        for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
          await sql
            .raw(
              `CREATE TRIGGER ${table}_${event.toLowerCase()}_bumps_policy_epoch AFTER ${event} ON ${table} BEGIN UPDATE policy_epoch SET version = version + 1 WHERE id = 1; END`,
            )
            .execute(db);
        }
      }
    },
  };
}
