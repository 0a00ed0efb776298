import { sql } from 'kysely';
import type { Executor } from '../store/index.ts';
import { windowOf } from './window.ts';

/**
 * Retention of the monthly updates (issue 24 §2, record `monthly_updates`): the declarations of a
 * month whose window closed before the rule's cutoff go, every version (each row holds its only
 * sealed copy); the month checks stay (a count, no person). Never those of a person the purge must
 * keep (`keep`: a litigation hold).
 */
export async function retireMonthlyUpdates(
  db: Executor,
  what: { cutoff: string; keep: readonly string[]; dryRun: boolean },
): Promise<number> {
  // A month is over once its window closed: the last month whose close is before the cutoff.
  const cutoff = new Date(what.cutoff);
  let period = `${cutoff.getUTCFullYear()}-${String(cutoff.getUTCMonth() + 1).padStart(2, '0')}`;
  while (windowOf(period).closesAt >= cutoff) {
    const [y, m] = period.split('-').map(Number) as [number, number];
    period = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  }
  const keep = [...new Set(what.keep)];
  const notKept = keep.length ? sql<boolean>`person_id NOT IN (${sql.join(keep)})` : sql<boolean>`1 = 1`;
  if (what.dryRun)
    return Number(
      (
        await db
          .selectFrom('monthly_updates')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('period', '<=', period)
          .where(notKept)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return Number(
    (await db.deleteFrom('monthly_updates').where('period', '<=', period).where(notKept).executeTakeFirst())
      .numDeletedRows,
  );
}
