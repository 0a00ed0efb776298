import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Executor } from '../store/index.ts';
import type { JobContext, JobHooks, JobSpec, RunOutcome } from './types.ts';

/** This process, as a run's holder: host, pid and a random part (a pid is reused after a restart). */
export function runnerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** The start of the period `at` falls in, for a job run every `everySeconds`. */
export function slotOf(at: Date, everySeconds: number): Date {
  const period = everySeconds * 1000;
  return new Date(Math.floor(at.getTime() / period) * period);
}

export function timeoutOf(spec: JobSpec): number {
  return spec.timeoutSeconds ?? Math.max(60, spec.everySeconds);
}

/**
 * Take the run of a job's slot for this process, if nobody has: the first delivery inserts the
 * row (the primary key lets one process win), a later one takes it over only when the previous
 * attempt failed or its process died (its lease ran out). Whichever queue delivers a slot, and
 * however many times, the job's work runs once per slot unless it failed.
 */
export async function claimRun(
  db: Executor,
  spec: JobSpec,
  slot: Date,
  runner: string,
  now: Date,
): Promise<{ attempt: number } | undefined> {
  const lease = new Date(now.getTime() + timeoutOf(spec) * 1000).toISOString();
  const inserted = await db
    .insertInto('job_runs')
    .values({
      job: spec.name,
      slot: slot.toISOString(),
      state: 'running',
      runner,
      attempts: 1,
      started_at: now.toISOString(),
      lease_until: lease,
      finished_at: null,
      error: null,
    })
    .onConflict((oc) => oc.columns(['job', 'slot']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { attempt: 1 };
  const retries = spec.retries ?? 3;
  const taken = await db
    .updateTable('job_runs')
    .set((eb) => ({
      state: 'running',
      runner,
      attempts: eb('attempts', '+', 1),
      started_at: now.toISOString(),
      lease_until: lease,
      finished_at: null,
    }))
    .where('job', '=', spec.name)
    .where('slot', '=', slot.toISOString())
    .where('attempts', '<=', retries)
    .where((eb) =>
      eb.or([
        eb('state', '=', 'failed'),
        eb.and([eb('state', '=', 'running'), eb('lease_until', '<', now.toISOString())]),
      ]),
    )
    .returning('attempts')
    .executeTakeFirst();
  return taken ? { attempt: taken.attempts } : undefined;
}

/**
 * Run a job's slot here if this process can take it, and record how it ended. A failure is
 * recorded and thrown (the queue retries it); a slot run or running elsewhere is `skipped`.
 */
export async function runSlot(
  db: Executor,
  spec: JobSpec,
  slot: Date,
  runner: string,
  signal: AbortSignal,
  onRan?: JobHooks['onRan'],
  now: () => Date = () => new Date(),
): Promise<RunOutcome> {
  const claim = await claimRun(db, spec, slot, runner, now());
  if (!claim) return 'skipped';
  const timeout = AbortSignal.timeout(timeoutOf(spec) * 1000);
  const context: JobContext = { slot, attempt: claim.attempt, signal: AbortSignal.any([signal, timeout]) };
  const finish = (values: { state: 'done' | 'failed'; error: string | null }) =>
    db
      .updateTable('job_runs')
      .set({ ...values, finished_at: now().toISOString() })
      .where('job', '=', spec.name)
      .where('slot', '=', slot.toISOString())
      .where('runner', '=', runner)
      .execute();
  const started = performance.now();
  try {
    await spec.run(context);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await finish({ state: 'failed', error: message.slice(0, 500) });
    throw error;
  }
  await finish({ state: 'done', error: null });
  onRan?.(spec.name, slot, claim.attempt, performance.now() - started);
  return 'done';
}

/** Jobs whose latest slot ended failed with no attempt left. */
export async function failingJobs(db: Executor, specs: readonly JobSpec[]): Promise<string[]> {
  if (specs.length === 0) return [];
  // Each job's latest slot, in one statement (the primary key serves the max per job).
  const latest = await db
    .selectFrom('job_runs as run')
    .select(['run.job', 'run.state', 'run.attempts'])
    .where(
      'run.job',
      'in',
      specs.map((s) => s.name),
    )
    .where('run.slot', '=', (eb) =>
      eb
        .selectFrom('job_runs as later')
        .select((l) => l.fn.max('later.slot').as('slot'))
        .whereRef('later.job', '=', 'run.job'),
    )
    .execute();
  const retries = new Map(specs.map((s) => [s.name, s.retries ?? 3]));
  return latest
    .filter((run) => run.state === 'failed' && run.attempts > (retries.get(run.job) ?? 3))
    .map((run) => run.job)
    .sort();
}

/** The offered slots that no process has taken yet (no run recorded), in one statement. */
export async function untakenSlots(
  db: Executor,
  offered: ReadonlyArray<{ job: string; slot: Date }>,
): Promise<Set<string>> {
  if (offered.length === 0) return new Set();
  const taken = await db
    .selectFrom('job_runs')
    .select(['job', 'slot'])
    .where((eb) => eb.or(offered.map((o) => eb.and([eb('job', '=', o.job), eb('slot', '=', o.slot.toISOString())]))))
    .execute();
  const seen = new Set(taken.map((t) => `${t.job} ${t.slot}`));
  return new Set(offered.map((o) => `${o.job} ${o.slot.toISOString()}`).filter((key) => !seen.has(key)));
}

/** Forget runs started before `before`: a run's row matters for its slot and for a while after, not for ever. */
export async function purgeRuns(db: Executor, before: Date): Promise<number> {
  const result = await db.deleteFrom('job_runs').where('started_at', '<', before.toISOString()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
