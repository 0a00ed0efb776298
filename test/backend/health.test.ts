import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { appendEvent, appendEvents } from '../../src/ledger/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';

type JobsStatus = { depth: number; oldestWaitingSeconds: number | null; failing: string[] };

describe(`health: liveness and full readiness (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const personId = randomUUID();

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
  });
  after(() => server.close());

  const ready = async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health/ready' });
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.body.includes(personId), false, 'reason codes and figures only');
    return { status: res.statusCode, body: res.json() };
  };

  /** Integrate and sign what waits: readiness is back. */
  const catchUp = async () => {
    await runtime.ledger.integrate();
    await runtime.ledger.checkpoint();
    const back = await ready();
    assert.equal(back.status, 200, JSON.stringify(back.body));
  };

  /** A fake job queue on the runtime, as the lead's queue attaches itself; undefined removes it. */
  const setJobs = (status: (() => Promise<JobsStatus>) | undefined) => {
    const mutable = runtime as { jobs?: { status(): Promise<JobsStatus> } };
    if (status) mutable.jobs = { status };
    else delete mutable.jobs;
  };

  it('is alive, cheaply', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health/live' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'alive' });
  });

  it('is ready on a fresh server, with its figures', async () => {
    const { status, body } = await ready();
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.status, 'ready');
    assert.deepEqual(body.reasons, []);
    assert.equal(body.store, 'ok');
    assert.equal(body.keyring, 'ok');
    assert.equal(body.ledger, 'ok');
    assert.equal(body.ledgerVerification, 'off');
    assert.equal(typeof body.lag.events, 'number');
    assert.equal(typeof body.checkpointAgeSeconds, 'number');
    assert.equal(body.queue, null, 'no queue in this process');
    // The documented routes stay as they were.
    assert.equal((await app.inject({ method: 'GET', url: '/api/health' })).statusCode, 200);
    assert.deepEqual((await app.inject({ method: 'GET', url: '/api/ready' })).json(), {
      status: 'ready',
      reasons: [],
      ledger: 'ok',
      ledgerVerification: 'off',
    });
  });

  it('is not ready while an event has waited more than a minute to be integrated (ledger_lagging)', async () => {
    await catchUp();
    await appendEvent(runtime.database.db, 'access_granted', {
      personId,
      purpose: 'test',
      operation: 'read',
      classes: ['identity'],
      at: new Date(Date.now() - 2 * 60_000),
    });
    const { status, body } = await ready();
    assert.equal(status, 503);
    assert.equal(body.status, 'not_ready');
    assert.deepEqual(body.reasons, ['ledger_lagging']);
    assert.equal(body.lag.events, 1);
    assert.ok(body.lag.oldestSeconds >= 119, JSON.stringify(body.lag));
    await catchUp();
  });

  it('is not ready while events wait behind a checkpoint older than max(3 intervals, 5 min) (checkpoint_stale)', async () => {
    await catchUp();
    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    await runtime.database.db.updateTable('ledger_checkpoints').set({ at: old }).execute();
    // Nothing waits: an old checkpoint over everything is not stale.
    assert.equal((await ready()).status, 200);
    await appendEvent(runtime.database.db, 'access_granted', { personId, purpose: 'test', operation: 'read' });
    const { status, body } = await ready();
    assert.equal(status, 503);
    assert.deepEqual(body.reasons, ['checkpoint_stale']);
    assert.equal(body.unsigned, true);
    assert.ok(body.checkpointAgeSeconds >= 599, String(body.checkpointAgeSeconds));
    await catchUp();
  });

  it('is not ready when more than 50,000 events are recorded and not integrated (ledger_lagging)', async () => {
    await catchUp();
    const total = 50_001;
    for (let done = 0; done < total; done += 5_000) {
      const n = Math.min(5_000, total - done);
      await appendEvents(
        runtime.database.db,
        Array.from({ length: n }, (_, i) => ({
          kind: 'access_granted' as const,
          input: { personId, purpose: 'test', operation: 'read', details: { n: done + i } },
        })),
      );
    }
    const { status, body } = await ready();
    assert.equal(status, 503);
    assert.deepEqual(body.reasons, ['ledger_lagging']);
    assert.equal(body.lag.events, total);
    assert.ok(body.lag.oldestSeconds < 60, 'by their number, not their age');
    // The load balancer's readiness is unchanged: the lag is the shared store's, not this process's.
    assert.equal((await app.inject({ method: 'GET', url: '/api/ready' })).statusCode, 200);
    await catchUp();
  });

  it('is not ready when the job queue is backed up or failing (queue_backlog)', async () => {
    try {
      setJobs(async () => ({ depth: 3, oldestWaitingSeconds: 2, failing: [] }));
      const healthy = await ready();
      assert.equal(healthy.status, 200, JSON.stringify(healthy.body));
      assert.deepEqual(healthy.body.queue, { depth: 3, oldestWaitingSeconds: 2, failing: [] });
      for (const jobs of [
        { depth: 1, oldestWaitingSeconds: 1, failing: ['send_messages'] },
        { depth: 10_001, oldestWaitingSeconds: 30, failing: [] },
        { depth: 40, oldestWaitingSeconds: 301, failing: [] },
      ]) {
        setJobs(async () => jobs);
        const { status, body } = await ready();
        assert.equal(status, 503, JSON.stringify(jobs));
        assert.deepEqual(body.reasons, ['queue_backlog']);
        assert.deepEqual(body.queue, jobs);
      }
      setJobs(async () => {
        throw new Error('queue store unreachable');
      });
      const unavailable = await ready();
      assert.equal(unavailable.status, 503);
      assert.deepEqual(unavailable.body.reasons, ['queue_unavailable']);
      assert.equal(unavailable.body.queue, null);
      assert.equal(unavailable.body.status, 'not_ready');
    } finally {
      setJobs(undefined);
    }
    assert.equal((await ready()).status, 200);
  });
});

describe(`health when the store is gone (${BACKEND})`, () => {
  it('is still alive, and not ready: store_unavailable, no figures', async () => {
    const server = await openTestServer();
    try {
      await server.runtime.database.close();
      const live = await server.app.inject({ method: 'GET', url: '/api/health/live' });
      assert.equal(live.statusCode, 200, 'liveness asks nothing of the store');
      const res = await server.app.inject({ method: 'GET', url: '/api/health/ready' });
      assert.equal(res.statusCode, 503);
      const body = res.json();
      assert.deepEqual(body.reasons, ['store_unavailable']);
      assert.equal(body.lag, null);
      assert.equal(body.checkpointAgeSeconds, null);
    } finally {
      await server.app.close();
      await server.env.cleanup();
    }
  });
});
