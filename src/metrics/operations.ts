/**
 * What operators watch besides requests: the ledger's backlog (recorded but not integrated, not
 * yet signed) and the job queue. Read once per scrape of the metrics and per readiness check,
 * from the same sources, so the figures a dashboard draws are those readiness judges.
 */

/** The ledger's side, as `Ledger.backlog()` answers it. */
export interface LedgerBacklogSource {
  backlog(): Promise<{
    pending: number;
    oldestPendingAt: string | null;
    checkpoint: { size: number; at: string } | null;
    unsignedSince: string | null;
  }>;
}

/** The job queue's own account of itself (the runtime's `jobs`, when a queue runs). */
export interface JobQueueSource {
  status(): Promise<{ depth: number; oldestWaitingSeconds: number | null; failing: string[] }>;
}

export interface OperationsSources {
  ledger: LedgerBacklogSource;
  /** Absent while no job queue runs in this process. */
  jobs?: JobQueueSource | undefined;
}

export interface OperationalFigures {
  ledger: {
    /** Events recorded but not yet integrated into the Merkle tree. */
    lagEvents: number;
    /** Age of the oldest of them, in seconds; null when none waits. */
    lagSeconds: number | null;
    /**
     * Seconds since the newest signed checkpoint (before the first one, since the oldest event
     * waiting for it; 0 on an empty log).
     */
    checkpointAgeSeconds: number;
    /** Whether events wait for a signature (integrated or not, beyond the newest checkpoint). */
    unsigned: boolean;
  };
  /** Null when no queue runs; `unavailable` when it could not say. */
  queue: { depth: number; oldestWaitingSeconds: number | null; failing: string[] } | null | 'unavailable';
}

const seconds = (from: string, now: number) => Math.max(0, (now - Date.parse(from)) / 1000);

/** Read the figures now (two or three short index-only statements, and the queue's own status). */
export async function readOperationalFigures(
  sources: OperationsSources,
  now = Date.now(),
): Promise<OperationalFigures> {
  const backlog = await sources.ledger.backlog();
  let queue: OperationalFigures['queue'] = null;
  if (sources.jobs) {
    try {
      queue = await sources.jobs.status();
    } catch {
      queue = 'unavailable';
    }
  }
  const since = backlog.checkpoint?.at ?? backlog.unsignedSince;
  return {
    ledger: {
      lagEvents: backlog.pending,
      lagSeconds: backlog.oldestPendingAt ? seconds(backlog.oldestPendingAt, now) : null,
      checkpointAgeSeconds: since ? seconds(since, now) : 0,
      unsigned: backlog.unsignedSince !== null,
    },
    queue,
  };
}

/** Thresholds of readiness; the defaults are what the README documents. */
export interface ReadinessThresholds {
  /** `ledger_lagging` above this many events recorded and not integrated. */
  lagEvents: number;
  /** … or when the oldest of them is older than this. */
  lagSeconds: number;
  /** The checkpoint interval (REMPART_CHECKPOINT_SECONDS): `checkpoint_stale` beyond max(3 ×, 5 min) while events wait. */
  checkpointSeconds: number;
  /** `queue_backlog` above this many jobs waiting … */
  queueDepth: number;
  /** … or when the oldest has waited longer than this, or when a job keeps failing. */
  queueWaitSeconds: number;
}

export const DEFAULT_READINESS: Omit<ReadinessThresholds, 'checkpointSeconds'> = {
  lagEvents: 50_000,
  lagSeconds: 60,
  queueDepth: 10_000,
  queueWaitSeconds: 300,
};

/** The checkpoint age beyond which waiting events make the process not ready. */
export function staleCheckpointSeconds(checkpointSeconds: number): number {
  return Math.max(3 * checkpointSeconds, 300);
}

/**
 * Reason codes of the operational figures: `ledger_lagging`, `checkpoint_stale`,
 * `queue_backlog`, `queue_unavailable`. Never a person, an account or an address.
 */
export function operationalReasons(figures: OperationalFigures, thresholds: ReadinessThresholds): string[] {
  const reasons: string[] = [];
  const { ledger, queue } = figures;
  if (ledger.lagEvents > thresholds.lagEvents || (ledger.lagSeconds ?? 0) > thresholds.lagSeconds)
    reasons.push('ledger_lagging');
  if (ledger.unsigned && ledger.checkpointAgeSeconds > staleCheckpointSeconds(thresholds.checkpointSeconds))
    reasons.push('checkpoint_stale');
  if (queue === 'unavailable') reasons.push('queue_unavailable');
  else if (
    queue &&
    (queue.failing.length > 0 ||
      queue.depth > thresholds.queueDepth ||
      (queue.oldestWaitingSeconds ?? 0) > thresholds.queueWaitSeconds)
  )
    reasons.push('queue_backlog');
  return reasons;
}
