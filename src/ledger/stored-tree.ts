import { chunks, inTransaction, type Executor, type LedgerNodesTable } from '../store/index.ts';
import { completedSubtrees, consistencyPath, inclusionPath, rootAt, type SubtreeSource } from './tree.ts';

/** The tree kept in `ledger_nodes`: appends write the subtrees they complete, proofs read O(log n) of them. */
export class StoredTree implements SubtreeSource {
  readonly #db: Executor;

  constructor(db: Executor) {
    this.#db = db;
  }

  async subtree(level: number, index: number): Promise<Buffer> {
    const row = await this.#db
      .selectFrom('ledger_nodes')
      .select('hash')
      .where('level', '=', level)
      .where('idx', '=', index)
      .executeTakeFirst();
    if (!row) throw new Error(`ledger tree: subtree ${level}/${index} is missing`);
    return Buffer.from(row.hash);
  }

  async size(): Promise<number> {
    const row = await this.#db
      .selectFrom('ledger_nodes')
      .select((eb) => eb.fn.max('idx').as('last'))
      .where('level', '=', 0)
      .executeTakeFirst();
    return row?.last === null || row?.last === undefined ? 0 : Number(row.last) + 1;
  }

  /**
   * Append leaf hashes in the caller's transaction (or one of its own); returns the new size.
   * Subtrees completed within the batch are read back from memory, and the batch's rows go in
   * one statement per chunk: a group commit costs a few round trips, not two per leaf.
   */
  async append(leaves: readonly Buffer[]): Promise<number> {
    return inTransaction(this.#db, async (trx) => {
      const stored = new StoredTree(trx);
      const written = new Map<string, Buffer>();
      const source: SubtreeSource = {
        subtree: async (level, index) => written.get(`${level}/${index}`) ?? stored.subtree(level, index),
      };
      const start = await stored.size();
      const rows: LedgerNodesTable[] = [];
      for (const [offset, leaf] of leaves.entries()) {
        for (const node of await completedSubtrees(source, start + offset, leaf)) {
          written.set(`${node.level}/${node.index}`, node.hash);
          rows.push({ level: node.level, idx: node.index, hash: node.hash });
        }
      }
      for (const chunk of chunks(rows, 3)) await trx.insertInto('ledger_nodes').values(chunk).execute();
      return start + leaves.length;
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
