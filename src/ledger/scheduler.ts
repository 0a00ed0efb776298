import { LedgerIntegrityError, type Ledger } from './log.ts';

export interface LedgerSchedule {
  /** How often recorded events are integrated into the tree (milliseconds). */
  integrateEveryMs: number;
  /** How often a checkpoint is signed when the tree has grown (milliseconds), by the whole fleet together. */
  checkpointEveryMs: number;
  /** At most this many batches (of 5,000 events) integrated per tick; the rest waits for the next one. Default 4. */
  maxBatchesPerTick?: number;
  /** Time a tick spends verifying new events before signing them (Ledger.checkpoint's `verifyBudgetMs`). Default 2,000 ms. */
  verifyBudgetMs?: number;
  /** Told once each time signing starts being refused (the background verifier alerts; this is for the log). */
  onError: (error: unknown) => void;
}

/** Partitions are looked after on this cadence (they are needed a month ahead: no hurry). */
const PARTITIONS_EVERY_MS = 60 * 60_000;

/**
 * The server's background work on the ledger, one tick at a time (a tick still running when the
 * next is due makes that one skip, so ticks never pile up under load):
 *
 * - integrate a bounded amount (at most what was pending when the tick started, and at most
 *   `maxBatchesPerTick` batches): under a steady stream of appends a tick still ends, and what
 *   is left waits for the next tick, instead of one tick integrating for ever;
 * - sign a checkpoint when the newest one is at least `checkpointEveryMs` old, decided under the
 *   ledger_state row lock: N processes on one store sign one checkpoint per interval between
 *   them, not N (Ledger.checkpoint's `minIntervalMs`); what is signed was verified first, for
 *   at most `verifyBudgetMs` a tick.
 *
 * A failure is reported and retried at the next tick, never thrown into the process; while the
 * log refuses to sign (an alteration or a rollback found, issue 20), ticks integrate but do not
 * try to sign, and the refusal is reported once, not at every tick.
 */
/**
 * The ledger's upkeep, one step at a time, for the server's `ledger.*` jobs and for the in-process
 * schedule alike: integrate a bounded amount, and sign a checkpoint of what was verified when one
 * is due. While the log refuses to sign (an alteration or a rollback found, issue 20) it does not
 * try; an integrity error is reported once while it stays the same, not at every step (the
 * background verifier has alerted the security officers). Other failures are thrown.
 */
export class LedgerUpkeep {
  readonly #ledger: Ledger;
  readonly #report: (error: LedgerIntegrityError) => void;
  #lastProblem = '';

  constructor(ledger: Ledger, report: (error: LedgerIntegrityError) => void) {
    this.#ledger = ledger;
    this.#report = report;
  }

  /** Integrate at most `maxBatches` batches of what is pending. */
  async integrate(maxBatches: number): Promise<void> {
    await this.#reportingOnce(() => this.#ledger.integrate({ maxBatches }));
  }

  /** Sign if the newest checkpoint is at least `minIntervalMs` old. */
  async sign(now: Date, options: { minIntervalMs: number; verifyBudgetMs: number }): Promise<void> {
    const refusal = this.#ledger.signingRefusal;
    // The very words Ledger.checkpoint refuses with, so that the first refusal and the later skips are one report.
    if (refusal) return this.#once(new LedgerIntegrityError(`refusing to sign: ${refusal}`));
    await this.#reportingOnce(() => this.#ledger.checkpoint(now, { ...options, integrate: false }));
  }

  async #reportingOnce(step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
      this.#lastProblem = '';
    } catch (error) {
      if (!(error instanceof LedgerIntegrityError)) throw error;
      this.#once(error);
    }
  }

  #once(error: LedgerIntegrityError): void {
    if (error.message !== this.#lastProblem) this.#report(error);
    this.#lastProblem = error.message;
  }
}

export function startLedgerSchedule(ledger: Ledger, schedule: LedgerSchedule): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let lastPartitions = 0;
  let stopped = false;
  const maxBatches = schedule.maxBatchesPerTick ?? 4;
  const verifyBudgetMs = schedule.verifyBudgetMs ?? 2_000;
  const upkeep = new LedgerUpkeep(ledger, (error) => schedule.onError(error));
  const work = async () => {
    try {
      await upkeep.integrate(maxBatches);
      if (stopped) return;
      const now = new Date();
      if (now.getTime() - lastPartitions >= PARTITIONS_EVERY_MS) {
        await ledger.ensurePartitions(now);
        lastPartitions = now.getTime();
      }
      await upkeep.sign(now, { minIntervalMs: schedule.checkpointEveryMs, verifyBudgetMs });
    } catch (error) {
      schedule.onError(error);
    }
  };
  const tick = () => {
    if (stopped || running) return;
    running = work().finally(() => {
      running = undefined;
    });
  };
  const timer = setInterval(tick, Math.min(schedule.integrateEveryMs, schedule.checkpointEveryMs));
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
