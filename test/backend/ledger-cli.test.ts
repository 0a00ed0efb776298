import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  appendEvents,
  ensureLedgerPartition,
  parseBody,
  signerFromSeed,
  verifierKeyOf,
  verifyLedger,
  type EventInput,
  type EventKind,
} from '../../src/ledger/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND, childEnv, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';
import { runCli } from '../helpers/cli.ts';
import { ledgerEvents } from '../helpers/ledger.ts';

/**
 * The operator's and the witness's side of the ledger, through the `rempart` command: verify
 * names what was altered, a witness checks two checkpoints with the public key only, and
 * retention prunes old bodies while the tree still verifies.
 */
describe(`rempart ledger (${BACKEND})`, () => {
  let env: TestEnvironment;
  let runtime: Runtime;
  const db = () => runtime.database.db;
  const events = (count: number, at?: (i: number) => Date): Array<{ kind: EventKind; input: EventInput }> =>
    Array.from({ length: count }, (_, i) => ({
      kind: 'access_granted',
      input: {
        personId: `p-${i}`,
        purpose: 'suivi',
        operation: 'read',
        classes: ['identity'],
        ...(at ? { at: at(i) } : {}),
      },
    }));

  before(async () => {
    env = testEnvironment();
    runtime = await env.open();
    // Three old months (each in a partition of its own on PostgreSQL), then recent events.
    for (const month of ['2025-01', '2025-02', '2025-03'])
      await ensureLedgerPartition(db(), runtime.database.flavour, month);
    await appendEvents(
      db(),
      events(30, (i) => new Date(Date.UTC(2025, Math.floor(i / 10), 5 + (i % 10), 10))),
    );
    await runtime.ledger.checkpoint();
    await appendEvents(db(), events(10));
    await runtime.ledger.checkpoint();
  });
  after(async () => {
    await runtime.close();
    await env.cleanup();
  });

  it('verify: a clean log passes, with its progress shown and the checkpoint named', async () => {
    const result = await runCli(['ledger', 'verify'], childEnv(env));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Dernier point de contrôle signé : 40 événements/);
    assert.match(result.stdout, /Journal intègre/);
    assert.match(result.stderr, /Vérification du journal \[/);
  });

  it('verify: names a modified, a deleted and a reordered event, and exits 1', async () => {
    const rows = await db()
      .selectFrom('ledger_events')
      .selectAll()
      .where('seq', 'in', [4, 8, 9, 20])
      .orderBy('seq')
      .execute();
    const [four, eight, nine, twenty] = rows;
    try {
      const body = parseBody(four!.body);
      body.classes = ['identity', 'health'];
      await db()
        .updateTable('ledger_events')
        .set({ body: JSON.stringify(body) })
        .where('id', '=', four!.id)
        .execute();
      await db().updateTable('ledger_events').set({ seq: 9 }).where('id', '=', eight!.id).execute();
      await db().updateTable('ledger_events').set({ seq: 8 }).where('id', '=', nine!.id).execute();
      await db().deleteFrom('ledger_events').where('id', '=', twenty!.id).execute();
      const result = await runCli(['ledger', 'verify'], childEnv(env));
      assert.equal(result.code, 1);
      assert.match(
        result.stdout,
        new RegExp(`JOURNAL ALTÉRÉ — premier constat : événement n° 4 \\(${four!.id}\\) modifié`),
      );
      assert.match(result.stdout, /ordre modifié : l'événement en position 8 .* signé en position 9/);
      assert.match(result.stdout, /événement n° 20 supprimé/);
      assert.match(result.stderr, /Vérification du journal en échec/);
    } finally {
      await db()
        .deleteFrom('ledger_events')
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      for (const row of rows) await db().insertInto('ledger_events').values(row).execute();
    }
    assert.equal((await verifyLedger(db(), runtime.ledger)).ok, true);
  });

  it('witness: two exported checkpoints are checked with the public key only, through the proof file', async () => {
    const exported = join(env.dir, 'checkpoints.json');
    const exportRun = await runCli(['ledger', 'export', '--output', exported], childEnv(env));
    assert.equal(exportRun.code, 0, exportRun.stderr);
    const document = JSON.parse((await import('node:fs')).readFileSync(exported, 'utf8')) as {
      format: string;
      verifierKey: string;
      checkpoints: Array<{ size: number; note: string }>;
    };
    assert.equal(document.format, 'rempart.checkpoints/v1');
    assert.deepEqual(
      document.checkpoints.map((c) => c.size),
      [30, 40],
    );
    const older = join(env.dir, 'older.note');
    const newer = join(env.dir, 'newer.note');
    writeFileSync(older, document.checkpoints[0]!.note);
    writeFileSync(newer, document.checkpoints[1]!.note);
    const proofFile = join(env.dir, 'proof.json');
    writeFileSync(
      proofFile,
      JSON.stringify({ proof: (await runtime.ledger.consistencyProof(30, 40)).map((p) => p.toString('base64')) }),
    );
    // No database: the witness has the notes, the proof and the key.
    const witnessEnv = { PATH: process.env.PATH ?? '', HOME: env.dir };
    const ok = await runCli(
      ['ledger', 'witness', '--key', document.verifierKey, '--older', older, '--newer', newer, '--proof', proofFile],
      witnessEnv,
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Cohérent : le point de contrôle à 40 événements prolonge celui à 30/);

    writeFileSync(
      proofFile,
      JSON.stringify({ proof: (await runtime.ledger.consistencyProof(29, 40)).map((p) => p.toString('base64')) }),
    );
    const bad = await runCli(
      ['ledger', 'witness', '--key', document.verifierKey, '--older', older, '--newer', newer, '--proof', proofFile],
      witnessEnv,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Témoin : les points de contrôle 30 et 40 sont incohérents/);

    // A witness configured with another log's key (same name, other key) accepts none of these checkpoints.
    const otherKey = verifierKeyOf(signerFromSeed(runtime.ledger.origin, randomBytes(32)));
    const wrongKey = await runCli(
      ['ledger', 'witness', '--key', otherKey, '--older', older, '--newer', newer, '--proof', proofFile],
      witnessEnv,
    );
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /Témoin : point de contrôle non signé par la clé du journal/);
  });

  it('prune: refuses a date inside the retention period, naming the option, and changes nothing', async () => {
    const before = await db().selectFrom('ledger_events').select('id').execute();
    const result = await runCli(['ledger', 'prune', '--before', new Date().toISOString().slice(0, 10)], childEnv(env));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--before : les événements sont conservés au moins 180 jours/);
    assert.equal((await db().selectFrom('ledger_events').select('id').execute()).length, before.length);
  });

  it('prune: old bodies go, their hashes stay, the log still verifies, and the pruning is itself an event', async () => {
    const result = await runCli(['ledger', 'prune', '--before', '2025-03-01'], childEnv(env));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /20 événement\(s\) antérieurs au 2025-03-01 purgé\(s\)/);
    if (BACKEND === 'postgres') {
      assert.match(result.stdout, /ledger_events_2025_01, ledger_events_2025_02/);
      const left = await sql<{
        name: string;
      }>`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace s ON s.oid = p.relnamespace WHERE p.relname = 'ledger_events' AND s.nspname = current_schema()`.execute(
        db(),
      );
      assert.ok(!left.rows.some((r) => r.name === 'ledger_events_2025_01'));
      assert.ok(left.rows.some((r) => r.name === 'ledger_events_2025_03'));
    }
    assert.equal((await db().selectFrom('ledger_events').select('id').where('seq', '<', 20).execute()).length, 0);
    const pruned = await ledgerEvents(db(), 'ledger_pruned');
    assert.equal(pruned.length, 1);
    assert.equal(pruned[0]!.details.prunedBelow, 20);
    // A proof for a pruned event and for a kept one still lead to the signed root.
    await runtime.ledger.checkpoint();
    const report = await verifyLedger(db(), runtime.ledger);
    assert.deepEqual(report.findings, []);
    assert.equal(report.pruned, 20);
    const verify = await runCli(['ledger', 'verify'], childEnv(env));
    assert.equal(verify.code, 0, verify.stdout);
    assert.match(verify.stdout, /20 purgé\(s\)/);
  });
});
