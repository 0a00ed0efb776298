import { sql } from 'kysely';
import { chunks, type Executor } from '../store/index.ts';
import { notEndedBefore } from './context.ts';

export interface CaseloadPage {
  page: number;
  pageSize: number;
  /** Active caseload entries of the actor, counted in SQL. */
  total: number;
  /** Person ids of this page, oldest assignment first (ties by person id), from SQL. */
  personIds: string[];
}

export const CASELOAD_MAX_PAGE_SIZE = 200;

/**
 * A counsellor's own active caseload, one page at a time: filtered, ordered, counted and cut
 * (LIMIT/OFFSET) inside SQL, never by loading the caseload and slicing it in memory.
 * Active means, as for the decision's relationship facts, not ended before today; erased persons are left out,
 * and so are the guard's decoys: a counsellor never meets one doing their job.
 */
export async function listCaseload(
  db: Executor,
  actorId: string,
  options: { page: number; pageSize: number; now?: Date },
): Promise<CaseloadPage> {
  const page = Math.max(1, Math.trunc(options.page));
  const pageSize = Math.min(CASELOAD_MAX_PAGE_SIZE, Math.max(1, Math.trunc(options.pageSize)));
  const today = (options.now ?? new Date()).toISOString().slice(0, 10);
  const active = db
    .selectFrom('caseloads')
    .innerJoin('persons', 'persons.id', 'caseloads.person_id')
    .where('caseloads.actor_id', '=', actorId)
    .where('persons.status', '=', 'active')
    .where(notEndedBefore('caseloads.until', today))
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('guard_decoys')
            .select('guard_decoys.person_id')
            .whereRef('guard_decoys.person_id', '=', 'caseloads.person_id'),
        ),
      ),
    );
  const counted = await active.select((eb) => eb.fn.countAll<number | string>().as('total')).executeTakeFirst();
  const rows = await active
    .select('caseloads.person_id')
    .orderBy('caseloads.since', 'asc')
    .orderBy('caseloads.person_id', 'asc')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  return { page, pageSize, total: Number(counted?.total ?? 0), personIds: rows.map((r) => r.person_id) };
}

/** A list's ceiling: the largest caseloads hold about 2,500 persons (docs/guard-calibration.md), a list never more than this. */
export const LISTED_MAX = 5_000;

/** One person of a list, with what is known of them in clear: since when they are listed, and their appointments there. */
export interface ListedPerson {
  personId: string;
  /** When the person joined the caseload, or when the referral started. */
  since: string;
  /** The next appointment not cancelled, from now on: with the actor (caseload) or in the organisation (referral). */
  nextAppointment: { at: string; kind: string } | null;
  /** The latest appointment before now, the same way. */
  lastAppointment: { at: string; kind: string } | null;
}

/**
 * Every person a list relationship ties to the actor today: the actor's own active caseload, or
 * the persons with an active referral to its organisation. Erased persons and the guard's decoys
 * are left out, as in `listCaseload`. Bounded by `LISTED_MAX` (oldest first), so a list assigned
 * by a compromised administrator cannot be made to hold the whole network.
 */
export async function listedPersons(
  db: Executor,
  actor: { id: string; organisationId: string },
  relationship: 'caseload' | 'referral',
  now: Date,
): Promise<ListedPerson[]> {
  const today = now.toISOString().slice(0, 10);
  // A decoy is never listed, nor a person whose identity is under a restriction of processing (Art. 18).
  const notDecoy = sql`NOT EXISTS (SELECT 1 FROM guard_decoys d WHERE d.person_id = p.id) AND NOT EXISTS (SELECT 1 FROM person_restrictions pr WHERE pr.person_id = p.id AND pr.class = 'identity')`;
  const rows =
    relationship === 'caseload'
      ? (
          await sql<{ person_id: string; since: string }>`
            SELECT c.person_id, c.since FROM caseloads c JOIN persons p ON p.id = c.person_id
            WHERE c.actor_id = ${actor.id} AND p.status = 'active' AND (c.until IS NULL OR c.until >= ${today}) AND ${notDecoy}
            ORDER BY c.since, c.person_id LIMIT ${LISTED_MAX}`.execute(db)
        ).rows
      : (
          await sql<{ person_id: string; since: string }>`
            SELECT r.person_id, MIN(r.starts_on) AS since FROM referrals r JOIN persons p ON p.id = r.person_id
            WHERE r.organisation_id = ${actor.organisationId} AND r.status = 'active' AND r.starts_on <= ${today}
              AND (r.ends_on IS NULL OR r.ends_on >= ${today}) AND p.status = 'active' AND ${notDecoy}
            GROUP BY r.person_id ORDER BY MIN(r.starts_on), r.person_id LIMIT ${LISTED_MAX}`.execute(db)
        ).rows;
  const listed = new Map<string, ListedPerson>(
    rows.map((r) => [
      r.person_id,
      { personId: r.person_id, since: r.since, nextAppointment: null, lastAppointment: null },
    ]),
  );
  if (listed.size === 0) return [];
  const by =
    relationship === 'caseload' ? sql`a.actor_id = ${actor.id}` : sql`a.organisation_id = ${actor.organisationId}`;
  const appointments: Array<{ person_id: string; at: string; kind: string }> = [];
  // By person (the `appointments_by_person` index), a few hundred at a time.
  for (const part of chunks([...listed.keys()], 1, 500))
    appointments.push(
      ...(
        await sql<{ person_id: string; at: string; kind: string }>`
          SELECT a.person_id, a.at, a.kind FROM appointments a
          WHERE a.person_id IN (${sql.join(part)}) AND ${by} AND a.cancelled_at IS NULL`.execute(db)
      ).rows,
    );
  appointments.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const nowIso = now.toISOString();
  for (const a of appointments) {
    const person = listed.get(a.person_id);
    if (!person) continue;
    if (a.at >= nowIso) person.nextAppointment ??= { at: a.at, kind: a.kind };
    else person.lastAppointment = { at: a.at, kind: a.kind };
  }
  return [...listed.values()];
}
