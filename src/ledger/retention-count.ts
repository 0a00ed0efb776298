import type { Executor } from '../store/index.ts';
import { prunedBelow } from './questions.ts';

/**
 * How many event bodies dated before `before` are still held (integrated ones): what a pruning
 * at that date would remove at most — `pruneLedger` stops at the signed checkpoint and at the
 * first newer event, so a dry run of retention reports this as an upper bound.
 */
export async function countPrunableBodies(db: Executor, before: Date): Promise<number> {
  const from = await prunedBelow(db);
  const row = await db
    .selectFrom('ledger_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('seq', '>=', from)
    .where('at', '<', before.toISOString())
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
