import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Assisted access (issue 25 §4): the kinds of organisation grow by `france_services` (a France
 * Services house) and the roles by `aidant` (its agents, who act for a person only under that
 * person's mandate). Migration 0034's check of kinds and 0023's of roles are replaced by ones
 * naming this migration's own lists (a CHECK constraint on PostgreSQL, two triggers on SQLite).
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
  'employer',
  'france_services',
] as const;

const ROLES = [
  'counsellor',
  'indemnisation_agent',
  'bank_controller',
  'partner_staff',
  'call_centre_operator',
  'aidant',
  'partner_system',
  'org_admin',
  'security_officer',
  'dpo',
  'bootstrap_admin',
] as const;

export function franceServices(flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const kinds = sql.join(KINDS.map((kind) => sql.lit(kind)));
      const roles = sql.join(ROLES.map((role) => sql.lit(role)));
      if (flavour === 'postgres') {
        await sql`ALTER TABLE organisations DROP CONSTRAINT organisations_kind_known`.execute(db);
        await sql`ALTER TABLE organisations ADD CONSTRAINT organisations_kind_known CHECK (kind IN (${kinds}))`.execute(
          db,
        );
        const allowed = sql.lit(JSON.stringify(ROLES));
        await sql`ALTER TABLE actors DROP CONSTRAINT actors_roles_known`.execute(db);
        await sql`ALTER TABLE actors ADD CONSTRAINT actors_roles_known
          CHECK (jsonb_typeof(roles::jsonb) = 'array' AND roles::jsonb <@ ${allowed}::jsonb)`.execute(db);
        return;
      }
      for (const [event, name] of [
        ['INSERT', 'organisations_kind_known_on_insert'],
        ['UPDATE OF kind', 'organisations_kind_known_on_update'],
      ] as const) {
        await sql`DROP TRIGGER IF EXISTS ${sql.raw(name)}`.execute(db);
        await sql`CREATE TRIGGER ${sql.raw(name)} BEFORE ${sql.raw(event)} ON organisations
          WHEN NEW.kind NOT IN (${kinds})
          BEGIN SELECT RAISE(ABORT, 'organisations.kind: unknown kind of organisation'); END`.execute(db);
      }
      for (const [event, name] of [
        ['INSERT', 'actors_roles_known_on_insert'],
        ['UPDATE OF roles', 'actors_roles_known_on_update'],
      ] as const) {
        await sql`DROP TRIGGER IF EXISTS ${sql.raw(name)}`.execute(db);
        await sql`CREATE TRIGGER ${sql.raw(name)} BEFORE ${sql.raw(event)} ON actors
          WHEN json_type(NEW.roles) IS NOT 'array'
            OR EXISTS (SELECT 1 FROM json_each(NEW.roles) WHERE json_each.value NOT IN (${roles}))
          BEGIN SELECT RAISE(ABORT, 'actors.roles: unknown role'); END`.execute(db);
      }
    },
  };
}
