import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  appendEvent,
  appendEvents,
  formatCheckpoint,
  leafData,
  leafHash,
  LedgerIntegrityError,
  LedgerUnavailableError,
  parseBody,
  rootOf,
  signerFromSeed,
  signNote,
  StoredTree,
  verifierKeyOf,
  verifyCheckpointPair,
  verifyConsistency,
  verifyLedger,
  WitnessError,
  type SignedCheckpoint,
  type VerifyReport,
} from '../../src/ledger/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import type { LedgerEventsTable, LedgerNodesTable } from '../../src/store/index.ts';
import { BACKEND, childEnv, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';

describe(`the access ledger (${BACKEND})`, () => {
  let env: TestEnvironment;
  let runtime: Runtime;
  const db = () => runtime.database.db;
  let first: SignedCheckpoint;
  let second: SignedCheckpoint;

  before(async () => {
    env = testEnvironment();
    runtime = await env.open();
    const kinds = ['access_granted', 'access_denied', 'login_succeeded', 'person_search'] as const;
    const make = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        kind: kinds[(from + i) % kinds.length]!,
        input: {
          personId: `person-${from + i}`,
          actorId: `actor-${(from + i) % 3}`,
          organisationId: 'org-1',
          purpose: 'suivi',
          caseReference: `CASE-${from + i}`,
          operation: 'read',
          classes: ['identity', 'contact'],
        },
      }));
    await appendEvents(db(), make(0, 20));
    first = (await runtime.ledger.checkpoint())!;
    await appendEvents(db(), make(20, 20));
    second = (await runtime.ledger.checkpoint())!;
  });
  after(async () => {
    await runtime.close();
    await env.cleanup();
  });

  async function rows(): Promise<LedgerEventsTable[]> {
    return db().selectFrom('ledger_events').selectAll().where('seq', 'is not', null).orderBy('seq').execute();
  }
  const at = async (seq: number) => (await rows()).find((r) => Number(r.seq) === seq)!;

  /** Apply a tampering, verify, and put everything back as it was, whatever happened. */
  async function tampered(tamper: () => Promise<void>): Promise<VerifyReport> {
    const events = await db().selectFrom('ledger_events').selectAll().execute();
    const nodes: LedgerNodesTable[] = await db().selectFrom('ledger_nodes').selectAll().execute();
    const checkpoints = await db().selectFrom('ledger_checkpoints').selectAll().execute();
    try {
      await tamper();
      return await verifyLedger(db(), runtime.ledger, { batchSize: 16 });
    } finally {
      await db().deleteFrom('ledger_events').execute();
      await db().deleteFrom('ledger_nodes').execute();
      await db().deleteFrom('ledger_checkpoints').execute();
      for (const e of events) await db().insertInto('ledger_events').values(e).execute();
      for (const n of nodes) await db().insertInto('ledger_nodes').values(n).execute();
      for (const c of checkpoints) await db().insertInto('ledger_checkpoints').values(c).execute();
    }
  }

  it('numbers events without gap in the tree, whose root is RFC 9162 over the canonical events', async () => {
    const all = await rows();
    assert.deepEqual(
      all.map((r) => Number(r.seq)),
      Array.from({ length: 40 }, (_, i) => i),
    );
    const leaves = all.map((r) => leafHash(leafData(parseBody(r.body))));
    assert.ok(second.root.equals(rootOf(leaves)));
    assert.ok(first.root.equals(rootOf(leaves.slice(0, 20))));
    assert.equal(await runtime.ledger.size(), 40);
  });

  it('signs checkpoints in the C2SP format with its key, consistent with each other, and none when nothing changed', async () => {
    assert.equal(first.size, 20n);
    assert.equal(second.size, 40n);
    assert.match(
      second.note,
      new RegExp(
        `^${runtime.ledger.origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n40\\n[A-Za-z0-9+/]{43}=\\n\\n\u2014 `,
      ),
    );
    const opened = runtime.ledger.openCheckpoint(second.note);
    assert.ok(opened.root.equals(second.root));
    const proof = await runtime.ledger.consistencyProof(20, 40);
    assert.ok(verifyConsistency(20n, 40n, proof, first.root, second.root));
    const again = await runtime.ledger.checkpoint();
    assert.equal(again!.note, second.note, 'no new checkpoint for an unchanged tree');
    assert.equal((await runtime.ledger.checkpoints()).length, 2);
  });

  it('verifies a clean log against every checkpoint', async () => {
    const report = await verifyLedger(db(), runtime.ledger, { batchSize: 7 });
    assert.deepEqual(report.findings, []);
    assert.equal(report.ok, true);
    assert.equal(report.eventsChecked, 40);
    assert.equal(report.checkpointsChecked, 2);
    assert.deepEqual(report.checkpoint?.size, 40);
  });

  it('names a modified event', async () => {
    const target = await at(7);
    const report = await tampered(async () => {
      const body = parseBody(target.body);
      body.purpose = 'autre_finalite';
      await db()
        .updateTable('ledger_events')
        .set({ body: JSON.stringify(body) })
        .where('id', '=', target.id)
        .execute();
    });
    assert.equal(report.ok, false);
    assert.equal(report.findings[0]!.kind, 'modified');
    assert.equal(report.findings[0]!.index, 7);
    assert.equal(report.findings[0]!.eventId, target.id);
    assert.match(report.findings[0]!.message, /n° 7 .*modifié/);
  });

  it('names an event whose lookup columns were changed (the journal and the incident scope read them)', async () => {
    const target = await at(9);
    const report = await tampered(async () => {
      await db().updateTable('ledger_events').set({ person_id: 'someone-else' }).where('id', '=', target.id).execute();
    });
    assert.equal(report.findings[0]!.kind, 'modified');
    assert.equal(report.findings[0]!.index, 9);
    assert.match(report.findings[0]!.message, /colonnes/);
  });

  it('names a deleted event, whether the gap is left or the later events are renumbered to hide it', async () => {
    const target = await at(12);
    const gap = await tampered(async () => {
      await db().deleteFrom('ledger_events').where('id', '=', target.id).execute();
    });
    assert.equal(gap.findings[0]!.kind, 'deleted');
    assert.equal(gap.findings[0]!.index, 12);

    const renumbered = await tampered(async () => {
      await db().deleteFrom('ledger_events').where('id', '=', target.id).execute();
      await sql`UPDATE ledger_events SET seq = seq - 1 WHERE seq > 12`.execute(db());
    });
    assert.equal(renumbered.findings[0]!.kind, 'deleted');
    assert.equal(renumbered.findings[0]!.index, 12);
    assert.equal(
      renumbered.findings.filter((f) => f.kind !== 'checkpoint').length,
      1,
      `one deletion, not a cascade of changes: ${renumbered.findings.map((f) => f.message).join(' | ')}`,
    );
  });

  it('names an inserted event, and does not blame the ones pushed down after it', async () => {
    const template = parseBody((await at(0)).body);
    const report = await tampered(async () => {
      await sql`UPDATE ledger_events SET seq = seq + 1 WHERE seq >= 15`.execute(db());
      const forged = { ...template, id: '00000000-0000-4000-8000-000000000015', caseReference: 'ALIBI' };
      await db()
        .insertInto('ledger_events')
        .values({
          id: forged.id,
          seq: 15,
          at: forged.at,
          kind: forged.kind,
          account_id: null,
          actor_id: forged.restricted.actor,
          organisation_id: forged.organisation,
          person_id: forged.person,
          body: JSON.stringify(forged),
        })
        .execute();
    });
    assert.equal(report.findings[0]!.kind, 'inserted');
    assert.equal(report.findings[0]!.index, 15);
    assert.equal(report.findings[0]!.eventId, '00000000-0000-4000-8000-000000000015');
    assert.equal(
      report.findings.filter((f) => f.kind === 'modified').length,
      0,
      report.findings.map((f) => f.message).join(' | '),
    );
  });

  it('names reordered events', async () => {
    const a = await at(3);
    const b = await at(5);
    const report = await tampered(async () => {
      await db().updateTable('ledger_events').set({ seq: 5 }).where('id', '=', a.id).execute();
      await db().updateTable('ledger_events').set({ seq: 3 }).where('id', '=', b.id).execute();
    });
    assert.equal(report.findings[0]!.kind, 'reordered');
    assert.equal(report.findings[0]!.index, 3);
    assert.equal(report.findings[0]!.eventId, b.id);
    assert.match(report.findings[0]!.message, /signé en position 5/);
  });

  it('detects a truncated log', async () => {
    const report = await tampered(async () => {
      await db().deleteFrom('ledger_events').where('seq', '>=', 35).execute();
    });
    assert.equal(report.findings[0]!.kind, 'truncated');
    assert.equal(report.findings[0]!.index, 35);
    assert.match(report.findings[0]!.message, /35 à 39/);
  });

  it('still catches a rewrite of the events and of the stored tree together, by the signed checkpoint', async () => {
    const target = await at(5);
    const report = await tampered(async () => {
      const body = parseBody(target.body);
      body.classes = [];
      await db()
        .updateTable('ledger_events')
        .set({ body: JSON.stringify(body) })
        .where('id', '=', target.id)
        .execute();
      // The forger recomputes every tree hash from the altered events.
      await db().deleteFrom('ledger_nodes').execute();
      await new StoredTree(db()).append((await rows()).map((r) => leafHash(leafData(parseBody(r.body)))));
    });
    assert.equal(report.ok, false);
    assert.ok(report.findings.some((f) => f.kind === 'tree'));
    const located = report.findings.find((f) => f.kind === 'checkpoint');
    assert.ok(located, 'the checkpoints bound where the change is');
    assert.match(located.message, /entre les positions 0 et 19/);
  });

  it('rejects a checkpoint signed by another key', async () => {
    const stranger = signerFromSeed(runtime.ledger.origin, randomBytes(32));
    const report = await tampered(async () => {
      const forged = signNote(
        formatCheckpoint({ origin: runtime.ledger.origin, size: 40n, root: second.root }),
        stranger,
      );
      await db().updateTable('ledger_checkpoints').set({ note: forged }).where('size', '=', 40).execute();
    });
    assert.equal(report.findings[0]!.kind, 'checkpoint');
    assert.match(report.findings[0]!.message, /taille 40 rejeté.*no signature by a trusted key/);
  });

  it('refuses to sign a checkpoint that would contradict the last one', async () => {
    const events = await db().selectFrom('ledger_events').selectAll().execute();
    const nodes = await db().selectFrom('ledger_nodes').selectAll().execute();
    try {
      // The hash of events 0–31, which every root and proof beyond 32 builds on.
      await db()
        .updateTable('ledger_nodes')
        .set({ hash: randomBytes(32) })
        .where('level', '=', 5)
        .where('idx', '=', 0)
        .execute();
      await appendEvent(db(), 'login_succeeded', {});
      await assert.rejects(
        runtime.ledger.checkpoint(),
        (e: unknown) => e instanceof LedgerIntegrityError && /refusing to sign/.test(e.message),
      );
      assert.equal((await runtime.ledger.latestCheckpoint())!.size, 40n, 'nothing was signed');
    } finally {
      await db().deleteFrom('ledger_events').execute();
      await db().deleteFrom('ledger_nodes').execute();
      for (const e of events) await db().insertInto('ledger_events').values(e).execute();
      for (const n of nodes) await db().insertInto('ledger_nodes').values(n).execute();
      await db().updateTable('ledger_state').set({ size: 40 }).where('id', '=', 1).execute();
    }
  });

  it('lets a witness check two checkpoints it holds with the public key only, and catches a forked or foreign one', async () => {
    const key = runtime.ledger.verifierKey;
    const proof = await runtime.ledger.consistencyProof(20, 40);
    const { older, newer } = verifyCheckpointPair(first.note, second.note, proof, key);
    assert.equal(older.size, 20n);
    assert.equal(newer.size, 40n);

    // A fork: the same key signing another history of 40 events (a key thief, or a log that rewrote itself).
    const signer = signerFromSeed(runtime.ledger.origin, runtime.keyring.ledgerSigningSeed());
    assert.equal(verifierKeyOf(signer), key);
    const fork = signNote(
      formatCheckpoint({ origin: runtime.ledger.origin, size: 40n, root: leafHash(Buffer.from('autre histoire')) }),
      signer,
    );
    assert.throws(
      () => verifyCheckpointPair(first.note, fork, proof, key),
      (e: unknown) => e instanceof WitnessError && /incohérents/.test(e.message),
    );
    assert.throws(
      () => verifyCheckpointPair(second.note, fork, [], key),
      (e: unknown) => e instanceof WitnessError && /même taille|taille 40 avec des racines différentes/.test(e.message),
    );
    const foreign = signNote(
      formatCheckpoint({ origin: runtime.ledger.origin, size: 40n, root: second.root }),
      signerFromSeed(runtime.ledger.origin, randomBytes(32)),
    );
    assert.throws(
      () => verifyCheckpointPair(first.note, foreign, proof, key),
      (e: unknown) => e instanceof WitnessError && /autre clé/.test(e.message),
    );
    assert.throws(() => verifyCheckpointPair(first.note, second.note, proof.slice(1), key), WitnessError);
  });

  it('commits a write and its event together, or neither', async () => {
    const before = await db().selectFrom('ledger_events').select('id').execute();
    await assert.rejects(
      db()
        .transaction()
        .execute(async (trx) => {
          await appendEvent(trx, 'person_created', { personId: 'rolled-back' });
          throw new Error('the write failed after its event');
        }),
      /the write failed/,
    );
    assert.equal((await db().selectFrom('ledger_events').select('id').execute()).length, before.length);
    assert.equal(
      (await db().selectFrom('ledger_events').select('id').where('person_id', '=', 'rolled-back').execute()).length,
      0,
    );
  });

  it('fails closed: an event that cannot be written is a LedgerUnavailableError, for every waiter of the group', async () => {
    await sql`ALTER TABLE ledger_events RENAME TO ledger_events_off`.execute(db());
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => appendEvent(db(), 'access_granted', { personId: 'x' })),
      );
      assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof LedgerUnavailableError));
      await assert.rejects(
        db()
          .transaction()
          .execute((trx) => appendEvent(trx, 'access_granted', {})),
        LedgerUnavailableError,
      );
    } finally {
      await sql`ALTER TABLE ledger_events_off RENAME TO ledger_events`.execute(db());
    }
    await appendEvent(db(), 'access_granted', { personId: 'after' });
  });

  it(
    'loses no acknowledged event when the process is killed (kill -9) while appending, and the log still verifies',
    { timeout: 120_000 },
    async () => {
      const crashEnv = testEnvironment();
      await crashEnv.prepare();
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/ledger-appender.ts'], {
        env: childEnv(crashEnv),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const acknowledged: string[] = [];
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let buffered = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the appender acknowledged only ${acknowledged.length} events: ${stderr}`)),
          90_000,
        );
        child.stdout.on('data', (d: Buffer) => {
          buffered += d.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop()!;
          for (const line of lines) if (line.startsWith('ack ')) acknowledged.push(line.slice(4));
          if (acknowledged.length >= 3000) {
            clearTimeout(timer);
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', (code, signal) => {
          if (signal !== 'SIGKILL') reject(new Error(`appender exited early (${code}): ${stderr}`));
        });
      });
      await new Promise((resolve) => child.once('close', resolve));

      const reopened = await crashEnv.open();
      try {
        const ids = new Set(
          (await reopened.database.db.selectFrom('ledger_events').select('id').execute()).map((r) => r.id),
        );
        const lost = acknowledged.filter((id) => !ids.has(id));
        assert.deepEqual(lost, [], 'every acknowledged event survived');
        assert.ok((await reopened.ledger.checkpoints()).length >= 1, 'checkpoints were signed before the crash');
        await reopened.ledger.checkpoint();
        const report = await verifyLedger(reopened.database.db, reopened.ledger);
        assert.deepEqual(report.findings, []);
        assert.equal(report.pending, 0);
        assert.ok(report.eventsChecked >= acknowledged.length);
      } finally {
        await reopened.close();
        await crashEnv.cleanup();
      }
    },
  );
});
