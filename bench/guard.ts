/**
 * The price of the guard (guard issue): microseconds it adds to a read of one person, next to the
 * same read without it (the access event, then one class decrypted), on SQLite and on PostgreSQL;
 * then on PostgreSQL with two server processes reading at once through the same guard state (one
 * organisation: they queue on its lock). The guard's work per read: a decoy check, the actor's
 * and organisation's windows, the behavioural signals, four counter upserts, in one transaction.
 * BENCH_GUARD_READS sets the reads per measurement (default 2,000).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { seedDatabase } from '../src/seed/index.ts';
import { PG_URL, testEnvironment, type TestEnvironment } from '../test/helpers/backend.ts';
import { timeReads, type ReadTimings } from './guard-reads.ts';
import type { TableFn } from './policy.ts';

const READS = Number(process.env.BENCH_GUARD_READS || 2000);
const PERSONS = 1000;

function childEnvironment(env: TestEnvironment, actor: { id: string; organisationId: string }): NodeJS.ProcessEnv {
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${env.pgSchema}`);
  return {
    ...process.env,
    REMPART_DATA_DIR: env.dir,
    REMPART_KEYRING_FILE: env.keyringPath,
    DATABASE_URL: url.toString(),
    LOG_LEVEL: 'silent',
    BENCH_ACTOR: actor.id,
    BENCH_ORGANISATION: actor.organisationId,
    BENCH_READS: String(READS),
  };
}

function runWorker(env: NodeJS.ProcessEnv): Promise<ReadTimings> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/guard-worker.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!) as ReadTimings)
        : reject(new Error(`guard worker exited with ${code}`)),
    );
  });
}

const us = (n: number) => `${n.toFixed(0)} µs`;

export async function benchGuard(kinds: Array<'sqlite' | 'postgres'>, table: TableFn): Promise<void> {
  const rows: Array<Array<string | number>> = [];
  for (const kind of kinds) {
    const env = testEnvironment({ backend: kind, schemaPrefix: 'bench' });
    const runtime = await env.open();
    try {
      const db = runtime.database.db;
      await seedDatabase(db, runtime.persons, runtime.keyring, {
        persons: PERSONS,
        seed: 3,
        batchSize: 1000,
        parallel: false,
      });
      const organisationId = (
        await db.selectFrom('organisations').select('id').where('kind', '=', 'caf').executeTakeFirstOrThrow()
      ).id;
      const actors = [randomUUID(), randomUUID()];
      for (const id of actors) {
        await db
          .insertInto('actors')
          .values({
            id,
            organisation_id: organisationId,
            kind: 'machine',
            login: `bench-${id}`,
            display_name: 'bench',
            roles: JSON.stringify(['partner_system']),
            status: 'active',
            created_at: new Date().toISOString(),
          })
          .execute();
      }
      const persons = (await db.selectFrom('persons').select('id').orderBy('id').execute()).map((r) => r.id);
      const name = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
      const one = await timeReads(runtime, { id: actors[0]!, organisationId }, persons, READS);
      rows.push([
        `${name}, one process`,
        us(one.withoutGuard),
        us(one.withGuard),
        us(one.admit),
        (one.withGuard / one.withoutGuard).toFixed(2) + '×',
      ]);
      if (kind === 'postgres') {
        const started = performance.now();
        const [a, b] = await Promise.all([
          runWorker(childEnvironment(env, { id: actors[0]!, organisationId })),
          runWorker(childEnvironment(env, { id: actors[1]!, organisationId })),
        ]);
        const seconds = (performance.now() - started) / 1000;
        const mean = (k: keyof ReadTimings) => (a![k] + b![k]) / 2;
        rows.push([
          `${name}, two processes (same organisation)`,
          us(mean('withoutGuard')),
          us(mean('withGuard')),
          us(mean('admit')),
          (mean('withGuard') / mean('withoutGuard')).toFixed(2) + '×',
        ]);
        console.log(
          `\nTwo processes: ${((a!.reads + b!.reads) * 2).toLocaleString('en-US')} reads (half guarded) in ${seconds.toFixed(1)} s.`,
        );
      }
    } finally {
      await runtime.close();
      await env.cleanup();
    }
  }
  table(
    `Guard overhead per read (${READS.toLocaleString('en-US')} reads of one person each, over ${PERSONS.toLocaleString('en-US')} persons)`,
    ['store', 'read without guard', 'read with guard', 'admission + event', 'ratio'],
    rows,
  );
}
