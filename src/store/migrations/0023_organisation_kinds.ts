import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * The kinds of organisation and the roles as this migration knows them (issue 21). A migration is history: it
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

/** The roles as this migration knows them, likewise; an actor's roles are a JSON array of them. */
const ROLES = [
  'counsellor',
  'indemnisation_agent',
  'bank_controller',
  'partner_staff',
  'call_centre_operator',
  'partner_system',
  'org_admin',
  'security_officer',
  'dpo',
  'bootstrap_admin',
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
      await refuseUnknownRoles(db, flavour);
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

/**
 * An actor's roles, likewise: a JSON array of known roles, checked on both engines (a CHECK over
 * the text cast to jsonb on PostgreSQL, triggers over json_each on SQLite). Rows already there
 * are checked first and stop the migration with the unknown role's name.
 */
async function refuseUnknownRoles(db: Kysely<unknown>, flavour: Flavour): Promise<void> {
  const known = sql.join(ROLES.map((role) => sql.lit(role)));
  const rows = await sql<{ roles: string }>`SELECT DISTINCT roles FROM actors`.execute(db);
  const unknown = new Set<string>();
  for (const { roles } of rows.rows) {
    const parsed: unknown = JSON.parse(roles);
    if (!Array.isArray(parsed)) unknown.add(roles);
    else for (const role of parsed) if (!(ROLES as readonly unknown[]).includes(role)) unknown.add(String(role));
  }
  if (unknown.size)
    throw new Error(`actors with unknown roles: ${[...unknown].join(', ')} (known: ${ROLES.join(', ')})`);
  if (flavour === 'postgres') {
    const allowed = sql.lit(JSON.stringify(ROLES));
    await sql`ALTER TABLE actors ADD CONSTRAINT actors_roles_known
      CHECK (jsonb_typeof(roles::jsonb) = 'array' AND roles::jsonb <@ ${allowed}::jsonb)`.execute(db);
    return;
  }
  for (const [event, name] of [
    ['INSERT', 'actors_roles_known_on_insert'],
    ['UPDATE OF roles', 'actors_roles_known_on_update'],
  ] as const) {
    await sql`CREATE TRIGGER ${sql.raw(name)} BEFORE ${sql.raw(event)} ON actors
      WHEN json_type(NEW.roles) IS NOT 'array'
        OR EXISTS (SELECT 1 FROM json_each(NEW.roles) WHERE json_each.value NOT IN (${known}))
      BEGIN SELECT RAISE(ABORT, 'actors.roles: unknown role'); END`.execute(db);
  }
}
