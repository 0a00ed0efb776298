import assert from 'node:assert/strict';
import { maskIban } from '../../src/domain/index.ts';
import { frenchIban } from '../../src/seed/index.ts';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { demoPersons, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, cookieOf, signIn, totpCode, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 3;
const PURPOSE = 'accompagnement';
const CASE = 'DOSSIER-2026-0909';

describe(`the job seeker's own file, security events and export (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const db = () => runtime.database.db;

  let seeker = '';
  let seekerPerson = '';
  let seekerAccount = '';
  let otherSeeker = '';
  let otherPerson = '';
  let counsellor = '';
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  let host = 60;
  let totpSecret = '';

  async function signInAs(login: string): Promise<void> {
    clients[login] = {
      remoteAddress: `10.30.40.${++host}`,
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    sessions[login] = await signIn(app, clients[login], login, DEMO_PASSWORD);
  }
  const call = (login: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    as(app, clients[login]!, sessions[login]!)(method, url, payload);

  async function withLedgerOff<T>(work: () => Promise<T>): Promise<T> {
    await sql`ALTER TABLE ledger_events RENAME TO ledger_events_off`.execute(db());
    try {
      return await work();
    } finally {
      await sql`ALTER TABLE ledger_events_off RENAME TO ledger_events`.execute(db());
    }
  }

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 60,
      seed: SEED,
      batchSize: 60,
      parallel: false,
    });
    const shown = new Set((await ensureDemoAccounts(runtime, SEED)).map((s) => s.login));
    for (const person of await demoPersons(db(), SEED, 8)) {
      if (!shown.has(person.email)) continue;
      const followed = await db()
        .selectFrom('caseloads')
        .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
        .select('actors.login')
        .where('caseloads.person_id', '=', person.id)
        .executeTakeFirst();
      if (followed && !seeker) {
        seeker = person.email;
        seekerPerson = person.id;
        counsellor = followed.login;
      } else if (!otherSeeker) {
        otherSeeker = person.email;
        otherPerson = person.id;
      }
    }
    assert.ok(seeker && otherSeeker && counsellor, 'two demo job seekers, one followed by a counsellor');
    seekerAccount = (
      await db().selectFrom('accounts').select('id').where('login', '=', seeker).executeTakeFirstOrThrow()
    ).id;
    // Bank details in force, as after a settled change: the file and the download must mask them.
    if (!(await runtime.persons.heldClasses([seekerPerson])).get(seekerPerson)!.has('bank')) {
      const identity = (await runtime.persons.read(seekerPerson, ['identity'])).fields.identity!;
      await runtime.persons.applyBankChange(seekerPerson, {
        iban: frenchIban('30004', '00077', '00012345678'),
        bic: 'BNPAFRPPXXX',
        holder: `${identity.firstNames[0]} ${identity.lastName}`,
      });
    }
    await signInAs(seeker);
    await signInAs(otherSeeker);
    await signInAs(counsellor);
    // The job seeker protects the account with an authenticator app (its secret must never come back).
    const begin = await call(seeker, 'POST', '/api/auth/factors/totp');
    assert.equal(begin.statusCode, 200, begin.body);
    totpSecret = begin.json().secret;
    const confirm = await call(seeker, 'POST', '/api/auth/factors/totp/confirm', {
      factorId: begin.json().factorId,
      code: totpCode(totpSecret),
    });
    assert.equal(confirm.statusCode, 200, confirm.body);
    sessions[seeker] = { cookie: cookieOf(confirm), csrf: confirm.json().csrfToken };
    // The counsellor reads the file: an access the export's journal must show.
    const read = await app.inject({
      method: 'GET',
      url: `/api/staff/persons/${seekerPerson}?classes=identity`,
      remoteAddress: clients[counsellor]!.remoteAddress,
      headers: {
        ...clients[counsellor]!.headers,
        cookie: sessions[counsellor]!.cookie,
        'rempart-purpose': PURPOSE,
        'rempart-case-reference': CASE,
      },
    });
    assert.equal(read.statusCode, 200, read.body);
  });
  after(() => server?.close());

  it('GET /api/me/file returns every class the file holds, decrypted, after its subject_access event is recorded', async () => {
    const held = (await runtime.persons.heldClasses([seekerPerson])).get(seekerPerson)!;
    const mine = async () =>
      (await ledgerEvents(db(), 'subject_access')).filter((e) => e.details.personId === seekerPerson);
    const before = (await mine()).length;
    const res = await call(seeker, 'GET', '/api/me/file');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.id, seekerPerson);
    assert.deepEqual([...body.classes].sort(), [...held].sort());
    assert.deepEqual(Object.keys(body.fields).sort(), [...held].sort(), 'every held class is decrypted');
    const stored = await runtime.persons.read(seekerPerson, [...held]);
    // Every value as stored, except the IBAN, masked as on the bank page.
    assert.ok(held.has('bank'), 'the demo job seeker has bank details');
    assert.deepEqual(
      body.fields,
      JSON.parse(
        JSON.stringify({ ...stored.fields, bank: { ...stored.fields.bank, iban: maskIban(stored.fields.bank!.iban) } }),
      ),
    );
    assert.ok(!res.body.includes(stored.fields.bank!.iban), 'the full IBAN does not leave');

    const events = await mine();
    assert.equal(events.length, before + 1, 'one subject_access event for this read');
    const last = events.at(-1)!;
    assert.equal(last.account_id, seekerAccount);
    assert.equal(last.details.operation, 'read');
    assert.deepEqual(String(last.details.classes).split(',').sort(), [...held].sort());
    for (const value of [stored.fields.identity!.lastName, stored.fields.identity!.birthDate])
      assert.ok(!JSON.stringify(last.body).includes(value), 'the event holds no value');
  });

  it('fails closed: without the ledger, the file does not leave (503, no value, no event)', async () => {
    const lastName = (await runtime.persons.read(seekerPerson, ['identity'])).fields.identity!.lastName;
    const before = (await ledgerEvents(db())).length;
    const off = await withLedgerOff(() => call(seeker, 'GET', '/api/me/file'));
    assert.equal(off.statusCode, 503, off.body);
    assert.equal(off.json().error, 'ledger_unavailable');
    assert.ok(!off.body.includes(lastName));
    const exportOff = await withLedgerOff(() => call(seeker, 'GET', '/api/me/export'));
    assert.equal(exportOff.statusCode, 503);
    assert.ok(!exportOff.body.includes(lastName));
    assert.equal((await ledgerEvents(db())).length, before, 'nothing was recorded');
  });

  it('each job seeker reads only their own file: another one’s values never appear', async () => {
    const mine = await runtime.persons.read(seekerPerson, ['identity', 'contact']);
    const theirs = await runtime.persons.read(otherPerson, ['identity', 'contact']);
    const res = await call(otherSeeker, 'GET', '/api/me/file');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().id, otherPerson);
    assert.equal(res.json().fields.identity.lastName, theirs.fields.identity!.lastName);
    for (const value of [seekerPerson, mine.fields.contact?.email, mine.fields.identity!.birthDate].filter(
      (v): v is string => Boolean(v),
    ))
      assert.ok(!res.body.includes(value), `no trace of the other file (${value.slice(0, 3)}…)`);
    const exported = await call(otherSeeker, 'GET', '/api/me/export');
    assert.equal(exported.statusCode, 200);
    assert.ok(!exported.body.includes(seekerPerson));
    assert.ok(!exported.body.includes(CASE), 'nor the other person’s journal');
  });

  it('a staff session gets 403 job_seeker_only, no session gets 401, and neither is recorded as a subject access', async () => {
    const before = (await ledgerEvents(db(), 'subject_access')).length;
    for (const url of ['/api/me/file', '/api/me/export', '/api/me/security-events']) {
      const staff = await call(counsellor, 'GET', url);
      assert.equal(staff.statusCode, 403, `${url}: ${staff.body}`);
      assert.equal(staff.json().error, 'job_seeker_only');
      const anonymous = await app.inject({ method: 'GET', url });
      assert.equal(anonymous.statusCode, 401, url);
    }
    assert.equal((await ledgerEvents(db(), 'subject_access')).length, before);
  });

  it('GET /api/me/export is a JSON attachment with the file, the whole journal, factors without secrets, sessions, activity and bank changes; recorded first', async () => {
    const res = await call(seeker, 'GET', '/api/me/export');
    assert.equal(res.statusCode, 200, res.body);
    assert.match(
      String(res.headers['content-disposition']),
      /^attachment; filename="mes-donnees-rempart-\d{4}-\d{2}-\d{2}\.json"$/,
    );
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const data = res.json();
    assert.equal(data.format, 'rempart-export/1');
    assert.equal(data.file.id, seekerPerson);
    assert.equal(
      data.file.fields.identity.lastName,
      (await runtime.persons.read(seekerPerson, ['identity'])).fields.identity!.lastName,
    );
    const counsellorRead = data.accessJournal.find(
      (e: { event: { kind: string; caseReference: string } }) =>
        e.event.kind === 'access_granted' && e.event.caseReference === CASE,
    );
    assert.ok(counsellorRead, 'the counsellor’s read is in the exported journal');
    assert.equal(counsellorRead.event.purpose, PURPOSE);
    assert.equal(typeof counsellorRead.event.restricted, 'string', 'who acted and from where stay a digest');
    assert.ok(data.factors.some((f: { kind: string; status: string }) => f.kind === 'totp' && f.status === 'active'));
    assert.ok(data.sessions.length >= 1);
    assert.ok(data.securityEvents.some((e: { kind: string }) => e.kind === 'login_succeeded'));
    assert.ok(Array.isArray(data.bankChanges));
    const iban = (await runtime.persons.read(seekerPerson, ['bank'])).fields.bank!.iban;
    assert.equal(data.file.fields.bank.iban, maskIban(iban));
    assert.ok(!res.body.includes(iban), 'the full IBAN does not leave in the download either');
    assert.ok(!res.body.includes(totpSecret), 'no factor secret');
    assert.ok(
      !res.body.includes(sessions[seeker]!.csrf) && !res.body.includes(sessions[seeker]!.cookie.split('=')[1]!),
      'no session token',
    );
    assert.ok(!res.body.includes(DEMO_PASSWORD));
    const event = (await ledgerEvents(db(), 'subject_access')).filter((e) => e.account_id === seekerAccount).at(-1)!;
    assert.equal(event.details.operation, 'export');
    assert.equal(event.details.personId, seekerPerson);
  });

  it('GET /api/me/security-events lists this account’s events newest first, labelled in French, paginated, without secrets', async () => {
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: '10.30.40.250',
      headers: clients[seeker]!.headers,
      payload: { login: seeker, password: 'not the password at all' },
    });
    assert.equal(wrong.statusCode, 401);
    const res = await call(seeker, 'GET', '/api/me/security-events?pageSize=100');
    assert.equal(res.statusCode, 200, res.body);
    const page = res.json() as {
      total: number;
      events: Array<{ at: string; kind: string; label: string; method: string | null }>;
    };
    const kinds = page.events.map((e) => e.kind);
    for (const kind of ['login_succeeded', 'login_failed', 'factor_enrolled', 'subject_access'])
      assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(',')}`);
    assert.ok(
      page.events.every((e) => e.label && e.label !== e.kind),
      'every kind has a French label',
    );
    const ats = page.events.map((e) => e.at);
    assert.deepEqual(ats, [...ats].sort().reverse(), 'newest first');
    const accountEvents = await db()
      .selectFrom('ledger_events')
      .select('id')
      .where('account_id', '=', seekerAccount)
      .execute();
    assert.ok(page.total <= accountEvents.length);
    for (const secret of [
      totpSecret,
      DEMO_PASSWORD,
      'not the password at all',
      sessions[seeker]!.csrf,
      sessions[seeker]!.cookie.split('=')[1]!,
      '10.30.40.',
    ])
      assert.ok(!res.body.includes(secret), `no secret nor address (${secret.slice(0, 4)}…)`);

    const first = await call(seeker, 'GET', '/api/me/security-events?page=1&pageSize=2');
    const second = await call(seeker, 'GET', '/api/me/security-events?page=2&pageSize=2');
    assert.equal(first.json().events.length, 2);
    assert.deepEqual(
      [...first.json().events, ...second.json().events].map((e: { id: string }) => e.id),
      page.events.slice(0, 4).map((e) => (e as unknown as { id: string }).id),
    );
    // Another account's events are not there.
    const other = await call(otherSeeker, 'GET', '/api/me/security-events?pageSize=100');
    assert.ok(!other.json().events.some((e: { kind: string }) => e.kind === 'factor_enrolled'));
    assert.ok(!other.json().events.some((e: { kind: string }) => e.kind === 'login_failed'));
  });

  it('bad input is a 400 naming the field, and records nothing', async () => {
    const before = (await ledgerEvents(db())).length;
    for (const [url, field] of [
      ['/api/me/security-events?page=0', 'page'],
      ['/api/me/security-events?pageSize=abc', 'pageSize'],
      ['/api/me/security-events?pageSize=500', 'pageSize'],
      ['/api/me/security-events?sort=asc', 'sort'],
    ] as const) {
      const res = await call(seeker, 'GET', url);
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.ok(
        res.json().issues.some((i: { field: string }) => i.field.endsWith(field)),
        `${url}: ${JSON.stringify(res.json().issues)}`,
      );
    }
    assert.equal((await ledgerEvents(db())).length, before);
  });
});
