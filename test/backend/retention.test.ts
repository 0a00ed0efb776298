import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { runKeysRotate } from '../../src/cli/commands/keys.ts';
import { runKeysRetire } from '../../src/cli/commands/retention.ts';
import { DecryptionError, Keyring, openField } from '../../src/crypto/index.ts';
import { FIELD_CLASSES, ValidationError, type FieldClass, type PersonFile } from '../../src/domain/index.ts';
import {
  defaultRetentionRules,
  importRetentionRules,
  liftRetentionHold,
  purgeRetention,
  retentionStatistics,
  setRetentionHold,
  type RetentionReport,
} from '../../src/privacy/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { BACKEND, childEnv, countRows, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';
import { BIN } from '../helpers/cli.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';
import { samplePerson } from '../helpers/fixtures.ts';

/** Issue 24 §2: retention rules, the purge (notices, holds, statistics, resume after kill -9), keys retire. */

const T = new Date('2026-12-01T00:00:00.000Z');
const day = (n: number) => new Date(T.getTime() + n * 86_400_000);

/** The lines of a report that say what was (or would be) destroyed, held or awaited: comparable between a dry run and a real one. */
function decisions(report: RetentionReport) {
  return report.lines
    .filter((l) => l.purged + l.held + l.awaitingNotice > 0)
    .map((l) => `${l.rule}|${l.subject}|purged=${l.purged}|held=${l.held}|awaiting=${l.awaitingNotice}`)
    .sort();
}

function noticesOf(report: RetentionReport): number {
  return report.lines.reduce((a, l) => a + l.noticesSent, 0);
}

function purgedOf(report: RetentionReport, rule: string): number {
  return report.lines.filter((l) => l.rule === rule).reduce((a, l) => a + l.purged, 0);
}

async function eventsOf(runtime: Runtime, kind: string, personId?: string) {
  let q = runtime.database.db.selectFrom('ledger_events').select(['person_id', 'body']).where('kind', '=', kind);
  if (personId) q = q.where('person_id', '=', personId);
  return q.execute();
}

describe(`retention (${BACKEND})`, () => {
  let env: TestEnvironment;
  let runtime: Runtime;
  const ids: Record<'a' | 'b' | 'c' | 'd' | 'e', string> = { a: '', b: '', c: '', d: '', e: '' };
  const purge = (now: Date, dryRun = false) =>
    purgeRetention(runtime.database.db, {
      persons: runtime.persons,
      keyring: () => runtime.keyring,
      notifier: runtime.notifier,
      address: (personId: string, details: Record<string, string>) =>
        runtime.access.readAddress(null, personId, 'retention_notice', details),
      ledger: runtime.ledger,
      now,
      dryRun,
      batchSize: 2,
    });

  before(async () => {
    env = testEnvironment();
    runtime = await env.open();
    const deregistered = (order: number, on: string): PersonFile => ({
      ...samplePerson(order),
      registration: { ...samplePerson(order).registration!, status: 'deregistered', deregisteredOn: on },
    });
    // A: registration ended in 2005, 20 years are over. B: registered, released on 2026-05-01 (3 months over).
    // C: registered, a measure still running: nothing. D: never registered, last signed in on 2025-01-01 (13 months over).
    // E: registration ended on 2006-12-20: its 20 years end in 19 days.
    ids.a = await runtime.persons.create(deregistered(1, '2005-06-01'));
    ids.b = await runtime.persons.create({
      ...samplePerson(2),
      judicial: { measures: [{ kind: 'semi_liberte', since: '2025-01-10', until: '2026-05-01' }] },
    });
    ids.c = await runtime.persons.create(samplePerson(3));
    const { registration: _none, ...unregistered } = samplePerson(4);
    ids.d = await runtime.persons.create(unregistered);
    ids.e = await runtime.persons.create(deregistered(5, '2006-12-20'));
    await runtime.database.db
      .insertInto('accounts')
      .values({
        id: randomUUID(),
        kind: 'job_seeker',
        actor_id: null,
        person_id: ids.d,
        login: 'd@demo.rempart.example',
        password_hash: null,
        status: 'active',
        created_at: '2024-06-01T00:00:00.000Z',
        last_login_at: '2025-01-01T10:00:00.000Z',
        password_changed_at: null,
      })
      .execute();
  });

  after(async () => {
    await runtime?.close();
    await env?.cleanup();
  });

  it('refuses a rule with a negative or zero period, naming the field, and writes nothing', async () => {
    const events = await countRows(runtime, 'ledger_events');
    for (const [period, field] of [
      [{ months: -3 }, 'rules.1.period.months'],
      [{ days: 0 }, 'rules.1.period.days'],
    ] as const) {
      const file = structuredClone(defaultRetentionRules()) as unknown as { rules: Array<{ period: unknown }> };
      file.rules[1]!.period = period;
      await assert.rejects(
        importRetentionRules(runtime.database.db, file, { by: 'test' }),
        (error: unknown) => error instanceof ValidationError && error.issues.some((i) => i.field === field),
      );
    }
    // Both units, or a trigger the store has no data for, are refused too.
    const both = structuredClone(defaultRetentionRules()) as unknown as { rules: Array<Record<string, unknown>> };
    both.rules[0]!.period = { days: 10, months: 1 };
    both.rules[2]!.trigger = 'mandate_end';
    await assert.rejects(importRetentionRules(runtime.database.db, both, { by: 'test' }), (error: unknown) => {
      const fields = (error as ValidationError).issues.map((i) => i.field);
      return fields.includes('rules.0.period') && fields.includes('rules.2.trigger');
    });
    assert.equal(await countRows(runtime, 'retention_rule_sets'), 0);
    assert.equal(await countRows(runtime, 'ledger_events'), events);
  });

  it('tells each person 30 days before, once; a dry run writes nothing and counts what the real run does', async () => {
    const events = await countRows(runtime, 'ledger_events');
    const dry = await purge(T, true);
    assert.equal(await countRows(runtime, 'ledger_events'), events, 'a dry run records nothing');
    assert.equal(await countRows(runtime, 'retention_notices'), 0);
    assert.equal(await countRows(runtime, 'outgoing_messages'), 0);
    assert.equal(await countRows(runtime, 'retention_runs'), 0);
    assert.equal(noticesOf(dry), 4, 'A, B, D and E are told');
    const real = await purge(T);
    assert.deepEqual(decisions(real), decisions(dry));
    assert.equal(noticesOf(real), 4);
    // Nothing goes before the notice has had its 30 days.
    for (const l of real.lines) assert.equal(l.purged, 0, `${l.rule}|${l.subject}`);
    assert.equal(await countRows(runtime, 'retention_notices'), 4);
    assert.equal(await countRows(runtime, 'outgoing_messages'), 4);
    assert.equal((await eventsOf(runtime, 'retention_notice_sent')).length, 4);
    // Each address was read through the access pipeline: an access event under the notice's purpose.
    const reads = (await eventsOf(runtime, 'access_granted')).filter(
      (e) => (JSON.parse(e.body) as { purpose: string }).purpose === 'retention_notice',
    );
    assert.equal(reads.length, 4);
    // The next day: nobody is told twice.
    const next = await purge(day(1));
    assert.equal(noticesOf(next), 0);
    assert.equal(await countRows(runtime, 'outgoing_messages'), 4);
    const message = await runtime.database.db
      .selectFrom('outgoing_messages')
      .select(['channel', 'recipient'])
      .execute();
    assert.ok(message.every((m) => m.channel === 'email'));
  });

  it('destroys exactly the expired classes, spares a person under a litigation hold, and a lifted hold lets it go', async () => {
    const hold = await setRetentionHold(
      runtime.database.db,
      { personId: ids.a, reason: 'Contentieux TA Bordeaux 2026-118' },
      { who: 'dpo' },
      day(1),
    );
    assert.equal((await eventsOf(runtime, 'retention_hold_set', ids.a)).length, 1);
    const dry = await purge(day(31), true);
    const real = await purge(day(31));
    assert.deepEqual(decisions(real), decisions(dry), 'the dry run counted what the real run destroyed');
    assert.equal(purgedOf(real, 'incarceration_liberation'), 1);
    assert.equal(purgedOf(real, 'service_en_ligne_sans_inscription'), 10);
    assert.equal(purgedOf(real, 'dossier_fin_inscription'), 11, 'E, not A (held)');
    assert.ok(real.lines.some((l) => l.rule === 'dossier_fin_inscription' && l.subject === 'identity' && l.held === 1));
    assert.equal(real.personsPurged, 3);
    assert.equal(real.personsErased, 2, 'D and E have nothing left');

    // B: the judicial class is gone, every other class reads back unchanged.
    const b = await runtime.persons.read(ids.b, FIELD_CLASSES);
    assert.deepEqual(
      b.classes,
      FIELD_CLASSES.filter((c) => c !== 'judicial'),
    );
    assert.equal(b.fields.identity?.lastName, 'MARCHAND2');
    assert.equal(b.fields.contact?.email, samplePerson(2).contact?.email);
    // A (held) and C (nothing due) are whole.
    assert.equal((await runtime.persons.read(ids.a, FIELD_CLASSES)).classes.length, 11);
    assert.equal((await runtime.persons.read(ids.c, FIELD_CLASSES)).classes.length, 11);
    // D and E: tombstones, their blind indexes gone.
    for (const id of [ids.d, ids.e]) {
      await assert.rejects(runtime.persons.read(id, ['identity']), /effacé/);
      const left = await runtime.database.db
        .selectFrom('person_lookups')
        .select('kind')
        .where('person_id', '=', id)
        .execute();
      assert.equal(left.length, 0);
    }
    assert.deepEqual(await runtime.persons.lookup('nir', samplePerson(5).nir!.nir), []);
    // One event per person and rule, naming the classes, never a value.
    const [event] = await eventsOf(runtime, 'retention_purged', ids.b);
    assert.ok(event);
    const body = JSON.parse(event.body) as { classes: string[]; details: Record<string, unknown> };
    assert.deepEqual(body.classes, ['judicial']);
    assert.equal(body.details.rule, 'incarceration_liberation');
    for (const e of await eventsOf(runtime, 'retention_purged')) assert.doesNotMatch(e.body, /MARCHAND|elodie|FR14/);

    await liftRetentionHold(runtime.database.db, hold.id, { who: 'dpo' }, day(31));
    assert.equal((await eventsOf(runtime, 'retention_hold_lifted', ids.a)).length, 1);
    const later = await purge(day(62));
    assert.equal(purgedOf(later, 'dossier_fin_inscription'), 11);
    await assert.rejects(runtime.persons.read(ids.a, ['identity']), /effacé/);
    // Nobody was told twice over the whole story.
    assert.equal(await countRows(runtime, 'outgoing_messages'), 4);
  });

  it('keeps statistics as year-month counts only', async () => {
    const stats = await retentionStatistics(runtime.database.db);
    assert.ok(stats.length > 0);
    for (const s of stats) {
      assert.match(s.month, /^\d{4}-\d{2}$/);
      assert.deepEqual(Object.keys(s).sort(), ['count', 'month', 'outcome', 'rule', 'subject']);
    }
    const rows = await runtime.database.db.selectFrom('retention_stats').selectAll().execute();
    for (const r of rows) assert.deepEqual(Object.keys(r).sort(), ['count', 'month', 'outcome', 'rule_id', 'subject']);
    const identity = stats.filter((s) => s.rule === 'dossier_fin_inscription' && s.subject === 'identity');
    assert.deepEqual(
      identity.map((s) => [s.month, s.count]),
      [
        ['2027-01', 1],
        ['2027-02', 1],
      ],
    );
  });

  it('purges old records by their own rules: sessions deleted, old security events anonymised', async () => {
    const db = runtime.database.db;
    const account = (await db.selectFrom('accounts').select('id').executeTakeFirstOrThrow()).id;
    const session = (id: string, expires: string) => ({
      id_hash: id,
      public_id: `p-${id}`,
      account_id: account,
      created_at: expires,
      last_seen_at: expires,
      expires_at: expires,
      idle_seconds: 900,
      second_factor_at: null,
      requires_second_factor: 0,
      network: '203.0.113.0/24',
      fingerprint: 'f',
      csrf_hash: 'c',
      revoked_at: null,
      revoked_reason: null,
    });
    await db
      .insertInto('sessions')
      .values([session('old', '2026-01-01T00:00:00.000Z'), session('recent', '2026-11-01T00:00:00.000Z')])
      .execute();
    await db
      .insertInto('security_events')
      .values([
        {
          id: randomUUID(),
          at: '2025-06-01T00:00:00.000Z',
          kind: 'login_failed',
          account_id: account,
          address: '203.0.113.9',
          details: '{"n":1}',
        },
        {
          id: randomUUID(),
          at: '2026-11-01T00:00:00.000Z',
          kind: 'login_failed',
          account_id: account,
          address: '203.0.113.9',
          details: '{"n":2}',
        },
      ])
      .execute();
    const dry = await purge(day(70), true);
    const real = await purge(day(70));
    const line = (r: RetentionReport, rule: string) => r.lines.find((l) => l.rule === rule)?.purged ?? 0;
    for (const r of [dry, real]) {
      assert.equal(line(r, 'sessions'), 1);
      assert.equal(line(r, 'evenements_securite'), 1);
    }
    assert.deepEqual(
      (await db.selectFrom('sessions').select('id_hash').execute()).map((r) => r.id_hash),
      ['recent'],
    );
    const events = await db
      .selectFrom('security_events')
      .select(['at', 'account_id', 'address'])
      .orderBy('at')
      .execute();
    assert.deepEqual(
      events.map((e) => [e.account_id === null, e.address === null]),
      [
        [true, true],
        [false, false],
      ],
    );
    assert.equal((await eventsOf(runtime, 'retention_records_purged')).length, 2);
  });

  it('keys retire refuses while a backup older than the window is kept, then drops the unused version', async () => {
    const before = await runtime.database.db
      .selectFrom('person_fields')
      .select(['kek_version', 'wrapped_key', 'ciphertext'])
      .where('person_id', '=', ids.c)
      .where('field_class', '=', 'judicial')
      .executeTakeFirstOrThrow();
    {
      await runKeysRotate(runtime, { class: 'judicial' });
      const now = day(2).toISOString();
      await assert.rejects(
        runKeysRetire(runtime, { oldestBackup: '2026-06-01', windowDays: 35, asOf: now }),
        (error: unknown) => error instanceof ValidationError && error.issues[0]?.field === 'oldestBackup',
      );
      assert.deepEqual(Keyring.parse(readFileSync(env.keyringPath, 'utf8'), 'k').versions('judicial'), [1, 2]);
      // Every backup kept is younger than the rotation: version 1 goes.
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      const retired = await runKeysRetire(runtime, {
        oldestBackup: tomorrow,
        windowDays: 35,
        asOf: new Date(Date.now() + 2 * 86_400_000).toISOString(),
      });
      assert.equal(retired, 1);
    }
    const keyring = Keyring.parse(readFileSync(env.keyringPath, 'utf8'), 'k');
    assert.deepEqual(keyring.versions('judicial'), [2]);
    assert.equal(
      (
        await runtime.database.db
          .selectFrom('key_checks')
          .select('version')
          .where('purpose', '=', 'kek:judicial')
          .execute()
      ).length,
      1,
    );
    assert.equal((await eventsOf(runtime, 'keys_retired')).length, 1);
    // The row as an old backup holds it (wrapped under version 1) can no longer be opened.
    assert.equal(before.kek_version, 1);
    assert.throws(
      () =>
        openField(keyring, ids.c, 'judicial', {
          kekVersion: 1,
          wrappedKey: before.wrapped_key,
          ciphertext: before.ciphertext,
        }),
      (error: unknown) => error instanceof DecryptionError && error.reason === 'unknown_key',
    );
    // The live store still reads (rewrapped under version 2) once the process takes the new keyring.
    const reopened = await env.open();
    try {
      const c = await reopened.persons.read(ids.c, ['judicial']);
      assert.ok(c.fields.judicial);
    } finally {
      await reopened.close();
    }
  });
});

describe(`retention: a purge killed halfway (kill -9) resumes (${BACKEND})`, () => {
  let env: TestEnvironment;
  let runtime: Runtime;
  const PERSONS = 400;
  let heldId = '';

  before(async () => {
    env = testEnvironment();
    await env.prepare();
    runtime = await env.open();
    const rules = {
      format: 'rempart.retention/v1',
      version: 1,
      rules: [
        {
          id: 'fin_inscription',
          label: 'Fin d’inscription',
          record: 'person',
          classes: ['health', 'judicial'] satisfies FieldClass[],
          trigger: 'registration_end',
          period: { days: 30 },
          outcome: 'delete',
          legalReference: 'Code du travail, art. R.5312-44',
          noticeDays: 0,
        },
      ],
    };
    await importRetentionRules(runtime.database.db, rules, { by: 'test' });
    const persons = Array.from({ length: PERSONS }, (_, i) => {
      const file = samplePerson(i + 1);
      return {
        id: randomUUID(),
        file: {
          ...file,
          registration: { ...file.registration!, status: 'deregistered' as const, deregisteredOn: '2024-01-01' },
        },
      };
    });
    // Blind indexes would collide (one sample NIR per order up to 999): fine for 400.
    await runtime.persons.createMany(persons);
    heldId = [...persons.map((p) => p.id)].sort()[PERSONS - 5]!;
    await setRetentionHold(runtime.database.db, { personId: heldId, reason: 'Contentieux prud’homal' }, { who: 'dpo' });
  });

  after(async () => {
    await runtime?.close();
    await env?.cleanup();
  });

  it(
    'a run killed with SIGKILL mid-way resumes after its last batch, destroys each class once, and never the held person',
    { timeout: 180_000 },
    async () => {
      const child = spawn(process.execPath, [BIN, 'retention', 'purge', '--as-of', T.toISOString(), '--batch', '1'], {
        env: childEnv(env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => resolve(signal)),
      );
      const db = runtime.database.db;
      const deadline = Date.now() + 120_000;
      for (;;) {
        const run = await db.selectFrom('retention_runs').select(['cursor', 'state']).executeTakeFirst();
        if (run && run.cursor !== '') {
          child.kill('SIGKILL');
          break;
        }
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          assert.fail(`the purge never committed a batch: ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(await exited, 'SIGKILL');
      const run = await db.selectFrom('retention_runs').selectAll().executeTakeFirstOrThrow();
      assert.equal(run.state, 'running', 'killed before the end');
      const left = await db
        .selectFrom('person_fields')
        .select('person_id')
        .where('field_class', '=', 'health')
        .execute();
      assert.ok(left.length > 1 && left.length < PERSONS, `killed halfway: ${left.length} files still hold the class`);

      const report = await purgeRetention(db, {
        persons: runtime.persons,
        keyring: () => runtime.keyring,
        notifier: runtime.notifier,
        ledger: runtime.ledger,
      });
      assert.equal(report.resumed, true);
      assert.equal(report.asOf, T.toISOString(), 'the resumed run decides at the instant the first half did');
      const remaining = await db
        .selectFrom('person_fields')
        .select(['person_id', 'field_class'])
        .where('field_class', 'in', ['health', 'judicial'])
        .execute();
      assert.deepEqual(
        remaining.map((r) => r.person_id),
        [heldId, heldId],
        'only the held person keeps health and judicial',
      );
      assert.equal(await countRows(runtime, 'person_fields'), PERSONS * 9 + 2, 'the other classes are all there');
      // One event per person destroyed, none twice, none for the held person.
      const events = await eventsOf(runtime, 'retention_purged');
      const persons = events.map((e) => e.person_id);
      assert.equal(persons.length, PERSONS - 1);
      assert.equal(new Set(persons).size, PERSONS - 1);
      assert.ok(!persons.includes(heldId));
      const done = await db.selectFrom('retention_runs').selectAll().execute();
      assert.deepEqual(
        done.map((r) => r.state),
        ['done'],
      );
      const stats = await retentionStatistics(db);
      assert.deepEqual(
        stats.map((s) => [s.month, s.subject, s.count]),
        [
          ['2026-12', 'health', PERSONS - 1],
          ['2026-12', 'judicial', PERSONS - 1],
        ],
      );
    },
  );
});

describe(`retention for the DPO over HTTP (${BACKEND})`, () => {
  let server: TestServer;
  let app: FastifyInstance;
  let runtime: Runtime;
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  const DPO = 'dpo.na';
  const RSSI = 'rssi.na';
  let personId = '';

  const inject = (login: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      remoteAddress: clients[login]!.remoteAddress,
      headers: { ...clients[login]!.headers, cookie: sessions[login]!.cookie, 'x-csrf-token': sessions[login]!.csrf },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(runtime.database.db, runtime.persons, runtime.keyring, {
      persons: 10,
      seed: 7,
      batchSize: 10,
      parallel: false,
    });
    await ensureDemoAccounts(runtime, 7);
    let host = 40;
    for (const login of [DPO, RSSI]) {
      clients[login] = {
        remoteAddress: `10.60.71.${++host}`,
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      sessions[login] = await signIn(app, clients[login], login, DEMO_PASSWORD);
    }
    personId = (await runtime.database.db.selectFrom('persons').select('id').limit(1).executeTakeFirstOrThrow()).id;
  });

  after(async () => {
    await server?.close();
  });

  it('a negative period is a 400 naming the field, nothing written; only the DPO puts rules in force', async () => {
    const events = await countRows(runtime, 'ledger_events');
    const bad = structuredClone(defaultRetentionRules()) as unknown as { rules: Array<{ period: unknown }> };
    bad.rules[1]!.period = { months: -3 };
    const refused = await inject(DPO, 'PUT', '/api/security/retention/rules', bad);
    assert.equal(refused.statusCode, 400, refused.body);
    assert.ok(
      (refused.json().issues as Array<{ field: string }>).some((i) => i.field === 'rules.1.period.months'),
      refused.body,
    );
    assert.equal(await countRows(runtime, 'retention_rule_sets'), 0);
    assert.equal(await countRows(runtime, 'ledger_events'), events);
    const file = { ...structuredClone(defaultRetentionRules()), version: 1 };
    assert.equal((await inject(RSSI, 'PUT', '/api/security/retention/rules', file)).statusCode, 403);
    const put = await inject(DPO, 'PUT', '/api/security/retention/rules', file);
    assert.equal(put.statusCode, 201, put.body);
    assert.deepEqual(put.json(), { version: 1, rules: file.rules.length });
    const got = await inject(DPO, 'GET', '/api/security/retention/rules');
    assert.equal(got.json().version, 1);
  });

  it('the DPO sets and lifts a litigation hold, each a ledger event naming the person', async () => {
    const set = await inject(DPO, 'POST', '/api/security/retention/holds', { personId, reason: 'Contentieux 2026-77' });
    assert.equal(set.statusCode, 201, set.body);
    const listed = await inject(DPO, 'GET', '/api/security/retention/holds');
    assert.deepEqual(
      (listed.json().holds as Array<{ id: string }>).map((h) => h.id),
      [set.json().id],
    );
    const lifted = await inject(DPO, 'POST', `/api/security/retention/holds/${set.json().id as string}/lift`);
    assert.equal(lifted.statusCode, 200, lifted.body);
    assert.equal((await eventsOf(runtime, 'retention_hold_set', personId)).length, 1);
    assert.equal((await eventsOf(runtime, 'retention_hold_lifted', personId)).length, 1);
    const again = await inject(DPO, 'POST', `/api/security/retention/holds/${set.json().id as string}/lift`);
    assert.equal(again.statusCode, 409);
    const stats = await inject(DPO, 'GET', '/api/security/retention/statistics');
    assert.equal(stats.statusCode, 200);
  });

  it('purges referrals ended longer ago than their agreement’s retentionDays, and no other', async () => {
    const db = runtime.database.db;
    const agreements = await db
      .selectFrom('agreements')
      .select(['organisation_id', 'purposes'])
      .where('status', '=', 'active')
      .execute();
    const partner = agreements.find((a) =>
      (JSON.parse(a.purposes) as Array<{ relationship: string }>).some((p) => p.relationship === 'referral'),
    );
    assert.ok(partner, 'the demo network has a partner that works through referrals');
    const referral = (id: string, endsOn: string) => ({
      id,
      person_id: personId,
      organisation_id: partner.organisation_id,
      referred_by_actor_id: null,
      reason: 'accompagnement',
      starts_on: '2015-01-01',
      ends_on: endsOn,
      status: 'ended' as const,
      created_at: '2015-01-01T00:00:00.000Z',
    });
    const old = randomUUID();
    const recent = randomUUID();
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await db
      .insertInto('referrals')
      .values([referral(old, '2016-01-01'), referral(recent, yesterday)])
      .execute();
    const options = {
      persons: runtime.persons,
      keyring: () => runtime.keyring,
      notifier: runtime.notifier,
      ledger: runtime.ledger,
    };
    const dry = await purgeRetention(db, { ...options, dryRun: true });
    const real = await purgeRetention(db, options);
    for (const r of [dry, real]) assert.equal(r.lines.find((l) => l.rule === 'orientations_terminees')?.purged, 1);
    const left = await db.selectFrom('referrals').select('id').where('id', 'in', [old, recent]).execute();
    assert.deepEqual(
      left.map((r) => r.id),
      [recent],
    );
  });
});
