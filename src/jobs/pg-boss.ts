import { createHash } from 'node:crypto';
import { PgBoss } from 'pg-boss';
import type { Executor } from '../store/index.ts';
import { failingJobs, runnerId, runSlot, slotOf, timeoutOf, untakenSlots } from './runs.ts';
import type { JobHooks, JobQueueStatus, JobRunner, JobSpec } from './types.ts';

export interface PgBossSettings {
  /** The store's connection string (its `search_path` option included). */
  connectionString: string;
  /** Where pg-boss keeps its tables: beside the store's schema, never in it. */
  schema: string;
  /** pg-boss's own connections per process, on top of the store's pool. */
  poolSize: number;
  /** Seen in pg_stat_activity beside the store's `rempart` connections. */
  applicationName: string;
}

/** A slot's job id: every process derives the same one, so the queue holds each slot once. */
function jobId(name: string, slot: Date): string {
  const hex = createHash('sha256').update(`${name}\u0000${slot.toISOString()}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The fleet's jobs on a PostgreSQL queue (pg-boss). Every process offers each slot when it comes
 * due (the slot's job id is the same everywhere, so the queue holds it once), and every process
 * works the queues: one of them takes a slot's job, pg-boss retries it with a doubling delay when
 * it fails and gives it to another process when its holder dies (the job expires). The run itself
 * is claimed in `job_runs`, so a job delivered twice still does its work once.
 */
export class PgBossJobRunner implements JobRunner {
  readonly kind = 'pg-boss';
  readonly #db: Executor;
  readonly #specs: readonly JobSpec[];
  readonly #boss: PgBoss;
  readonly #hooks: JobHooks;
  readonly #runner = runnerId();
  readonly #stopping = new AbortController();
  readonly #offered = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #offering: Promise<void> | undefined;

  constructor(db: Executor, specs: readonly JobSpec[], settings: PgBossSettings, hooks: JobHooks) {
    this.#db = db;
    this.#specs = specs;
    this.#hooks = hooks;
    this.#boss = new PgBoss({
      connectionString: settings.connectionString,
      schema: settings.schema,
      max: settings.poolSize,
      application_name: settings.applicationName,
      // Rempart offers its own slots (sub-minute periods, the slot in the job's id): no cron.
      schedule: false,
      supervise: true,
      migrate: true,
    });
    this.#boss.on('error', (error: unknown) => hooks.onError('pg-boss', error));
  }

  async start(): Promise<void> {
    await this.#boss.start();
    for (const spec of this.#specs) {
      await this.#boss.createQueue(spec.name, {
        retryLimit: spec.retries ?? 3,
        retryDelay: 2,
        retryBackoff: true,
        expireInSeconds: timeoutOf(spec),
        // A slot's job is history once done: the run's row in job_runs is what is kept.
        deleteAfterSeconds: 3600,
      });
      await this.#boss.work<{ slot: string }>(
        spec.name,
        { pollingIntervalSeconds: Math.min(2, Math.max(0.5, spec.everySeconds / 2)), batchSize: 1 },
        async (jobs) => {
          for (const job of jobs) {
            await runSlot(
              this.#db,
              spec,
              new Date(job.data.slot),
              this.#runner,
              AbortSignal.any([job.signal, this.#stopping.signal]),
              this.#hooks.onRan,
            ).catch((error: unknown) => {
              this.#hooks.onError(spec.name, error);
              throw error;
            });
          }
        },
      );
    }
    await this.#offer();
    this.#timer = setInterval(() => {
      if (!this.#offering) this.#offering = this.#offer().finally(() => (this.#offering = undefined));
    }, 500);
    this.#timer.unref();
  }

  /** Put each job's current slot on its queue, once per slot from this process (the id makes it once for the fleet). */
  async #offer(): Promise<void> {
    const now = new Date();
    for (const spec of this.#specs) {
      if (this.#stopping.signal.aborted) return;
      const slot = slotOf(now, spec.everySeconds);
      if (this.#offered.get(spec.name) === slot.getTime()) continue;
      try {
        await this.#boss.send(spec.name, { slot: slot.toISOString() }, { id: jobId(spec.name, slot) });
        this.#offered.set(spec.name, slot.getTime());
      } catch (error) {
        this.#hooks.onError(spec.name, error);
      }
    }
  }

  async stop(deadlineMs: number): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#offering;
    // pg-boss waits for the jobs in hand up to the deadline; past it their signal is aborted and
    // their slot expires to another process.
    const abort = setTimeout(() => this.#stopping.abort(), deadlineMs);
    abort.unref();
    try {
      await this.#boss.stop({ graceful: true, timeout: deadlineMs, close: true });
    } finally {
      clearTimeout(abort);
      this.#stopping.abort();
    }
  }

  async status(): Promise<JobQueueStatus> {
    const queues = await this.#boss.getQueues(this.#specs.map((s) => s.name));
    const depth = queues.reduce((sum, q) => sum + (q.readyCount ?? 0), 0);
    const oldest = await this.#oldestWaiting();
    return { depth, oldestWaitingSeconds: oldest, failing: await failingJobs(this.#db, this.#specs) };
  }

  /** Seconds since the oldest slot still waiting for a worker was due. */
  async #oldestWaiting(): Promise<number | null> {
    const now = Date.now();
    const offered = this.#specs.flatMap((spec) => {
      const last = this.#offered.get(spec.name);
      return last === undefined ? [] : [{ job: spec.name, slot: new Date(last), everySeconds: spec.everySeconds }];
    });
    const untaken = await untakenSlots(this.#db, offered);
    let oldest: number | null = null;
    for (const o of offered) {
      if (!untaken.has(`${o.job} ${o.slot.toISOString()}`)) continue;
      const waited = (now - o.slot.getTime()) / 1000 - o.everySeconds;
      if (waited > 0) oldest = Math.max(oldest ?? 0, waited);
    }
    return oldest;
  }
}
