import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * The kinds of organisation as this migration knows them (issue 21). A migration is history: it
 * keeps its own list, and a kind added to the domain later comes with a migration widening the
 * check (test/backend/organisation-kinds.test.ts fails until it does).
 */
const KINDS = [
  'agency',
  'region',
  'departement',
  'commune',
  'mission_locale',
  'cap_emploi',
  'caf',
  'msa',
  'training_body',
  'subcontractor',
] as const;

/**
 * The database refuses an organisation of an unknown kind, whoever writes (a route, the CLI, a
 * hand edit): every rule keyed by kind (grantable roles, the platform's abilities) then knows
 * every organisation it meets. PostgreSQL takes a CHECK constraint; SQLite cannot add one to an
 * existing table short of rebuilding it (and the tables that reference it), so two triggers
 * abort an insert or an update that names another kind. Rows already there are checked first,
 * on both engines, so a database holding an unknown kind stops the migration with its name.
 */
export function organisationKinds(flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const known = sql.join(KINDS.map((kind) => sql.lit(kind)));
      const query = sql<{ kind: string }>`SELECT DISTINCT kind FROM organisations WHERE kind NOT IN (${known})`;
      const unknown = (await query.execute(db)).rows.map((r) => r.kind);
      if (unknown.length)
        throw new Error(`organisations of unknown kind: ${unknown.join(', ')} (known: ${KINDS.join(', ')})`);
      if (flavour === 'postgres') {
        await sql`ALTER TABLE organisations ADD CONSTRAINT organisations_kind_known CHECK (kind IN (${known}))`.execute(
          db,
        );
        return;
      }
      for (const [event, name] of [
        ['INSERT', 'organisations_kind_known_on_insert'],
        ['UPDATE OF kind', 'organisations_kind_known_on_update'],
      ] as const) {
        await sql`CREATE TRIGGER ${sql.raw(name)} BEFORE ${sql.raw(event)} ON organisations
          WHEN NEW.kind NOT IN (${known})
          BEGIN SELECT RAISE(ABORT, 'organisations.kind: unknown kind of organisation'); END`.execute(db);
      }
    },
  };
}
