import type { OrganisationKind } from '../domain/index.ts';
import { can, rolesAllowedTo, type AbilitySubject, type AbilityVerb } from '../policy/index.ts';
import type { Executor } from '../store/index.ts';

/** A staff account seen with its actor and organisation: what administration decisions rest on. */
export interface StaffMember {
  accountId: string;
  login: string;
  actorId: string;
  organisationId: string;
  /** The database refuses any other kind (migration 0023). */
  organisationKind: OrganisationKind;
  organisationStatus: string;
  /** `suspended` while the guard contains the actor. */
  actorStatus: string;
  roles: string[];
}

export async function staffMemberOf(db: Executor, accountId: string): Promise<StaffMember | undefined> {
  const row = await db
    .selectFrom('accounts')
    .innerJoin('actors', 'actors.id', 'accounts.actor_id')
    .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
    .select([
      'accounts.id',
      'accounts.login',
      'actors.id as actor_id',
      'actors.roles',
      'actors.status as actor_status',
      'organisations.id as organisation_id',
      'organisations.kind',
      'organisations.status',
    ])
    .where('accounts.id', '=', accountId)
    .where('accounts.kind', '=', 'staff')
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    accountId: row.id,
    login: row.login,
    actorId: row.actor_id,
    organisationId: row.organisation_id,
    organisationKind: row.kind as OrganisationKind,
    organisationStatus: row.status,
    actorStatus: row.actor_status,
    roles: JSON.parse(row.roles) as string[],
  };
}

/**
 * Active sign-in accounts of active staff holding `role`, optionally only in these
 * organisations: who an alert goes to. Roles are a JSON array; the SQL filter narrows by text
 * and the parsed array decides.
 */
export async function staffAccountsWithRole(
  db: Executor,
  role: string,
  organisationIds?: readonly string[],
): Promise<string[]> {
  if (organisationIds && organisationIds.length === 0) return [];
  let query = db
    .selectFrom('accounts')
    .innerJoin('actors', 'actors.id', 'accounts.actor_id')
    .select(['accounts.id', 'actors.roles'])
    .where('accounts.status', '=', 'active')
    .where('actors.status', '=', 'active')
    .where('actors.roles', 'like', `%"${role}"%`);
  if (organisationIds) query = query.where('actors.organisation_id', 'in', [...organisationIds]);
  const rows = await query.orderBy('accounts.id').execute();
  return rows.filter((r) => (JSON.parse(r.roles) as string[]).includes(role)).map((r) => r.id);
}

/**
 * Active sign-in accounts of active staff whom the platform's rules (policy's abilities) allow
 * `verb` on `subject`: who a security alert goes to is a row of that table, not a role named
 * here. The row's roles narrow the SQL as text; `can`, on the parsed roles and the
 * organisation's kind, decides.
 */
export async function staffAccountsAllowedTo<S extends AbilitySubject>(
  db: Executor,
  verb: AbilityVerb<S>,
  subject: S,
): Promise<string[]> {
  const roles = rolesAllowedTo(verb, subject);
  if (roles.length === 0) return [];
  const rows = await db
    .selectFrom('accounts')
    .innerJoin('actors', 'actors.id', 'accounts.actor_id')
    .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
    .select(['accounts.id', 'actors.roles', 'organisations.kind'])
    .where('accounts.status', '=', 'active')
    .where('actors.status', '=', 'active')
    .where((eb) => eb.or(roles.map((role) => eb('actors.roles', 'like', `%"${role}"%`))))
    .orderBy('accounts.id')
    .execute();
  return rows
    .filter((r) => can({ roles: JSON.parse(r.roles) as string[], organisationKind: r.kind }, verb, subject))
    .map((r) => r.id);
}
