import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Decoys are renewed: one planted long enough ago (`created_at`) is retired from every list and
 * a fresh one takes its place. The retired row stays, with the time of its retirement, so that
 * a later read or search naming an old decoy (from a list that leaked) still contains.
 */
export function decoyRenewal(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('guard_decoys').addColumn('retired_at', 'text').execute();
    },
  };
}
