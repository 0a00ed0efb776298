import { createHash } from 'node:crypto';
import { inTransaction, type Executor } from '../store/index.ts';

/** At most 5 wrong passwords for one login name before a lock (the CNIL allows up to 10). */
export const LOGIN_MAX_FAILURES = 5;
/**
 * And at most 20 a day: a guesser who paces itself under the 15-minute count (4 tries every
 * quarter of an hour, some 380 a day) is locked for a day after its twentieth, and the holder told.
 */
export const LOGIN_DAILY_MAX_FAILURES = 20;
/** Many failures from one address (password spraying) block that address too. */
export const ADDRESS_MAX_FAILURES = 20;
/** From one network (a /24, a /48): a spray spread over the addresses of one network. */
export const NETWORK_MAX_FAILURES = 100;
/** From everywhere: a spray spread over many networks (a botnet) slows every sign-in down. */
export const GLOBAL_MAX_FAILURES = 1_000;
const WINDOW_MS = 15 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
const FIRST_LOCK_MS = 5 * 60_000;
const MAX_LOCK_MS = DAY_MS;

export interface ThrottleScope {
  key: string;
  maxFailures: number;
  /** The window failures are counted over (15 minutes unless said). */
  windowMs?: number;
  /** The first block's length, doubled at each later one up to a day (5 minutes unless said). */
  firstLockMs?: number;
}

const loginHash = (login: string) => createHash('sha256').update(login).digest('hex');

/** Keyed by a hash of the login name, whether or not such an account exists. */
export function loginScope(login: string): ThrottleScope {
  return { key: `login:${loginHash(login)}`, maxFailures: LOGIN_MAX_FAILURES };
}

/** The same login name over a day: the slow guesser's count. */
export function loginDayScope(login: string): ThrottleScope {
  return {
    key: `login-day:${loginHash(login)}`,
    maxFailures: LOGIN_DAILY_MAX_FAILURES,
    windowMs: DAY_MS,
    firstLockMs: DAY_MS,
  };
}

/** Every address of one network together (see `networkOf`). */
export function networkScope(network: string, maxFailures = NETWORK_MAX_FAILURES): ThrottleScope {
  return { key: `network:${network}`, maxFailures };
}

/** Every failed sign-in of the whole service. */
export function globalScope(maxFailures = GLOBAL_MAX_FAILURES): ThrottleScope {
  return { key: 'global', maxFailures };
}

/** Wrong second-factor codes for one account: a stolen password does not buy a million guesses. */
export function secondFactorScope(accountId: string): ThrottleScope {
  return { key: `second-factor:${accountId}`, maxFailures: LOGIN_MAX_FAILURES };
}

export function addressScope(address: string): ThrottleScope {
  return { key: `address:${address}`, maxFailures: ADDRESS_MAX_FAILURES };
}

/** The latest instant until which any of these scopes is blocked, if any is. */
export async function blockedUntil(
  db: Executor,
  scopes: readonly ThrottleScope[],
  now = new Date(),
): Promise<Date | undefined> {
  return latest([...(await blocksOf(db, scopes, now)).values()]);
}

/** Each of these scopes blocked now, with the end of its block: one query for several scopes. */
export async function blocksOf(
  db: Executor,
  scopes: readonly ThrottleScope[],
  now = new Date(),
): Promise<Map<string, Date>> {
  const rows = await db
    .selectFrom('login_throttle')
    .select(['scope', 'blocked_until'])
    .where(
      'scope',
      'in',
      scopes.map((s) => s.key),
    )
    .execute();
  const blocks = new Map<string, Date>();
  for (const row of rows)
    if (row.blocked_until && Date.parse(row.blocked_until) > now.getTime())
      blocks.set(row.scope, new Date(row.blocked_until));
  return blocks;
}

/** The latest of these instants, if any. */
export function latest(dates: readonly Date[]): Date | undefined {
  return dates.length ? new Date(Math.max(...dates.map((d) => d.getTime()))) : undefined;
}

/**
 * Count one failure; at the limit, block for a delay that doubles with each block (5 min,
 * 10, 20, … up to a day). Returns the new block's end when this failure caused one.
 */
export async function recordFailure(db: Executor, scope: ThrottleScope, now = new Date()): Promise<Date | undefined> {
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom('login_throttle').selectAll().where('scope', '=', scope.key).executeTakeFirst();
    const windowExpired =
      !row || now.getTime() - new Date(row.window_started_at).getTime() > (scope.windowMs ?? WINDOW_MS);
    const failures = (windowExpired ? 0 : row.failures) + 1;
    const windowStart = windowExpired ? now.toISOString() : row.window_started_at;
    let blockCount = row?.block_count ?? 0;
    let blocked: Date | undefined;
    if (failures >= scope.maxFailures) {
      blockCount += 1;
      blocked = new Date(
        now.getTime() + Math.min(MAX_LOCK_MS, (scope.firstLockMs ?? FIRST_LOCK_MS) * 2 ** (blockCount - 1)),
      );
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
