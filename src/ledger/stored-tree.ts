import { inTransaction, type Executor } from '../store/index.ts';
import { completedSubtrees, consistencyPath, inclusionPath, rootAt, type SubtreeSource } from './tree.ts';

/** The tree kept in `ledger_nodes`: appends write the subtrees they complete, proofs read O(log n) of them. */
export class StoredTree implements SubtreeSource {
  readonly #db: Executor;

  constructor(db: Executor) {
    this.#db = db;
  }

  async subtree(level: number, index: number): Promise<Buffer> {
    const row = await this.#db.selectFrom('ledger_nodes').select('hash').where('level', '=', level).where('idx', '=', index).executeTakeFirst();
    if (!row) throw new Error(`ledger tree: subtree ${level}/${index} is missing`);
    return Buffer.from(row.hash);
  }

  async size(): Promise<number> {
    const row = await this.#db.selectFrom('ledger_nodes').select((eb) => eb.fn.max('idx').as('last')).where('level', '=', 0).executeTakeFirst();
    return row?.last === null || row?.last === undefined ? 0 : Number(row.last) + 1;
  }

  /** Append leaf hashes in the caller's transaction (or one of its own); returns the new size. */
  async append(leaves: readonly Buffer[]): Promise<number> {
    return inTransaction(this.#db, async (trx) => {
      const tree = new StoredTree(trx);
      let size = await tree.size();
      for (const leaf of leaves) {
        const rows = await completedSubtrees(tree, size, leaf);
        await trx.insertInto('ledger_nodes').values(rows.map((r) => ({ level: r.level, idx: r.index, hash: r.hash }))).execute();
        size += 1;
      }
      return size;
    });
  }

  root(size: number): Promise<Buffer> {
    return rootAt(this, size);
  }

  inclusionProof(index: number, size: number): Promise<Buffer[]> {
    return inclusionPath(this, index, 0, size);
  }

  consistencyProof(size1: number, size2: number): Promise<Buffer[]> {
    return consistencyPath(this, size1, size2);
  }
}
