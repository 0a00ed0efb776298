import { sql } from 'kysely';
import { chunks, type Executor, type GroupWriter } from '../store/index.ts';

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
  /** Persons the actor read that nothing in the day's work explained. */
  unexplained: (actorId: string) => `unexplained:${actorId}`,
  /** Persons shown to the actor in a list (its caseload, the persons referred to it). */
  listed: (actorId: string) => `listed:${actorId}`,
  /** Persons the actor booked an appointment for. */
  booked: (actorId: string) => `booked:${actorId}`,
};

/** Distinct subjects of `scope` seen since `dayFrom` and since `weekFrom` (the earlier), in one query. */
export async function countDayAndWeek(
  db: Executor,
  scope: string,
  dayFrom: string,
  weekFrom: string,
): Promise<{ day: number; week: number }> {
  const row = await db
    .selectFrom('guard_seen')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('week'),
      eb.fn.sum<number | string | null>(eb.case().when('last_at', '>=', dayFrom).then(1).else(0).end()).as('day'),
    ])
    .where('scope', '=', scope)
    .where('last_at', '>=', weekFrom)
    .executeTakeFirstOrThrow();
  return { day: Number(row.day ?? 0), week: Number(row.week) };
}

/** When each of `subjects` was last seen in `scope` (absent: never, or pruned). */
export async function lastSeen(db: Executor, scope: string, subjects: readonly string[]): Promise<Map<string, string>> {
  return (await lastSeenIn(db, [scope], subjects)).get(scope)!;
}

/** When each of `subjects` was last seen in each of `scopeList`: one query for several scopes. */
export async function lastSeenIn(
  db: Executor,
  scopeList: readonly string[],
  subjects: readonly string[],
): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>(scopeList.map((s) => [s, new Map()]));
  if (subjects.length === 0) return out;
  const rows = await db
    .selectFrom('guard_seen')
    .select(['scope', 'subject', 'last_at'])
    .where('scope', 'in', [...scopeList])
    .where('subject', 'in', [...subjects])
    .execute();
  for (const r of rows) out.get(r.scope)?.set(r.subject, r.last_at);
  return out;
}

/** Distinct subjects of each scope seen in the last hour and the last day: one range scan per scope, one query. */
export async function countWindows(
  db: Executor,
  scopeList: readonly string[],
  hourFrom: string,
  dayFrom: string,
): Promise<Map<string, { hour: number; day: number }>> {
  const rows = await db
    .selectFrom('guard_seen')
    .select((eb) => [
      'scope',
      eb.fn.countAll<number | string>().as('day'),
      eb.fn.sum<number | string | null>(eb.case().when('last_at', '>=', hourFrom).then(1).else(0).end()).as('hour'),
    ])
    .where('scope', 'in', [...scopeList])
    .where('last_at', '>=', dayFrom)
    .groupBy('scope')
    .execute();
  const out = new Map<string, { hour: number; day: number }>(scopeList.map((s) => [s, { hour: 0, day: 0 }]));
  for (const r of rows) out.set(r.scope, { hour: Number(r.hour ?? 0), day: Number(r.day) });
  return out;
}

export interface Seen {
  scope: string;
  subject: string;
  at: string;
}

/**
 * Upsert these sightings in one statement: one row per (scope, subject), its latest time kept
 * (a commit never moves a window back), rows in key order so that concurrent writers lock them
 * in the same order on PostgreSQL (no deadlock between a group commit and a guarded read).
 */
async function upsertSeen(db: Executor, seen: readonly Seen[]): Promise<void> {
  for (const part of chunks(latestInKeyOrder(seen), 4)) await upsertStatement(part).execute(db);
}

/** One row per (scope, subject), the latest time kept, in key order. */
function latestInKeyOrder(seen: readonly Seen[]): Seen[] {
  const latest = new Map<string, Seen>();
  for (const s of seen) {
    const key = `${s.scope}\u0000${s.subject}`;
    const known = latest.get(key);
    if (!known || known.at < s.at) latest.set(key, s);
  }
  return [...latest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
}

/** The upsert, in SQL rather than the query builder: on the read path, building it cost more than running it. */
function upsertStatement(rows: readonly Seen[]) {
  const values = rows.map(({ scope, subject, at }) => sql`(${scope}, ${subject}, ${at}, ${at}, 0)`);
  return sql`INSERT INTO guard_seen (scope, subject, first_at, last_at, followed_up) VALUES ${sql.join(values)}
    ON CONFLICT (scope, subject) DO UPDATE SET last_at = CASE WHEN excluded.last_at > guard_seen.last_at THEN excluded.last_at ELSE guard_seen.last_at END`;
}

/** Sightings that join the next group commit, with the access events of the reads they count. */
export const SEEN_WRITER: GroupWriter<Seen> = {
  name: 'guard_seen',
  order: 10,
  statements: (seen) => chunks(latestInKeyOrder(seen), 4).map(upsertStatement),
  statement(seen) {
    const rows = latestInKeyOrder(seen);
    return { sql: upsertStatement(rows), parameters: rows.length * 4 };
  },
};

/** Several (scope, subject) pairs seen now, in one statement. */
export async function touchAll(
  db: Executor,
  pairs: ReadonlyArray<{ scope: string; subject: string }>,
  at: string,
): Promise<void> {
  await upsertSeen(
    db,
    pairs.map(({ scope, subject }) => ({ scope, subject, at })),
  );
}

/** Distinct subjects of `scope` seen since `from`. */
export async function countSeen(db: Executor, scope: string, from: string): Promise<number> {
  const row = await db
    .selectFrom('guard_seen')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('scope', '=', scope)
    .where('last_at', '>=', from)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Seen now: a new row, or a later last time for an existing one. */
export async function touch(db: Executor, scope: string, subjects: readonly string[], at: string): Promise<void> {
  await touchAll(
    db,
    subjects.map((subject) => ({ scope, subject })),
    at,
  );
}

/** Subjects of `scope` that fall in a window if seen now: never seen, or last seen before it. */
export function newIn(seen: Map<string, string>, subjects: readonly string[], from: string): string[] {
  return [...new Set(subjects)].filter((s) => {
    const last = seen.get(s);
    return last === undefined || last < from;
  });
}
