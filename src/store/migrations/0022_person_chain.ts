import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Each person's journal is a chain (issue 20): every event of a journal kind that names a person
 * carries, from its integration, the person's count `n` and the leaf hash of their previous
 * such event. The integrator keeps here the head of each person's chain — the `n`, leaf hash
 * and leaf index of their last integrated event — so that a batch reads each head once, and the
 * journal can state how many entries the person must find.
 */
export function personChain(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('ledger_person_heads')
        .addColumn('person_id', 'text', (c) => c.primaryKey())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('head', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
