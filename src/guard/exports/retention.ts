import { sql } from 'kysely';
import { chunks, type Executor } from '../../store/index.ts';

/**
 * Retention of the bulk exports' log (issue 24 §2, record `exports`): an export that is over —
 * refused, or expired (its sealed file is already gone at expiry) — goes with its canaries once
 * the day it ended (expiry, or the refusal) is older than the rule's period. An export still
 * requested or approved (its file downloadable) is never touched. The canaries go with their
 * export: a leak found after that can no longer be traced to it, which is the period's point.
 */
export async function retireExports(db: Executor, what: { cutoff: string; dryRun: boolean }): Promise<number> {
  const ended = sql<boolean>`((status = 'expired' AND COALESCE(expires_at, decided_at, requested_at) < ${what.cutoff})
    OR (status = 'refused' AND COALESCE(decided_at, requested_at) < ${what.cutoff}))`;
  const ids = (await db.selectFrom('exports').select('id').where(ended).execute()).map((r) => r.id);
  if (what.dryRun || ids.length === 0) return ids.length;
  let n = 0;
  for (const part of chunks(ids, 1, 5_000)) {
    await db.deleteFrom('export_canaries').where('export_id', 'in', part).execute();
    n += Number(
      (await db.deleteFrom('exports').where('id', 'in', part).where(ended).executeTakeFirst()).numDeletedRows,
    );
  }
  return n;
}
