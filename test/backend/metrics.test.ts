import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import { readOperationalFigures, startMetricsListener } from '../../src/metrics/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const TOKEN = 'metrics-token-for-the-tests-0123456789abcdef';
const COUNSELLOR = 'conseiller.bastide.1';
const PURPOSE = 'accompagnement';

/** One sample of the Prometheus text: its name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!;
    out.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return out;
}

/** The sum of the samples of `name` whose labels include `labels` (0 when none). */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe(`metrics (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let session: SignedIn;
  let accountId = '';
  let actorId = '';
  let ownCase = '';
  let otherCase = '';
  const client: Client = {
    remoteAddress: '10.0.0.77',
    headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
  };

  const db = () => runtime.database.db;

  const read = (personId: string) =>
    app.inject({
      method: 'GET',
      url: `/api/staff/persons/${personId}?classes=identity`,
      remoteAddress: client.remoteAddress,
      headers: {
        ...client.headers,
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        'rempart-purpose': PURPOSE,
        'rempart-case-reference': 'DOSSIER-2026-0042',
      },
    });

  const scrape = async (): Promise<string> => {
    const res = await app.inject({ method: 'GET', url: '/api/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return res.body;
  };

  before(async () => {
    // The guard's time in working hours (a Wednesday, 10:30 in Paris): no off-hours alert on the reads, whenever this runs.
    const started = Date.now();
    const clock = { now: () => new Date(Date.parse('2026-03-11T09:30:00Z') + (Date.now() - started)) };
    server = await openTestServer({ config: { metrics: { host: '127.0.0.1', token: TOKEN } }, clock });
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 60,
      seed: 7,
      batchSize: 60,
      parallel: false,
    });
    const actor = await db()
      .selectFrom('actors')
      .select(['id'])
      .where('login', '=', COUNSELLOR)
      .executeTakeFirstOrThrow();
    actorId = actor.id;
    accountId = await createAccount(db(), { kind: 'staff', login: COUNSELLOR, password: PASSWORD, actorId });
    await addChannel(db(), runtime.keyring, accountId, 'email', `${COUNSELLOR}@agents.test.example`, {
      verified: true,
    });
    session = await signIn(app, client, COUNSELLOR, PASSWORD);
    ownCase = (
      await db()
        .selectFrom('caseloads')
        .select('person_id')
        .where('actor_id', '=', actorId)
        .orderBy('person_id')
        .executeTakeFirstOrThrow()
    ).person_id;
    otherCase = (
      await db()
        .selectFrom('caseloads')
        .select('person_id')
        .where('actor_id', '!=', actorId)
        .where('person_id', 'not in', db().selectFrom('caseloads').select('person_id').where('actor_id', '=', actorId))
        .orderBy('person_id')
        .executeTakeFirstOrThrow()
    ).person_id;
  });
  after(() => server.close());

  it('counts a permitted and a denied read by reason, times them by route pattern, and names nobody', async () => {
    const before = await scrape();
    // Twice: the first read counts the person in the guard's transaction, the second is the steady path.
    for (let i = 0; i < 2; i++) {
      const permitted = await read(ownCase);
      assert.equal(permitted.statusCode, 200, permitted.body);
    }
    const denied = await read(otherCase);
    assert.equal(denied.statusCode, 403, denied.body);
    assert.equal(denied.json().error, 'person_out_of_scope');
    assert.equal((await app.inject({ method: 'GET', url: '/api/no-such-thing' })).statusCode, 404);
    const text = await scrape();

    const moved = (name: string, labels: Record<string, string>) =>
      valueOf(text, name, labels) - valueOf(before, name, labels);
    // The policy's decisions, by outcome and reason: the caseload read permitted, the stranger's file denied.
    assert.equal(moved('rempart_access_decisions_total', { outcome: 'permit', reason: 'caseload' }), 2);
    assert.equal(moved('rempart_access_decisions_total', { outcome: 'deny', reason: 'person_out_of_scope' }), 1);
    assert.equal(moved('rempart_access_decisions_total', {}), 3, 'nothing else was decided');
    // The guard admitted both reads, without a signal, and said nothing of the denied one.
    assert.equal(moved('rempart_guard_admissions_total', { check: 'read', outcome: 'admitted', signal: 'none' }), 2);
    assert.equal(moved('rempart_guard_admissions_total', {}), 2);
    // Requests by route pattern and status class, never by URL.
    const route = '/api/staff/persons/:id';
    assert.equal(
      moved('rempart_http_request_duration_seconds_count', { method: 'GET', route, status: '2xx' }),
      2,
      'the permitted reads, under their route pattern',
    );
    assert.equal(moved('rempart_http_request_duration_seconds_count', { method: 'GET', route, status: '4xx' }), 1);
    assert.ok(moved('rempart_http_request_duration_seconds_count', { route: 'unmatched', status: '4xx' }) >= 1);
    assert.ok(valueOf(text, 'rempart_http_request_duration_seconds_count', { route: '/api/auth/login' }) >= 1);
    // The steady read's event and the refusal's went through the group commit: their appends are timed.
    assert.ok(moved('rempart_ledger_append_duration_seconds_count', {}) >= 2);
    // Gauges read at scrape time, and the process's own figures.
    assert.ok(valueOf(text, 'rempart_ledger_integration_lag_events') > 0, 'the events wait for integration');
    assert.ok(samples(text).some((s) => s.name === 'rempart_ledger_checkpoint_age_seconds'));
    assert.ok(samples(text).some((s) => s.name === 'process_cpu_user_seconds_total'));
    assert.ok(!samples(text).some((s) => s.name.startsWith('rempart_jobs_')), 'no queue, no queue figures');

    // No person, account, actor, login or address in any label or value.
    for (const secret of [ownCase, otherCase, accountId, actorId, COUNSELLOR, client.remoteAddress, 'bastide'])
      assert.equal(text.includes(secret), false, `the scrape names ${secret}`);
    for (const sample of samples(text))
      for (const value of Object.values(sample.labels))
        assert.ok(!/[0-9a-f]{8}-[0-9a-f]{4}-/.test(value), `no identifier as a label: ${sample.name} ${value}`);
  });

  it('asks for the token on the main port, compared whole', async () => {
    const without = await app.inject({ method: 'GET', url: '/api/metrics' });
    assert.equal(without.statusCode, 401);
    assert.equal(without.json().error, 'unauthorized');
    assert.equal(without.body.includes('rempart_'), false);
    for (const authorization of [
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
      TOKEN,
      `Bearer ${TOKEN} ${TOKEN}`,
    ]) {
      const res = await app.inject({ method: 'GET', url: '/api/metrics', headers: { authorization } });
      assert.equal(res.statusCode, 401, authorization);
    }
    assert.match(await scrape(), /rempart_access_decisions_total/);
  });

  it('serves /metrics on a listener of its own, and nothing else there', async () => {
    const listener = await startMetricsListener(runtime.metrics, { host: '127.0.0.1', port: 0 });
    try {
      const base = `http://127.0.0.1:${listener.port}`;
      const res = await fetch(`${base}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      assert.ok(valueOf(text, 'rempart_access_decisions_total', { outcome: 'permit', reason: 'caseload' }) >= 1);
      assert.ok(samples(text).some((s) => s.name === 'nodejs_eventloop_lag_seconds'));
      const other = await fetch(`${base}/api/health`);
      assert.equal(other.status, 404);
      await other.arrayBuffer();
      const post = await fetch(`${base}/metrics`, { method: 'POST' });
      assert.equal(post.status, 405);
      await post.arrayBuffer();
    } finally {
      await listener.close();
    }
  });

  it('reports the job queue once one is attached', async () => {
    const jobs = { depth: 12, oldestWaitingSeconds: 4.5, failing: ['mail'] };
    runtime.metrics.collectFrom(() =>
      readOperationalFigures({ ledger: runtime.ledger, jobs: { status: async () => jobs } }),
    );
    const text = await scrape();
    assert.equal(valueOf(text, 'rempart_jobs_queue_depth'), 12);
    assert.equal(valueOf(text, 'rempart_jobs_queue_oldest_waiting_seconds'), 4.5);
    assert.equal(valueOf(text, 'rempart_jobs_failing'), 1);
  });

  it('has no /api/metrics without a token, and a registry per runtime', async () => {
    const plain = await openTestServer();
    try {
      const res = await plain.app.inject({ method: 'GET', url: '/api/metrics' });
      assert.equal(res.statusCode, 404);
      const { text } = await plain.runtime.metrics.scrape();
      assert.equal(valueOf(text, 'rempart_access_decisions_total'), 0, 'the other runtime’s decisions are not here');
    } finally {
      await plain.close();
    }
  });

  it('refuses a bad metrics configuration, naming the variable', () => {
    const env = { REMPART_DATA_DIR: '/tmp/rempart-config-test' };
    for (const [variables, named] of [
      [{ REMPART_METRICS_PORT: '70000' }, 'REMPART_METRICS_PORT'],
      [{ REMPART_METRICS_PORT: '0' }, 'REMPART_METRICS_PORT'],
      [{ REMPART_METRICS_PORT: '90a' }, 'REMPART_METRICS_PORT'],
      [{ REMPART_METRICS_HOST: '0.0.0.0' }, 'REMPART_METRICS_HOST'],
      [{ REMPART_METRICS_TOKEN: 'short-token' }, 'REMPART_METRICS_TOKEN'],
      [{ REMPART_METRICS_TOKEN: `${TOKEN} ` }, 'REMPART_METRICS_TOKEN'],
    ] as const)
      assert.throws(
        () => loadConfig({ ...env, ...variables }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(named),
        JSON.stringify(variables),
      );
    assert.deepEqual(loadConfig(env).metrics, { host: '127.0.0.1' });
    assert.deepEqual(
      loadConfig({
        ...env,
        REMPART_METRICS_PORT: '9464',
        REMPART_METRICS_HOST: '10.1.2.3',
        REMPART_METRICS_TOKEN: TOKEN,
      }).metrics,
      { host: '10.1.2.3', port: 9464, token: TOKEN },
    );
  });
});
