import type { Executor } from '../store/index.ts';
import { failingJobs, runnerId, runSlot, slotOf } from './runs.ts';
import type { JobHooks, JobQueueStatus, JobRunner, JobSpec } from './types.ts';

/**
 * The jobs of an embedded store, run by timers in its one process: each slot is claimed in
 * `job_runs` as on PostgreSQL (so a second process on the same file still runs it once), a failed
 * slot is retried after 2, 4, 8 s… within its attempts, and a job is never run twice at once here.
 */
export class InProcessJobRunner implements JobRunner {
  readonly kind = 'in-process';
  readonly #db: Executor;
  readonly #specs: readonly JobSpec[];
  readonly #hooks: JobHooks;
  readonly #runner = runnerId();
  readonly #stopping = new AbortController();
  readonly #running = new Map<string, Promise<void>>();
  readonly #lastSlot = new Map<string, number>();
  readonly #retryAt = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(db: Executor, specs: readonly JobSpec[], hooks: JobHooks) {
    this.#db = db;
    this.#specs = specs;
    this.#hooks = hooks;
  }

  async start(): Promise<void> {
    this.#tick();
    const shortest = Math.min(...this.#specs.map((s) => s.everySeconds));
    this.#timer = setInterval(() => this.#tick(), Math.max(200, Math.min(1000, (shortest * 1000) / 2)));
    this.#timer.unref();
  }

  #tick(): void {
    if (this.#stopping.signal.aborted) return;
    const now = Date.now();
    for (const spec of this.#specs) {
      if (this.#running.has(spec.name)) continue;
      const slot = slotOf(new Date(now), spec.everySeconds);
      const retryAt = this.#retryAt.get(spec.name);
      const due = this.#lastSlot.get(spec.name) !== slot.getTime() || (retryAt !== undefined && now >= retryAt);
      if (!due) continue;
      this.#lastSlot.set(spec.name, slot.getTime());
      this.#retryAt.delete(spec.name);
      const run = runSlot(this.#db, spec, slot, this.#runner, this.#stopping.signal, this.#hooks.onRan)
        .then(
          () => undefined,
          async (error: unknown) => {
            this.#hooks.onError(spec.name, error);
            const row = await this.#db
              .selectFrom('job_runs')
              .select('attempts')
              .where('job', '=', spec.name)
              .where('slot', '=', slot.toISOString())
              .executeTakeFirst()
              .catch(() => undefined);
            const attempts = row?.attempts ?? 1;
            if (attempts <= (spec.retries ?? 3)) this.#retryAt.set(spec.name, Date.now() + 2000 * 2 ** (attempts - 1));
          },
        )
        .finally(() => this.#running.delete(spec.name));
      this.#running.set(spec.name, run);
    }
  }

  async stop(deadlineMs: number): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    const all = Promise.all(this.#running.values());
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
    await Promise.race([all, deadline]);
    // Past the deadline the running jobs are told to give up; their slot is retried by the next process.
    this.#stopping.abort();
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }

  async status(): Promise<JobQueueStatus> {
    return { depth: 0, oldestWaitingSeconds: null, failing: await failingJobs(this.#db, this.#specs) };
  }
}
