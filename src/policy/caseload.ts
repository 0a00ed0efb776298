import type { Executor } from '../store/index.ts';
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
