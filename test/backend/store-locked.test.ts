import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { isStoreUnavailable, STORE_LOCK_BOUND_MS } from '../../src/store/index.ts';
import { BACKEND, PG_URL } from '../helpers/backend.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const COUNSELLOR = 'conseiller.bastide.1';

/** The longest pause of the event loop while `work` runs, sampled by a 5 ms timer. */
async function longestPause<T>(work: () => Promise<T>): Promise<{ value: T; pauseMs: number }> {
  let last = performance.now();
  let pauseMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    pauseMs = Math.max(pauseMs, now - last);
    last = now;
  }, 5);
  try {
    const value = await work();
    return { value, pauseMs };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Issue 20, item 5: the store locked by someone else (an operator's exclusive transaction, a
 * table locked by hand). Requests must fail closed with 503 within a bound, never hang for the
 * lock's whole hold nor answer 500; health answers; the event loop stays free on SQLite.
 */
describe(`a locked store: 503 within a bound, never a hang nor a 500 (${BACKEND})`, { timeout: 90_000 }, () => {
  let server: TestServer;
  let app: FastifyInstance;
  let client: Client;
  let session: SignedIn;
  let caseload: string[] = [];

  const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({
      method,
      url,
      remoteAddress: client.remoteAddress,
      headers: {
        ...client.headers,
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        'rempart-purpose': 'accompagnement',
        'rempart-case-reference': 'DOSSIER-2026-2005',
      },
      ...(payload ? { payload } : {}),
    });

  /** Hold the store's lock from another connection while `work` runs, then let go. */
  async function whileLocked<T>(work: () => Promise<T>): Promise<T> {
    if (BACKEND === 'postgres') {
      const other = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${server.env.pgSchema}` });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query('LOCK TABLE ledger_events IN ACCESS EXCLUSIVE MODE');
        await other.query('LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE');
        return await work();
      } finally {
        await other.query('ROLLBACK').catch(() => undefined);
        await other.end();
      }
    }
    const other = new SqliteDatabase(join(server.env.dir, 'rempart.sqlite'));
    try {
      other.exec('BEGIN EXCLUSIVE');
      return await work();
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  }

  before(async () => {
    server = await openTestServer();
    app = server.app;
    const db = server.runtime.database.db;
    await seedDatabase(db, server.runtime.persons, server.runtime.keyring, {
      persons: 200,
      seed: 20,
      batchSize: 200,
      parallel: false,
    });
    await ensureDemoAccounts(server.runtime, 20);
    client = {
      remoteAddress: '10.20.5.7',
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    session = await signIn(app, client, COUNSELLOR, DEMO_PASSWORD);
    const actor = await db.selectFrom('actors').select('id').where('login', '=', COUNSELLOR).executeTakeFirstOrThrow();
    const decoys = new Set((await db.selectFrom('guard_decoys').select('person_id').execute()).map((r) => r.person_id));
    caseload = (
      await db
        .selectFrom('caseloads')
        .select('person_id')
        .where('actor_id', '=', actor.id)
        .orderBy('person_id')
        .execute()
    )
      .map((r) => r.person_id)
      .filter((id) => !decoys.has(id));
    assert.ok(caseload.length >= 3, 'a caseload to read');
    assert.equal(
      (await call('GET', `/api/staff/persons/${caseload[0]}?classes=identity`)).statusCode,
      200,
      'works before the lock',
    );
  });
  after(async () => {
    await server?.close();
  });

  it('answers reads, writes and lists with 503 within the bound while the lock is held, health answers, and all works again after', async () => {
    const bound = STORE_LOCK_BOUND_MS + 3_000;
    const { value: answers, pauseMs } = await longestPause(() =>
      whileLocked(async () => {
        const started = performance.now();
        const timed = async (label: string, request: Promise<{ statusCode: number; body: string }>) => {
          const res = await request;
          return {
            label,
            status: res.statusCode,
            error: (JSON.parse(res.body) as { error?: string }).error,
            ms: performance.now() - started,
          };
        };
        return Promise.all([
          timed('read', call('GET', `/api/staff/persons/${caseload[1]}?classes=identity`)),
          timed(
            'follow-up',
            call('POST', `/api/staff/persons/${caseload[2]}/follow-up/actions`, {
              date: '2026-12-02',
              kind: 'entretien',
              label: 'Point d’étape',
            }),
          ),
          timed('caseload', call('GET', '/api/staff/caseload?pageSize=10')),
          timed('health', app.inject({ method: 'GET', url: '/api/health' })),
        ]);
      }),
    );
    for (const a of answers) {
      assert.ok(a.ms < bound, `${a.label} answered in ${Math.round(a.ms)} ms (bound ${bound} ms)`);
      assert.notEqual(a.status, 500, `${a.label}: never a 500 (${a.error})`);
      if (a.label === 'health') assert.ok(a.status === 200 || a.status === 503, `health answers (${a.status})`);
      else assert.equal(a.status, 503, `${a.label}: fails closed (${a.error})`);
    }
    assert.ok(
      answers
        .filter((a) => a.label !== 'health')
        .every((a) => ['store_unavailable', 'ledger_unavailable', 'guard_unavailable'].includes(a.error ?? '')),
      JSON.stringify(answers),
    );
    if (BACKEND === 'sqlite')
      assert.ok(pauseMs < 1_000, `the event loop kept turning (longest pause ${Math.round(pauseMs)} ms)`);
    // The lock released: the same requests succeed.
    assert.equal((await call('GET', `/api/staff/persons/${caseload[1]}?classes=identity`)).statusCode, 200);
    assert.equal(
      (
        await call('POST', `/api/staff/persons/${caseload[2]}/follow-up/actions`, {
          date: '2026-12-02',
          kind: 'entretien',
          label: 'Point d’étape',
        })
      ).statusCode,
      201,
    );
  });

  it('does not fill up under many requests: 30 reads at once all fail closed in bounded time, then health answers at once', async () => {
    const bound = 2 * STORE_LOCK_BOUND_MS + 3_000;
    const statuses = await whileLocked(async () => {
      const started = performance.now();
      const all = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          call('GET', `/api/staff/persons/${caseload[i % caseload.length]}?classes=identity`),
        ),
      );
      const ms = performance.now() - started;
      assert.ok(ms < bound, `30 reads answered in ${Math.round(ms)} ms (bound ${bound} ms)`);
      return all.map((r) => r.statusCode);
    });
    assert.ok(
      statuses.every((s) => s === 503 || s === 200),
      statuses.join(','),
    );
    assert.ok(
      statuses.some((s) => s === 503),
      'the reads that needed the lock failed closed',
    );
    const started = performance.now();
    const health = await app.inject({ method: 'GET', url: '/api/health' });
    assert.equal(health.statusCode, 200);
    assert.ok(performance.now() - started < 1_000, 'the pool is free again');
  });

  it(
    'survives PostgreSQL ending its connections (a restart, a failover) idle, under a request or inside a transaction: 503, never a 500 nor a crash, and the next requests work without a restart',
    { skip: BACKEND !== 'postgres' && 'PostgreSQL only: an embedded SQLite store has no server connection to lose' },
    async () => {
      const terminate = async (): Promise<number> => {
        const admin = new pg.Client({ connectionString: PG_URL });
        await admin.connect();
        try {
          const { rows } = await admin.query(
            'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
            [`rempart:${server.env.pgSchema}`],
          );
          return rows.filter((r: { ended: boolean }) => r.ended).length;
        } finally {
          await admin.end();
        }
      };
      // The same three files again and again: a burst of distinct persons would rightly be contained by the guard.
      const read = (i: number) => call('GET', `/api/staff/persons/${caseload[i % 3]}?classes=identity`);

      // Idle connections ended under the pool: it must drop them, not crash, and serve the next request.
      assert.equal((await read(0)).statusCode, 200);
      assert.ok((await terminate()) >= 1, 'the server had connections to end');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const after = [];
      for (let i = 0; i < 5; i++) after.push((await read(i)).statusCode);
      assert.deepEqual(after, [200, 200, 200, 200, 200], 'the pool opened new connections by itself');

      // Connections ended under requests in flight: the requests are held on a lock taken by
      // another connection (not Rempart's), so that their statements are surely running when the
      // server ends their connections; each then answers 503, none 500, and the process lives on.
      const { ended, statuses } = await whileLocked(async () => {
        const inFlight = Array.from({ length: 6 }, (_, i) => read(i));
        await new Promise((resolve) => setTimeout(resolve, 300));
        const ended = await terminate();
        return { ended, statuses: (await Promise.all(inFlight)).map((r) => r.statusCode) };
      });
      assert.ok(ended >= 6, `the six requests' connections were ended (${ended})`);
      assert.deepEqual(statuses, [503, 503, 503, 503, 503, 503]);
      // A connection a transaction holds between two statements, ended under it: no uncaught
      // error ends the process, and the next statement's failure is « store unavailable » (503).
      const failure: unknown = await server.runtime.database.db
        .transaction()
        .execute(async (trx) => {
          await trx.selectFrom('organisations').select('id').limit(1).execute();
          assert.ok((await terminate()) >= 1);
          await new Promise((resolve) => setTimeout(resolve, 200));
          await trx.selectFrom('organisations').select('id').limit(1).execute();
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      assert.ok(failure !== undefined, 'the statement on the ended connection failed');
      assert.ok(isStoreUnavailable(failure), `read as the store being unavailable: ${String(failure)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const health = await app.inject({ method: 'GET', url: '/api/health' });
      assert.equal(health.statusCode, 200, health.body);
      assert.equal(JSON.parse(health.body).store, 'ok');
      assert.equal((await read(1)).statusCode, 200, 'and reads work again, in the same process');
    },
  );
});
