import { sql } from 'kysely';
import type { Executor } from '../../store/index.ts';

/**
 * Retention of the paper channel's letters (issue 24 §2, record `paper_letters`): a letter that
 * is over — posted, or returned with nobody left to reach — goes once that day is older than the
 * rule's period; its row holds the notice's only sealed copy. Never a letter still queued, one
 * returned that still waits for an agent, nor one of a person the purge must keep (`keep`: a
 * litigation hold).
 */
export async function retirePaperLetters(
  db: Executor,
  what: { cutoff: string; keep: readonly string[]; dryRun: boolean },
): Promise<number> {
  const keep = [...new Set(what.keep)];
  const notKept = keep.length ? sql<boolean>`person_id NOT IN (${sql.join(keep)})` : sql<boolean>`1 = 1`;
  const over = sql<boolean>`((status = 'posted' AND posted_at < ${what.cutoff})
    OR (status = 'returned' AND needs_agent = 0 AND returned_at < ${what.cutoff}))`;
  if (what.dryRun)
    return Number(
      (
        await db
          .selectFrom('paper_letters')
          .select((eb) => eb.fn.countAll().as('n'))
          .where(over)
          .where(notKept)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return Number((await db.deleteFrom('paper_letters').where(over).where(notKept).executeTakeFirst()).numDeletedRows);
}
