import type { Executor, Flavour } from '../store/index.ts';
import { formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.ts';
import { anchorAt, extendRange, type ExtensionFailure, type SignedRoot } from './extension.ts';
import {
  appendLeaves,
  assignSeq,
  newestPending,
  pendingBacklog,
  selectPending,
  type PendingBound,
} from './integration.ts';
import { verifyConsistency } from './merkle.ts';
import { openNote, parseVerifierKey, signNote, verifierKeyOf, type NoteSigner, type NoteVerifier } from './note.ts';
import { chainBatch } from './person-chain.ts';
import { oldestEventAtFrom } from './questions.ts';
import { ensureCurrentLedgerPartitions } from './retention.ts';
import { lockLedgerState } from './state.ts';
import { StoredTree } from './stored-tree.ts';
import type { NodeRange } from './verify-page.ts';
import type { FindingKind } from './verify.ts';
import { LocalWitness, WitnessFileError, type Witnessed } from './witness-file.ts';

/** The log found itself in a state it must not sign or serve: tampering, or a bug; either way, a human looks. */
export class LedgerIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerIntegrityError';
  }
}

export interface SignedCheckpoint extends Checkpoint {
  /** The signed note, as a witness stores it. */
  note: string;
  at: string;
}

/**
 * Who found a problem with the log: the whole-log pass (`full`), the incremental one that
 * extends the verified prefix (`incremental`), the comparison with the witnessed checkpoint
 * (`witness`), the external witness (`external`), the witness file itself (`file`: unreadable,
 * or signed by another key), or signing's own checks (`sign`).
 */
export type IntegritySource = 'full' | 'incremental' | 'witness' | 'external' | 'file' | 'sign';

/** Something known to be wrong with the log, until the same check passes again. */
export interface IntegrityProblem {
  source: IntegritySource;
  kind: FindingKind;
  index?: number;
  eventId?: string;
  message: string;
  /** When it was first seen. */
  since: string;
}

export type IntegrityEvent =
  | { type: 'problem'; problem: IntegrityProblem; first: boolean }
  | { type: 'cleared'; source: IntegritySource }
  | { type: 'signed'; checkpoint: SignedCheckpoint }
  /** Something the operator should know that is not a problem with the log (the witness file not written). */
  | { type: 'warning'; message: string };

/** What waits to be integrated into the tree and signed (`Ledger.backlog`). */
export interface LedgerBacklog {
  /** Events recorded but not yet integrated into the tree. */
  pending: number;
  /** When the oldest of them was recorded (ISO instant), or null when none waits. */
  oldestPendingAt: string | null;
  /** The tree's size. */
  size: number;
  /** The newest signed checkpoint's size and time, or null before the first. */
  checkpoint: { size: number; at: string } | null;
  /** Since when events wait for a signature, or null when every event recorded is signed. */
  unsignedSince: string | null;
}

const INTEGRATION_BATCH = 5_000;

export interface IntegrateOptions {
  /** Stop after this many batches even if more is pending (the schedule's tick); unbounded by default. */
  maxBatches?: number;
  /** Events per batch (one transaction each); 5,000 by default. */
  batchSize?: number;
  onProgress?: (integrated: number) => void;
}

export interface CheckpointOptions {
  /** Sign only if the newest checkpoint is at least this old (the fleet's schedule); by default, whenever the tree grew. */
  minIntervalMs?: number;
  /** Integrate what is pending first (default); the schedule integrates on its own, in bounded ticks. */
  integrate?: boolean;
  /** At most this many batches integrated first (on demand: one); unbounded by default. */
  maxBatches?: number;
  /**
   * Verify newly integrated events for at most about this long before signing, and sign what
   * was verified (a prefix of the tree when the backlog is larger): signing's time is bounded.
   * Unbounded by default (the CLI, tests: the whole tree is signed).
   */
  verifyBudgetMs?: number;
}

/** Sources whose problems hold every signature back until the check that found them passes again. */
const REFUSING: readonly IntegritySource[] = ['full', 'witness', 'external', 'file'];

/**
 * The ledger as a transparency log: events recorded by `appendEvent` are integrated into the
 * Merkle tree in batches (each gets its leaf index, `seq`), and checkpoints of the tree are
 * signed with the agency's Ed25519 key. Integration and signing take the ledger_state row
 * lock, so several server processes on one PostgreSQL never interleave them.
 */
export class Ledger {
  readonly #db: Executor;
  readonly #signer: NoteSigner;
  readonly origin: string;
  readonly verifier: NoteVerifier;
  readonly flavour: Flavour;
  readonly #problems = new Map<IntegritySource, IntegrityProblem>();
  readonly #listeners = new Set<(event: IntegrityEvent) => void>();
  /** The verified prefix: recomputed from the events, anchored at a signed checkpoint (extension.ts). */
  #trusted: NodeRange | undefined;
  /** Extensions of the prefix run one at a time (the background verifier's and signing's). */
  #exclusive: Promise<unknown> = Promise.resolve();
  /** The largest checkpoint witnessed outside the database: signed here, or read from the witness file. */
  #witnessed: Witnessed | undefined;
  #witnessFile: LocalWitness | undefined;

  private constructor(db: Executor, flavour: Flavour, signer: NoteSigner, origin: string) {
    this.#db = db;
    this.flavour = flavour;
    this.#signer = signer;
    this.origin = origin;
    this.verifier = parseVerifierKey(verifierKeyOf(signer));
  }

  /**
   * Open the log; the origin is fixed the first time and kept, so checkpoints stay comparable
   * if the public address changes later. The signer's name must be that origin.
   */
  static async open(
    db: Executor,
    flavour: Flavour,
    makeSigner: (origin: string) => NoteSigner,
    proposedOrigin: string,
  ): Promise<Ledger> {
    await db
      .insertInto('ledger_state')
      .values({ id: 1, origin: proposedOrigin, size: 0, pruned_below: 0 })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const state = await db.selectFrom('ledger_state').select('origin').where('id', '=', 1).executeTakeFirstOrThrow();
    await ensureCurrentLedgerPartitions(db, flavour);
    return new Ledger(db, flavour, makeSigner(state.origin), state.origin);
  }

  /** `<name>+<key id>+<base64 key>`: what a witness configures to check this log's checkpoints. */
  get verifierKey(): string {
    return verifierKeyOf(this.#signer);
  }

  async size(): Promise<number> {
    return Number(
      (await this.#db.selectFrom('ledger_state').select('size').where('id', '=', 1).executeTakeFirstOrThrow()).size,
    );
  }

  /**
   * Integrate up to one batch of recorded events into the tree; returns how many. With a bound,
   * only events at or before it in the order (at, id) are taken.
   */
  async integrateBatch(limit = INTEGRATION_BATCH, bound?: PendingBound): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const size = (await lockLedgerState(trx)).size;
      const pending = await selectPending(trx, this.flavour, limit, bound);
      if (pending.length === 0) return 0;
      const treeSize = await new StoredTree(trx).size();
      if (treeSize !== size)
        throw new LedgerIntegrityError(`the tree holds ${treeSize} leaves but the log says ${size}`);
      // Each person's journal chain moves on first: the links go into the bodies the leaves hash.
      const chained = await chainBatch(trx, this.flavour, pending, size);
      const newSize = await appendLeaves(trx, this.flavour, size, chained.leaves);
      await assignSeq(trx, this.flavour, pending, size, chained.rewrites);
      await trx.updateTable('ledger_state').set({ size: newSize }).where('id', '=', 1).execute();
      return pending.length;
    });
  }

  /** PostgreSQL: this month's and next month's partitions exist (run at open and by the schedule). */
  ensurePartitions(now: Date = new Date()): Promise<void> {
    return ensureCurrentLedgerPartitions(this.#db, this.flavour, now);
  }

  /**
   * Integrate what is pending now: every event recorded before the call, in batches, but not
   * those recorded meanwhile (they wait for the next call), so that it ends under a steady
   * stream of appends. `maxBatches` bounds it further (the schedule's tick); `onProgress` hears
   * the running count. Returns how many were integrated.
   */
  async integrate(options: IntegrateOptions | ((integrated: number) => void) = {}): Promise<number> {
    const {
      maxBatches = Number.POSITIVE_INFINITY,
      batchSize = INTEGRATION_BATCH,
      onProgress,
    } = typeof options === 'function' ? { onProgress: options } : options;
    const bound = await newestPending(this.#db, this.flavour);
    if (!bound) return 0;
    let total = 0;
    for (let batches = 0; batches < maxBatches; batches++) {
      const n = await this.integrateBatch(batchSize, bound);
      total += n;
      if (n > 0) onProgress?.(total);
      if (n < batchSize) break;
    }
    return total;
  }

  /**
   * What waits, for readiness and the metrics: events recorded but not yet integrated (and when
   * the oldest was), the newest checkpoint, and since when events wait for a signature (that
   * checkpoint's time; before the first, the oldest event's), null when every event is signed.
   * A few short statements on indexes, no lock.
   */
  async backlog(): Promise<LedgerBacklog> {
    const { pending, oldestPendingAt } = await pendingBacklog(this.#db, this.flavour);
    const size = await this.size();
    const newest = await this.#db
      .selectFrom('ledger_checkpoints')
      .select(['size', 'at'])
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    const checkpoint = newest ? { size: Number(newest.size), at: newest.at } : null;
    let unsignedSince: string | null = null;
    if (checkpoint) {
      if (pending > 0 || size > checkpoint.size) unsignedSince = checkpoint.at;
    } else if (pending > 0 || size > 0) {
      const oldestIntegrated = size > 0 ? await oldestEventAtFrom(this.#db, 0) : undefined;
      unsignedSince =
        [oldestIntegrated, oldestPendingAt ?? undefined].filter((at): at is string => at !== undefined).sort()[0] ??
        null;
    }
    return { pending, oldestPendingAt, size, checkpoint, unsignedSince };
  }

  /** The newest signed checkpoint, or undefined before the first. */
  async latestCheckpoint(executor: Executor = this.#db): Promise<SignedCheckpoint | undefined> {
    const row = await executor
      .selectFrom('ledger_checkpoints')
      .selectAll()
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? this.#checkpointOf(row) : undefined;
  }

  async checkpoints(options: { fromSize?: number; limit?: number } = {}): Promise<SignedCheckpoint[]> {
    const rows = await this.#db
      .selectFrom('ledger_checkpoints')
      .selectAll()
      .where('size', '>=', options.fromSize ?? 0)
      .orderBy('size', 'asc')
      .limit(options.limit ?? 1000)
      .execute();
    return rows.map((row) => this.#checkpointOf(row));
  }

  #checkpointOf(row: { size: number; root: Buffer; note: string; at: string }): SignedCheckpoint {
    return { origin: this.origin, size: BigInt(row.size), root: Buffer.from(row.root), note: row.note, at: row.at };
  }

  // ---------------------------------------------------------------------------------------------
  // Integrity: what is known to be wrong, the verified prefix, the witnessed checkpoint (issue 20).

  /** Hear problems found and cleared, and checkpoints signed (the background verifier alerts and witnesses). */
  onIntegrity(listener: (event: IntegrityEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: IntegrityEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own: the log goes on.
      }
    }
  }

  /** Record a problem; the same one again (same source and message) is not announced as new. */
  reportProblem(problem: Omit<IntegrityProblem, 'since'>): IntegrityProblem {
    const known = this.#problems.get(problem.source);
    const same = known !== undefined && known.message === problem.message;
    const recorded: IntegrityProblem = { ...problem, since: same ? known.since : new Date().toISOString() };
    this.#problems.set(problem.source, recorded);
    this.#emit({ type: 'problem', problem: recorded, first: !same });
    return recorded;
  }

  /** The check of `source` passed: its problem, if any, is gone (and the verified prefix is rebuilt from a signed checkpoint). */
  clearProblem(source: IntegritySource): void {
    if (!this.#problems.delete(source)) return;
    this.#trusted = undefined;
    this.#emit({ type: 'cleared', source });
  }

  get problems(): IntegrityProblem[] {
    return [...this.#problems.values()];
  }

  /** Why no checkpoint may be signed now, or undefined. */
  get signingRefusal(): string | undefined {
    for (const source of REFUSING) {
      const problem = this.#problems.get(source);
      if (problem) return problem.message;
    }
    return undefined;
  }

  /** How many positions of the tree this process has verified from their events (0 before the first extension). */
  get verifiedSize(): number {
    return this.#trusted?.size ?? 0;
  }

  /**
   * Keep the witnessed checkpoint in `path` too (the data folder's witness file): read now — a
   * file that cannot be trusted is a `witness` problem, which holds signing back — and moved
   * forward at each checkpoint signed or seen.
   */
  attachWitnessFile(path: string): LocalWitness {
    const file = new LocalWitness(path, (note) => this.openCheckpoint(note));
    this.#witnessFile = file;
    try {
      const kept = file.read();
      if (kept) this.#raiseWitnessed(kept.checkpoint);
    } catch (error) {
      const message =
        error instanceof WitnessFileError
          ? error.message
          : `fichier témoin ${path} : ${error instanceof Error ? error.message : String(error)}`;
      this.reportProblem({ source: 'file', kind: 'rollback', message });
    }
    return file;
  }

  get witnessFile(): LocalWitness | undefined {
    return this.#witnessFile;
  }

  /** The largest checkpoint witnessed outside the database, if any. */
  get witnessed(): Witnessed | undefined {
    return this.#witnessed;
  }

  #raiseWitnessed(checkpoint: Witnessed): void {
    if (!this.#witnessed || checkpoint.size > this.#witnessed.size) this.#witnessed = checkpoint;
  }

  /** A checkpoint seen consistent with the witnessed one (or signed here): the mark moves forward, in memory and in the file. */
  noteWitnessed(checkpoint: Witnessed, cosigned?: Parameters<LocalWitness['record']>[1]): void {
    this.#raiseWitnessed(checkpoint);
    this.#witnessFile?.record(checkpoint, cosigned);
  }

  /**
   * Whether the store's newest checkpoint is the witnessed one or extends it: a store whose
   * newest checkpoint is smaller was rolled back; one that no longer leads to the witnessed
   * root was rewritten. Undefined when all is well (and the mark moves to the newest).
   */
  async checkAgainstWitnessed(): Promise<
    { kind: 'rollback' | 'fork'; witnessed: Witnessed; logSize: number; message: string } | undefined
  > {
    const witnessed = this.#witnessed;
    if (!witnessed) return undefined;
    const latest = await this.latestCheckpoint();
    const logSize = latest ? Number(latest.size) : 0;
    const kept = Number(witnessed.size);
    const when = witnessed.at ? `, signé le ${witnessed.at}` : '';
    if (!latest || logSize < kept) {
      return {
        kind: 'rollback',
        witnessed,
        logSize,
        message: `retour en arrière du journal : son dernier point de contrôle signé compte ${logSize} événements, le témoin en a conservé un de ${kept}${when} — des événements, des nœuds de l'arbre et des points de contrôle ont été retirés ensemble, ou une sauvegarde ancienne a été restaurée`,
      };
    }
    let consistent: boolean;
    try {
      this.openCheckpoint(latest.note);
      if (logSize === kept) consistent = latest.root.equals(witnessed.root);
      else
        consistent = verifyConsistency(
          witnessed.size,
          BigInt(logSize),
          await new StoredTree(this.#db).consistencyProof(kept, logSize),
          witnessed.root,
          latest.root,
        );
    } catch {
      consistent = false;
    }
    if (!consistent) {
      return {
        kind: 'fork',
        witnessed,
        logSize,
        message: `journal réécrit : le point de contrôle du magasin à ${logSize} événements ne prolonge pas celui de ${kept} événements conservé par le témoin${when}`,
      };
    }
    if (logSize > kept) this.noteWitnessed(latest);
    return undefined;
  }

  /** Signed checkpoints in (from, to], opened with this log's key: their roots, or the first one that does not open. */
  async #signedRoots(from: number, to: number): Promise<SignedRoot[] | ExtensionFailure> {
    const rows = await this.#db
      .selectFrom('ledger_checkpoints')
      .select(['size', 'root', 'note'])
      .where('size', '>', from)
      .where('size', '<=', to)
      .orderBy('size')
      .execute();
    const out: SignedRoot[] = [];
    for (const row of rows) {
      try {
        const opened = this.openCheckpoint(row.note);
        if (opened.size !== BigInt(row.size) || !opened.root.equals(Buffer.from(row.root)))
          throw new Error('la note signée ne dit pas la même taille ou la même racine que la table');
        out.push({ size: Number(row.size), root: opened.root });
      } catch (error) {
        return {
          kind: 'checkpoint',
          index: Number(row.size),
          message: `point de contrôle à la taille ${row.size} rejeté : ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    }
    return out;
  }

  /**
   * Extend the verified prefix over what was integrated since (the background verifier's
   * incremental pass, and signing's first step): from the last verified position, or from the
   * newest signed checkpoint checked against the stored tree. Stops at the deadline, if any,
   * after at least one page. A problem found is reported (`incremental`), and cleared when the
   * extension passes again. Returns a copy of the verified range (its size: the verified size).
   */
  async verifyNew(
    options: { deadline?: number; pageSize?: number } = {},
  ): Promise<{ range: NodeRange; failure?: ExtensionFailure }> {
    const run = this.#exclusive.then(() => this.#extend(options));
    this.#exclusive = run.catch(() => undefined);
    const result = await run;
    if (result.failure) this.reportProblem({ source: 'incremental', ...result.failure });
    else if (this.#problems.has('incremental')) this.clearProblem('incremental');
    return result;
  }

  async #extend(options: {
    deadline?: number;
    pageSize?: number;
  }): Promise<{ range: NodeRange; failure?: ExtensionFailure }> {
    const state = await this.#db
      .selectFrom('ledger_state')
      .select(['size', 'pruned_below'])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    const size = Number(state.size);
    if (!this.#trusted) {
      const latest = await this.latestCheckpoint();
      let anchor: SignedRoot | undefined;
      if (latest) {
        try {
          const opened = this.openCheckpoint(latest.note);
          if (opened.size !== latest.size || !opened.root.equals(latest.root))
            throw new Error('la note signée ne dit pas la même taille ou la même racine que la table');
          anchor = { size: Number(opened.size), root: opened.root };
        } catch (error) {
          const failure: ExtensionFailure = {
            kind: 'checkpoint',
            index: Number(latest.size),
            message: `point de contrôle à la taille ${latest.size} rejeté : ${error instanceof Error ? error.message : String(error)}`,
          };
          return { range: (await anchorAt(this.#db, undefined)).range, failure };
        }
      }
      const anchored = await anchorAt(this.#db, anchor);
      if (anchored.failure) return anchored;
      this.#trusted = anchored.range;
    }
    const trusted = this.#trusted;
    if (size < trusted.size) {
      return {
        range: trusted.clone(),
        failure: {
          kind: 'truncated',
          index: size,
          message: `journal tronqué : l'arbre ne compte plus que ${size} événements, ${trusted.size} y avaient déjà été vérifiés`,
        },
      };
    }
    if (size === trusted.size) return { range: trusted.clone() };
    const checkpoints = await this.#signedRoots(trusted.size, size);
    if (!Array.isArray(checkpoints)) return { range: trusted.clone(), failure: checkpoints };
    const extended = await extendRange(this.#db, this.flavour, trusted, size, {
      checkpoints,
      prunedBelow: Number(state.pruned_below),
      ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
      ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    });
    if (extended.failure) return { range: trusted.clone(), failure: extended.failure };
    this.#trusted = extended.range;
    return { range: extended.range.clone() };
  }

  /**
   * Integrate what is pending and sign a checkpoint of the tree, unless the newest one already
   * covers it. The log never signs over a history it has not verified, nor over one that no
   * longer matches what it signed or what was witnessed (issue 20):
   *
   * - nothing is signed while a whole-log verification or the comparison with the witnessed
   *   checkpoint has found a problem (`signingRefusal`);
   * - the events integrated since the verified prefix are recomputed first (`verifyNew`), and
   *   the checkpoint covers what was verified: with `verifyBudgetMs`, a prefix of the tree when
   *   the backlog is larger, so signing takes bounded time;
   * - under the lock, the stored tree's root at that size must be the root recomputed from the
   *   verified events, and it must extend the last signed checkpoint (consistency proof) and
   *   the witnessed one, which a rolled-back store cannot.
   *
   * Called as is (the CLI, the incident scope, tests) it signs whenever the tree grew. The
   * schedule and the on-demand route pass `minIntervalMs`: then, under the ledger_state row
   * lock, nothing is signed while the newest checkpoint is younger than that — as Tessera's
   * `published_at` — so N server processes sign one checkpoint per interval between them, not N.
   * (A checkpoint dated further than the interval from `now`, in either direction — a simulated
   * clock — does not hold signing back.)
   */
  async checkpoint(now: Date = new Date(), options: CheckpointOptions = {}): Promise<SignedCheckpoint | undefined> {
    const { minIntervalMs, integrate = true, maxBatches, verifyBudgetMs } = options;
    const refusal = this.signingRefusal;
    if (refusal) throw new LedgerIntegrityError(`refusing to sign: ${refusal}`);
    const fresh = (last: SignedCheckpoint | undefined) =>
      minIntervalMs !== undefined &&
      last !== undefined &&
      Math.abs(now.getTime() - Date.parse(last.at)) < minIntervalMs;
    // Without the lock first: most ticks of a fleet end here (signed lately, or nothing new), without queueing for the row.
    if (minIntervalMs !== undefined) {
      const last = await this.latestCheckpoint();
      if (fresh(last)) return last;
      if (!integrate) {
        const size = await this.size();
        if (size === 0 || (last && Number(last.size) === size)) return last;
      }
    }
    if (integrate) await this.integrate(maxBatches !== undefined ? { maxBatches } : {});
    const { range, failure } = await this.verifyNew(
      verifyBudgetMs !== undefined ? { deadline: Date.now() + verifyBudgetMs } : {},
    );
    if (failure) throw new LedgerIntegrityError(`refusing to sign: ${failure.message}`);
    const target = range.size;
    const witnessed = this.#witnessed;
    const signed = await this.#db.transaction().execute(async (trx) => {
      const size = (await lockLedgerState(trx)).size;
      const last = await this.latestCheckpoint(trx);
      if (size === 0 || target === 0 || (last && Number(last.size) >= target) || fresh(last))
        return { checkpoint: last, fresh: false };
      if (size < target)
        throw this.#refuse('sign', {
          kind: 'truncated',
          index: size,
          message: `journal tronqué pendant la signature : l'arbre compte ${size} événements, ${target} venaient d'être vérifiés`,
        });
      const tree = new StoredTree(trx);
      const root = await tree.root(target);
      if (!root.equals(range.root())) {
        throw this.#refuse('sign', {
          kind: 'tree',
          message: `les empreintes stockées de l'arbre à la taille ${target} ne sont plus celles recalculées des événements : elles ont été réécrites`,
        });
      }
      if (last) {
        const from = Number(last.size);
        const proof = await tree.consistencyProof(from, target);
        if (!verifyConsistency(last.size, BigInt(target), proof, last.root, root)) {
          throw this.#refuse('sign', {
            kind: 'checkpoint',
            index: from,
            message: `the tree of ${target} events is not an extension of the checkpoint signed at ${from} (stored hashes altered?)`,
          });
        }
      }
      if (witnessed) {
        const kept = Number(witnessed.size);
        const extendsWitnessed =
          kept <= target &&
          (kept === target
            ? root.equals(witnessed.root)
            : kept === 0 ||
              verifyConsistency(
                witnessed.size,
                BigInt(target),
                await tree.consistencyProof(kept, target),
                witnessed.root,
                root,
              ));
        if (!extendsWitnessed) {
          throw this.#refuse('witness', {
            kind: 'rollback',
            index: Math.min(kept, target),
            message:
              kept > target
                ? `retour en arrière du journal : le témoin a conservé un point de contrôle de ${kept} événements, l'arbre à signer n'en compte que ${target}`
                : `journal réécrit : l'arbre de ${target} événements ne prolonge pas le point de contrôle de ${kept} événements conservé par le témoin`,
          });
        }
      }
      const note = signNote(formatCheckpoint({ origin: this.origin, size: BigInt(target), root }), this.#signer);
      const at = now.toISOString();
      await trx.insertInto('ledger_checkpoints').values({ size: target, root, note, at }).execute();
      const checkpoint: SignedCheckpoint = { origin: this.origin, size: BigInt(target), root, note, at };
      return { checkpoint, fresh: true };
    });
    if (signed.fresh && signed.checkpoint) {
      if (this.#problems.has('sign')) this.clearProblem('sign');
      try {
        this.noteWitnessed(signed.checkpoint);
      } catch (error) {
        // The checkpoint is signed; the file lagging behind weakens the rollback check, it does not stop the log.
        this.#emit({
          type: 'warning',
          message: `fichier témoin non mis à jour : ${error instanceof Error ? error.message : String(error)}`,
        });
      }
      this.#emit({ type: 'signed', checkpoint: signed.checkpoint });
    }
    return signed.checkpoint;
  }

  /** Report why signing stops here, and the error to throw (which rolls the transaction back). */
  #refuse(source: IntegritySource, problem: Omit<IntegrityProblem, 'source' | 'since'>): LedgerIntegrityError {
    this.reportProblem({ source, ...problem });
    return new LedgerIntegrityError(`refusing to sign: ${problem.message}`);
  }

  /** The audit path of event `seq` in the tree of `size` (which must be signed or at most the current size). */
  async inclusionProof(seq: number, size: number): Promise<Buffer[]> {
    return (await this.inclusionProofs([seq], size))[0]!;
  }

  /** Audit paths of several events in one tree: the tree's size is checked once, not per proof. */
  async inclusionProofs(seqs: readonly number[], size: number): Promise<Buffer[][]> {
    const current = await this.size();
    if (size > current) throw new RangeError(`the tree holds ${current} events, not ${size}`);
    const tree = new StoredTree(this.#db);
    const proofs: Buffer[][] = [];
    for (const seq of seqs) {
      if (seq < 0 || seq >= size) throw new RangeError(`event ${seq} is not in a tree of ${size}`);
      proofs.push(await tree.inclusionProof(seq, size));
    }
    return proofs;
  }

  async consistencyProof(size1: number, size2: number): Promise<Buffer[]> {
    const current = await this.size();
    if (size2 > current) throw new RangeError(`the tree holds ${current} events, not ${size2}`);
    if (size1 <= 0 || size1 > size2)
      throw new RangeError(`a consistency proof goes from a non-empty size to a larger one (${size1} → ${size2})`);
    return new StoredTree(this.#db).consistencyProof(size1, size2);
  }

  async leafHashAt(seq: number): Promise<Buffer> {
    return new StoredTree(this.#db).subtree(0, seq);
  }

  /** Open a checkpoint note with this log's key: the checkpoint, or a NoteError / RangeError saying why not. */
  openCheckpoint(note: string): Checkpoint {
    const checkpoint = parseCheckpoint(openNote(note, [this.verifier]));
    if (checkpoint.origin !== this.origin)
      throw new LedgerIntegrityError(`checkpoint of another log ("${checkpoint.origin}", expected "${this.origin}")`);
    return checkpoint;
  }
}
