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
