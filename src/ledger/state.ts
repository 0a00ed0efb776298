import { sql } from 'kysely';
import type { Executor } from '../store/index.ts';

/**
 * Take the log's lock for the rest of the transaction (a write on its state row: a row lock on
 * PostgreSQL, the write lock on SQLite) and read the state under it. Integration, signing and
 * pruning all start here, so they never interleave, even across processes.
 */
export async function lockLedgerState(trx: Executor): Promise<{ size: number; prunedBelow: number }> {
  await trx
    .updateTable('ledger_state')
    .set({ size: sql`size` })
    .where('id', '=', 1)
    .execute();
  const state = await trx
    .selectFrom('ledger_state')
    .select(['size', 'pruned_below'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return { size: Number(state.size), prunedBelow: Number(state.pruned_below) };
}
