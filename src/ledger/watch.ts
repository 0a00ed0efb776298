import { setTimeout as sleep } from 'node:timers/promises';
import type { Executor } from '../store/index.ts';
import { appendEvent } from './append.ts';
import type { ExternalWitness, WitnessOutcome } from './external-witness.ts';
import type { IntegrityProblem, Ledger, SignedCheckpoint } from './log.ts';
import { verifyLedger, type VerifyReport } from './verify.ts';

/**
 * The ledger's own watchman (issue 20): the server notices tampering by itself instead of
 * signing over it until someone runs `ledger verify`.
 *
 * - **Incremental**, every `incrementalEveryMs`: the verified prefix is extended over what was
 *   integrated since (Ledger.verifyNew), and the store's newest checkpoint is compared with the
 *   witnessed one (the data folder's witness file, and the external witness when configured).
 * - **Whole log**, every `fullEveryMs` after the previous pass ended: `verifyLedger` over every
 *   event, paced to a share of one core (`fullCpuShare`) so that reads go on meanwhile.
 * - **At start**, `checkAtStart`: a store rolled back behind the witnessed checkpoint (events,
 *   tree nodes and checkpoints removed together) does not start.
 *
 * Whatever finds a problem, the log refuses to sign (Ledger.signingRefusal), readiness says so,
 * the desk shows it, and the security officers get one alert when the state turns bad (then
 * again only after it was good again). A later pass that finds nothing clears the problem.
 */

export type LedgerIntegrityState = 'ok' | 'altered' | 'rollback';

export interface ExternalWitnessState {
  url: string;
  /** The last answer: cosigned, or what went wrong; `never` before the first submission. */
  status: WitnessOutcome['kind'] | 'never';
  /** Size of the last checkpoint it cosigned, as far as this process knows. */
  size: number | null;
  at: string | null;
  message: string | null;
}

/** What readiness, the health route and the desk say about the ledger. */
export interface LedgerIntegrityStatus {
  status: LedgerIntegrityState;
  /** Whether the background verifier runs in this process (the server does; a command does not). */
  background: boolean;
  signing: 'allowed' | 'refused';
  /** Positions this process verified from their events so far (the incremental pass's position). */
  verifiedSize: number;
  lastIncrementalAt: string | null;
  lastFull: { at: string; ok: boolean; eventsChecked: number; durationMs: number; firstFinding: string | null } | null;
  /** When the next whole-log pass starts, if one is scheduled. */
  nextFullAt: string | null;
  problems: IntegrityProblem[];
  witness: { file: string | null; size: number | null; at: string | null; external: ExternalWitnessState | null };
}

export interface LedgerAlert {
  signal: 'ledger_altered' | 'ledger_rollback';
  problem: IntegrityProblem;
}

export interface LedgerWatchOptions {
  db: Executor;
  ledger: Ledger;
  /** To the security officers (the runtime hands this to the guard's alert sink). */
  alert: (alert: LedgerAlert) => Promise<void>;
  external?: ExternalWitness;
  /** Between two incremental passes; 0: none. */
  incrementalEveryMs: number;
  /** Between the end of a whole-log pass and the start of the next; 0: none. */
  fullEveryMs: number;
  /** The first whole-log pass, this long after `start` (default: 5 s). */
  firstFullAfterMs?: number;
  /** The share of one core a whole-log pass may take (0.25: it sleeps three times as long as it works). */
  fullCpuShare: number;
  /** Positions per page of the whole-log pass (2,048: a few milliseconds of the event loop each). */
  fullPageSize?: number;
  /** Time an incremental pass spends before leaving the rest to the next one (default 1,000 ms). */
  incrementalBudgetMs?: number;
  warn: (message: string) => void;
}

export class LedgerRollbackError extends Error {
  constructor(
    message: string,
    readonly witnessedSize: number | null,
    readonly logSize: number,
  ) {
    super(message);
    this.name = 'LedgerRollbackError';
  }
}

const SOURCE_LABELS: Record<IntegrityProblem['source'], string> = {
  full: 'vérification complète en arrière-plan',
  incremental: 'vérification incrémentale en arrière-plan',
  witness: 'comparaison avec le point de contrôle témoin',
  external: 'témoin externe',
  file: 'fichier témoin',
  sign: 'contrôles avant signature',
};

export class LedgerWatch {
  readonly #options: LedgerWatchOptions;
  #timers: NodeJS.Timeout[] = [];
  #running = false;
  #stopped = false;
  #incremental: Promise<void> | undefined;
  #full: Promise<VerifyReport | undefined> | undefined;
  #fullTimer: NodeJS.Timeout | undefined;
  #nextFullAt: number | null = null;
  #lastIncrementalAt: string | null = null;
  #lastFull: LedgerIntegrityStatus['lastFull'] = null;
  #alerted: LedgerIntegrityState = 'ok';
  #external: ExternalWitnessState | null;
  #unsubscribe: () => void;
  /** The alert being delivered, if any (a start refused waits for it before the process ends). */
  #announcing: Promise<void> = Promise.resolve();

  constructor(options: LedgerWatchOptions) {
    this.#options = options;
    this.#external = options.external
      ? { url: options.external.url, status: 'never', size: null, at: null, message: null }
      : null;
    // Whoever finds it (a pass, signing, the desk's button), the officers hear of it once.
    this.#unsubscribe = options.ledger.onIntegrity((event) => {
      if (event.type === 'problem' || event.type === 'cleared')
        this.#announcing = this.#announcing.then(() => this.#announce());
      if (
        event.type === 'problem' &&
        event.first &&
        (event.problem.source === 'incremental' || event.problem.source === 'sign')
      )
        this.#fullSoon();
      if (event.type === 'signed' && this.#running) void this.#witnessExternally(event.checkpoint);
      if (event.type === 'warning') options.warn(event.message);
    });
  }

  get ledger(): Ledger {
    return this.#options.ledger;
  }

  status(): LedgerIntegrityStatus {
    const ledger = this.#options.ledger;
    const problems = ledger.problems;
    const witnessed = ledger.witnessed;
    return {
      status: stateOf(problems),
      background: this.#running && (this.#options.incrementalEveryMs > 0 || this.#options.fullEveryMs > 0),
      // Problems of the incremental pass and of signing's checks are found again at each attempt: they stop signing as well.
      signing: problems.length > 0 ? 'refused' : 'allowed',
      verifiedSize: ledger.verifiedSize,
      lastIncrementalAt: this.#lastIncrementalAt,
      lastFull: this.#lastFull,
      nextFullAt: this.#nextFullAt !== null ? new Date(this.#nextFullAt).toISOString() : null,
      problems,
      witness: {
        file: ledger.witnessFile?.path ?? null,
        size: witnessed ? Number(witnessed.size) : null,
        at: witnessed?.at ?? null,
        external: this.#external ? { ...this.#external } : null,
      },
    };
  }

  /**
   * Before the server starts: the witness file can be trusted, the store's newest checkpoint is
   * the witnessed one or extends it, and the external witness (if configured) holds nothing
   * larger. A rollback throws a LedgerRollbackError naming both sizes; an unreachable external
   * witness is only a warning (it must not keep the service down).
   */
  async checkAtStart(): Promise<void> {
    const ledger = this.#options.ledger;
    const unreadable = ledger.problems.find((p) => p.source === 'file');
    if (unreadable) {
      // Found when the runtime opened, before anyone listened: the officers hear of it now.
      this.#announcing = this.#announcing.then(() => this.#announce());
      await this.#announcing;
      throw new LedgerRollbackError(unreadable.message, null, await ledger.size());
    }
    const mismatch = await ledger.checkAgainstWitnessed();
    if (mismatch) {
      ledger.reportProblem({ source: 'witness', kind: 'rollback', index: mismatch.logSize, message: mismatch.message });
      await this.#announcing;
      throw new LedgerRollbackError(mismatch.message, Number(mismatch.witnessed.size), mismatch.logSize);
    }
    const latest = await ledger.latestCheckpoint();
    // A first start with a witness file (or an older store): the newest checkpoint is taken as the witnessed one.
    if (latest && !ledger.witnessed) ledger.noteWitnessed(latest);
    if (latest && this.#options.external) {
      const outcome = await this.#witnessExternally(latest);
      if (outcome?.kind === 'rollback' || outcome?.kind === 'fork') {
        const message =
          outcome.kind === 'rollback'
            ? `retour en arrière du journal : le témoin externe ${this.#options.external.url} a cosigné un point de contrôle de ${outcome.witnessSize} événements, le dernier du magasin n'en compte que ${outcome.logSize}`
            : outcome.message;
        await this.#announcing;
        throw new LedgerRollbackError(
          message,
          outcome.witnessSize === null ? null : Number(outcome.witnessSize),
          Number(outcome.logSize),
        );
      }
      if (outcome?.kind === 'unavailable')
        this.#options.warn(
          `Témoin externe : ${outcome.message} ; le démarrage continue, la comparaison reprendra en arrière-plan.`,
        );
    }
  }

  /** Start the background passes (the server; tests with short intervals). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopped = false;
    const { incrementalEveryMs, fullEveryMs } = this.#options;
    if (incrementalEveryMs > 0) {
      const timer = setInterval(() => void this.incrementalPass(), incrementalEveryMs);
      timer.unref();
      this.#timers.push(timer);
    }
    if (fullEveryMs > 0) this.#scheduleFull(this.#options.firstFullAfterMs ?? 5_000);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#running = false;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    if (this.#fullTimer) clearTimeout(this.#fullTimer);
    this.#fullTimer = undefined;
    this.#nextFullAt = null;
    await Promise.allSettled([this.#incremental, this.#full]);
  }

  close(): void {
    this.#unsubscribe();
  }

  /**
   * One incremental pass (skipped while one runs): extend the verified prefix, compare the
   * newest checkpoint with the witnessed one, and have the external witness cosign it.
   */
  incrementalPass(): Promise<void> {
    if (this.#incremental) return this.#incremental;
    this.#incremental = this.#incrementalWork().finally(() => {
      this.#incremental = undefined;
    });
    return this.#incremental;
  }

  async #incrementalWork(): Promise<void> {
    const ledger = this.#options.ledger;
    try {
      await ledger.verifyNew({ deadline: Date.now() + (this.#options.incrementalBudgetMs ?? 1_000) });
      const mismatch = await ledger.checkAgainstWitnessed();
      if (mismatch)
        ledger.reportProblem({
          source: 'witness',
          kind: 'rollback',
          index: mismatch.logSize,
          message: mismatch.message,
        });
      else ledger.clearProblem('witness');
      if (this.#options.external && !mismatch) {
        const latest = await ledger.latestCheckpoint();
        if (latest && (this.#external?.size ?? -1) < Number(latest.size)) await this.#witnessExternally(latest);
      }
      this.#lastIncrementalAt = new Date().toISOString();
    } catch (error) {
      this.#options.warn(`ledger background verification: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** One whole-log pass now (or the one under way), paced; its result recorded. */
  fullPass(): Promise<VerifyReport | undefined> {
    if (this.#full) return this.#full;
    this.#full = this.#fullWork().finally(() => {
      this.#full = undefined;
      if (this.#running && !this.#stopped && this.#options.fullEveryMs > 0)
        this.#scheduleFull(this.#options.fullEveryMs);
    });
    return this.#full;
  }

  async #fullWork(): Promise<VerifyReport | undefined> {
    const started = performance.now();
    const share = Math.min(1, Math.max(0.01, this.#options.fullCpuShare));
    let mark = performance.now();
    const pace = async () => {
      const worked = performance.now() - mark;
      if (share < 1) await sleep((worked * (1 - share)) / share);
      mark = performance.now();
    };
    try {
      const report = await verifyLedger(this.#options.db, this.#options.ledger, {
        batchSize: this.#options.fullPageSize ?? 2_048,
        workers: 0,
        maxFindings: 20,
        pace,
      });
      await this.recordFull(report, performance.now() - started);
      return report;
    } catch (error) {
      this.#options.warn(
        `ledger background verification (whole log): ${error instanceof Error ? error.message : String(error)}`,
      );
      return undefined;
    }
  }

  /** The result of a whole-log verification (this watch's, or the desk's « Vérifier maintenant »). */
  async recordFull(report: VerifyReport, durationMs = 0, options: { recordEvent?: boolean } = {}): Promise<void> {
    const ledger = this.#options.ledger;
    const first = report.findings[0];
    this.#lastFull = {
      at: new Date().toISOString(),
      ok: report.ok,
      eventsChecked: report.eventsChecked,
      durationMs: Math.round(durationMs),
      firstFinding: first?.message ?? null,
    };
    if (report.ok) {
      ledger.clearProblem('full');
      return;
    }
    const known = ledger.problems.find((p) => p.source === 'full');
    const problem = ledger.reportProblem({
      source: 'full',
      kind: first!.kind,
      message: first!.message,
      ...(first!.index !== undefined ? { index: first!.index } : {}),
      ...(first!.eventId ? { eventId: first!.eventId } : {}),
    });
    if (known?.message === problem.message || options.recordEvent === false) return;
    // The finding goes into the ledger itself, as the desk's button records it: the desk shows it, in every process.
    await appendEvent(this.#options.db, 'ledger_verified', {
      details: {
        ok: false,
        background: true,
        checkpointSize: report.checkpoint?.size ?? null,
        eventsChecked: report.eventsChecked,
        findings: report.findings.length,
        firstFinding: first!.message,
      },
    }).catch((error: unknown) =>
      this.#options.warn(
        `ledger background verification: finding not recorded (${error instanceof Error ? error.message : String(error)})`,
      ),
    );
  }

  #scheduleFull(delayMs: number): void {
    if (this.#fullTimer) clearTimeout(this.#fullTimer);
    this.#nextFullAt = Date.now() + delayMs;
    this.#fullTimer = setTimeout(() => {
      this.#fullTimer = undefined;
      this.#nextFullAt = null;
      void this.fullPass();
    }, delayMs);
    this.#fullTimer.unref();
  }

  /** Something looked wrong to a quick check: the whole log is gone through now, to say exactly what. */
  #fullSoon(): void {
    if (!this.#running || this.#full || this.#options.fullEveryMs <= 0) return;
    this.#scheduleFull(0);
  }

  /** One alert each time the state turns bad, or worse (altered → rollback). */
  async #announce(): Promise<void> {
    const problems = this.#options.ledger.problems;
    const state = stateOf(problems);
    if (state === 'ok') {
      this.#alerted = 'ok';
      return;
    }
    if (state === this.#alerted || (this.#alerted === 'rollback' && state === 'altered')) return;
    this.#alerted = state;
    const problem =
      problems.find((p) => (state === 'rollback' ? p.kind === 'rollback' : p.kind !== 'rollback')) ?? problems[0]!;
    try {
      await this.#options.alert({ signal: state === 'rollback' ? 'ledger_rollback' : 'ledger_altered', problem });
    } catch (error) {
      this.#options.warn(`ledger alert not delivered: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Submit a checkpoint to the external witness; a rollback or a fork it sees is a `witness` problem. */
  async #witnessExternally(checkpoint: SignedCheckpoint): Promise<WitnessOutcome | undefined> {
    const external = this.#options.external;
    if (!external || !this.#external) return undefined;
    const ledger = this.#options.ledger;
    const kept = ledger.witnessFile?.read.bind(ledger.witnessFile);
    let old = this.#external.size !== null ? BigInt(this.#external.size) : 0n;
    try {
      const cosigned = kept?.()?.record.cosigned;
      if (this.#external.size === null && cosigned && cosigned.url === external.url) old = BigInt(cosigned.size);
    } catch {
      // An unreadable witness file is reported elsewhere; the witness tells its size on a 409.
    }
    const outcome = await external.submit(checkpoint.note, checkpoint, old, async (from) =>
      ledger.consistencyProof(Number(from), Number(checkpoint.size)),
    );
    const now = new Date().toISOString();
    if (outcome.kind === 'cosigned') {
      this.#external = { url: external.url, status: 'cosigned', size: Number(outcome.size), at: now, message: null };
      ledger.noteWitnessed(checkpoint, {
        url: external.url,
        size: Number(outcome.size),
        at: now,
        cosignature: outcome.cosignature,
      });
      ledger.clearProblem('external');
    } else if (outcome.kind === 'rollback') {
      this.#external = {
        ...this.#external,
        status: 'rollback',
        size: Number(outcome.witnessSize),
        at: now,
        message: null,
      };
      ledger.reportProblem({
        source: 'external',
        kind: 'rollback',
        index: Number(outcome.logSize),
        message: `retour en arrière du journal : le témoin externe ${external.url} a cosigné un point de contrôle de ${outcome.witnessSize} événements, le dernier du magasin n'en compte que ${outcome.logSize}`,
      });
    } else if (outcome.kind === 'fork') {
      this.#external = { ...this.#external, status: 'fork', at: now, message: outcome.message };
      ledger.reportProblem({
        source: 'external',
        kind: 'rollback',
        index: Number(outcome.logSize),
        message: outcome.message,
      });
    } else {
      this.#external = { ...this.#external, status: 'unavailable', at: now, message: outcome.message };
    }
    return outcome;
  }
}

function stateOf(problems: readonly IntegrityProblem[]): LedgerIntegrityState {
  if (problems.some((p) => p.kind === 'rollback')) return 'rollback';
  if (problems.some((p) => p.kind !== 'rollback')) return 'altered';
  return 'ok';
}

/** The alert's words for the security officers: what, where, found by which check. */
export function describeLedgerProblem(problem: IntegrityProblem): Record<string, string | number> {
  return {
    constat: problem.message,
    ...(problem.index !== undefined ? { position: problem.index } : {}),
    détection: SOURCE_LABELS[problem.source],
    depuis: problem.since,
    signature: 'refusée tant que le constat tient',
  };
}
