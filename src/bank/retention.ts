import { sql } from 'kysely';
import type { Executor } from '../store/index.ts';

/**
 * Retention of bank-detail changes (issue 24 §2, record `bank_changes`): a change that is over —
 * rejected, or effective and applied — goes once the day it ended (applied, or decided) is older
 * than the rule's period; its row holds the new details' only data key (crypto-shredding). Never
 * a change under way (cooling off, awaiting verification, frozen by « ce n'est pas moi »: those
 * are the evidence of a redirection being fought), never one of a person whose bank details are
 * under a hold in force (an investigation reads the past changes), and never one of a person the
 * purge must keep (`keep`: a litigation hold).
 */
export async function retireBankChanges(
  db: Executor,
  what: { cutoff: string; keep: readonly string[]; dryRun: boolean },
): Promise<number> {
  const keep = [...new Set(what.keep)];
  const notKept = keep.length ? sql<boolean>`person_id NOT IN (${sql.join(keep)})` : sql<boolean>`1 = 1`;
  const over = sql<boolean>`((status = 'effective' AND applied_at IS NOT NULL AND applied_at < ${what.cutoff})
    OR (status = 'rejected' AND decided_at IS NOT NULL AND decided_at < ${what.cutoff}))`;
  const noHold = sql<boolean>`NOT EXISTS (SELECT 1 FROM bank_holds h WHERE h.person_id = bank_changes.person_id AND h.lifted_at IS NULL)`;
  if (what.dryRun)
    return Number(
      (
        await db
          .selectFrom('bank_changes')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('open_slot', 'is', null)
          .where(over)
          .where(noHold)
          .where(notKept)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return Number(
    (
      await db
        .deleteFrom('bank_changes')
        .where('open_slot', 'is', null)
        .where(over)
        .where(noHold)
        .where(notKept)
        .executeTakeFirst()
    ).numDeletedRows,
  );
}
