import { sql } from 'kysely';
import type { Executor } from '../store/index.ts';

/**
 * Sliding windows over `guard_seen`: one row per (scope, subject) holding the last time the
 * subject was seen, so the distinct subjects seen in a window are exactly the rows whose last
 * time falls in it. Counting is a range scan of one scope, bounded by the limit it enforces.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export const since = (now: Date, ms: number) => new Date(now.getTime() - ms).toISOString();

export const scopes = {
  actor: (actorId: string) => `actor:${actorId}`,
  organisation: (organisationId: string, purpose: string) => `org:${organisationId}:${purpose}`,
  readers: (organisationId: string, personId: string) => `readers:${organisationId}:${personId}`,
  networks: (actorId: string) => `net:${actorId}`,
  refused: (actorId: string) => `refused:${actorId}`,
};

/** When each of `subjects` was last seen in `scope` (absent: never, or pruned). */
export async function lastSeen(db: Executor, scope: string, subjects: readonly string[]): Promise<Map<string, string>> {
  if (subjects.length === 0) return new Map();
  const rows = await db.selectFrom('guard_seen').select(['subject', 'last_at']).where('scope', '=', scope).where('subject', 'in', [...subjects]).execute();
  return new Map(rows.map((r) => [r.subject, r.last_at]));
}

/** Distinct subjects of `scope` seen since `from`. */
export async function countSeen(db: Executor, scope: string, from: string): Promise<number> {
  const row = await db.selectFrom('guard_seen').select((eb) => eb.fn.countAll<number | string>().as('n')).where('scope', '=', scope).where('last_at', '>=', from).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Seen now: a new row, or a later last time for an existing one. */
export async function touch(db: Executor, scope: string, subjects: readonly string[], at: string): Promise<void> {
  if (subjects.length === 0) return;
  await db
    .insertInto('guard_seen')
    .values([...new Set(subjects)].map((subject) => ({ scope, subject, first_at: at, last_at: at, followed_up: 0 })))
    .onConflict((oc) => oc.columns(['scope', 'subject']).doUpdateSet({ last_at: sql`excluded.last_at` }))
    .execute();
}

/** Subjects of `scope` that fall in a window if seen now: never seen, or last seen before it. */
export function newIn(seen: Map<string, string>, subjects: readonly string[], from: string): string[] {
  return [...new Set(subjects)].filter((s) => {
    const last = seen.get(s);
    return last === undefined || last < from;
  });
}
