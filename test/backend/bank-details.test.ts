import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { maskIban } from '../../src/domain/index.ts';
import { SimulatedClock } from '../../src/simulate/clock.ts';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import { authorize } from '../../src/policy/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { frenchIban, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { outbox } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, cookieOf, signIn, totpCode, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 11;
const HOUR = 3_600_000;
const CASE = 'DOSSIER-2026-0907';
/** A French account with a valid RIB key and IBAN checksum, a different one for each `n`. */
function account(n: number): { iban: string; bic: string } {
  return {
    iban: frenchIban('30004', '00031', String(n).padStart(11, '0'))
      .replace(/(.{4})/g, '$1 ')
      .trim(),
    bic: 'BNPAFRPPXXX',
  };
}
let accounts = 0;
const freshAccount = () => account(++accounts + 1_234_500);
const compactOf = (a: { iban: string }) => a.iban.replace(/ /g, '');

interface Seeker {
  personId: string;
  login: string;
  accountId: string;
  email: string;
  holder: string;
  client: Client;
  session?: SignedIn;
  totpSecret?: string;
}

describe(`bank details: a stolen NIR never redirects an allowance (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const db = () => runtime.database.db;
  const clock = new SimulatedClock(new Date());

  let counsellor = '';
  let agent = '';
  let otherCounsellor = '';
  const staff: Record<string, { client: Client; session: SignedIn }> = {};
  let host = 10;
  let caseloadPersons: string[] = [];

  const newClient = (agent = 'Mozilla/5.0 Firefox/128.0'): Client => ({
    remoteAddress: `10.40.${++host}.7`,
    headers: { 'user-agent': agent, 'accept-language': 'fr-FR' },
  });

  async function signInStaff(login: string) {
    const client = newClient();
    staff[login] = { client, session: await signIn(app, client, login, DEMO_PASSWORD) };
  }

  function staffCall(
    login: string,
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    purpose: string | undefined,
    payload?: object,
  ) {
    const { client, session } = staff[login]!;
    const headers: Record<string, string> = { ...client.headers, cookie: session.cookie, 'x-csrf-token': session.csrf };
    if (purpose) {
      headers['rempart-purpose'] = purpose;
      headers['rempart-case-reference'] = CASE;
    }
    return app.inject({ method, url, remoteAddress: client.remoteAddress, headers, ...(payload ? { payload } : {}) });
  }
  const agentCall = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    staffCall(agent, method, url, 'indemnisation', payload);

  /** A job seeker with an account (login = the file's email) and, optionally, a TOTP app enrolled long ago on this browser. */
  async function seeker(personId: string, options: { established: boolean }): Promise<Seeker> {
    const record = await runtime.persons.read(personId, ['identity', 'contact']);
    const email = record.fields.contact!.email!;
    const identity = record.fields.identity!;
    const accountId = await createAccount(db(), {
      kind: 'job_seeker',
      login: email,
      password: DEMO_PASSWORD,
      personId,
    });
    await addChannel(db(), runtime.keyring, accountId, 'email', email, { verified: true });
    const s: Seeker = {
      personId,
      login: email,
      accountId,
      email,
      holder: `${identity.firstNames[0]} ${identity.lastName}`,
      client: newClient(),
    };
    if (!options.established) return s;
    s.session = await signIn(app, s.client, email, DEMO_PASSWORD);
    const call = as(app, s.client, s.session);
    const begin = await call('POST', '/api/auth/factors/totp');
    assert.equal(begin.statusCode, 200, begin.body);
    s.totpSecret = begin.json().secret as string;
    const confirm = await call('POST', '/api/auth/factors/totp/confirm', {
      factorId: begin.json().factorId,
      code: totpCode(s.totpSecret),
    });
    assert.equal(confirm.statusCode, 200, confirm.body);
    s.session = { cookie: cookieOf(confirm), csrf: confirm.json().csrfToken as string };
    // The app was enrolled two months ago, and this browser has been used since then.
    const longAgo = new Date(Date.now() - 60 * 24 * HOUR).toISOString();
    await db()
      .updateTable('account_factors')
      .set({ created_at: longAgo })
      .where('account_id', '=', accountId)
      .execute();
    const current = await db()
      .selectFrom('sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    await db()
      .insertInto('sessions')
      .values({
        ...current,
        id_hash: randomUUID(),
        public_id: randomUUID(),
        created_at: longAgo,
        last_seen_at: longAgo,
        revoked_at: longAgo,
        revoked_reason: 'logout',
      })
      .execute();
    return s;
  }

  const mine = (s: Seeker, method: 'GET' | 'POST', url: string, payload?: object) =>
    as(app, s.client, s.session!)(method, url, payload);
  const change = (s: Seeker, account = freshAccount(), holder = s.holder) =>
    mine(s, 'POST', '/api/me/bank-details/changes', { ...account, holder });
  const fileIban = async (personId: string) => (await runtime.persons.read(personId, ['bank'])).fields.bank?.iban;

  /** Everything a refused request must leave as it was. */
  async function snapshot() {
    const bankEvents = (await ledgerEvents(db())).filter((e) => e.kind.startsWith('bank_')).length;
    const changes = await db().selectFrom('bank_changes').select(['id', 'status']).orderBy('id').execute();
    const holds = await db().selectFrom('bank_holds').select(['id', 'lifted_at']).orderBy('id').execute();
    const fields = await db()
      .selectFrom('person_fields')
      .select(['person_id', 'ciphertext'])
      .where('field_class', '=', 'bank')
      .orderBy('person_id')
      .execute();
    const notices = await db()
      .selectFrom('notifications')
      .select('id')
      .where('kind', '=', 'bank_change_notice')
      .execute();
    return JSON.stringify({
      bankEvents,
      changes,
      holds,
      fields: fields.map((f) => `${f.person_id}:${Buffer.from(f.ciphertext).toString('base64')}`),
      notices: notices.length,
    });
  }

  async function assertRefusedUnchanged(
    work: () => Promise<{
      statusCode: number;
      body: string;
      json(): { error: string; issues?: Array<{ field: string; rule: string; message: string }> };
    }>,
    status: number,
    expect: { error?: string; field?: string; rule?: string },
  ) {
    const before = await snapshot();
    const res = await work();
    assert.equal(res.statusCode, status, res.body);
    if (expect.error) assert.equal(res.json().error, expect.error);
    if (expect.field) {
      const issue = res
        .json()
        .issues?.find((i) => i.field === expect.field && (!expect.rule || i.rule === expect.rule));
      assert.ok(issue, `an issue names ${expect.field} ${expect.rule ?? ''}: ${res.body}`);
      assert.ok(issue.message.length > 8, `with an explanation: ${issue.message}`);
    }
    assert.equal(await snapshot(), before, 'a refused request changes nothing');
    return res;
  }

  const people: string[] = [];

  before(async () => {
    server = await openTestServer({ clock });
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 200,
      seed: SEED,
      batchSize: 200,
      parallel: false,
    });
    await ensureDemoAccounts(runtime, SEED);
    // A counsellor with a caseload, the indemnisation agent of the same agency, and another agency's counsellor.
    const row = await db()
      .selectFrom('caseloads')
      .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
      .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
      .select(['actors.login', 'actors.id', 'organisations.id as org'])
      .where('organisations.kind', '=', 'agency')
      .orderBy('actors.login')
      .executeTakeFirstOrThrow();
    counsellor = row.login;
    caseloadPersons = (
      await db()
        .selectFrom('caseloads')
        .select('person_id')
        .where('actor_id', '=', row.id)
        .orderBy('person_id')
        .execute()
    ).map((r) => r.person_id);
    const actors = await db().selectFrom('actors').select(['login', 'roles', 'organisation_id']).execute();
    agent = actors.find((a) => a.organisation_id === row.org && a.roles.includes('indemnisation_agent'))!.login;
    otherCounsellor = actors.find(
      (a) => a.organisation_id !== row.org && a.roles.includes('counsellor') && a.login.startsWith('conseiller.'),
    )!.login;
    for (const login of [counsellor, agent, otherCounsellor]) await signInStaff(login);
    // Persons with an email, a phone, an address and bank details, no account yet, followed by the
    // counsellor (assigned here when they were not), and in the indemnisation agent's scope.
    const agentActor = (
      await db().selectFrom('actors').select('id').where('login', '=', agent).executeTakeFirstOrThrow()
    ).id;
    const all = (
      await db().selectFrom('persons').select('id').where('status', '=', 'active').orderBy('id').execute()
    ).map((r) => r.id);
    for (const personId of all) {
      if (people.length >= 14) break;
      if (
        await db().selectFrom('guard_decoys').select('person_id').where('person_id', '=', personId).executeTakeFirst()
      )
        continue;
      const f = (await runtime.persons.read(personId, ['contact', 'bank', 'identity'])).fields;
      if (!f.contact?.email || !f.contact.phone || !f.contact.address || !f.bank) continue;
      if (await db().selectFrom('accounts').select('id').where('person_id', '=', personId).executeTakeFirst()) continue;
      const decision = await authorize(db(), {
        actorId: agentActor,
        personId,
        purpose: 'indemnisation',
        caseReference: CASE,
        operation: 'write',
        classes: ['bank'],
        clientAddress: '10.40.0.1',
        now: new Date(),
      });
      if (!decision.allowed) continue;
      if (!caseloadPersons.includes(personId)) {
        await db()
          .insertInto('caseloads')
          .values({ person_id: personId, actor_id: row.id, organisation_id: row.org, since: '2026-01-05', until: null })
          .execute();
        caseloadPersons.push(personId);
      }
      people.push(personId);
    }
    assert.ok(
      people.length >= 12,
      `enough persons in both the counsellor's caseload and the agent's scope (${people.length})`,
    );
  });
  after(() => server.close());

  it('an attacker who knows the NIR but reset nothing cannot change the IBAN: no session, no agent on a phone call, no code', async () => {
    const victim = people[0]!;
    const nir = (await runtime.persons.read(victim, ['nir'])).fields.nir!.nir;
    const thief = newClient('curl/8.5');
    // Without a session, the person's own route answers 401.
    await assertRefusedUnchanged(
      () =>
        app.inject({
          method: 'POST',
          url: '/api/me/bank-details/changes',
          remoteAddress: thief.remoteAddress,
          headers: thief.headers,
          payload: { ...freshAccount(), holder: 'X' },
        }),
      401,
      { error: 'session_unknown' },
    );
    // The NIR is not a login, and is worth nothing as a password either.
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: thief.remoteAddress,
      headers: thief.headers,
      payload: { login: nir, password: nir },
    });
    assert.equal(login.statusCode, 401);
    // Calling the agency with the NIR: an agent cannot enter a change on a phone call, only on a documented request.
    await assertRefusedUnchanged(
      () =>
        agentCall('POST', `/api/staff/persons/${victim}/bank-details/changes`, {
          ...freshAccount(),
          holder: 'THE THIEF',
          request: { kind: 'telephone', reference: 'APPEL-1' },
        }),
      400,
      { field: 'body.request.kind' },
    );
    // A "ce n'est pas moi" code is not a NIR.
    await assertRefusedUnchanged(
      () =>
        app.inject({
          method: 'POST',
          url: '/api/bank-details/freeze',
          remoteAddress: thief.remoteAddress,
          payload: { code: nir },
        }),
      400,
      { field: 'code' },
    );
    assert.equal(
      await db().selectFrom('bank_changes').select('id').where('person_id', '=', victim).executeTakeFirst(),
      undefined,
    );
  });

  it('a thief with the password but not the second factor cannot change the IBAN, nor enrol a factor of their own', async () => {
    const owner = await seeker(people[1]!, { established: true });
    const thiefClient = newClient('Mozilla/5.0 Chrome/120');
    const before = await fileIban(owner.personId);
    const stolen = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: thiefClient.remoteAddress,
      headers: thiefClient.headers,
      payload: { login: owner.login, password: DEMO_PASSWORD },
    });
    assert.equal(stolen.statusCode, 200);
    assert.equal(stolen.json().secondFactor, 'required');
    const thief: SignedIn = { cookie: cookieOf(stolen), csrf: stolen.json().csrfToken as string };
    const call = as(app, thiefClient, thief);
    await assertRefusedUnchanged(
      () => call('POST', '/api/me/bank-details/changes', { ...freshAccount(), holder: owner.holder }),
      403,
      { error: 'second_factor_required' },
    );
    const enrol = await call('POST', '/api/auth/factors/totp');
    assert.equal(enrol.statusCode, 403, 'an account with a factor cannot get a second one from a password alone');
    assert.equal(await fileIban(owner.personId), before);
  });

  it('an account without a second factor must enrol one first; a thief who does so is held for verification and the owner is told on the old channels', async () => {
    const owner = await seeker(people[2]!, { established: false });
    const record = await runtime.persons.read(owner.personId, ['contact', 'bank']);
    const thiefClient = newClient('Mozilla/5.0 Chrome/121');
    const t = await signIn(app, thiefClient, owner.login, DEMO_PASSWORD);
    const call = as(app, thiefClient, t);
    await assertRefusedUnchanged(
      () => call('POST', '/api/me/bank-details/changes', { ...freshAccount(), holder: owner.holder }),
      403,
      { error: 'second_factor_enrolment_required' },
    );
    // The thief enrols their own app (the account had none) and passes the step-up with it.
    const begin = await call('POST', '/api/auth/factors/totp');
    assert.equal(begin.statusCode, 200, begin.body);
    const confirm = await call('POST', '/api/auth/factors/totp/confirm', {
      factorId: begin.json().factorId,
      code: totpCode(begin.json().secret as string),
    });
    assert.equal(confirm.statusCode, 200, confirm.body);
    const fresh: SignedIn = { cookie: cookieOf(confirm), csrf: confirm.json().csrfToken as string };
    const res = await as(app, thiefClient, fresh)('POST', '/api/me/bank-details/changes', {
      ...freshAccount(),
      holder: owner.holder,
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().status, 'awaiting_verification');
    const reasons = (res.json().reasons as Array<{ code: string }>).map((r) => r.code);
    assert.ok(reasons.includes('new_factor') && reasons.includes('new_device'), reasons.join(','));
    // The owner hears of it on the email and phone of their file, known before the change.
    const sent = outbox(server.env.config.dataDir).filter(
      (m) =>
        m.subject === 'Modification de vos coordonnées bancaires' &&
        [record.fields.contact!.email, record.fields.contact!.phone].includes(m.to),
    );
    assert.deepEqual(
      sent.map((m) => m.channel).sort(),
      ['email', 'sms'],
      'once on the file’s email, once on its phone',
    );
    // Days later nothing has moved: the change waits for an agent.
    clock.advance(100 * HOUR);
    assert.equal(await runtime.bank.settleDue(), 0);
    assert.equal(await fileIban(owner.personId), record.fields.bank!.iban);
  });

  it('a genuine change by the owner: announced on the old channels (IBAN masked), effective only after the cooling-off', async () => {
    const owner = await seeker(people[3]!, { established: true });
    const record = await runtime.persons.read(owner.personId, ['contact', 'bank']);
    const oldIban = record.fields.bank!.iban;
    const NEW = freshAccount();
    const res = await change(owner, NEW);
    assert.equal(res.statusCode, 201, res.body);
    const outcome = res.json();
    assert.equal(outcome.status, 'cooling_off');
    assert.deepEqual(outcome.reasons, []);
    assert.equal(new Date(outcome.effectiveAt).getTime() - new Date(outcome.requestedAt).getTime(), 72 * HOUR);
    assert.deepEqual([...outcome.notices].sort(), ['email', 'sms']);

    const notices = outbox(server.env.config.dataDir).filter(
      (m) =>
        m.subject === 'Modification de vos coordonnées bancaires' &&
        [record.fields.contact!.email, record.fields.contact!.phone].includes(m.to),
    );
    const mail = outbox(server.env.config.dataDir)
      .filter((m) => m.to === owner.email && m.subject === 'Modification de vos coordonnées bancaires')
      .at(-1)!;
    assert.ok(mail, 'a notice went to the email known before');
    assert.deepEqual(
      notices.map((m) => m.channel).sort(),
      ['email', 'sms'],
      'the file’s email and phone, each once (the account’s channel is the same email)',
    );
    const compact = compactOf(NEW);
    for (const m of outbox(server.env.config.dataDir).filter(
      (x) => x.subject === 'Modification de vos coordonnées bancaires',
    )) {
      assert.ok(!m.body.replace(/ /g, '').includes(compact), 'a notice never holds the new IBAN in full');
      assert.ok(!m.body.includes(compact.slice(4, 14)), 'nor its middle');
    }
    assert.ok(mail.body.includes(maskIban(compact)), 'the masked IBAN lets the owner recognise it');
    assert.match(mail.body, /ce-n-est-pas-moi\?code=[0-9A-Z]{5}-[0-9A-Z]{5}/);

    // What the owner sees meanwhile: payments still go to the old account.
    const view = await mine(owner, 'GET', '/api/me/bank-details');
    assert.equal(view.statusCode, 200, view.body);
    assert.equal(view.json().current.maskedIban, maskIban(oldIban));
    assert.equal(view.json().pending.status, 'cooling_off');
    assert.equal(view.json().pending.maskedIban, maskIban(compact));
    assert.ok(!view.body.includes(compact), 'the space shows the new IBAN masked too');

    clock.advance(71 * HOUR);
    await runtime.bank.settleDue();
    assert.equal(
      await fileIban(owner.personId),
      oldIban,
      '71 hours later the payments still go to the previous account',
    );
    const agentView = await agentCall('GET', `/api/staff/persons/${owner.personId}`);
    assert.equal(agentView.json().fields.bank.iban, oldIban, 'the payment service reads the previous account');
    clock.advance(HOUR + 60_000);
    // A read is admitted and recorded before the change it finds due is settled: a read the guard cannot admit settles nothing.
    await sql`ALTER TABLE guard_seen RENAME TO guard_seen_away`.execute(db());
    try {
      const refused = await agentCall('GET', `/api/staff/persons/${owner.personId}`);
      assert.equal(refused.statusCode, 503, refused.body);
      assert.equal(refused.json().fields, undefined);
    } finally {
      await sql`ALTER TABLE guard_seen_away RENAME TO guard_seen`.execute(db());
    }
    assert.equal(await fileIban(owner.personId), oldIban, 'a read that was not admitted settled nothing');
    // The payment service's read applies the change that just became due, without waiting for the scheduler.
    const due = await agentCall('GET', `/api/staff/persons/${owner.personId}`);
    assert.equal(due.json().fields.bank.iban, compact, 'after 72 hours the new account is in force');
    assert.equal(await fileIban(owner.personId), compact);

    const after = await mine(owner, 'GET', '/api/me/bank-details');
    assert.equal(after.json().pending, null);
    const kinds = (after.json().history as Array<{ kind: string; maskedIban: string | null }>).map((h) => h.kind);
    assert.equal(kinds[0], 'bank_change_effective', 'newest first');
    assert.deepEqual([...kinds].sort(), ['bank_change_effective', 'bank_change_notified', 'bank_change_requested']);
    for (const h of after.json().history as Array<{ maskedIban: string | null }>)
      assert.equal(h.maskedIban, maskIban(compact));
    const events = (await ledgerEvents(db())).filter(
      (e) => e.details.personId === owner.personId && e.kind.startsWith('bank_'),
    );
    assert.deepEqual(events.map((e) => e.kind).sort(), [
      'bank_change_effective',
      'bank_change_notified',
      'bank_change_requested',
    ]);
    assert.ok(
      events.every((e) => !JSON.stringify(e).includes(compact) && !JSON.stringify(e).includes(compact.slice(-4))),
      'events never hold the IBAN',
    );
  });

  it('"ce n’est pas moi" freezes the change, signs the account out, holds the details and alerts the counsellor; a code works once', async () => {
    const owner = await seeker(people[4]!, { established: true });
    const oldIban = await fileIban(owner.personId);
    const first = freshAccount();
    const res = await change(owner, first);
    assert.equal(res.statusCode, 201, res.body);
    const mail = outbox(server.env.config.dataDir)
      .filter((m) => m.to === owner.email && m.subject === 'Modification de vos coordonnées bancaires')
      .at(-1)!;
    const code = /code ([0-9A-Z]{5}-[0-9A-Z]{5})/.exec(mail.body)![1]!;
    // The link opens the web application's page, which only fills the form: following it (a mail scanner does) freezes nothing.
    const page = await app.inject({ method: 'GET', url: `/ce-n-est-pas-moi?code=${code}` });
    assert.ok([200, 503].includes(page.statusCode), `the application (or its « not built » page): ${page.statusCode}`);
    assert.match(page.headers['content-security-policy'] as string, /frame-ancestors 'none'/);
    assert.equal(
      (
        await db()
          .selectFrom('bank_changes')
          .select('status')
          .where('id', '=', res.json().changeId)
          .executeTakeFirstOrThrow()
      ).status,
      'cooling_off',
    );

    const counsellorAlertsBefore = outbox(server.env.config.dataDir).filter(
      (m) => m.to === `${counsellor}@agents.rempart.example` && /contestée/.test(m.subject),
    ).length;
    const frozen = await app.inject({
      method: 'POST',
      url: '/api/bank-details/freeze',
      remoteAddress: '192.0.2.50',
      payload: { code: code.toLowerCase() },
    });
    assert.equal(frozen.statusCode, 200, frozen.body);
    assert.equal(frozen.json().frozen, true);
    assert.match(frozen.json().message, /est bloquée/);
    assert.equal(
      (
        await db()
          .selectFrom('bank_changes')
          .select('status')
          .where('id', '=', res.json().changeId)
          .executeTakeFirstOrThrow()
      ).status,
      'frozen',
    );
    assert.equal(
      (await mine(owner, 'GET', '/api/me/bank-details')).statusCode,
      401,
      'every session of the account is closed',
    );
    const counsellorAlerts = outbox(server.env.config.dataDir).filter(
      (m) => m.to === `${counsellor}@agents.rempart.example` && /contestée/.test(m.subject),
    );
    assert.equal(counsellorAlerts.length, counsellorAlertsBefore + 1, 'the counsellor is alerted');
    assert.ok(!counsellorAlerts.at(-1)!.body.includes(compactOf(first).slice(4)));

    await assertRefusedUnchanged(
      () =>
        app.inject({ method: 'POST', url: '/api/bank-details/freeze', remoteAddress: '192.0.2.50', payload: { code } }),
      409,
      { error: 'freeze_code_used' },
    );
    assert.ok(!server.logLines.some((l) => l.includes(code)), 'the code in the link never reaches the log');
    clock.advance(80 * HOUR);
    await runtime.bank.settleDue();
    assert.equal(await fileIban(owner.personId), oldIban, 'a frozen change never takes effect');

    // The owner signs in again: they see why their details are held, and a new change waits for an agent.
    owner.session = await signIn(app, owner.client, owner.login, DEMO_PASSWORD);
    const passed = await as(app, owner.client, owner.session)('POST', '/api/auth/second-factor', {
      code: totpCode(owner.totpSecret!, 1),
    });
    assert.equal(passed.statusCode, 200, passed.body);
    owner.session = { cookie: cookieOf(passed), csrf: passed.json().csrfToken as string };
    const view = await mine(owner, 'GET', '/api/me/bank-details');
    assert.equal(view.json().holds.length, 1);
    assert.match(view.json().holds[0].label, /signalé une modification que vous n’aviez pas demandée/);
    const second = freshAccount();
    const again = await change(owner, second);
    assert.equal(again.statusCode, 201, again.body);
    assert.equal(again.json().status, 'awaiting_verification');
    assert.deepEqual(
      again.json().reasons.map((r: { code: string }) => r.code),
      ['hold_in_force'],
    );

    // An agent verifies it (after calling the person) and it then waits out the rest of its cooling-off.
    const queue = await agentCall('GET', '/api/staff/bank-details/awaiting-verification');
    assert.equal(queue.statusCode, 200, queue.body);
    assert.ok((queue.json().items as Array<{ id: string }>).some((i) => i.id === again.json().changeId));
    const approved = await agentCall(
      'POST',
      `/api/staff/persons/${owner.personId}/bank-details/changes/${again.json().changeId}/verify`,
      { decision: 'approve', note: 'Personne rappelée au numéro du dossier, RIB reçu en agence.' },
    );
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().status, 'cooling_off');
    await assertRefusedUnchanged(
      () =>
        agentCall('POST', `/api/staff/persons/${owner.personId}/bank-details/changes/${again.json().changeId}/verify`, {
          decision: 'approve',
          note: 'une seconde fois pour voir',
        }),
      409,
      { error: 'bank_change_not_awaiting' },
    );
    clock.advance(73 * HOUR);
    await runtime.bank.settleDue();
    assert.equal(await fileIban(owner.personId), compactOf(second));
  });

  it('the same IBAN on unrelated persons’ files is held as a mule account; a household’s joint account is not', async () => {
    const [a, b, c] = [people[5]!, people[6] ?? people[0]!, people[7] ?? people[1]!];
    const ibanOfA = (await fileIban(a))!;
    const aRecord = await runtime.persons.read(a, ['contact', 'bank']);
    const bRecord = await runtime.persons.read(b, ['identity']);
    const holderB = `${bRecord.fields.identity!.firstNames[0]} ${bRecord.fields.identity!.lastName}`;
    // c lives with a: same postal address, a joint account is expected.
    await runtime.persons.update(c, {
      contact: {
        ...(await runtime.persons.read(c, ['contact'])).fields.contact!,
        address: aRecord.fields.contact!.address!,
      },
    });
    const cRecord = await runtime.persons.read(c, ['identity']);
    const joint = await agentCall('POST', `/api/staff/persons/${c}/bank-details/changes`, {
      iban: ibanOfA,
      bic: aRecord.fields.bank!.bic,
      holder: `${cRecord.fields.identity!.firstNames[0]} ${cRecord.fields.identity!.lastName}`,
      request: { kind: 'accueil', reference: 'ACCUEIL-42' },
    });
    assert.equal(joint.statusCode, 201, joint.body);
    assert.ok(
      !joint.json().reasons.some((r: { code: string }) => r.code === 'shared_iban'),
      JSON.stringify(joint.json().reasons),
    );
    const res = await agentCall('POST', `/api/staff/persons/${b}/bank-details/changes`, {
      iban: ibanOfA,
      bic: aRecord.fields.bank!.bic,
      holder: holderB,
      request: { kind: 'courrier', reference: 'COURRIER-2026-11-001' },
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().status, 'awaiting_verification');
    assert.ok(res.json().reasons.some((r: { code: string }) => r.code === 'shared_iban'));
    const held = (await ledgerEvents(db())).filter((e) => e.kind === 'bank_change_held' && e.details.personId === b);
    assert.equal(held.length, 1);
    // The agent who entered it cannot verify it (four eyes).
    await assertRefusedUnchanged(
      () =>
        agentCall('POST', `/api/staff/persons/${b}/bank-details/changes/${res.json().changeId}/verify`, {
          decision: 'approve',
          note: 'je valide ma propre saisie',
        }),
      403,
      { error: 'four_eyes' },
    );
  });

  it('bad input and faults: each is a clear 4xx naming the field, and changes nothing', async () => {
    const owner = await seeker(people[8] ?? caseloadPersons[caseloadPersons.length - 1]!, { established: true });
    const holder = owner.holder;
    const A = freshAccount();
    await assertRefusedUnchanged(
      () =>
        change(owner, {
          iban: A.iban.slice(0, -1) + (A.iban.endsWith('9') ? '0' : String(Number(A.iban.slice(-1)) + 1)),
          bic: 'BNPAFRPPXXX',
        }),
      400,
      { field: 'iban', rule: 'iban.checksum' },
    );
    await assertRefusedUnchanged(
      () => change(owner, { iban: 'BR9700360305000010009795493P1', bic: 'BBDEBRSPXXX' }),
      400,
      { field: 'iban', rule: 'iban.country_unsupported' },
    );
    await assertRefusedUnchanged(() => change(owner, { iban: A.iban, bic: 'BNPA' }), 400, {
      field: 'bic',
      rule: 'bic.format',
    });
    await assertRefusedUnchanged(() => change(owner, { iban: A.iban, bic: 'COBADEFFXXX' }), 400, {
      field: 'bic',
      rule: 'bic.country_mismatch',
    });
    await assertRefusedUnchanged(() => change(owner, A, 'SCI LES TILLEULS'), 400, {
      field: 'holder',
      rule: 'holder.mismatch',
    });
    const current = (await runtime.persons.read(owner.personId, ['bank'])).fields.bank!;
    await assertRefusedUnchanged(() => change(owner, { iban: current.iban, bic: current.bic }), 400, {
      field: 'iban',
      rule: 'iban.unchanged',
    });
    await assertRefusedUnchanged(() => mine(owner, 'POST', '/api/me/bank-details/changes', { ...A }), 400, {
      field: 'body.holder',
    });
    // A plain update of the file cannot carry bank details, even for an agent allowed to write them.
    await assertRefusedUnchanged(
      () =>
        agentCall('PATCH', `/api/staff/persons/${owner.personId}`, {
          bank: { iban: compactOf(A), bic: A.bic, holder },
        }),
      400,
      { field: 'body.bank', rule: 'bank.change_procedure' },
    );
    // The step-up expires after five minutes.
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date(Date.now() - 6 * 60_000).toISOString() })
      .where('account_id', '=', owner.accountId)
      .where('revoked_at', 'is', null)
      .execute();
    const bankEventsBefore = (await ledgerEvents(db())).filter((e) => e.kind.startsWith('bank_')).length;
    await assertRefusedUnchanged(() => change(owner), 403, { error: 'step_up_required' });
    assert.equal((await ledgerEvents(db())).filter((e) => e.kind.startsWith('bank_')).length, bankEventsBefore);
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date().toISOString() })
      .where('account_id', '=', owner.accountId)
      .where('revoked_at', 'is', null)
      .execute();
    // A second change while one is open, at once or concurrently: one wins, the rest get 409.
    const racing = await Promise.all([change(owner), change(owner, freshAccount())]);
    assert.deepEqual(racing.map((r) => r.statusCode).sort(), [201, 409], racing.map((r) => r.body).join('\n'));
    await assertRefusedUnchanged(() => change(owner, freshAccount()), 409, { error: 'bank_change_in_progress' });
    // The same person asking again and again within 30 days: refused after two.
    const open = racing.find((r) => r.statusCode === 201)!.json().changeId as string;
    assert.equal(
      (
        await agentCall('POST', `/api/staff/persons/${owner.personId}/bank-details/holds`, {
          reason: 'counsellor_concern',
          note: 'Vérification demandée avant le versement.',
        })
      ).statusCode,
      201,
    );
    assert.equal(
      (
        await agentCall('POST', `/api/staff/persons/${owner.personId}/bank-details/changes/${open}/verify`, {
          decision: 'reject',
          note: 'Rejetée pour le test de fréquence.',
        })
      ).json().status,
      'rejected',
    );
    const second = await change(owner, freshAccount());
    assert.equal(second.statusCode, 201, second.body);
    assert.equal(
      (
        await agentCall(
          'POST',
          `/api/staff/persons/${owner.personId}/bank-details/changes/${second.json().changeId}/verify`,
          { decision: 'reject', note: 'Rejetée pour le test de fréquence.' },
        )
      ).json().status,
      'rejected',
    );
    await assertRefusedUnchanged(() => change(owner), 409, { error: 'bank_change_too_frequent' });
    // Unknown codes are counted per address: the 21st wrong guess is blocked.
    for (let i = 0; i < 20; i++)
      await app.inject({
        method: 'POST',
        url: '/api/bank-details/freeze',
        remoteAddress: '198.51.100.9',
        payload: { code: `AAAAA-${String(i).padStart(5, '0')}` },
      });
    await assertRefusedUnchanged(
      () =>
        app.inject({
          method: 'POST',
          url: '/api/bank-details/freeze',
          remoteAddress: '198.51.100.9',
          payload: { code: 'AAAAA-BBBBB' },
        }),
      429,
      { error: 'too_many_attempts' },
    );
  });

  it('holds: a counsellor holds a person they follow (not one they do not); the person sees why; an agent lifts it with a note', async () => {
    const personId = people[9] ?? people[2]!;
    const outsider = await assertRefusedUnchanged(
      () =>
        staffCall(otherCounsellor, 'POST', `/api/staff/persons/${personId}/bank-details/holds`, 'accompagnement', {
          reason: 'counsellor_concern',
          note: 'Je ne suis pas cette personne.',
        }),
      403,
      {},
    );
    assert.equal(outsider.json().error, 'person_out_of_scope');
    await assertRefusedUnchanged(
      () =>
        staffCall(counsellor, 'POST', `/api/staff/persons/${personId}/bank-details/holds`, 'accompagnement', {
          reason: 'counsellor_concern',
          note: 'court',
        }),
      400,
      { field: 'body.note' },
    );
    const placed = await staffCall(
      counsellor,
      'POST',
      `/api/staff/persons/${personId}/bank-details/holds`,
      'accompagnement',
      { reason: 'counsellor_concern', note: 'Appel suspect reçu au sujet de ce dossier.' },
    );
    assert.equal(placed.statusCode, 201, placed.body);
    // A counsellor cannot lift it: lifting is a write of bank details, the agent's.
    await assertRefusedUnchanged(
      () =>
        staffCall(
          counsellor,
          'POST',
          `/api/staff/persons/${personId}/bank-details/holds/${placed.json().id}/lift`,
          'accompagnement',
          { note: 'Je lève ma propre surveillance.' },
        ),
      403,
      { error: 'field_class_not_granted' },
    );
    const seen = await agentCall('GET', `/api/staff/persons/${personId}/bank-details`);
    assert.equal(seen.json().holds[0].reason, 'counsellor_concern');
    const lifted = await agentCall(
      'POST',
      `/api/staff/persons/${personId}/bank-details/holds/${placed.json().id}/lift`,
      { note: 'Personne reçue en agence, identité vérifiée.' },
    );
    assert.equal(lifted.statusCode, 204, lifted.body);
    await assertRefusedUnchanged(
      () =>
        agentCall('POST', `/api/staff/persons/${personId}/bank-details/holds/${placed.json().id}/lift`, {
          note: 'Personne reçue en agence, identité vérifiée.',
        }),
      409,
      { error: 'hold_already_lifted' },
    );
    const kinds = (await ledgerEvents(db()))
      .filter((e) => e.details.personId === personId && e.kind.startsWith('bank_hold'))
      .map((e) => e.kind);
    assert.deepEqual(kinds.sort(), ['bank_hold_lifted', 'bank_hold_placed']);
  });

  it('a change within days of a password reset, or after the file was read by a contained account, is held', async () => {
    const reset = await seeker(people[10] ?? people[3]!, { established: true });
    await db()
      .updateTable('accounts')
      .set({ password_changed_at: new Date(clock.now().getTime() - 2 * 24 * HOUR).toISOString() })
      .where('id', '=', reset.accountId)
      .execute();
    const r1 = await change(reset, freshAccount());
    assert.equal(r1.statusCode, 201, r1.body);
    assert.deepEqual(
      r1.json().reasons.map((r: { code: string }) => r.code),
      ['recent_password_reset'],
    );

    const exposed = await seeker(people[11] ?? people[4]!, { established: true });
    const org = (await db().selectFrom('organisations').select('id').executeTakeFirstOrThrow()).id;
    const containment = randomUUID();
    await db()
      .insertInto('guard_containments')
      .values({
        id: containment,
        scope: 'actor',
        actor_id: null,
        organisation_id: org,
        signal: 'decoy_read',
        details: JSON.stringify({ figures: {}, personsRead: [exposed.personId] }),
        contained_at: clock.now().toISOString(),
        released_at: null,
        released_by: null,
        release_note: null,
      })
      .execute();
    // The persons a containment read are rows of their own (the guard asks them by person).
    await db()
      .insertInto('guard_containment_persons')
      .values({ containment_id: containment, person_id: exposed.personId })
      .execute();
    const r2 = await change(exposed, freshAccount());
    assert.equal(r2.statusCode, 201, r2.body);
    assert.deepEqual(
      r2.json().reasons.map((r: { code: string }) => r.code),
      ['recent_exposure'],
    );
  });

  it('a person without email or phone is told by letter, at the postal address of their file', async () => {
    const personId = caseloadPersons.find((p) => !people.includes(p))!;
    const f = (await runtime.persons.read(personId, ['contact', 'identity'])).fields;
    const address = f.contact?.address ?? {
      line1: '3 rue des Lilas',
      postalCode: '33000',
      communeCode: '33063',
      commune: 'Bordeaux',
    };
    await runtime.persons.update(personId, { contact: { address } });
    // The file has had neither for months: its contact change is older than the 30 days that hold a change
    // (a recent one would also send the notices to the previous email and phone: bank-contact-redirection.test.ts).
    await db()
      .updateTable('contact_history')
      .set({ changed_at: new Date(clock.now().getTime() - 90 * 24 * HOUR).toISOString() })
      .where('person_id', '=', personId)
      .execute();
    const read = await agentCall('GET', `/api/staff/persons/${personId}/bank-details`);
    if (read.statusCode !== 200) return assert.fail(`the agent may handle ${personId}: ${read.body}`);
    const res = await agentCall('POST', `/api/staff/persons/${personId}/bank-details/changes`, {
      ...freshAccount(),
      holder: `${f.identity!.firstNames[0]} ${f.identity!.lastName}`,
      request: { kind: 'courrier', reference: 'COURRIER-2026-11-777' },
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().notices, ['letter']);
    const letter = outbox(server.env.config.dataDir)
      .filter((m) => m.channel === 'letter')
      .at(-1)!;
    assert.ok(letter.to.includes(address.line1) && letter.to.includes(address.postalCode));
    assert.match(letter.body, /saisissez le code [0-9A-Z]{5}-[0-9A-Z]{5}/);
    const register = await db()
      .selectFrom('notifications')
      .select(['channel', 'recipient'])
      .where('kind', '=', 'bank_change_notice')
      .where('channel', '=', 'letter')
      .execute();
    assert.ok(
      register.every((r) => !r.recipient.includes(address.line1)),
      'the register keeps the postal code and commune, not the street',
    );
  });

  it('notices lost in a crash are sent again (with a new code) before the change can take effect; a fresh request is left alone', async () => {
    const personId = people[12] ?? people[5]!;
    const f = (await runtime.persons.read(personId, ['identity', 'contact'])).fields;
    const res = await agentCall('POST', `/api/staff/persons/${personId}/bank-details/changes`, {
      ...freshAccount(),
      holder: `${f.identity!.firstNames[0]} ${f.identity!.lastName}`,
      request: { kind: 'courrier', reference: 'COURRIER-2026-11-900' },
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().status, 'cooling_off', JSON.stringify(res.json().reasons));
    const changeId = res.json().changeId as string;
    const codeOf = async () =>
      await db()
        .selectFrom('bank_changes')
        .select(['freeze_code_hash', 'notified_at'])
        .where('id', '=', changeId)
        .executeTakeFirstOrThrow();
    const sent = await codeOf();
    // As if the process died between the commit and the notices.
    await db().updateTable('bank_changes').set({ notified_at: null }).where('id', '=', changeId).execute();
    assert.equal(await runtime.bank.resendMissingNotices(), 0, 'a request minutes old may still be sending its own');
    const mails = () =>
      outbox(server.env.config.dataDir).filter(
        (m) => m.to === f.contact!.email && m.subject === 'Modification de vos coordonnées bancaires',
      ).length;
    const before = mails();
    clock.advance(10 * 60_000);
    assert.equal(await runtime.bank.resendMissingNotices(), 1);
    assert.equal(mails(), before + 1);
    const resent = await codeOf();
    assert.ok(resent.notified_at);
    assert.notEqual(resent.freeze_code_hash, sent.freeze_code_hash, 'the lost code is replaced');
    clock.advance(73 * HOUR);
    await runtime.bank.settleDue();
    assert.equal(
      (await db().selectFrom('bank_changes').select('status').where('id', '=', changeId).executeTakeFirstOrThrow())
        .status,
      'effective',
      'once told, the change takes effect after its cooling-off',
    );
  });

  it("denials: staff in the person's space, a counsellor entering, verifying or listing changes, an agent without a fresh second factor, a code after 30 days", async () => {
    const personId = people[13] ?? people[6]!;
    const f = (await runtime.persons.read(personId, ['identity'])).fields;
    const body = {
      ...freshAccount(),
      holder: `${f.identity!.firstNames[0]} ${f.identity!.lastName}`,
      request: { kind: 'courrier', reference: 'COURRIER-2026-11-950' },
    };
    // Staff have no "own bank details" space.
    await assertRefusedUnchanged(() => staffCall(counsellor, 'GET', '/api/me/bank-details', undefined), 403, {
      error: 'job_seeker_only',
    });
    // A counsellor's purpose does not write bank details: no change, no verification, no queue.
    await assertRefusedUnchanged(
      () =>
        staffCall(counsellor, 'POST', `/api/staff/persons/${personId}/bank-details/changes`, 'accompagnement', body),
      403,
      { error: 'field_class_not_granted' },
    );
    const entered = await agentCall('POST', `/api/staff/persons/${personId}/bank-details/changes`, body);
    assert.equal(entered.statusCode, 201, entered.body);
    await db()
      .updateTable('bank_changes')
      .set({ status: 'awaiting_verification' })
      .where('id', '=', entered.json().changeId)
      .execute();
    await assertRefusedUnchanged(
      () =>
        staffCall(
          counsellor,
          'POST',
          `/api/staff/persons/${personId}/bank-details/changes/${entered.json().changeId}/verify`,
          'accompagnement',
          { decision: 'approve', note: 'Le conseiller approuve.' },
        ),
      403,
      { error: 'field_class_not_granted' },
    );
    await assertRefusedUnchanged(
      () => staffCall(counsellor, 'GET', '/api/staff/bank-details/awaiting-verification', 'accompagnement'),
      403,
      { error: 'field_class_not_granted' },
    );
    // An agent whose second factor is older than five minutes enters nothing.
    const agentAccount = (
      await db().selectFrom('accounts').select('id').where('login', '=', agent).executeTakeFirstOrThrow()
    ).id;
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date(Date.now() - 6 * 60_000).toISOString() })
      .where('account_id', '=', agentAccount)
      .where('revoked_at', 'is', null)
      .execute();
    try {
      const other = people[14] ?? people[7]!;
      const o = (await runtime.persons.read(other, ['identity'])).fields;
      await assertRefusedUnchanged(
        () =>
          agentCall('POST', `/api/staff/persons/${other}/bank-details/changes`, {
            ...body,
            holder: `${o.identity!.firstNames[0]} ${o.identity!.lastName}`,
          }),
        403,
        { error: 'step_up_required' },
      );
    } finally {
      await db()
        .updateTable('sessions')
        .set({ second_factor_at: new Date().toISOString() })
        .where('account_id', '=', agentAccount)
        .where('revoked_at', 'is', null)
        .execute();
    }
    // A notice's code is good for 30 days only.
    const code = /code ([0-9A-Z]{5}-[0-9A-Z]{5})/.exec(
      outbox(server.env.config.dataDir)
        .filter((m) => m.subject === 'Modification de vos coordonnées bancaires' && m.channel === 'email')
        .at(-1)!.body,
    )![1]!;
    clock.advance(31 * 24 * HOUR);
    await assertRefusedUnchanged(
      () =>
        app.inject({
          method: 'POST',
          url: '/api/bank-details/freeze',
          remoteAddress: '203.0.113.77',
          payload: { code },
        }),
      404,
      { error: 'not_found' },
    );
  });
});
