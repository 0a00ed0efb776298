import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer } from '../../src/api/index.ts';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { OperatorError } from '../../src/cli/commands/keys.ts';
import { checkLedgerAtStart } from '../../src/cli/commands/start.ts';
import {
  appendEvents,
  LedgerIntegrityError,
  parseBody,
  startLedgerSchedule,
  verifyLedger,
  WITNESS_FILE_FORMAT,
  type EventInput,
  type EventKind,
  type WitnessRecord,
} from '../../src/ledger/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import type {
  LedgerCheckpointsTable,
  LedgerEventsTable,
  LedgerNodesTable,
  LedgerStateTable,
} from '../../src/store/index.ts';
import { BACKEND, childEnv } from '../helpers/backend.ts';
import { runCli } from '../helpers/cli.ts';
import { capturingLogger } from '../helpers/logs.ts';
import { messagesTo } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';
import { startTestWitness, type TestWitness } from '../helpers/tlog-witness.ts';

const SEED = 11;
const OFFICER = 'rssi.na';
const OFFICER_MAIL = 'rssi.na@agents.rempart.example';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await sleep(25);
  }
  assert.fail(`${what}: not within ${timeoutMs} ms`);
}

const events = (count: number, from: number): Array<{ kind: EventKind; input: EventInput }> =>
  Array.from({ length: count }, (_, i) => ({
    kind: 'access_granted',
    input: { personId: `w-${from + i}`, purpose: 'suivi', operation: 'read', classes: ['identity'] },
  }));

interface Snapshot {
  events: LedgerEventsTable[];
  nodes: LedgerNodesTable[];
  checkpoints: LedgerCheckpointsTable[];
  state: LedgerStateTable[];
}

/**
 * The ledger notices tampering by itself and keeps its latest checkpoint outside the database
 * (issue 20, items 1 and 3): an independent verifier changed a body byte, deleted a row, swapped
 * two rows, rewrote a leaf hash under a running server, and rolled events, tree nodes and
 * checkpoints back together. Here the server's own background verifier must find each, alert the
 * security officers, say so through readiness and the desk, and refuse to sign; a rollback must
 * keep the server from starting and be named by `ledger witness`. And it must find nothing on a
 * log that is merely busy (item 4: checkpoints at most once per interval, in bounded time).
 */
describe(`the ledger watches itself (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let witness: TestWitness;
  let officer: SignedIn;
  const client: Client = {
    remoteAddress: '10.9.8.7',
    headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
  };
  const db = () => runtime.database.db;
  const detections: Array<{ what: string; ms: number }> = [];
  let appended = 0;

  const asOfficer = (method: 'GET' | 'POST', url: string, target: FastifyInstance = app) =>
    target.inject({
      method,
      url,
      remoteAddress: client.remoteAddress,
      headers: { ...client.headers, cookie: officer.cookie, 'x-csrf-token': officer.csrf },
    });
  const checkpointCount = async () => (await runtime.ledger.checkpoints({ limit: 1000 })).length;
  const ledgerAlerts = (signal: string) =>
    messagesTo(server.env.config.dataDir, OFFICER_MAIL).filter((m) => m.subject.includes(signal));
  const status = () => runtime.ledgerWatch.status();
  /** The newest checkpoint dated an interval back: what the rate limit of on-demand signing looks at (its time is not signed). */
  const ageCheckpoints = () =>
    db()
      .updateTable('ledger_checkpoints')
      .set({ at: new Date(Date.now() - 60_000).toISOString() })
      .execute();

  async function grow(count: number): Promise<void> {
    await appendEvents(db(), events(count, appended));
    appended += count;
  }

  async function snapshot(): Promise<Snapshot> {
    return {
      events: await db().selectFrom('ledger_events').selectAll().execute(),
      nodes: await db().selectFrom('ledger_nodes').selectAll().execute(),
      checkpoints: await db().selectFrom('ledger_checkpoints').selectAll().execute(),
      state: await db().selectFrom('ledger_state').selectAll().execute(),
    };
  }

  async function restore(saved: Snapshot): Promise<void> {
    await db().deleteFrom('ledger_events').execute();
    await db().deleteFrom('ledger_nodes').execute();
    await db().deleteFrom('ledger_checkpoints').execute();
    for (let i = 0; i < saved.events.length; i += 200)
      await db()
        .insertInto('ledger_events')
        .values(saved.events.slice(i, i + 200))
        .execute();
    for (let i = 0; i < saved.nodes.length; i += 300)
      await db()
        .insertInto('ledger_nodes')
        .values(saved.nodes.slice(i, i + 300))
        .execute();
    for (const c of saved.checkpoints) await db().insertInto('ledger_checkpoints').values(c).execute();
    await db()
      .updateTable('ledger_state')
      .set({ size: saved.state[0]!.size, pruned_below: saved.state[0]!.pruned_below })
      .where('id', '=', 1)
      .execute();
  }

  /** A position of our own events under the last checkpoint, already verified by the incremental pass. */
  async function signedPosition(offset: number): Promise<{ seq: number; row: LedgerEventsTable }> {
    const rows = await db()
      .selectFrom('ledger_events')
      .selectAll()
      .where('person_id', 'like', 'w-%')
      .where('seq', 'is not', null)
      .orderBy('seq')
      .execute();
    const row = rows[offset]!;
    assert.ok(Number(row.seq) < Number((await runtime.ledger.latestCheckpoint())!.size));
    return { seq: Number(row.seq), row };
  }

  before(async () => {
    // The external witness listens before the server starts: the watch has it cosign the checkpoints.
    witness = await startTestWitness();
    server = await openTestServer({
      config: {
        ledgerVerify: { incrementalSeconds: 1, fullSeconds: 1, cpuShare: 1 },
        ledgerWitness: { url: witness.url, key: witness.key },
      },
    });
    ({ runtime, app } = server);
    witness.trust(runtime.ledger.verifierKey);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 40,
      seed: SEED,
      batchSize: 40,
      parallel: false,
    });
    await ensureDemoAccounts(runtime, SEED);
    officer = await signIn(app, client, OFFICER, DEMO_PASSWORD);
    await grow(60);
    await runtime.ledger.checkpoint();
    await grow(20);
    await runtime.ledger.checkpoint();
  });
  after(async () => {
    await runtime.ledgerWatch.stop();
    await server.close();
    await witness.close();
    if (detections.length)
      process.stderr.write(
        `# time to detect (${BACKEND}): ${detections.map((d) => `${d.what} ${d.ms} ms`).join('; ')}\n`,
      );
  });

  it(
    'on a clean, busy log the background verifier finds nothing: no alert, ready, checkpoints go on (denial of a false alarm)',
    { timeout: 60_000 },
    async () => {
      const mailsBefore = messagesTo(server.env.config.dataDir, OFFICER_MAIL).length;
      const signedBefore = await checkpointCount();
      runtime.ledgerWatch.start();
      const errors: unknown[] = [];
      const schedule = startLedgerSchedule(runtime.ledger, {
        integrateEveryMs: 40,
        checkpointEveryMs: 300,
        onError: (error) => errors.push(error),
      });
      const states = new Set<string>();
      try {
        const until = Date.now() + 3_000;
        while (Date.now() < until) {
          await grow(15);
          states.add(status().status);
          await sleep(20);
        }
        // At least one whole-log pass ran while the log grew.
        const fullAt = status().lastFull?.at;
        await waitFor(
          'a whole-log pass after the appends',
          () => status().lastFull !== null && status().lastFull!.at !== fullAt,
        );
      } finally {
        await schedule.stop();
      }
      assert.deepEqual(errors, []);
      assert.deepEqual([...states], ['ok'], 'never anything but ok while appends, integration and signing went on');
      assert.equal(status().lastFull!.ok, true, status().lastFull!.firstFinding ?? '');
      assert.ok(status().verifiedSize > 80, `the incremental pass followed the log (${status().verifiedSize})`);
      assert.equal(messagesTo(server.env.config.dataDir, OFFICER_MAIL).length, mailsBefore, 'no alert');
      assert.ok((await checkpointCount()) > signedBefore + 2, 'the schedule signed while the watch ran');
      const ready = await app.inject({ method: 'GET', url: '/api/ready' });
      assert.equal(ready.statusCode, 200, ready.body);
      assert.deepEqual(ready.json(), { status: 'ready', reasons: [], ledger: 'ok', ledgerVerification: 'running' });
      const health = await app.inject({ method: 'GET', url: '/api/health' });
      assert.equal(health.statusCode, 200);
      assert.equal(health.json().ledger, 'ok');
      // What was signed while both ran is what `ledger verify` finds.
      assert.equal((await verifyLedger(db(), runtime.ledger)).ok, true);
    },
  );

  const tampers: Array<{ name: string; kinds: string[]; tamper: () => Promise<number> }> = [
    {
      name: 'a body byte changed',
      kinds: ['modified'],
      tamper: async () => {
        const { seq, row } = await signedPosition(3);
        const body = row.body.replace('"suivi"', '"suivj"');
        assert.notEqual(body, row.body);
        assert.equal(body.length, row.body.length, 'one byte');
        await db().updateTable('ledger_events').set({ body }).where('id', '=', row.id).execute();
        return seq;
      },
    },
    {
      name: 'a row deleted',
      kinds: ['deleted'],
      tamper: async () => {
        const { seq, row } = await signedPosition(7);
        await db().deleteFrom('ledger_events').where('id', '=', row.id).execute();
        return seq;
      },
    },
    {
      name: 'two rows swapped',
      kinds: ['reordered'],
      tamper: async () => {
        const first = await signedPosition(10);
        const second = await signedPosition(11);
        assert.equal(second.seq, first.seq + 1);
        await db().updateTable('ledger_events').set({ seq: second.seq }).where('id', '=', first.row.id).execute();
        await db().updateTable('ledger_events').set({ seq: first.seq }).where('id', '=', second.row.id).execute();
        return first.seq;
      },
    },
    {
      name: 'a leaf hash rewritten',
      kinds: ['modified', 'tree'],
      tamper: async () => {
        const { seq } = await signedPosition(15);
        await db()
          .updateTable('ledger_nodes')
          .set({ hash: randomBytes(32) })
          .where('level', '=', 0)
          .where('idx', '=', seq)
          .execute();
        return seq;
      },
    },
  ];

  for (const { name, kinds, tamper } of tampers) {
    it(
      `${name} under the running server: found by the background verifier, officers alerted, not ready, desk told, signing refused; repaired, all clear`,
      { timeout: 90_000 },
      async () => {
        await runtime.ledgerWatch.incrementalPass();
        assert.equal(status().status, 'ok');
        const saved = await snapshot();
        const alertsBefore = ledgerAlerts('ledger_altered').length;
        const signedBefore = await checkpointCount();
        runtime.ledgerWatch.start();
        let position: number;
        try {
          position = await tamper();
          const ms = await waitFor(`${name} detected`, () => status().status === 'altered');
          detections.push({ what: name, ms });

          const found = status().problems.find((p) => p.source === 'full');
          assert.ok(found, `the whole-log pass names it: ${JSON.stringify(status().problems)}`);
          assert.ok(kinds.includes(found.kind), `${found.kind}: ${found.message}`);
          assert.equal(found.index, position, found.message);
          assert.equal(status().signing, 'refused');

          // The security officers, once, by the guard's way (mail; the SOC's webhook if configured).
          await waitFor('the alert', () => ledgerAlerts('ledger_altered').length > alertsBefore, 10_000);
          const alert = ledgerAlerts('ledger_altered').at(-1)!;
          assert.match(alert.body, new RegExp(`constat : .*(n° |position )${position}\\b`));
          assert.match(alert.body, new RegExp(`position : ${position}\\n`));
          assert.match(alert.body, /signature : refusée/);

          // Liveness stays 200 and says it; readiness is 503.
          const health = await app.inject({ method: 'GET', url: '/api/health' });
          assert.equal(health.statusCode, 200);
          assert.equal(health.json().status, 'ok');
          assert.equal(health.json().ledger, 'altered');
          const ready = await app.inject({ method: 'GET', url: '/api/ready' });
          assert.equal(ready.statusCode, 503, ready.body);
          assert.deepEqual(ready.json().reasons, ['ledger_altered']);
          assert.ok(
            !ready.body.includes(String(position)) && !ready.body.includes('événement'),
            'reason codes only, to anyone',
          );

          // The desk: the finding, and the background's verification in the ledger itself.
          const desk = await asOfficer('GET', '/api/security/dashboard/ledger');
          assert.equal(desk.statusCode, 200, desk.body);
          assert.equal(desk.json().integrity.status, 'altered');
          assert.equal(desk.json().integrity.signing, 'refused');
          assert.ok(desk.json().integrity.problems.some((p: { index: number | null }) => p.index === position));
          await waitFor(
            'the background verification recorded',
            async () =>
              (await asOfficer('GET', '/api/security/dashboard/ledger')).json().lastVerification?.ok === false,
            10_000,
          );

          // No checkpoint over the altered history: not by the log, not on demand, not by the schedule.
          await grow(3);
          await assert.rejects(
            runtime.ledger.checkpoint(),
            (e: unknown) => e instanceof LedgerIntegrityError && /refusing to sign/.test(e.message),
          );
          await ageCheckpoints();
          const refused = await asOfficer('POST', '/api/ledger/checkpoints');
          assert.equal(refused.statusCode, 503, refused.body);
          assert.equal(refused.json().error, 'ledger_altered');
          const schedule = startLedgerSchedule(runtime.ledger, {
            integrateEveryMs: 30,
            checkpointEveryMs: 50,
            onError: () => undefined,
          });
          await sleep(400);
          await schedule.stop();
          assert.equal(await checkpointCount(), signedBefore, 'nothing signed');
          assert.equal(ledgerAlerts('ledger_altered').length, alertsBefore + 1, 'one alert, not one per pass');
        } finally {
          await runtime.ledgerWatch.stop();
          await restore(saved);
        }
        // Repaired (the store restored): the next passes find nothing, and the log signs again.
        await runtime.ledgerWatch.fullPass();
        await runtime.ledgerWatch.incrementalPass();
        assert.equal(status().status, 'ok', JSON.stringify(status().problems));
        assert.equal((await app.inject({ method: 'GET', url: '/api/ready' })).statusCode, 200);
        await grow(2);
        const signed = await runtime.ledger.checkpoint();
        assert.ok(signed && Number(signed.size) === (await runtime.ledger.size()));
      },
    );
  }

  it(
    'signing covers what it verified, in bounded time, and at most once per interval across server processes',
    { timeout: 120_000 },
    async () => {
      await runtime.ledger.checkpoint();
      const last = Number((await runtime.ledger.latestCheckpoint())!.size);
      // A backlog of 12,000 integrated events, verified for at most 1 ms: a prefix is signed, quickly.
      for (let i = 0; i < 6; i++) await grow(2_000);
      await runtime.ledger.integrate();
      const tree = await runtime.ledger.size();
      let started = Date.now();
      const partial = await runtime.ledger.checkpoint(new Date(), { integrate: false, verifyBudgetMs: 1 });
      const elapsed = Date.now() - started;
      assert.ok(partial);
      assert.ok(
        Number(partial.size) > last && Number(partial.size) < tree,
        `${partial.size} of ${tree}, after ${last}`,
      );
      assert.ok(elapsed < 3_000, `bounded: ${elapsed} ms`);
      const whole = await runtime.ledger.checkpoint();
      assert.equal(Number(whole!.size), tree, 'unbounded, the rest');

      // A second server process on the same store: the interval is the fleet's.
      const other = await server.env.open();
      const { logger } = capturingLogger();
      const otherApp = await buildServer(other, logger);
      try {
        await grow(5);
        await ageCheckpoints();
        const before = await checkpointCount();
        const first = await asOfficer('POST', '/api/ledger/checkpoints');
        assert.equal(first.statusCode, 201, first.body);
        await grow(5);
        const second = await asOfficer('POST', '/api/ledger/checkpoints', otherApp);
        assert.equal(second.statusCode, 429, second.body);
        assert.equal(second.json().error, 'checkpoint_too_soon');
        assert.ok(Number(second.headers['retry-after']) >= 1);
        assert.equal(await checkpointCount(), before + 1, 'one checkpoint for the two of them');

        if (BACKEND === 'postgres') {
          // The log's row held elsewhere (a stuck process): the request gives up within the store's bound, 503.
          await ageCheckpoints();
          let release!: () => void;
          const released = new Promise<void>((resolve) => (release = resolve));
          let locked!: () => void;
          const isLocked = new Promise<void>((resolve) => (locked = resolve));
          const holder = other.database.db.transaction().execute(async (trx) => {
            await sql`UPDATE ledger_state SET size = size WHERE id = 1`.execute(trx);
            locked();
            await released;
          });
          await isLocked;
          started = Date.now();
          const stuck = await asOfficer('POST', '/api/ledger/checkpoints');
          const waited = Date.now() - started;
          release();
          await holder;
          assert.equal(stuck.statusCode, 503, stuck.body);
          assert.ok(waited < 5_000, `answered in ${waited} ms`);
        }
      } finally {
        await otherApp.close();
        await other.close();
      }
    },
  );

  it(
    'the external witness cosigns the checkpoints (C2SP tlog-witness), the witness file keeps the latest; a bad cosignature is not taken',
    { timeout: 60_000 },
    async () => {
      await grow(4);
      await runtime.ledger.checkpoint();
      await runtime.ledgerWatch.incrementalPass();
      const latest = (await runtime.ledger.latestCheckpoint())!;
      assert.equal(witness.latest()?.size, latest.size, 'the witness holds the newest checkpoint');
      assert.ok(witness.latest()!.root.equals(latest.root));
      const external = status().witness.external!;
      assert.equal(
        external.status,
        'cosigned',
        JSON.stringify({ external, requests: witness.requests.map((r) => [r.status, String(r.old), String(r.size)]) }),
      );
      assert.equal(external.size, Number(latest.size));
      const file = JSON.parse(readFileSync(server.env.config.ledgerWitnessFile, 'utf8')) as WitnessRecord;
      assert.equal(file.format, WITNESS_FILE_FORMAT);
      assert.equal(file.size, Number(latest.size), 'the file follows every checkpoint signed');
      assert.equal(file.note, latest.note);
      assert.equal(file.cosigned?.size, Number(latest.size));
      assert.equal(file.cosigned?.url, witness.url);
      assert.match(file.cosigned!.cosignature, /^— witness\.test\.example\/w1 /);
      // Consistency proofs were sent from the size the witness held (409 told it once, then the old size was known).
      assert.ok(
        witness.requests.some((r) => r.status === 200 && r.old !== null && r.old > 0n),
        JSON.stringify(witness.requests.map((r) => [r.status, String(r.old), String(r.size)])),
      );

      // A witness answering with a signature that is not its key's: not taken as a cosignature.
      witness.impostor = true;
      try {
        await grow(3);
        const next = (await runtime.ledger.checkpoint())!;
        await runtime.ledgerWatch.incrementalPass();
        const refused = status().witness.external!;
        assert.equal(refused.status, 'unavailable');
        assert.match(refused.message ?? '', /sans cosignature valide/);
        const after = JSON.parse(readFileSync(server.env.config.ledgerWitnessFile, 'utf8')) as WitnessRecord;
        assert.equal(after.size, Number(next.size), 'the local file still follows');
        assert.equal(after.cosigned?.size, Number(latest.size), 'but no cosignature is recorded for it');
        assert.equal(status().status, 'ok', 'a witness misbehaving says nothing about the log');
      } finally {
        witness.impostor = false;
      }
      await runtime.ledgerWatch.incrementalPass();
      assert.equal(status().witness.external!.status, 'cosigned');
    },
  );

  it(
    'a consistent rollback (events, tree nodes and checkpoints removed together) passes a whole verification, but not the witness: no start, the watch alerts, `ledger witness` names it',
    { timeout: 180_000 },
    async () => {
      // Two signed checkpoints; an outside witness keeps the newer one.
      await grow(7);
      const older = (await runtime.ledger.checkpoint())!;
      await grow(9);
      const newer = (await runtime.ledger.checkpoint())!;
      const kept = join(server.env.dir, 'kept.note');
      writeFileSync(kept, newer.note);
      // The external witness cosigns the newer one.
      await runtime.ledgerWatch.incrementalPass();
      assert.equal(witness.latest()?.size, newer.size);
      const rollbackTo = Number(older.size);
      const newerSize = Number(newer.size);

      // Rolled back to the older one, consistently: nothing left above it anywhere in the store.
      await db().deleteFrom('ledger_events').where('seq', '>=', rollbackTo).execute();
      await db().deleteFrom('ledger_events').where('seq', 'is', null).execute();
      // A stored subtree (level, idx) covers [idx·2^level, (idx+1)·2^level): it goes when it reaches past the rolled-back size.
      for (let level = 0; 2 ** level <= newerSize; level++) {
        await db()
          .deleteFrom('ledger_nodes')
          .where('level', '=', level)
          .where('idx', '>=', Math.floor(rollbackTo / 2 ** level))
          .execute();
      }
      await db().deleteFrom('ledger_checkpoints').where('size', '>', rollbackTo).execute();
      await db().updateTable('ledger_state').set({ size: rollbackTo }).where('id', '=', 1).execute();
      const report = await verifyLedger(db(), runtime.ledger);
      assert.deepEqual(report.findings, [], 'as a whole, the rolled-back store verifies');
      assert.equal(report.checkpoint?.size, rollbackTo);

      // The running server sees it at its next incremental pass: alert, not ready, no signing.
      const alertsBefore = ledgerAlerts('ledger_rollback').length;
      runtime.ledgerWatch.start();
      try {
        const ms = await waitFor('the rollback detected', () => status().status === 'rollback');
        detections.push({ what: 'consistent rollback', ms });
        await waitFor('the rollback alert', () => ledgerAlerts('ledger_rollback').length > alertsBefore, 10_000);
        assert.match(
          ledgerAlerts('ledger_rollback').at(-1)!.body,
          new RegExp(`${rollbackTo} événements.*${newerSize}`),
        );
        const ready = await app.inject({ method: 'GET', url: '/api/ready' });
        assert.equal(ready.statusCode, 503);
        assert.ok(ready.json().reasons.includes('ledger_rollback'));
        await grow(30);
        await assert.rejects(runtime.ledger.checkpoint(), LedgerIntegrityError);
        assert.equal(
          Number((await runtime.ledger.latestCheckpoint())!.size),
          rollbackTo,
          'no checkpoint over the rolled-back history, even once it grew past the witnessed size',
        );
      } finally {
        await runtime.ledgerWatch.stop();
      }

      // A server started on this store refuses, naming both sizes (in process, then `rempart start` itself).
      const again = await server.env.open();
      try {
        await assert.rejects(checkLedgerAtStart(again), (e: unknown) => {
          assert.ok(e instanceof OperatorError);
          assert.match(e.message, /DÉMARRAGE REFUSÉ/);
          assert.match(e.message, new RegExp(`${rollbackTo} événements.*${newerSize}`));
          return true;
        });
      } finally {
        await again.close();
      }
      const alertsBeforeStart = ledgerAlerts('ledger_rollback').length;
      const start = await runCli(
        ['start', '--no-demo'],
        childEnv(server.env, { PORT: '0', REMPART_LEDGER_WITNESS_URL: witness.url }),
        90_000,
      );
      assert.equal(start.code, 1, start.stdout + start.stderr);
      assert.equal(
        ledgerAlerts('ledger_rollback').length,
        alertsBeforeStart + 1,
        'the refused start alerted the security officers',
      );
      assert.match(start.stderr, /DÉMARRAGE REFUSÉ — journal des accès/);
      assert.match(
        start.stderr,
        new RegExp(`point de contrôle de ${rollbackTo} événements ; le témoin en détient un de ${newerSize}`),
      );
      assert.doesNotMatch(start.stdout, /Rempart écoute/);

      // `ledger verify` no longer says « conforme ».
      const verify = await runCli(['ledger', 'verify'], childEnv(server.env));
      assert.equal(verify.code, 1, verify.stdout);
      assert.match(verify.stdout, /JOURNAL ALTÉRÉ — premier constat : retour en arrière du journal/);

      // The witness, with only the public key, its kept checkpoint and the server's address: a rollback, both sizes.
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const key = runtime.ledger.verifierKey;
      const bare = { PATH: process.env.PATH ?? '', HOME: server.env.dir };
      for (const olderFile of [kept, server.env.config.ledgerWitnessFile]) {
        const named = await runCli(['ledger', 'witness', '--key', key, '--older', olderFile, '--url', url], bare);
        assert.equal(named.code, 1, named.stdout + named.stderr);
        assert.match(
          named.stderr,
          new RegExp(
            `RETOUR EN ARRIÈRE \\(rollback\\) : le point de contrôle le plus récent \\(${rollbackTo} événements\\) est plus petit que l’ancien \\(${newerSize} événements\\)`,
          ),
        );
        assert.doesNotMatch(named.stderr, /HTTP 400/);
      }
      // And the same witness on a store that did not roll back says it is consistent (the denial's other side).
      const olderFile = join(server.env.dir, 'older.note');
      writeFileSync(olderFile, older.note);
      const fine = await runCli(['ledger', 'witness', '--key', key, '--older', olderFile, '--url', url], bare);
      assert.equal(fine.code, 0, fine.stderr);
      assert.match(
        fine.stdout,
        new RegExp(`Cohérent : le point de contrôle à ${rollbackTo} événements prolonge celui à ${rollbackTo}`),
      );

      // The data folder rolled back too (its witness file gone): the external witness still refuses the start.
      if (existsSync(server.env.config.ledgerWitnessFile))
        renameSync(server.env.config.ledgerWitnessFile, `${server.env.config.ledgerWitnessFile}.aside`);
      assert.ok(
        witness.latest() && witness.latest()!.size === BigInt(newerSize),
        `the external witness cosigned ${newerSize}`,
      );
      const withoutFile = await server.env.open();
      try {
        await assert.rejects(checkLedgerAtStart(withoutFile), (e: unknown) => {
          assert.ok(e instanceof OperatorError);
          assert.match(
            e.message,
            new RegExp(
              `témoin externe .* ${newerSize} événements, le dernier du magasin n'en compte que ${rollbackTo}`,
            ),
          );
          return true;
        });
      } finally {
        await withoutFile.close();
      }
      // The body of an event still reads as before (nothing else was touched).
      const any = await db().selectFrom('ledger_events').select('body').where('seq', '=', 0).executeTakeFirstOrThrow();
      assert.ok(parseBody(any.body).id);
    },
  );
});
