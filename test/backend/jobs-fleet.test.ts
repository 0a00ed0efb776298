import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { BACKEND, childEnv, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';
import { BIN } from '../helpers/cli.ts';

/**
 * Two `rempart start` processes on one store (issue 22): every background job runs once per
 * period for the two of them, a message is sent once whichever process queued or retried it, a
 * daily sweep opens one account review per organisation and announces it once, and both stop
 * cleanly on SIGTERM. On PostgreSQL the slots go through the pg-boss queue; on SQLite each
 * process's timers claim them in the same table.
 */
const JOINED_A_YEAR_AGO = '2025-06-01T00:00:00.000Z';

describe(`background jobs across two processes (${BACKEND})`, () => {
  let env: TestEnvironment;
  const servers: Array<{ child: ChildProcess; url: string; output: () => string }> = [];
  /** Every process spawned, so that `after` stops them even when another failed to start. */
  const spawned: ChildProcess[] = [];
  const logins: string[] = [];
  const FAST = [
    'ledger.integrate=1',
    'bank.settle=1',
    'messages.deliver=1',
    'exports.expire=1',
    'ledger.partitions=2',
    'accounts.sweep=2',
    'decoys.maintain=3',
    'jobs.purge=3',
  ].join(',');

  before(async () => {
    env = testEnvironment();
    await env.prepare();
    const runtime = await env.open();
    try {
      const db = runtime.database.db;
      await seedDatabase(db, runtime.persons, runtime.keyring, {
        persons: 40,
        seed: 5,
        batchSize: 40,
        parallel: false,
      });
      // Organisations that joined a year ago: their first account review is due.
      await db.updateTable('organisations').set({ created_at: JOINED_A_YEAR_AGO }).execute();
      for (let i = 0; i < 6; i++) {
        const login = `flotte.${i}@exemple.fr`;
        const id = await createAccount(db, { kind: 'job_seeker', login, password: 'Flotte de deux processus 2026' });
        await addChannel(db, runtime.keyring, id, 'email', login, { verified: true });
        logins.push(login);
      }
    } finally {
      await runtime.close();
    }
  });

  after(async () => {
    for (const child of spawned) if (child.exitCode === null) child.kill('SIGKILL');
    await env.cleanup();
  });

  function startServer(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
    const child = spawn(process.execPath, [BIN, 'start'], {
      env: childEnv(env, { PORT: '0', REMPART_JOB_PERIODS: FAST, REMPART_CHECKPOINT_SECONDS: '1', LOG_LEVEL: 'debug' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    spawned.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner:\n${out}`)), 90_000);
      const banner = () => {
        const url = /Rempart écoute sur (http:\/\/\S+)/.exec(out)?.[1];
        if (url && out.includes('\n\n', out.indexOf('Rempart écoute'))) {
          clearTimeout(timer);
          child.stdout!.off('data', banner);
          resolve({ child, url, output: () => out });
        }
      };
      child.stdout!.on('data', banner);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited ${code}:\n${out}`));
      });
    });
  }

  it('runs each job once per period, sends each message once, and stops cleanly', async () => {
    servers.push(...(await Promise.all([startServer(), startServer()])));
    const [a, b] = servers as [(typeof servers)[0], (typeof servers)[0]];
    assert.match(a.output(), BACKEND === 'postgres' ? /file PostgreSQL \(pg-boss\)/ : /dans ce processus/);
    const windowStart = Date.now();

    // Recovery codes asked of both processes: each one queued in the request's transaction and sent once.
    for (const [i, login] of logins.entries()) {
      const res = await fetch(`${(i % 2 ? b : a).url}/api/auth/recovery/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login }),
      });
      assert.equal(res.status, 202, await res.text());
    }
    // Long enough for several periods of every fast job on both processes.
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    const windowEnd = Date.now();

    const exits = servers.map((s) => new Promise<number | null>((resolve) => s.child.once('exit', resolve)));
    for (const s of servers) s.child.kill('SIGTERM');
    assert.deepEqual(await Promise.all(exits), [0, 0], 'both processes stop cleanly on SIGTERM');

    const runtime = await env.open();
    try {
      const db = runtime.database.db;
      const runs = await db.selectFrom('job_runs').selectAll().execute();
      const byJob = new Map<string, typeof runs>();
      for (const run of runs) byJob.set(run.job, [...(byJob.get(run.job) ?? []), run]);

      // Every one-second job ran for (nearly) every second of the window, once: one row per slot,
      // taken at the first attempt, never by two processes.
      for (const job of ['ledger.integrate', 'bank.settle', 'messages.deliver', 'exports.expire']) {
        const mine = byJob.get(job) ?? [];
        const inWindow = mine.filter((r) => Date.parse(r.slot) >= windowStart && Date.parse(r.slot) < windowEnd - 1000);
        const seconds = Math.floor((windowEnd - 1000 - windowStart) / 1000);
        assert.ok(inWindow.length >= seconds - 2, `${job}: ${inWindow.length} runs for ${seconds} one-second slots`);
        assert.equal(new Set(mine.map((r) => r.slot)).size, mine.length, `${job}: one run per slot`);
        assert.deepEqual(
          mine.filter((r) => r.state !== 'done' || r.attempts !== 1).map((r) => `${r.slot} ${r.state} ${r.attempts}`),
          [],
          `${job}: every slot done at its first attempt`,
        );
      }
      // What the processes themselves say they ran (each logs every run it carried out): each slot of
      // each job once, for the two of them together, and exactly the runs recorded as done.
      const ran = servers.flatMap((s) =>
        s
          .output()
          .split('\n')
          .filter((line) => line.includes('"background job ran"'))
          .map((line) => JSON.parse(line) as { job: string; slot: string }),
      );
      const counted = new Map<string, number>();
      for (const r of ran) counted.set(`${r.job} ${r.slot}`, (counted.get(`${r.job} ${r.slot}`) ?? 0) + 1);
      assert.deepEqual(
        [...counted].filter(([, n]) => n !== 1),
        [],
        'no slot of any job ran twice',
      );
      assert.deepEqual(
        [...counted.keys()].sort(),
        runs
          .filter((r) => r.state === 'done')
          .map((r) => `${r.job} ${r.slot}`)
          .sort(),
        'the runs the processes carried out are the runs recorded',
      );

      // Started without --demo: the bootstrap administrator's token went to a file only the service
      // reads, and nothing secret to either process's output.
      const tokenFile = join(env.dir, 'bootstrap-admin.token');
      assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
      const token = readFileSync(tokenFile, 'utf8').trim();
      assert.match(token, /^rpt_/);
      for (const s of servers) {
        assert.equal(s.output().includes(token), false, 'the token is not printed');
        assert.doesNotMatch(s.output(), /Bearer |mot de passe «/);
        assert.match(s.output(), /jeton (écrit dans|déjà émis)/);
      }

      // One review per organisation, announced once to each recipient, however many sweeps ran.
      const sweeps = (byJob.get('accounts.sweep') ?? []).length;
      assert.ok(sweeps >= 2, `${sweeps} sweeps`);
      const campaigns = await db
        .selectFrom('recertification_campaigns')
        .select(['organisation_id', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('organisation_id')
        .execute();
      const aged = await db
        .selectFrom('organisations')
        .select('id')
        .where('status', '=', 'active')
        .where('created_at', '=', JOINED_A_YEAR_AGO)
        .execute();
      assert.ok(aged.length >= 10, `${aged.length} organisations`);
      assert.deepEqual(
        campaigns.map((c) => c.organisation_id).sort(),
        aged.map((o) => o.id).sort(),
        'every organisation that joined a year ago has its review, and no other',
      );
      assert.deepEqual(
        campaigns.filter((c) => Number(c.n) !== 1),
        [],
        'one review per organisation',
      );
      const notices = await db
        .selectFrom('notifications')
        .select(['organisation_id', 'recipient', (eb) => eb.fn.countAll<number>().as('n')])
        .where('kind', '=', 'recertification_alert')
        .groupBy(['organisation_id', 'recipient'])
        .execute();
      assert.ok(notices.length > 0, 'the reviews were announced');
      assert.deepEqual(
        notices.filter((n) => Number(n.n) !== 1),
        [],
        'each announcement sent once',
      );

      // Each queued message was sent once: one file per message in the outbox, named by its queue id.
      const queued = await db.selectFrom('outgoing_messages').select(['id', 'status', 'sealed']).execute();
      assert.ok(queued.length >= logins.length + notices.length, `${queued.length} messages queued`);
      assert.deepEqual(
        queued.filter((m) => m.status !== 'sent' || m.sealed !== null).map((m) => m.id),
        [],
        'every message sent, its sealed body wiped',
      );
      const files = readdirSync(join(env.dir, 'outbox'));
      assert.equal(files.length, queued.length, 'one delivery per message');
      for (const m of queued) assert.equal(files.filter((f) => f.includes(m.id)).length, 1, m.id);

      // Checkpoints: at most one per checkpoint slot, however many processes.
      const checkpointRuns = (byJob.get('ledger.checkpoint') ?? []).length;
      const checkpoints = Number(
        (
          await db
            .selectFrom('ledger_checkpoints')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
      assert.ok(checkpoints <= checkpointRuns + 1, `${checkpoints} checkpoints for ${checkpointRuns} slots`);

      if (BACKEND === 'postgres') {
        // The slots went through pg-boss's queue, in its own schema beside the store's.
        const jobs = await sql<{
          n: string;
        }>`select count(*) as n from ${sql.raw(`${env.pgSchema}_jobs`)}.job where name = 'bank.settle'`.execute(db);
        assert.ok(Number(jobs.rows[0]?.n) >= 3, `${jobs.rows[0]?.n} bank.settle jobs in pg-boss`);
      }
    } finally {
      await runtime.close();
    }
  });
});
