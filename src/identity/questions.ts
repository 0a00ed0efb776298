import type { Executor } from '../store/index.ts';

/**
 * What changed on this person's sign-in accounts after `since` (ISO instant): a password reset
 * (recovery or change; the password set at creation is not one) and a second factor added
 * (recovery codes are not a factor one signs in with alone). The bank's takeover checks.
 */
export async function accountChangesSince(
  db: Executor,
  personId: string,
  since: string,
): Promise<{ passwordReset: boolean; factorAdded: boolean }> {
  const accounts = await db
    .selectFrom('accounts')
    .select(['id', 'created_at', 'password_changed_at'])
    .where('person_id', '=', personId)
    .execute();
  const passwordReset = accounts.some(
    (a) => a.password_changed_at !== null && a.password_changed_at > since && a.password_changed_at !== a.created_at,
  );
  if (accounts.length === 0) return { passwordReset, factorAdded: false };
  const factor = await db
    .selectFrom('account_factors')
    .select('id')
    .where(
      'account_id',
      'in',
      accounts.map((a) => a.id),
    )
    .where('kind', '!=', 'recovery_codes')
    .where('created_at', '>', since)
    .limit(1)
    .executeTakeFirst();
  return { passwordReset, factorAdded: factor !== undefined };
}

/** Is this browser (its fingerprint) new to the account: never seen in one of its sessions, or first after `since`? */
export async function newDeviceSince(
  db: Executor,
  accountId: string,
  fingerprint: string,
  since: string,
): Promise<boolean> {
  const first = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.min('created_at').as('first'))
    .where('account_id', '=', accountId)
    .where('fingerprint', '=', fingerprint)
    .executeTakeFirst();
  return !first?.first || String(first.first) > since;
}

/** The person's own sign-in account, if they have one and it is active: where a code for them goes. */
export async function activeJobSeekerAccountOf(db: Executor, personId: string): Promise<{ id: string } | undefined> {
  return db
    .selectFrom('accounts')
    .select('id')
    .where('person_id', '=', personId)
    .where('kind', '=', 'job_seeker')
    .where('status', '=', 'active')
    .executeTakeFirst();
}

/** When the account was created and when its password last changed: how new its credentials are (the guard's burst check). */
export async function accountCredentialDates(
  db: Executor,
  accountId: string,
): Promise<{ createdAt: string; passwordChangedAt: string | null } | undefined> {
  const row = await db
    .selectFrom('accounts')
    .select(['created_at', 'password_changed_at'])
    .where('id', '=', accountId)
    .executeTakeFirst();
  return row && { createdAt: row.created_at, passwordChangedAt: row.password_changed_at };
}

/** The person's sign-in accounts (ids), all of them or only the active ones. */
export async function accountsOfPerson(
  db: Executor,
  personId: string,
  options: { activeOnly?: boolean } = {},
): Promise<string[]> {
  let query = db.selectFrom('accounts').select('id').where('person_id', '=', personId);
  if (options.activeOnly) query = query.where('status', '=', 'active');
  return (await query.execute()).map((r) => r.id);
}

/** The sign-in accounts (ids) of these actors. */
export async function accountsOfActors(db: Executor, actorIds: readonly string[]): Promise<string[]> {
  if (actorIds.length === 0) return [];
  return (
    await db
      .selectFrom('accounts')
      .select('id')
      .where('actor_id', 'in', [...actorIds])
      .execute()
  ).map((r) => r.id);
}

/** The login of each of these accounts that exists, by account id: who asked or decided, as a desk shows it. */
export async function loginsOf(db: Executor, accountIds: ReadonlyArray<string | null>): Promise<Map<string, string>> {
  const ids = [...new Set(accountIds.filter((id): id is string => id !== null))];
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('accounts').select(['id', 'login']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.login]));
}

/**
 * Active sign-in accounts of the active staff who have this person in their caseload (an open
 * entry), with their organisation: who must know of what happens to the person's file.
 */
export async function staffFollowing(
  db: Executor,
  personId: string,
  now = new Date(),
): Promise<Array<{ accountId: string; organisationId: string }>> {
  const rows = await db
    .selectFrom('caseloads')
    .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
    .innerJoin('accounts', 'accounts.actor_id', 'actors.id')
    .select(['accounts.id', 'actors.organisation_id'])
    .where('caseloads.person_id', '=', personId)
    .where((eb) => eb.or([eb('caseloads.until', 'is', null), eb('caseloads.until', '>', now.toISOString())]))
    .where('actors.status', '=', 'active')
    .where('accounts.status', '=', 'active')
    .execute();
  return rows.map((r) => ({ accountId: r.id, organisationId: r.organisation_id }));
}

/** The actor each of these machine clients acts as (clients that exist only), by client id. */
export async function actorsOfMachineClients(db: Executor, clientIds: readonly string[]): Promise<Map<string, string>> {
  if (clientIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('machine_clients')
    .select(['id', 'actor_id'])
    .where('id', 'in', [...clientIds])
    .execute();
  return new Map(rows.map((r) => [r.id, r.actor_id]));
}

/** The known sessions among these public ids, each with its account's actor (null for a job seeker's session). */
export async function actorsOfSessions(db: Executor, sessions: readonly string[]): Promise<Map<string, string | null>> {
  if (!sessions.length) return new Map();
  const rows = await db
    .selectFrom('sessions')
    .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
    .select(['sessions.public_id', 'accounts.actor_id'])
    .where('sessions.public_id', 'in', [...sessions])
    .execute();
  return new Map(rows.map((r) => [r.public_id, r.actor_id]));
}

/** The accounts these sessions (public ids) belong to, one per known session. */
export async function accountsOfSessions(db: Executor, sessions: readonly string[]): Promise<string[]> {
  if (!sessions.length) return [];
  return (
    await db
      .selectFrom('sessions')
      .select('account_id')
      .where('public_id', 'in', [...sessions])
      .execute()
  ).map((r) => r.account_id);
}
