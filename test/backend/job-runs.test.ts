import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { claimRun, failingJobs, runSlot, untakenSlots } from '../../src/jobs/runs.ts';
import type { JobSpec } from '../../src/jobs/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';

/**
 * The claim on a job's slot (src/jobs/runs.ts), which every runner goes through: one holder at a
 * time, a failed slot retried within its attempts and then reported failing, an abandoned one
 * (its lease run out) taken over.
 */
describe(`job runs: the claim on a slot (${BACKEND})`, () => {
  let env: TestEnvironment;
  let runtime: Runtime;
  const db = () => runtime.database.db;
  const slot = new Date('2026-12-02T10:00:00.000Z');
  const spec = (name: string, run: JobSpec['run'] = async () => undefined): JobSpec => ({
    name,
    everySeconds: 60,
    retries: 2,
    timeoutSeconds: 60,
    run,
  });

  before(async () => {
    env = testEnvironment();
    runtime = await env.open();
  });
  after(async () => {
    await runtime.close();
    await env.cleanup();
  });

  it('gives a slot to one holder; a second delivery is skipped and the work runs once', async () => {
    let ran = 0;
    const job = spec('test.once', async () => void ran++);
    const signal = new AbortController().signal;
    const outcomes = await Promise.all([
      runSlot(db(), job, slot, 'a:1:x', signal),
      runSlot(db(), job, slot, 'b:2:y', signal),
    ]);
    assert.deepEqual([...outcomes].sort(), ['done', 'skipped']);
    assert.equal(ran, 1);
    assert.equal(await runSlot(db(), job, slot, 'c:3:z', signal), 'skipped', 'done stays done');
    assert.equal(ran, 1);
  });

  it('retries a failed slot within its attempts, then reports the job failing', async () => {
    const job = spec('test.failing', async () => {
      throw new Error('gateway down');
    });
    const signal = new AbortController().signal;
    for (let attempt = 1; attempt <= 3; attempt++)
      await assert.rejects(runSlot(db(), job, slot, `p:${attempt}:x`, signal), /gateway down/);
    assert.equal(await runSlot(db(), job, slot, 'p:4:x', signal), 'skipped', 'no attempt left (1 + 2 retries)');
    const row = await db()
      .selectFrom('job_runs')
      .selectAll()
      .where('job', '=', 'test.failing')
      .executeTakeFirstOrThrow();
    assert.equal(row.state, 'failed');
    assert.equal(row.attempts, 3);
    assert.equal(row.error, 'gateway down');
    assert.deepEqual(await failingJobs(db(), [job, spec('test.once')]), ['test.failing']);
    // A later slot that went well: the job is no longer failing.
    await runSlot(db(), spec('test.failing'), new Date(slot.getTime() + 60_000), 'p:5:x', signal);
    assert.deepEqual(await failingJobs(db(), [job]), []);
  });

  it('lets a live holder keep its slot, and another take it over once the lease ran out', async () => {
    const job = spec('test.abandoned');
    const now = new Date('2026-12-02T10:00:05.000Z');
    assert.deepEqual(await claimRun(db(), job, slot, 'dead:1:x', now), { attempt: 1 });
    assert.equal(await claimRun(db(), job, slot, 'live:2:y', new Date(now.getTime() + 30_000)), undefined);
    assert.deepEqual(await claimRun(db(), job, slot, 'live:2:y', new Date(now.getTime() + 61_000)), { attempt: 2 });
  });

  it('tells which offered slots nobody has taken yet', async () => {
    const later = new Date(slot.getTime() + 3_600_000);
    const untaken = await untakenSlots(db(), [
      { job: 'test.once', slot },
      { job: 'test.once', slot: later },
    ]);
    assert.deepEqual([...untaken], [`test.once ${later.toISOString()}`]);
  });
});
