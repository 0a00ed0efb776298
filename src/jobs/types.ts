/**
 * A piece of background work that runs once per period across every process on the store:
 * settling bank changes, integrating the ledger, sweeping accounts, sending queued messages.
 * A job must be idempotent: a slot may be retried after a failure or after its process died.
 */
export interface JobSpec {
  /** Lower-case, dotted (`bank.settle`): the queue's name and the key of its runs. */
  name: string;
  /** Once per this many seconds across the fleet; slots are aligned on the epoch (UTC). */
  everySeconds: number;
  /** A run still going after this long is taken as abandoned (its process died). Default max(60, everySeconds). */
  timeoutSeconds?: number;
  /** Further attempts of a slot after a failure, with a doubling delay from 2 s. Default 3. */
  retries?: number;
  run(context: JobContext): Promise<void>;
}

export interface JobContext {
  /** The start of the period this run is for. */
  slot: Date;
  /** 1 for the first attempt of the slot. */
  attempt: number;
  /** Aborted when the process stops or the run's time is up: a long job checks it between batches. */
  signal: AbortSignal;
}

/** What readiness and the metrics say about background work. */
export interface JobQueueStatus {
  /** Runs waiting to be taken (the queue's depth; always 0 in process, where nothing waits). */
  depth: number;
  /** How long the oldest waiting run has waited, in seconds. */
  oldestWaitingSeconds: number | null;
  /** Jobs whose last run failed all its attempts. */
  failing: string[];
}

/** Runs the fleet's background jobs: a PostgreSQL queue (pg-boss), or timers in the one process of an embedded store. */
export interface JobRunner {
  /** `pg-boss` or `in-process`: said at start. */
  readonly kind: string;
  start(): Promise<void>;
  /** Take no new run, abort the running ones' signal after `deadlineMs`, and wait for them up to then. */
  stop(deadlineMs: number): Promise<void>;
  status(): Promise<JobQueueStatus>;
}

/** What a runner tells about the runs (the log, the metrics). */
export interface JobHooks {
  /** A run failed (it is retried while it has attempts left). */
  onError: (job: string, error: unknown) => void;
  /** A run ended well, after `ms`: one call per slot that ran, in the process that ran it. */
  onRan?: (job: string, slot: Date, attempt: number, ms: number) => void;
}

/** Why a delivery of a slot did nothing: it ran already, or runs elsewhere now. */
export type RunOutcome = 'done' | 'skipped';
