import type { Ledger } from './log.ts';

export interface LedgerSchedule {
  /** How often recorded events are integrated into the tree (milliseconds). */
  integrateEveryMs: number;
  /** How often a checkpoint is signed when the tree has grown (milliseconds). */
  checkpointEveryMs: number;
  onError: (error: unknown) => void;
}

/**
 * The server's background work on the ledger: integrate often (journal proofs stay fresh),
 * sign a checkpoint on a short interval when there is something new. Runs one at a time; a
 * failure is reported and retried at the next tick, never thrown into the process.
 */
export function startLedgerSchedule(ledger: Ledger, schedule: LedgerSchedule): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let lastCheckpoint = Date.now();
  let stopped = false;
  const tick = () => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        if (Date.now() - lastCheckpoint >= schedule.checkpointEveryMs) {
          lastCheckpoint = Date.now();
          await ledger.ensurePartitions();
          await ledger.checkpoint();
        } else {
          await ledger.integrate();
        }
      } catch (error) {
        schedule.onError(error);
      }
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
