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
export function startLedgerSchedule(ledger: Ledger, schedule: LedgerSchedule): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let lastPartitions = 0;
  let stopped = false;
  const maxBatches = schedule.maxBatchesPerTick ?? 4;
  const verifyBudgetMs = schedule.verifyBudgetMs ?? 2_000;
  let lastError = '';
  const work = async () => {
    try {
      await ledger.integrate({ maxBatches });
      if (stopped) return;
      const now = new Date();
      if (now.getTime() - lastPartitions >= PARTITIONS_EVERY_MS) {
        await ledger.ensurePartitions(now);
        lastPartitions = now.getTime();
      }
      if (ledger.signingRefusal) return;
      await ledger.checkpoint(now, { minIntervalMs: schedule.checkpointEveryMs, integrate: false, verifyBudgetMs });
      lastError = '';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // The same refusal at every tick is one report.
      if (!(error instanceof LedgerIntegrityError) || message !== lastError) schedule.onError(error);
      lastError = error instanceof LedgerIntegrityError ? message : '';
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
