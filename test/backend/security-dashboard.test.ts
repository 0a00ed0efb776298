import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { runSeed } from '../../src/cli/commands/seed.ts';
import { budgetFor } from '../../src/guard/index.ts';
import { appendEvent } from '../../src/ledger/index.ts';
import { agreementFromRow, agreementInForce } from '../../src/policy/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const HOUR = 3_600_000;

describe(`security desk figures: reads per hour with budgets, alerts per day, ledger status and verification (${BACKEND})`, () => {
  let server: TestServer;
  const sessions: Record<string, SignedIn> = {};
  let n = 0;
  const clients: Record<string, Client> = {};
  const db = () => server.runtime.database.db;

  async function login(who: string): Promise<void> {
    clients[who] = {
      remoteAddress: `10.9.${++n}.4`,
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    sessions[who] = await signIn(server.app, clients[who], who, DEMO_PASSWORD);
  }
  const call = (who: string, method: 'GET' | 'POST', url: string) =>
    server.app.inject({
      method,
      url,
      remoteAddress: clients[who]!.remoteAddress,
      headers: { ...clients[who]!.headers, cookie: sessions[who]!.cookie, 'x-csrf-token': sessions[who]!.csrf },
    });

  let jobSeeker = '';
  before(async () => {
    server = await openTestServer();
    await runSeed(server.runtime, { persons: 40, seed: 1, batch: 500 }, true);
    const seekers = await ensureDemoAccounts(server.runtime, 1);
    jobSeeker = seekers[0]!.login;
    for (const who of ['rssi.na', 'dpo.na', 'conseiller.bastide.1', jobSeeker]) await login(who);
  });
  after(async () => {
    await server?.close();
  });

  it('counts reads per organisation and hour in SQL as the ledger holds them, and gives the budget the guard applies', async () => {
    const org = await db()
      .selectFrom('actors')
      .select('organisation_id')
      .where('login', '=', 'conseiller.bastide.1')
      .executeTakeFirstOrThrow();
    const person = await db().selectFrom('persons').select('id').limit(1).executeTakeFirstOrThrow();
    const now = Date.now();
    const twoHoursAgo = new Date(Math.floor(now / HOUR) * HOUR - 2 * HOUR + 60_000);
    const before = await call('rssi.na', 'GET', '/api/security/dashboard/reads?hours=6');
    assert.equal(before.statusCode, 200, before.body);
    const slot = before.json().hours.indexOf(new Date(Math.floor(twoHoursAgo.getTime() / HOUR) * HOUR).toISOString());
    assert.ok(slot >= 0, 'the hour two hours ago is among the six');
    const readsBefore = before.json().organisations.find((o: { id: string }) => o.id === org.organisation_id).reads[
      slot
    ];
    // Seven reads and two that are not reads (an update, a refusal) two hours ago; one read eight hours ago (out of the window).
    for (let i = 0; i < 7; i++)
      await appendEvent(db(), 'access_granted', {
        organisationId: org.organisation_id,
        personId: person.id,
        operation: 'read',
        classes: ['identity'],
        at: twoHoursAgo,
      });
    await appendEvent(db(), 'access_granted', {
      organisationId: org.organisation_id,
      personId: person.id,
      operation: 'update',
      classes: ['follow_up'],
      at: twoHoursAgo,
    });
    await appendEvent(db(), 'access_denied', {
      organisationId: org.organisation_id,
      personId: person.id,
      operation: 'read',
      at: twoHoursAgo,
    });
    await appendEvent(db(), 'access_granted', {
      organisationId: org.organisation_id,
      personId: person.id,
      operation: 'read',
      classes: ['identity'],
      at: new Date(now - 8 * HOUR),
    });

    const res = await call('dpo.na', 'GET', '/api/security/dashboard/reads?hours=6');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.hours.length, 6);
    const mine = body.organisations.find((o: { id: string }) => o.id === org.organisation_id);
    assert.equal(mine.reads[slot], readsBefore + 7, 'exactly the seven reads were added to that hour');
    assert.equal(mine.reads.length, 6);

    // Every figure equals a count made in JavaScript from the stored event bodies.
    const rows = await db()
      .selectFrom('ledger_events')
      .select(['organisation_id', 'at', 'body'])
      .where('kind', '=', 'access_granted')
      .where('at', '>=', body.from)
      .execute();
    const expected = new Map<string, number>();
    for (const row of rows) {
      if ((JSON.parse(row.body) as { operation: string }).operation !== 'read' || !row.organisation_id) continue;
      const key = `${row.organisation_id}|${new Date(Math.floor(Date.parse(row.at) / HOUR) * HOUR).toISOString()}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    for (const o of body.organisations as Array<{ id: string; reads: number[]; total: number }>) {
      o.reads.forEach((count, i) =>
        assert.equal(count, expected.get(`${o.id}|${body.hours[i]}`) ?? 0, `${o.id} at ${body.hours[i]}`),
      );
      assert.equal(
        o.total,
        o.reads.reduce((a, b) => a + b, 0),
      );
    }

    // The budget: the guard's own function on the organisation's active actors and its agreements' ceiling.
    const agreements = (
      await db().selectFrom('agreements').selectAll().where('organisation_id', '=', org.organisation_id).execute()
    )
      .map(agreementFromRow)
      .filter((a) => agreementInForce(a, new Date()));
    const ceiling = Math.max(...agreements.flatMap((a) => a.purposes.map((p) => p.dailyCeiling)));
    assert.equal(mine.budget.dailyCeiling, ceiling);
    const actors = await db()
      .selectFrom('actors')
      .select('roles')
      .where('organisation_id', '=', org.organisation_id)
      .where('status', '=', 'active')
      .execute();
    const hardest = actors
      .map((a) => budgetFor(JSON.parse(a.roles) as string[], ceiling).hour)
      .reduce((a, b) => (b.hard > a.hard ? b : a));
    assert.deepEqual(mine.budget.actorHour, hardest);
    // A counsellor's hour is 30 distinct persons at most: no actor of an agency gets less.
    assert.ok(mine.budget.actorHour.hard >= budgetFor(['counsellor'], ceiling).hour.hard);
  });

  it('counts alerts per day by kind: signals by severity and containments', async () => {
    const org = await db().selectFrom('organisations').select('id').limit(1).executeTakeFirstOrThrow();
    const today = new Date().toISOString();
    const yesterday = new Date(Date.now() - 24 * HOUR).toISOString();
    const insertSignal = (at: string, signal: string, severity: 'alert' | 'contain') =>
      db()
        .insertInto('guard_signals')
        .values({ id: randomUUID(), at, actor_id: null, organisation_id: org.id, signal, severity, details: '{}' })
        .execute();
    await insertSignal(today, 'off_hours', 'alert');
    await insertSignal(today, 'off_hours', 'alert');
    await insertSignal(yesterday, 'off_hours', 'alert');
    await insertSignal(today, 'honeytoken', 'contain');
    await db()
      .insertInto('guard_containments')
      .values({
        id: randomUUID(),
        scope: 'organisation',
        actor_id: null,
        organisation_id: org.id,
        signal: 'honeytoken',
        details: '{}',
        contained_at: today,
        released_at: today,
        released_by: null,
        release_note: 'test',
      })
      .execute();
    await insertSignal(new Date(Date.now() - 40 * 24 * HOUR).toISOString(), 'off_hours', 'alert');

    const res = await call('rssi.na', 'GET', '/api/security/dashboard/alerts?days=7');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.days.length, 7);
    assert.equal(body.days.at(-1), today.slice(0, 10));
    const series = (kind: string, signal: string) =>
      body.series.find((s: { kind: string; signal: string }) => s.kind === kind && s.signal === signal);
    assert.deepEqual(series('signal_alert', 'off_hours').counts.slice(-2), [1, 2]);
    assert.equal(series('signal_alert', 'off_hours').total, 3, 'the signal forty days ago is outside the window');
    assert.equal(series('signal_contain', 'honeytoken').counts.at(-1), 1);
    assert.equal(series('containment', 'honeytoken').total, 1);
  });

  it('shows the ledger status, and records a verification as a ledger event (security officer only)', async () => {
    await server.runtime.ledger.integrate();
    const signed = await server.runtime.ledger.checkpoint();
    assert.ok(signed);
    let res = await call('dpo.na', 'GET', '/api/security/dashboard/ledger');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().checkpoint.size, Number(signed.size));
    assert.equal(res.json().checkpoint.root, signed.root.toString('base64'));
    assert.equal(res.json().lastVerification, null);
    const pending = await db().selectFrom('ledger_events').select('id').where('seq', 'is', null).execute();
    assert.equal(res.json().pending, pending.length);

    const refused = await call('dpo.na', 'POST', '/api/security/dashboard/ledger/verify');
    assert.equal(refused.statusCode, 403, 'the DPO reads, the security officer verifies');
    assert.equal(
      (await db().selectFrom('ledger_events').select('id').where('kind', '=', 'ledger_verified').execute()).length,
      0,
      'a refusal writes nothing',
    );

    res = await call('rssi.na', 'POST', '/api/security/dashboard/ledger/verify');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().verification.ok, true);
    assert.equal(res.json().verification.checkpointSize, Number(signed.size));
    assert.ok(res.json().verification.eventsChecked >= Number(signed.size));
    const events = await db()
      .selectFrom('ledger_events')
      .select(['account_id', 'body'])
      .where('kind', '=', 'ledger_verified')
      .execute();
    assert.equal(events.length, 1);
    const officer = await db()
      .selectFrom('accounts')
      .select('id')
      .where('login', '=', 'rssi.na')
      .executeTakeFirstOrThrow();
    assert.equal(events[0]!.account_id, officer.id, 'the verification is signed by who asked for it');
    assert.equal(JSON.parse(events[0]!.body).details.ok, true);
    res = await call('dpo.na', 'GET', '/api/security/dashboard/ledger');
    assert.equal(res.json().lastVerification.ok, true);
    assert.equal(res.json().lastVerification.checkpointSize, Number(signed.size));

    // A tampered event: the next verification says so, and that is recorded too.
    const victim = await db()
      .selectFrom('ledger_events')
      .select(['id', 'body'])
      .where('seq', '=', 3)
      .executeTakeFirstOrThrow();
    await db()
      .updateTable('ledger_events')
      .set({
        body: JSON.stringify({
          ...JSON.parse(victim.body),
          details: { ...JSON.parse(victim.body).details, tampered: true },
        }),
      })
      .where('id', '=', victim.id)
      .execute();
    res = await call('rssi.na', 'POST', '/api/security/dashboard/ledger/verify');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().verification.ok, false);
    assert.ok(res.json().verification.findings >= 1);
    assert.equal(res.json().status.lastVerification.ok, false);
    await db().updateTable('ledger_events').set({ body: victim.body }).where('id', '=', victim.id).execute();
  });

  it('lists account administration requests awaiting a second approval, read-only, without secrets', async () => {
    const admin = await db()
      .selectFrom('accounts')
      .innerJoin('actors', 'actors.id', 'accounts.actor_id')
      .select(['accounts.id', 'actors.organisation_id'])
      .where('accounts.login', '=', 'admin.bastide')
      .executeTakeFirst();
    const org =
      admin ??
      (await db()
        .selectFrom('actors')
        .select(['organisation_id'])
        .where('login', '=', 'conseiller.bastide.1')
        .executeTakeFirstOrThrow());
    const by = (
      await db()
        .selectFrom('accounts')
        .select('id')
        .where('login', '=', 'conseiller.bastide.1')
        .executeTakeFirstOrThrow()
    ).id;
    const row = (id: string, status: 'pending' | 'approved', expires: number) => ({
      id,
      organisation_id: org.organisation_id,
      kind: 'create_staff_account' as const,
      target_account_id: null,
      payload: JSON.stringify({
        login: 'nouvel.agent',
        displayName: 'Nouvel agent',
        roles: ['counsellor'],
        email: 'secret@example.org',
      }),
      requested_by: by,
      requested_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + expires).toISOString(),
      status,
      decided_by: null,
      decided_at: null,
      outcome: null,
    });
    const pendingId = randomUUID();
    await db()
      .insertInto('admin_requests')
      .values([
        row(pendingId, 'pending', 24 * HOUR),
        row(randomUUID(), 'approved', 24 * HOUR),
        row(randomUUID(), 'pending', -HOUR),
      ])
      .execute();
    const res = await call('dpo.na', 'GET', '/api/security/dashboard/admin-requests');
    assert.equal(res.statusCode, 200, res.body);
    const requests = res.json().requests as Array<{
      id: string;
      summary: Record<string, unknown>;
      requestedBy: string;
    }>;
    assert.deepEqual(
      requests.map((r) => r.id),
      [pendingId],
      'only the pending ones, not expired',
    );
    assert.deepEqual(requests[0]!.summary, {
      login: 'nouvel.agent',
      displayName: 'Nouvel agent',
      roles: ['counsellor'],
    });
    assert.equal(requests[0]!.requestedBy, 'conseiller.bastide.1');
    assert.doesNotMatch(res.body, /secret@example/, 'the contact address is not shown');
    // The desk still cannot approve through the administrators' API (it is not an organisation administrator).
    const approve = await call('rssi.na', 'POST', `/api/admin/requests/${pendingId}/approve`);
    assert.ok(approve.statusCode === 403, approve.body);
  });

  it('refuses everyone but the security officer and the DPO, and names the bad field', async () => {
    for (const who of ['conseiller.bastide.1', jobSeeker]) {
      for (const path of ['reads', 'alerts', 'ledger', 'admin-requests']) {
        const res = await call(who, 'GET', `/api/security/dashboard/${path}`);
        assert.equal(res.statusCode, 403, `${who} ${path}: ${res.body}`);
        assert.equal(res.json().error, 'role_required');
      }
      const res = await call(who, 'POST', '/api/security/dashboard/ledger/verify');
      assert.equal(res.statusCode, 403);
    }
    const anonymous = await server.app.inject({ method: 'GET', url: '/api/security/dashboard/reads' });
    assert.equal(anonymous.statusCode, 401);
    for (const [path, field] of [
      ['reads?hours=0', 'query.hours'],
      ['reads?hours=169', 'query.hours'],
      ['reads?hours=abc', 'query.hours'],
      ['alerts?days=91', 'query.days'],
      ['alerts?days=-1', 'query.days'],
      ['reads?other=1', 'query'],
    ] as const) {
      const res = await call('rssi.na', 'GET', `/api/security/dashboard/${path}`);
      assert.equal(res.statusCode, 400, `${path}: ${res.body}`);
      assert.ok(
        (res.json().issues as Array<{ field: string }>).some((i) => i.field.startsWith(field)),
        `${path} names ${field}: ${res.body}`,
      );
    }
    const full = await call('rssi.na', 'GET', '/api/security/dashboard/reads?hours=168');
    assert.equal(full.statusCode, 200);
    assert.equal(full.json().hours.length, 168);
  });
});
