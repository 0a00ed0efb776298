import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * What a decision reads about an organisation (its status and posture, its agreements, its
 * derogations) is cached by every server process; `policy_epoch` is the version of that data.
 * Triggers bump it on every write to those tables, whoever writes (a route, the CLI, a hand
 * edit in psql), and each request reads it with its session: a process whose cache is older
 * reloads before deciding. So a suspension or an agreement change is in force at the next
 * request of every process, never after a delay.
 */
export const POLICY_TABLES = ['organisations', 'agreements', 'derogations'] as const;

export function accessEpoch(flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('policy_epoch')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .execute();
      await sql`INSERT INTO policy_epoch (id, version) VALUES (1, 1)`.execute(db);
      if (flavour === 'postgres') {
        await sql`CREATE FUNCTION bump_policy_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            UPDATE policy_epoch SET version = version + 1 WHERE id = 1;
            RETURN NULL;
          END $$`.execute(db);
        for (const table of POLICY_TABLES) {
          await sql`CREATE TRIGGER ${sql.id(`${table}_bump_policy_epoch`)} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${sql.table(table)} FOR EACH STATEMENT EXECUTE FUNCTION bump_policy_epoch()`.execute(
            db,
          );
        }
        return;
      }
      for (const table of POLICY_TABLES) {
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
