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
  accessJournal,
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
import { archiveClasses, countStaleDataKeys, eraseEmptied, inTransaction } from '../../src/store/index.ts';

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
    // The person's journal says why their address was read, in words rather than a code.
    const journal = await accessJournal(runtime.database.db, runtime.ledger, ids.a, { page: 1, pageSize: 50 });
    const read = journal.entries.find(
      (e) => e.event.kind === 'access_granted' && e.event.purpose === 'retention_notice',
    );
    assert.equal(read?.purposeLabel, 'Avis de fin de conservation');
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

describe(`retention of incident documents, bank changes, exports and the intermediate archive (${BACKEND})`, () => {
  let server: TestServer;
  let app: FastifyInstance;
  let runtime: Runtime;
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  const DPO = 'dpo.na';
  const RSSI = 'rssi.na';
  /** archived: its health class goes to the archive. held: under a hold from the start. later: archived, then held. p3, p4: bank changes. */
  const p = { archived: '', held: '', later: '', p3: '', p4: '' };
  const OLD = '2019-01-15T10:00:00.000Z';
  const recent = () => new Date(Date.now() - 86_400_000).toISOString();
  const future = () => new Date(Date.now() + 10 * 86_400_000).toISOString();
  const now = new Date();

  const inject = (login: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      remoteAddress: clients[login]!.remoteAddress,
      headers: { ...clients[login]!.headers, cookie: sessions[login]!.cookie, 'x-csrf-token': sessions[login]!.csrf },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const purgeAt = (at: Date, dryRun = false) =>
    purgeRetention(runtime.database.db, {
      persons: runtime.persons,
      keyring: () => runtime.keyring,
      notifier: runtime.notifier,
      ledger: runtime.ledger,
      now: at,
      dryRun,
    });
  const idsIn = async (table: 'incident_documents' | 'bank_changes' | 'exports' | 'export_canaries', ids: string[]) => {
    const db = runtime.database.db;
    if (table === 'export_canaries')
      return (await db.selectFrom('export_canaries').select('export_id').where('export_id', 'in', ids).execute()).map(
        (r) => r.export_id,
      );
    return (await db.selectFrom(table).select('id').where('id', 'in', ids).execute()).map((r) => r.id).sort();
  };

  const rules = {
    format: 'rempart.retention/v1',
    version: 1,
    rules: [
      {
        id: 'sante_archivee',
        label: 'Santé : en archive intermédiaire à la fin de l’inscription',
        record: 'person',
        classes: ['health'] satisfies FieldClass[],
        trigger: 'registration_end',
        period: { months: 12 },
        outcome: 'archive',
        legalReference: 'RGPD art. 5.1.e ; archivage intermédiaire',
        noticeDays: 0,
      },
      ...defaultRetentionRules().rules.filter((r) =>
        ['documents_incidents', 'changements_coordonnees_bancaires', 'exports_partenaires'].includes(r.id),
      ),
      {
        id: 'fin_archive',
        label: 'Archive intermédiaire',
        record: 'archive',
        trigger: 'receipt',
        period: { days: 30 },
        outcome: 'delete',
        legalReference: 'Code civil, art. 2224',
      },
    ],
  };

  // Incidents: closed long ago, open, closed long ago but exposing the held person, closed yesterday.
  const incident = {
    closedOld: randomUUID(),
    open: randomUUID(),
    exposesHeld: randomUUID(),
    closedRecently: randomUUID(),
  };
  const docs: Record<keyof typeof incident, string> = {
    closedOld: randomUUID(),
    open: randomUUID(),
    exposesHeld: randomUUID(),
    closedRecently: randomUUID(),
  };
  const bank = {
    applied: randomUUID(),
    rejected: randomUUID(),
    coolingOff: randomUUID(),
    frozen: randomUUID(),
    appliedRecently: randomUUID(),
    ofHeld: randomUUID(),
  };
  const exp = { expired: randomUUID(), refused: randomUUID(), approved: randomUUID(), expiredRecently: randomUUID() };

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(runtime.database.db, runtime.persons, runtime.keyring, {
      persons: 6,
      seed: 11,
      batchSize: 6,
      parallel: false,
    });
    await ensureDemoAccounts(runtime, 11);
    let host = 60;
    for (const login of [DPO, RSSI]) {
      clients[login] = {
        remoteAddress: `10.60.72.${++host}`,
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      sessions[login] = await signIn(app, clients[login], login, DEMO_PASSWORD);
    }
    const deregistered = (order: number): PersonFile => ({
      ...samplePerson(order),
      registration: { ...samplePerson(order).registration!, status: 'deregistered', deregisteredOn: '2020-01-01' },
    });
    p.archived = await runtime.persons.create(deregistered(801));
    p.held = await runtime.persons.create(deregistered(802));
    p.later = await runtime.persons.create(deregistered(803));
    p.p3 = await runtime.persons.create(samplePerson(804));
    p.p4 = await runtime.persons.create(samplePerson(805));
    await setRetentionHold(runtime.database.db, { personId: p.held, reason: 'Contentieux TA 2026-31' }, { who: 'dpo' });
    await importRetentionRules(runtime.database.db, rules, { by: 'test' });

    const db = runtime.database.db;
    const incidentRow = (id: string, status: 'open' | 'closed', closedAt: string | null) => ({
      id,
      reference: `INC-2019-${id.slice(0, 6)}`,
      title: 'Compte compromis',
      vector: 'phishing',
      description: 'Hameçonnage',
      status,
      source: 'manual' as const,
      containment_id: null,
      compromised: '{"actors":[],"organisations":[],"clients":[],"sessions":[]}',
      window_from: '2019-01-01T00:00:00.000Z',
      window_to: '2019-01-02T00:00:00.000Z',
      aware_at: '2019-01-02T00:00:00.000Z',
      declared_at: '2019-01-02T00:00:00.000Z',
      declared_by: null,
      scope_summary: null,
      cnil_reference: null,
      cnil_filed_at: null,
      closed_at: closedAt,
      closed_by: null,
      closing_note: null,
    });
    await db
      .insertInto('incidents')
      .values([
        incidentRow(incident.closedOld, 'closed', '2019-06-01T00:00:00.000Z'),
        incidentRow(incident.open, 'open', null),
        incidentRow(incident.exposesHeld, 'closed', '2019-06-01T00:00:00.000Z'),
        incidentRow(incident.closedRecently, 'closed', recent()),
      ])
      .execute();
    await db
      .insertInto('incident_exposures')
      .values({
        incident_id: incident.exposesHeld,
        person_id: p.held,
        decoy: 0,
        classes: '["identity"]',
        first_at: OLD,
        last_at: OLD,
        via: '[]',
        events: 1,
        risk: 'low',
        rules: '[]',
      })
      .execute();
    await db
      .insertInto('incident_documents')
      .values(
        (Object.keys(incident) as Array<keyof typeof incident>).map((k) => ({
          id: docs[k],
          incident_id: incident[k],
          kind: 'scope_csv' as const,
          version: 1,
          title: 'Périmètre',
          media_type: 'text/csv',
          created_at: '2019-03-01T00:00:00.000Z',
          created_by: null,
          ledger_size: 1,
          sha256: '00',
          bytes: 1,
          kek_version: 1,
          wrapped_key: Buffer.from('k'),
          ciphertext: Buffer.from('c'),
        })),
      )
      .execute();
    const change = (
      id: string,
      personId: string,
      status: 'cooling_off' | 'frozen' | 'rejected' | 'effective',
      at: string,
    ) => ({
      id,
      person_id: personId,
      open_slot: status === 'cooling_off' ? personId : null,
      status,
      requested_via: 'job_seeker' as const,
      account_id: null,
      actor_id: null,
      request_kind: null,
      request_reference: null,
      requested_at: OLD,
      effective_at: OLD,
      applied_at: status === 'effective' ? at : null,
      notified_at: OLD,
      iban_digest: Buffer.from(id),
      kek_version: 1,
      wrapped_key: Buffer.from('k'),
      ciphertext: Buffer.from('c'),
      reasons: '[]',
      freeze_code_hash: `h-${id}`,
      freeze_code_used_at: status === 'frozen' ? OLD : null,
      frozen_at: status === 'frozen' ? OLD : null,
      decided_by: null,
      decided_at: status === 'rejected' ? at : null,
      decision_note: null,
      contact_cleared: '[]',
    });
    await db
      .insertInto('bank_changes')
      .values([
        change(bank.applied, p.p3, 'effective', OLD),
        change(bank.rejected, p.p3, 'rejected', OLD),
        change(bank.coolingOff, p.p4, 'cooling_off', OLD),
        change(bank.frozen, p.p3, 'frozen', OLD),
        change(bank.appliedRecently, p.p3, 'effective', recent()),
        change(bank.ofHeld, p.held, 'effective', OLD),
      ])
      .execute();
    const organisation = (await db.selectFrom('organisations').select('id').limit(1).executeTakeFirstOrThrow()).id;
    const exportRow = (
      id: string,
      status: 'approved' | 'refused' | 'expired',
      decidedAt: string,
      expiresAt: string | null,
    ) => ({
      id,
      recipient_organisation_id: organisation,
      purpose: 'accompagnement',
      classes: '["identity"]',
      requested_by: 'account',
      reason: 'Transfert annuel',
      days: 7,
      status,
      decided_by: 'other',
      decision_note: null,
      requested_at: OLD,
      decided_at: decidedAt,
      expires_at: expiresAt,
      scope_count: 1,
      row_count: 1,
      capped: 0,
      file: null,
      file_sha256: null,
      downloads: 0,
    });
    await db
      .insertInto('exports')
      .values([
        exportRow(exp.expired, 'expired', OLD, '2019-01-22T10:00:00.000Z'),
        exportRow(exp.refused, 'refused', OLD, null),
        exportRow(exp.approved, 'approved', recent(), future()),
        exportRow(exp.expiredRecently, 'expired', OLD, recent()),
      ])
      .execute();
    await db
      .insertInto('export_canaries')
      .values(
        [exp.expired, exp.approved].map((id) => ({ export_id: id, canary: 0, kind: 'id', digest: Buffer.from(id) })),
      )
      .execute();
  });

  after(async () => {
    await server?.close();
  });

  it('refuses an unknown record, an outcome its record does not allow and a negative period: 400 naming the field, nothing written', async () => {
    const events = await countRows(runtime, 'ledger_events');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ record: 'dossiers_papier' }, 'rules.0.record'],
      [{ record: 'sessions', outcome: 'archive' }, 'rules.0.outcome'],
      [{ record: 'bank_changes', outcome: 'anonymise' }, 'rules.0.outcome'],
      [{ record: 'archive', outcome: 'archive' }, 'rules.0.outcome'],
      [{ record: 'exports', period: { months: -1 } }, 'rules.0.period.months'],
    ];
    for (const [patch, field] of cases) {
      const file = {
        format: 'rempart.retention/v1',
        version: 2,
        rules: [
          {
            id: 'une_regle',
            label: 'Une règle',
            record: 'exports',
            trigger: 'receipt',
            period: { months: 60 },
            outcome: 'delete',
            legalReference: 'RGPD art. 5.1.e',
            ...patch,
          },
        ],
      };
      await assert.rejects(
        importRetentionRules(runtime.database.db, file, { by: 'test' }),
        (error: unknown) => error instanceof ValidationError && error.issues.some((i) => i.field === field),
        JSON.stringify(patch),
      );
      const refused = await inject(DPO, 'PUT', '/api/security/retention/rules', file);
      assert.equal(refused.statusCode, 400, refused.body);
      assert.ok(
        (refused.json().issues as Array<{ field: string }>).some((i) => i.field === field),
        refused.body,
      );
    }
    assert.equal(await countRows(runtime, 'retention_rule_sets'), 1);
    assert.equal(await countRows(runtime, 'ledger_events'), events);
  });

  it('a dry run counts what the real run destroys and writes nothing', async () => {
    const tables = [
      'ledger_events',
      'person_fields',
      'retention_archive',
      'incident_documents',
      'bank_changes',
      'exports',
      'export_canaries',
      'retention_stats',
      'retention_runs',
    ] as const;
    const counts = async () => Promise.all(tables.map((t) => countRows(runtime, t)));
    const before = await counts();
    const dry = await purgeAt(now, true);
    assert.deepEqual(await counts(), before, 'nothing written');
    assert.equal(purgedOf(dry, 'sante_archivee'), 2, 'the archived person and the later one; not the held one');
    assert.equal(purgedOf(dry, 'documents_incidents'), 1);
    assert.equal(purgedOf(dry, 'changements_coordonnees_bancaires'), 2);
    assert.equal(purgedOf(dry, 'exports_partenaires'), 2);
    const real = await purgeAt(now);
    assert.deepEqual(decisions(real), decisions(dry));
  });

  it('destroys only the records past their period: closed incidents, finished bank changes and exports; never one under way or of a held person', async () => {
    assert.deepEqual(
      await idsIn('incident_documents', Object.values(docs)),
      [docs.open, docs.exposesHeld, docs.closedRecently].sort(),
    );
    assert.deepEqual(
      await idsIn('bank_changes', Object.values(bank)),
      [bank.coolingOff, bank.frozen, bank.appliedRecently, bank.ofHeld].sort(),
    );
    assert.deepEqual(await idsIn('exports', Object.values(exp)), [exp.approved, exp.expiredRecently].sort());
    assert.deepEqual(await idsIn('export_canaries', [exp.expired, exp.approved]), [exp.approved]);
    // One event per rule, a count and no value; month counts.
    const events = (await eventsOf(runtime, 'retention_records_purged')).map(
      (e) => (JSON.parse(e.body) as { details: { rule: string; count: number } }).details,
    );
    assert.deepEqual(events.map((d) => [d.rule, d.count]).sort(), [
      ['changements_coordonnees_bancaires', 2],
      ['documents_incidents', 1],
      ['exports_partenaires', 2],
    ]);
    const stats = await retentionStatistics(runtime.database.db);
    const month = now.toISOString().slice(0, 7);
    for (const [rule, subject, count] of [
      ['documents_incidents', 'incident_documents', 1],
      ['changements_coordonnees_bancaires', 'bank_changes', 2],
      ['exports_partenaires', 'exports', 2],
      ['sante_archivee', 'health', 2],
    ] as const)
      assert.deepEqual(
        stats.filter((s) => s.rule === rule).map((s) => [s.month, s.subject, s.count]),
        [[month, subject, count]],
        rule,
      );
  });

  it('archives a class: out of the file and of every purpose, as it was sealed; the held person keeps it', async () => {
    const db = runtime.database.db;
    const archived = await db.selectFrom('retention_archive').selectAll().orderBy('person_id').execute();
    assert.deepEqual(archived.map((r) => r.person_id).sort(), [p.archived, p.later].sort());
    assert.ok(archived.every((r) => r.field_class === 'health' && r.rule_id === 'sante_archivee'));
    const file = await runtime.persons.read(p.archived, FIELD_CLASSES);
    assert.ok(!file.classes.includes('health'));
    assert.equal(file.fields.health, undefined);
    assert.equal(file.classes.length, 10, 'the other classes stay in the file');
    assert.ok((await runtime.persons.read(p.held, FIELD_CLASSES)).classes.includes('health'));
    // Moved as is: the row opens with the person and class it was sealed for.
    const row = archived.find((r) => r.person_id === p.archived)!;
    const value = JSON.parse(
      openField(runtime.keyring, p.archived, 'health', {
        kekVersion: row.kek_version,
        wrappedKey: row.wrapped_key,
        ciphertext: row.ciphertext,
      }).toString('utf8'),
    ) as unknown;
    assert.deepEqual(value, samplePerson(801).health);
    const [event] = await eventsOf(runtime, 'retention_archived', p.archived);
    assert.ok(event, 'an event of the person’s journal');
    assert.deepEqual((JSON.parse(event.body) as { classes: string[] }).classes, ['health']);
    assert.equal((await eventsOf(runtime, 'retention_purged', p.archived)).length, 0);
  });

  it('only the DPO reads the archive, with the read recorded first in the person’s journal', async () => {
    const url = `/api/security/retention/persons/${p.archived}/archive`;
    const refused = await inject(RSSI, 'GET', url);
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal((await eventsOf(runtime, 'archive_read', p.archived)).length, 0);
    // A rotation rewraps the archive's data keys too (or retiring the old version would lose them).
    await runKeysRotate(runtime, { class: 'health' });
    assert.equal(await countStaleDataKeys(runtime.database.db, runtime.keyring, 'health'), 0);
    const versions = await runtime.database.db.selectFrom('retention_archive').select('kek_version').execute();
    assert.deepEqual(
      versions.map((v) => v.kek_version),
      [2, 2],
    );
    const read = await inject(DPO, 'GET', url);
    assert.equal(read.statusCode, 200, read.body);
    const archived = read.json().archived as Array<{ class: string; rule: string }>;
    assert.deepEqual(
      archived.map((a) => [a.class, a.rule]),
      [['health', 'sante_archivee']],
    );
    assert.equal(read.json().id, p.archived);
    assert.deepEqual(read.json().fields, { health: samplePerson(801).health });
    const [event] = await eventsOf(runtime, 'archive_read', p.archived);
    assert.ok(event);
    const body = JSON.parse(event.body) as { purpose: string; classes: string[] };
    assert.equal(body.purpose, 'retention_archive');
    assert.deepEqual(body.classes, ['health']);
    const journal = await accessJournal(runtime.database.db, runtime.ledger, p.archived, { page: 1, pageSize: 50 });
    const entry = journal.entries.find((e) => e.event.kind === 'archive_read');
    assert.ok(entry, 'the journal shows the read');
    assert.equal(
      entry.purposeLabel,
      'Consultation de l’archive intermédiaire par le délégué à la protection des données',
    );
    assert.ok(journal.entries.some((e) => e.event.kind === 'retention_archived'));
    const unknown = await inject(DPO, 'GET', `/api/security/retention/persons/${randomUUID()}/archive`);
    assert.equal(unknown.statusCode, 404);
  });

  it('the archive’s own rule destroys it in the end, but not a held person’s', async () => {
    const db = runtime.database.db;
    await setRetentionHold(db, { personId: p.later, reason: 'Contentieux prud’homal 2026-9' }, { who: 'dpo' });
    const soon = await purgeAt(new Date(now.getTime() + 20 * 86_400_000));
    assert.equal(purgedOf(soon, 'fin_archive'), 0, 'not before its 30 days');
    const dry = await purgeAt(new Date(now.getTime() + 31 * 86_400_000), true);
    assert.equal(purgedOf(dry, 'fin_archive'), 1);
    assert.equal(await countRows(runtime, 'retention_archive'), 2);
    const real = await purgeAt(new Date(now.getTime() + 31 * 86_400_000));
    assert.equal(purgedOf(real, 'fin_archive'), 1);
    const left = await db.selectFrom('retention_archive').select('person_id').execute();
    assert.deepEqual(
      left.map((r) => r.person_id),
      [p.later],
      'the held person’s archive stays',
    );
    const [event] = await eventsOf(runtime, 'retention_purged', p.archived);
    assert.ok(event, 'the destruction is an event of the person’s journal');
    const body = JSON.parse(event.body) as { classes: string[]; details: Record<string, unknown> };
    assert.deepEqual(body.classes, ['health']);
    assert.equal(body.details.record, 'archive');
    const read = await inject(DPO, 'GET', `/api/security/retention/persons/${p.archived}/archive`);
    assert.deepEqual(read.json().archived, []);
  });

  it('a file whose every class is archived can still be held; erasing a person erases their archive', async () => {
    const db = runtime.database.db;
    const whole = await runtime.persons.create(samplePerson(806));
    await inTransaction(db, async (trx) => {
      await archiveClasses(trx, FIELD_CLASSES, [whole], { ruleId: 'test', at: new Date().toISOString() });
      assert.deepEqual(await eraseEmptied(trx, [whole], new Date().toISOString()), [whole]);
    });
    assert.equal(
      (await db.selectFrom('retention_archive').select('id').where('person_id', '=', whole).execute()).length,
      11,
    );
    await setRetentionHold(db, { personId: whole, reason: 'Contentieux 2026-12' }, { who: 'dpo' });
    const gone = await runtime.persons.create(samplePerson(807));
    await runtime.persons.erase(gone);
    await assert.rejects(
      setRetentionHold(db, { personId: gone, reason: 'Contentieux 2026-13' }, { who: 'dpo' }),
      (error: unknown) => (error as { code?: string }).code === 'person_erased',
    );
    const erased = await runtime.persons.create(samplePerson(808));
    await inTransaction(db, (trx) =>
      archiveClasses(trx, ['health'], [erased], { ruleId: 'test', at: new Date().toISOString() }),
    );
    assert.equal((await runtime.persons.erase(erased)).shreddedKeys, 11);
    assert.equal(
      (await db.selectFrom('retention_archive').select('id').where('person_id', '=', erased).execute()).length,
      0,
    );
  });
});

describe(`retention of the paper channel's letters and the monthly updates (${BACKEND})`, () => {
  let env: TestEnvironment;
  let runtime: Runtime;
  const person = { free: '', held: '' };
  const letters: Record<string, string> = {};
  const NOW = new Date('2026-12-01T09:00:00.000Z');

  before(async () => {
    env = testEnvironment();
    runtime = await env.open();
    person.free = await runtime.persons.create(samplePerson(901));
    person.held = await runtime.persons.create(samplePerson(902));
    await setRetentionHold(
      runtime.database.db,
      { personId: person.held, reason: 'Contentieux 2026-91' },
      { who: 'test' },
    );
    await importRetentionRules(
      runtime.database.db,
      {
        format: 'rempart.retention/v1',
        version: 1,
        rules: defaultRetentionRules().rules.filter((r) => ['courriers_papier', 'actualisations'].includes(r.id)),
      },
      { by: 'test' },
    );
    const letter = async (name: string, personId: string, row: Record<string, unknown>) => {
      letters[name] = randomUUID();
      await runtime.database.db
        .insertInto('paper_letters')
        .values({
          id: letters[name]!,
          person_id: personId,
          account_id: null,
          kind: 'factor_added_announcement',
          key_version: 1,
          sealed: Buffer.from('sealed'),
          status: 'queued',
          queued_at: '2024-01-10T10:00:00.000Z',
          printed_at: null,
          posted_at: null,
          returned_at: null,
          return_reason: null,
          reached_channels: null,
          needs_agent: 0,
          ...row,
        })
        .execute();
    };
    await letter('postedLongAgo', person.free, { status: 'posted', posted_at: '2024-01-12T10:00:00.000Z' });
    await letter('postedRecently', person.free, { status: 'posted', posted_at: '2026-11-20T10:00:00.000Z' });
    await letter('stillQueued', person.free, {});
    await letter('returnedAwaitingAgent', person.free, {
      status: 'returned',
      returned_at: '2024-01-20T10:00:00.000Z',
      return_reason: 'adresse_inconnue',
      reached_channels: 0,
      needs_agent: 1,
    });
    await letter('returnedReached', person.free, {
      status: 'returned',
      returned_at: '2024-01-20T10:00:00.000Z',
      return_reason: 'non_reclame',
      reached_channels: 1,
    });
    await letter('ofHeld', person.held, { status: 'posted', posted_at: '2024-01-12T10:00:00.000Z' });
    const declaration = async (personId: string, period: string) =>
      runtime.database.db
        .insertInto('monthly_updates')
        .values({
          id: randomUUID(),
          person_id: personId,
          period,
          version: 1,
          declared_at: `${period}-28T10:00:00.000Z`,
          account_id: null,
          secret_version: 1,
          sealed: Buffer.from('sealed'),
        })
        .execute();
    // Ten years back from 1 December 2026: November 2016's window closed on 15 December 2016, after the cutoff.
    for (const period of ['2016-09', '2016-10', '2016-11', '2026-10']) await declaration(person.free, period);
    await declaration(person.held, '2016-09');
  });

  after(async () => {
    await runtime?.close();
    await env?.cleanup();
  });

  const purge = (dryRun = false) =>
    purgeRetention(runtime.database.db, {
      persons: runtime.persons,
      keyring: () => runtime.keyring,
      notifier: runtime.notifier,
      ledger: runtime.ledger,
      now: NOW,
      dryRun,
    });

  it('destroys letters posted or returned (and reached) more than a year ago, and declarations of months closed more than ten years ago; never a letter still to handle nor a held person’s', async () => {
    const dry = await purge(true);
    assert.equal(purgedOf(dry, 'courriers_papier'), 2);
    assert.equal(purgedOf(dry, 'actualisations'), 2);
    assert.equal(await countRows(runtime, 'paper_letters'), 6, 'a dry run writes nothing');
    const real = await purge();
    assert.deepEqual(decisions(real), decisions(dry));
    const left = (await runtime.database.db.selectFrom('paper_letters').select('id').execute()).map((r) => r.id).sort();
    assert.deepEqual(
      left,
      [letters.postedRecently, letters.stillQueued, letters.returnedAwaitingAgent, letters.ofHeld].sort(),
    );
    const periods = (
      await runtime.database.db.selectFrom('monthly_updates').select(['person_id', 'period']).execute()
    ).map((r) => `${r.person_id === person.held ? 'held' : 'free'}:${r.period}`);
    assert.deepEqual(periods.sort(), ['free:2016-11', 'free:2026-10', 'held:2016-09']);
    const events = (await eventsOf(runtime, 'retention_records_purged')).map(
      (e) => (JSON.parse(e.body) as { details: { rule: string; count: number } }).details,
    );
    assert.deepEqual(events.map((d) => [d.rule, d.count]).sort(), [
      ['actualisations', 2],
      ['courriers_papier', 2],
    ]);
  });
});

describe(`retention of the mandates given to an aidant (${BACKEND})`, () => {
  let env: TestEnvironment;
  let runtime: Runtime;
  const person = { free: '', held: '' };
  const mandates: Record<string, string> = {};
  const NOW = new Date('2026-12-01T09:00:00.000Z');

  before(async () => {
    env = testEnvironment();
    runtime = await env.open();
    const db = runtime.database.db;
    person.free = await runtime.persons.create(samplePerson(911));
    person.held = await runtime.persons.create(samplePerson(912));
    await setRetentionHold(db, { personId: person.held, reason: 'Contentieux 2026-92' }, { who: 'test' });
    await importRetentionRules(
      db,
      {
        format: 'rempart.retention/v1',
        version: 1,
        rules: defaultRetentionRules().rules.filter((r) => r.id === 'mandats_aidants'),
      },
      { by: 'test' },
    );
    const organisationId = randomUUID();
    const actorId = randomUUID();
    await db
      .insertInto('organisations')
      .values({
        id: organisationId,
        name: 'France Services de Blaye',
        kind: 'france_services',
        siret: null,
        departement: '33',
        security_posture: '{}',
        status: 'active',
        created_at: '2019-01-01T00:00:00.000Z',
      })
      .execute();
    await db
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: organisationId,
        kind: 'human',
        login: 'fs.retention.aidant',
        display_name: 'Nadia Benali',
        roles: '["aidant"]',
        status: 'active',
        created_at: '2019-01-01T00:00:00.000Z',
      })
      .execute();
    // Five years back from 1 December 2026 is 1 December 2021.
    const mandate = async (
      name: string,
      personId: string,
      row: { status: 'pending' | 'active' | 'refused'; created_at: string; expires_at?: string },
      withdrawn: Array<string | null> = [null],
    ) => {
      mandates[name] = randomUUID();
      await db
        .insertInto('mandates')
        .values({
          id: mandates[name]!,
          person_id: personId,
          organisation_id: organisationId,
          actor_id: actorId,
          duration: '1y',
          consent: 'code',
          text: 'Mandat',
          text_sha256: '0'.repeat(64),
          confirmed_at: row.status === 'active' ? row.created_at : null,
          confirmed_via: row.status === 'active' ? 'espace' : null,
          expires_at: row.expires_at ?? null,
          code_hash: null,
          code_attempts: 0,
          code_expires_at: null,
          notice_sent_at: null,
          expiry_sent_at: null,
          ...row,
        })
        .execute();
      await db
        .insertInto('mandate_scopes')
        .values(
          withdrawn.map((revokedAt, i) => ({
            mandate_id: mandates[name]!,
            scope: ['update', 'documents', 'registration'][i]!,
            revoked_at: revokedAt,
            revoked_via: revokedAt ? 'espace' : null,
            revoked_by_actor: null,
          })),
        )
        .execute();
    };
    await mandate('expiredLongAgo', person.free, {
      status: 'active',
      created_at: '2020-06-01T10:00:00.000Z',
      expires_at: '2021-06-01T10:00:00.000Z',
    });
    await mandate('expiredRecently', person.free, {
      status: 'active',
      created_at: '2021-06-01T10:00:00.000Z',
      expires_at: '2022-06-01T10:00:00.000Z',
    });
    await mandate(
      'withdrawnLongAgo',
      person.free,
      { status: 'active', created_at: '2020-01-10T10:00:00.000Z', expires_at: '2021-01-10T10:00:00.000Z' },
      ['2020-02-01T10:00:00.000Z', '2020-03-01T10:00:00.000Z'],
    );
    // One step withdrawn long ago, the other still in force until its expiry in 2022: not over before the cutoff.
    await mandate(
      'partlyWithdrawn',
      person.free,
      { status: 'active', created_at: '2021-03-01T10:00:00.000Z', expires_at: '2022-03-01T10:00:00.000Z' },
      ['2021-04-01T10:00:00.000Z', null],
    );
    await mandate('neverConfirmed', person.free, { status: 'pending', created_at: '2019-05-01T10:00:00.000Z' });
    await mandate('inForce', person.free, {
      status: 'active',
      created_at: '2026-11-01T10:00:00.000Z',
      expires_at: '2027-11-01T10:00:00.000Z',
    });
    await mandate('ofHeld', person.held, {
      status: 'active',
      created_at: '2020-06-01T10:00:00.000Z',
      expires_at: '2021-06-01T10:00:00.000Z',
    });
  });

  after(async () => {
    await runtime?.close();
    await env?.cleanup();
  });

  it('destroys a mandate five years after it expired, was withdrawn in every step or lapsed unconfirmed, with its steps; never one still working within the five years, nor a held person’s', async () => {
    const purge = (dryRun: boolean) =>
      purgeRetention(runtime.database.db, {
        persons: runtime.persons,
        keyring: () => runtime.keyring,
        notifier: runtime.notifier,
        ledger: runtime.ledger,
        now: NOW,
        dryRun,
      });
    const dry = await purge(true);
    assert.equal(purgedOf(dry, 'mandats_aidants'), 3);
    assert.equal(await countRows(runtime, 'mandates'), 7, 'a dry run writes nothing');
    const real = await purge(false);
    assert.deepEqual(decisions(real), decisions(dry));
    const left = (await runtime.database.db.selectFrom('mandates').select('id').execute()).map((r) => r.id).sort();
    assert.deepEqual(
      left,
      [mandates.expiredRecently, mandates.partlyWithdrawn, mandates.inForce, mandates.ofHeld].sort(),
    );
    const steps = await runtime.database.db.selectFrom('mandate_scopes').select('mandate_id').execute();
    assert.ok(
      steps.every((s) => left.includes(s.mandate_id)),
      'the steps go with their mandate',
    );
    const events = (await eventsOf(runtime, 'retention_records_purged')).map(
      (e) => (JSON.parse(e.body) as { details: { rule: string; count: number } }).details,
    );
    assert.deepEqual(
      events.map((d) => [d.rule, d.count]),
      [['mandats_aidants', 3]],
    );
  });
});
