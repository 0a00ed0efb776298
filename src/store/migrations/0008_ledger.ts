import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** The ledger's Merkle tree: the hash of every complete aligned subtree, written once (ledger issue). */
export function ledger(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('ledger_nodes')
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('idx', 'bigint', (c) => c.notNull())
        .addColumn('hash', blob, (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_nodes_pk', ['level', 'idx'])
        .execute();
    },
  };
}
