import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { inTransaction, locksRows, type Executor } from '../store/index.ts';

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
    // Read, then written: two failures counted at once must not both read the same count.
    await lockThrottleScopes(trx, [scope.key]);
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

/**
 * Hold these scopes' locks until `trx` ends (PostgreSQL advisory locks, taken in one order; SQLite
 * writes one transaction at a time already): for a caller that checks a scope and counts in it in
 * one transaction, so that parallel requests cannot all pass the check before any is counted.
 */
export async function lockThrottleScopes(trx: Executor, keys: readonly string[]): Promise<void> {
  if (!locksRows(trx)) return;
  for (const key of [...new Set(keys)].sort())
    await sql`select pg_advisory_xact_lock(hashtext(${`rempart-throttle:${key}`}))`.execute(trx);
}

const turns = new Map<string, Promise<unknown>>();

/**
 * Run `work` once every earlier call with the same key has finished (in this process). A check that
 * reads a count, then verifies a secret slowly (a password, a code), then counts, is only a limit
 * when attempts on one key take turns: thirty guesses sent at once would otherwise all be checked
 * against the count before the first failure was recorded.
 */
export async function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = turns.get(key) ?? Promise.resolve();
  const mine = previous.then(work);
  const settled = mine.catch(() => undefined);
  turns.set(key, settled);
  try {
    return await mine;
  } finally {
    if (turns.get(key) === settled) turns.delete(key);
  }
}
