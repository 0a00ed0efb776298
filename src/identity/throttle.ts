import { createHash } from 'node:crypto';
import { inTransaction, type Executor } from '../store/index.ts';

/** At most 5 wrong passwords for one login name before a lock (the CNIL allows up to 10). */
export const LOGIN_MAX_FAILURES = 5;
/** Many failures from one address (password spraying) block that address too. */
export const ADDRESS_MAX_FAILURES = 20;
const WINDOW_MS = 15 * 60_000;
const FIRST_LOCK_MS = 5 * 60_000;
const MAX_LOCK_MS = 24 * 60 * 60_000;

export interface ThrottleScope {
  key: string;
  maxFailures: number;
}

/** Keyed by a hash of the login name, whether or not such an account exists. */
export function loginScope(login: string): ThrottleScope {
  return { key: `login:${createHash('sha256').update(login).digest('hex')}`, maxFailures: LOGIN_MAX_FAILURES };
}

/** Wrong second-factor codes for one account: a stolen password does not buy a million guesses. */
export function secondFactorScope(accountId: string): ThrottleScope {
  return { key: `second-factor:${accountId}`, maxFailures: LOGIN_MAX_FAILURES };
}

export function addressScope(address: string): ThrottleScope {
  return { key: `address:${address}`, maxFailures: ADDRESS_MAX_FAILURES };
}

/** The latest instant until which any of these scopes is blocked, if any is. */
export async function blockedUntil(db: Executor, scopes: readonly ThrottleScope[], now = new Date()): Promise<Date | undefined> {
  const rows = await db.selectFrom('login_throttle').select(['blocked_until']).where('scope', 'in', scopes.map((s) => s.key)).execute();
  const until = rows.map((r) => (r.blocked_until ? new Date(r.blocked_until) : undefined)).filter((d): d is Date => d !== undefined && d > now);
  return until.length ? new Date(Math.max(...until.map((d) => d.getTime()))) : undefined;
}

/**
 * Count one failure; at the limit, block for a delay that doubles with each block (5 min,
 * 10, 20, … up to a day). Returns the new block's end when this failure caused one.
 */
export async function recordFailure(db: Executor, scope: ThrottleScope, now = new Date()): Promise<Date | undefined> {
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom('login_throttle').selectAll().where('scope', '=', scope.key).executeTakeFirst();
    const windowExpired = !row || now.getTime() - new Date(row.window_started_at).getTime() > WINDOW_MS;
    const failures = (windowExpired ? 0 : row.failures) + 1;
    const windowStart = windowExpired ? now.toISOString() : row.window_started_at;
    let blockCount = row?.block_count ?? 0;
    let blocked: Date | undefined;
    if (failures >= scope.maxFailures) {
      blockCount += 1;
      blocked = new Date(now.getTime() + Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (blockCount - 1)));
    }
    const values = {
      failures: blocked ? 0 : failures,
      window_started_at: windowStart,
      blocked_until: blocked ? blocked.toISOString() : (row?.blocked_until ?? null),
      block_count: blockCount,
    };
    await trx
      .insertInto('login_throttle')
      .values({ scope: scope.key, ...values })
      .onConflict((oc) => oc.column('scope').doUpdateSet(values))
      .execute();
    return blocked;
  });
}

/** A successful login clears its login name's count; the address keeps its history. */
export async function clearFailures(db: Executor, scope: ThrottleScope): Promise<void> {
  await db.updateTable('login_throttle').set({ failures: 0 }).where('scope', '=', scope.key).execute();
}
