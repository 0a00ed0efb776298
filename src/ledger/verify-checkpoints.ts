import type { Executor } from '../store/index.ts';
import type { Findings } from './verify-findings.ts';
import type { Ledger } from './log.ts';
import { NodeRange } from './verify-page.ts';

export interface TrustedCheckpoint {
  size: number;
  root: Buffer;
  at: string;
}

/**
 * The checkpoints of the table, in order of size, that carry this log's signature over what the
 * table says; each other one is a finding.
 */
export async function trustedCheckpoints(
  db: Executor,
  ledger: Ledger,
  findings: Findings,
): Promise<TrustedCheckpoint[]> {
  const trusted: TrustedCheckpoint[] = [];
  const rows = await db.selectFrom('ledger_checkpoints').selectAll().orderBy('size', 'asc').execute();
  for (const row of rows) {
    try {
      const opened = ledger.openCheckpoint(row.note);
      if (opened.size !== BigInt(row.size) || !opened.root.equals(Buffer.from(row.root)))
        throw new Error('la note signée ne dit pas la même taille ou la même racine que la table');
      trusted.push({ size: Number(row.size), root: opened.root, at: row.at });
    } catch (error) {
      findings.note({
        kind: 'checkpoint',
        message: `point de contrôle à la taille ${row.size} rejeté : ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return trusted;
}

/**
 * The sizes at which checkpoints are compared, in order: they are reached one after the other as
 * the positions go by, and one that can never be reached (an empty tree) stops the ones after it.
 */
export function cutSizesOf(trusted: readonly TrustedCheckpoint[]): number[] {
  const cutSizes: number[] = [];
  for (const checkpoint of trusted) {
    if (checkpoint.size < 1) break;
    cutSizes.push(checkpoint.size);
  }
  return cutSizes;
}

/**
 * The two trees a verification rebuilds, one from the stored leaf hashes and one from the events,
 * each compared with every signed checkpoint when its size is reached. The stored tree tells
 * whether the stored hashes were rewritten; the events' tree bounds where the first change lies.
 */
export class RebuiltTrees {
  readonly stored = new NodeRange();
  readonly events = new NodeRange();
  readonly #trusted: readonly TrustedCheckpoint[];
  readonly #findings: Findings;
  #nextCheckpoint = 0;
  #storedTreeFaulty = false;
  #lastGoodSize = 0;

  constructor(trusted: readonly TrustedCheckpoint[], findings: Findings) {
    this.#trusted = trusted;
    this.#findings = findings;
  }

  /** The checkpoints signed at `reached` events, compared with both trees as they stand. */
  reach(reached: number): void {
    while (this.#nextCheckpoint < this.#trusted.length && this.#trusted[this.#nextCheckpoint]!.size === reached) {
      const checkpoint = this.#trusted[this.#nextCheckpoint]!;
      if (!this.#storedTreeFaulty && !this.stored.root().equals(checkpoint.root)) {
        this.#storedTreeFaulty = true;
        this.#findings.note({
          kind: 'tree',
          message: `les empreintes stockées de l'arbre ne reproduisent pas la racine signée à la taille ${checkpoint.size} : elles ont été réécrites`,
        });
      }
      if (this.events.root().equals(checkpoint.root)) this.#lastGoodSize = checkpoint.size;
      else if (!this.#findings.some((f) => f.kind === 'checkpoint' && f.index !== undefined)) {
        this.#findings.note({
          kind: 'checkpoint',
          index: this.#lastGoodSize,
          message: `les événements ne reproduisent pas la racine signée à la taille ${checkpoint.size} : le premier changement est entre les positions ${this.#lastGoodSize} et ${checkpoint.size - 1}`,
        });
      }
      this.#nextCheckpoint += 1;
    }
  }
}
