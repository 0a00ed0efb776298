import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { validateAgreementFile } from '../../src/policy/index.ts';
import { calendarMonthsAfter, CNIL_COMPLAINT } from '../../src/privacy/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { backgroundJobs } from '../../src/runtime/jobs.ts';
import { AGENCY_OBJECTION_EXCLUDED, demoPersons, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { outbox } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 7;
const DAY = 86_400_000;
/** 31 January, 11:00 in Paris: one calendar month later is the end of 28 February (no 31st). */
const T0 = new Date('2026-01-31T10:00:00.000Z');
const FIRST_DUE = '2026-02-28T22:59:59.999Z';
/** Three months after receipt, in summer time: the end of 30 April in Paris. */
const EXTENDED_DUE = '2026-04-30T21:59:59.999Z';
const DPO = 'dpo.na';
const RSSI = 'rssi.na';
/** A mission locale's staff member: outside the platform, neither records nor works requests. */
const PARTNER = 'ml.bordeaux.1';
const KINDS = [
  'rights_request_received',
  'rights_request_transition',
  'rights_request_answered',
  'rights_request_overdue',
];

describe(`rights requests (GDPR Art. 12, 15–21): lifecycle, deadlines, refusals, the person's view (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let now = T0;
  const db = () => runtime.database.db;
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  let host = 20;
  let seeker = '';
  let seekerPerson = '';
  let otherSeeker = '';
  let otherPerson = '';
  let counsellor = '';
  let agencyId = '';
  let partnerId = '';
  /** The requests of the story, by letter. */
  const ids: Record<string, string> = {};

  const call = (login: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    as(app, clients[login]!, sessions[login]!)(method, url, payload);
  const at = (days: number) => {
    now = new Date(T0.getTime() + days * DAY);
  };
  const count = async (table: 'rights_requests' | 'rights_request_steps' | 'ledger_events') =>
    Number(
      (
        await db()
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const events = async (kind: string, personId?: string) =>
    (
      await db()
        .selectFrom('ledger_events')
        .select(['kind', 'person_id', 'body'])
        .where('kind', '=', kind as never)
        .execute()
    )
      .filter((e) => personId === undefined || e.person_id === personId)
      .map((e) => ({
        personId: e.person_id,
        details: (JSON.parse(e.body) as { details: Record<string, unknown> }).details,
      }));
  const desk = (method: 'GET' | 'POST', path: string, payload?: object) =>
    call(DPO, method, `/api/security/rights-requests${path}`, payload);
  /** Every insert into `table` fails until the returned function is called: a store failure inside a transaction. */
  const failInserts = async (table: 'person_restrictions' | 'outgoing_messages') => {
    const trigger = sql.raw(`rempart_test_fail_${table}`);
    const on = sql.raw(table);
    if (BACKEND === 'postgres') {
      await sql`CREATE OR REPLACE FUNCTION rempart_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'insert refused (test)'; END $$`.execute(
        db(),
      );
      await sql`CREATE TRIGGER ${trigger} BEFORE INSERT ON ${on} FOR EACH ROW EXECUTE FUNCTION rempart_test_fail()`.execute(
        db(),
      );
      return async () => void (await sql`DROP TRIGGER ${trigger} ON ${on}`.execute(db()));
    }
    await sql`CREATE TRIGGER ${trigger} BEFORE INSERT ON ${on} BEGIN SELECT RAISE(ABORT, 'insert refused (test)'); END`.execute(
      db(),
    );
    return async () => void (await sql`DROP TRIGGER ${trigger}`.execute(db()));
  };
  /** The raw access events of a person's journal (purpose, operation, classes, details). */
  const accessEvents = async (personId: string) =>
    (
      await db()
        .selectFrom('ledger_events')
        .select('body')
        .where('kind', '=', 'access_granted')
        .where('person_id', '=', personId)
        .execute()
    ).map(
      (e) =>
        JSON.parse(e.body) as {
          purpose: string | null;
          operation: string | null;
          classes: string[];
          details: Record<string, unknown>;
        },
    );

  async function signInAs(login: string): Promise<void> {
    clients[login] = {
      remoteAddress: `10.40.50.${++host}`,
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    sessions[login] = await signIn(app, clients[login], login, DEMO_PASSWORD);
  }

  before(async () => {
    server = await openTestServer({ clock: { now: () => now } });
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 40,
      seed: SEED,
      batchSize: 40,
      parallel: false,
    });
    const shown = new Set((await ensureDemoAccounts(runtime, SEED)).map((s) => s.login));
    for (const person of await demoPersons(db(), SEED, 8)) {
      if (!shown.has(person.email)) continue;
      const followed = await db()
        .selectFrom('caseloads')
        .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
        .select(['actors.login', 'actors.organisation_id'])
        .where('caseloads.person_id', '=', person.id)
        .executeTakeFirst();
      if (followed && !seeker) {
        seeker = person.email;
        seekerPerson = person.id;
        counsellor = followed.login;
        agencyId = followed.organisation_id;
      } else if (!otherSeeker) {
        otherSeeker = person.email;
        otherPerson = person.id;
      }
    }
    assert.ok(seeker && otherSeeker && counsellor, 'two demo job seekers, one followed by a counsellor');
    partnerId = (
      await db().selectFrom('organisations').select('id').where('kind', '=', 'mission_locale').executeTakeFirstOrThrow()
    ).id;
    for (const login of [seeker, otherSeeker, counsellor, DPO, RSSI, PARTNER]) await signInAs(login);
  });

  after(async () => {
    await server?.close();
  });

  it('counts a month as a calendar month in Paris, clamped to the month’s last day', () => {
    assert.equal(calendarMonthsAfter(T0, 1).toISOString(), FIRST_DUE);
    assert.equal(calendarMonthsAfter(T0, 3).toISOString(), EXTENDED_DUE);
    // 14 March (winter time) → the end of 14 April (summer time).
    assert.equal(calendarMonthsAfter(new Date('2026-03-14T08:00:00Z'), 1).toISOString(), '2026-04-14T21:59:59.999Z');
    // Late on 31 December in Paris is already 31 December there: due the end of 31 January.
    assert.equal(calendarMonthsAfter(new Date('2025-12-31T22:30:00Z'), 1).toISOString(), '2026-01-31T22:59:59.999Z');
    assert.equal(calendarMonthsAfter(new Date('2028-01-31T12:00:00Z'), 1).toISOString(), '2028-02-29T22:59:59.999Z');
  });

  it('refuses bad input with a 400 naming the field, and writes nothing', async () => {
    const before = await Promise.all([count('rights_requests'), count('rights_request_steps'), count('ledger_events')]);
    const kind = await call(seeker, 'POST', '/api/me/rights-requests', { kind: 'vengeance' });
    assert.equal(kind.statusCode, 400, kind.body);
    assert.equal(kind.json().issues[0].field, 'body.kind');
    const channel = await call(counsellor, 'POST', '/api/staff/rights-requests', {
      personId: seekerPerson,
      kind: 'access',
      channel: 'pigeon',
    });
    assert.equal(channel.statusCode, 400, channel.body);
    assert.equal(channel.json().issues[0].field, 'body.channel');
    const unknown = await call(counsellor, 'POST', '/api/staff/rights-requests', {
      personId: '00000000-0000-4000-8000-000000000000',
      kind: 'access',
      channel: 'letter',
    });
    assert.equal(unknown.statusCode, 404, unknown.body);
    const after = await Promise.all([count('rights_requests'), count('rights_request_steps'), count('ledger_events')]);
    assert.deepEqual(after, before);
  });

  it('the person files requests from their espace: verified by the session, due one calendar month later', async () => {
    for (const [letter, kind] of [
      ['A', 'access'],
      ['C', 'rectification'],
      ['D', 'objection'],
    ] as const) {
      const res = await call(seeker, 'POST', '/api/me/rights-requests', {
        kind,
        details: `Je souhaite exercer mon droit (${kind}).`,
      });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json();
      assert.equal(body.status, 'received');
      assert.equal(body.channel, 'espace');
      assert.equal(body.dueAt, FIRST_DUE);
      assert.equal(body.paused, false);
      ids[letter] = body.id;
    }
    const row = await db().selectFrom('rights_requests').selectAll().where('id', '=', ids.A!).executeTakeFirstOrThrow();
    assert.equal(row.verification_method, 'espace_session');
    assert.ok(row.verified_by && row.verified_at === T0.toISOString());
    // The person's words are sealed at rest.
    assert.ok(!row.details!.toString('latin1').includes('exercer'));
    const received = await events('rights_request_received', seekerPerson);
    assert.equal(received.length, 3);
    assert.equal(received[0]!.details.channel, 'espace');
    assert.ok(!JSON.stringify(received).includes('exercer'), 'never the request’s words in the ledger');
  });

  it('an agency desk records a request received by letter; unverified, it waits with its clock stopped', async () => {
    const res = await call(counsellor, 'POST', '/api/staff/rights-requests', {
      personId: seekerPerson,
      kind: 'erasure',
      channel: 'letter',
      details: 'Effacez mon dossier.',
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().status, 'identity_to_confirm');
    assert.equal(res.json().clock.paused, true);
    ids.B = res.json().id;
    const other = await call(counsellor, 'POST', '/api/staff/rights-requests', {
      personId: otherPerson,
      kind: 'access',
      channel: 'phone',
    });
    assert.equal(other.statusCode, 201, other.body);
    ids.E = other.json().id;
    const verified = await call(DPO, 'POST', '/api/security/rights-requests', {
      personId: otherPerson,
      kind: 'restriction',
      channel: 'mandate',
      verification: { method: 'mandate_checked' },
    });
    assert.equal(verified.statusCode, 201, verified.body);
    assert.equal(verified.json().status, 'received');
    assert.equal(verified.json().verification.method, 'mandate_checked');
    ids.F = verified.json().id;
  });

  it('only the DPO works the queue: a counsellor and the security officer are refused', async () => {
    for (const login of [counsellor, RSSI]) {
      const list = await call(login, 'GET', '/api/security/rights-requests');
      assert.equal(list.statusCode, 403, list.body);
      const start = await call(login, 'POST', `/api/security/rights-requests/${ids.A}/start`);
      assert.equal(start.statusCode, 403, start.body);
    }
    const partner = await call(PARTNER, 'POST', '/api/staff/rights-requests', {
      personId: seekerPerson,
      kind: 'access',
      channel: 'agency_desk',
    });
    assert.equal(partner.statusCode, 403, partner.body);
    const seekerTry = await call(seeker, 'GET', '/api/security/rights-requests');
    assert.equal(seekerTry.statusCode, 403);
    const list = await desk('GET', '');
    assert.equal(list.statusCode, 200, list.body);
    const items = list.json().items as Array<{
      id: string;
      clock: { dueAt: string; daysLeft: number; overdue: boolean };
    }>;
    assert.equal(items.length, 6);
    const a = items.find((i) => i.id === ids.A)!;
    assert.equal(a.clock.dueAt, FIRST_DUE);
    assert.equal(a.clock.daysLeft, 29);
    assert.equal(a.clock.overdue, false);
    assert.deepEqual([list.json().page, list.json().pageSize, list.json().total], [1, 20, 6]);
    assert.deepEqual([list.json().open, list.json().overdue], [6, 0]);
  });

  it('pages the queue: page and pageSize bounded, 400 naming the field out of range, the same order page after page', async () => {
    const whole = (await desk('GET', '')).json().items.map((i: { id: string }) => i.id) as string[];
    const seen: string[] = [];
    for (const page of [1, 2, 3]) {
      const res = await desk('GET', `?page=${page}&pageSize=2`);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.deepEqual([body.page, body.pageSize, body.total, body.open], [page, 2, 6, 6]);
      assert.equal(body.items.length, 2);
      seen.push(...(body.items as Array<{ id: string }>).map((i) => i.id));
    }
    assert.deepEqual(seen, whole, 'the pages together are the queue, in its order');
    const past = await desk('GET', '?page=4&pageSize=2');
    assert.equal(past.statusCode, 200, past.body);
    assert.deepEqual([past.json().items.length, past.json().total], [0, 6]);
    const filtered = await desk('GET', '?status=identity_to_confirm&pageSize=1');
    assert.deepEqual([filtered.json().total, filtered.json().items.length], [2, 1]);
    for (const [query, field] of [
      ['?pageSize=101', 'query.pageSize'],
      ['?pageSize=0', 'query.pageSize'],
      ['?pageSize=1000', 'query.pageSize'],
      ['?page=0', 'query.page'],
      ['?page=-1', 'query.page'],
      ['?page=deux', 'query.page'],
    ] as const) {
      const bad = await desk('GET', query);
      assert.equal(bad.statusCode, 400, `${query}: ${bad.body}`);
      assert.deepEqual(
        (bad.json().issues as Array<{ field: string }>).map((i) => i.field),
        [field],
        query,
      );
    }
    // Paging is the DPO's desk too: the others are refused before anything is read.
    assert.equal((await call(RSSI, 'GET', '/api/security/rights-requests?page=1&pageSize=2')).statusCode, 403);
  });

  it('refuses invalid transitions with a 409 naming the state', async () => {
    const close = await desk('POST', `/${ids.A}/close`);
    assert.equal(close.statusCode, 409, close.body);
    assert.equal(close.json().error, 'invalid_transition');
    assert.match(close.json().message, /\(received\)/);
    const extend = await desk('POST', `/${ids.A}/extend`, { reasons: 'Dossier très volumineux.', notice: 'espace' });
    assert.equal(extend.statusCode, 409, extend.body);
    assert.match(extend.json().message, /\(received\)/);
    const answer = await desk('POST', `/${ids.A}/answer`, { outcome: 'granted', channel: 'espace' });
    assert.equal(answer.statusCode, 409, answer.body);
    // Unverified: it cannot start before the identity is confirmed.
    const start = await desk('POST', `/${ids.B}/start`);
    assert.equal(start.statusCode, 409, start.body);
    assert.match(start.json().message, /\(identity_to_confirm\)/);
    const view = await desk('GET', `/${ids.A}`);
    assert.deepEqual(view.json().actions, ['ask_identity', 'start']);
    for (const letter of ['A', 'C', 'D', 'F']) {
      const started = await desk('POST', `/${ids[letter]}/start`);
      assert.equal(started.statusCode, 200, started.body);
      assert.equal(started.json().status, 'in_progress');
    }
  });

  it('time spent confirming the identity moves the due date by as much', async () => {
    at(10);
    const paused = await desk('GET', `/${ids.B}`);
    assert.equal(paused.json().clock.paused, true);
    assert.equal(paused.json().clock.pausedDays, 10);
    const bad = await desk('POST', `/${ids.B}/confirm-identity`, { method: 'espace_session' });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.equal(bad.json().issues[0].field, 'body.method');
    const res = await desk('POST', `/${ids.B}/confirm-identity`, {
      method: 'identity_document_copy',
      note: 'Copie de la carte d’identité jointe au courrier.',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'in_progress');
    assert.equal(res.json().clock.paused, false);
    assert.equal(res.json().clock.dueAt, new Date(Date.parse(FIRST_DUE) + 10 * DAY).toISOString());
    assert.equal(res.json().verification.method, 'identity_document_copy');
    // Asked again later, the clock stops again and the pauses add up.
    const ask = await desk('POST', `/${ids.F}/ask-identity`, { note: 'Merci de nous adresser le mandat signé.' });
    assert.equal(ask.statusCode, 200, ask.body);
    assert.equal(ask.json().status, 'identity_to_confirm');
    at(12);
    const back = await desk('POST', `/${ids.F}/confirm-identity`, { method: 'mandate_checked' });
    assert.equal(back.json().clock.dueAt, new Date(Date.parse(FIRST_DUE) + 2 * DAY).toISOString());
  });

  it('what writes to the person needs a fresh second factor', async () => {
    at(20);
    const dpoAccount = (
      await db().selectFrom('accounts').select('id').where('login', '=', DPO).executeTakeFirstOrThrow()
    ).id;
    const passedAt = (when: Date) =>
      db()
        .updateTable('sessions')
        .set({ second_factor_at: when.toISOString() })
        .where('account_id', '=', dpoAccount)
        .execute();
    await passedAt(new Date(Date.now() - 3_600_000));
    const stale = await desk('POST', `/${ids.A}/extend`, {
      reasons: 'Dossier très volumineux à rassembler.',
      notice: 'espace',
    });
    assert.equal(stale.statusCode, 403, stale.body);
    assert.equal(stale.json().error, 'step_up_required');
    assert.equal((await desk('GET', `/${ids.A}`)).json().status, 'in_progress', 'nothing changed');
    await passedAt(new Date());
  });

  it('extends to three months only with a reasoned notice sent before the first due date', async () => {
    at(20);
    const short = await desk('POST', `/${ids.A}/extend`, { reasons: 'court', notice: 'espace' });
    assert.equal(short.statusCode, 400, short.body);
    assert.equal(short.json().issues[0].field, 'body.reasons');
    const res = await desk('POST', `/${ids.A}/extend`, {
      reasons: 'Votre dossier couvre dix ans d’accompagnement : le rassembler prend plus d’un mois.',
      notice: 'email',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'extended');
    assert.equal(res.json().clock.dueAt, EXTENDED_DUE);
    assert.equal(res.json().clock.firstDueAt, FIRST_DUE);
    // Sent to the person: in their espace, and by mail to the file's address.
    const mine = await call(seeker, 'GET', `/api/me/rights-requests/${ids.A}`);
    assert.equal(mine.json().dueAt, EXTENDED_DUE);
    const notice = (mine.json().history as Array<{ note: string | null }>).find((h) => h.note?.includes('prolongeons'));
    assert.ok(notice?.note?.includes('dix ans'), 'the reasons reach the person');
    await runtime.messages.deliverDue();
    assert.ok(
      outbox(server.env.dir).some((m) => m.subject.startsWith('Prolongation du délai') && m.body.includes('dix ans')),
    );
    const again = await desk('POST', `/${ids.A}/extend`, { reasons: 'Encore plus de temps.', notice: 'espace' });
    assert.equal(again.statusCode, 409);
    assert.match(again.json().message, /\(extended\)/);
  });

  it('answers: granted, and each refusal with its reason, legal reference and the CNIL', async () => {
    at(12);
    // An erasure of data kept under a legal obligation: Art. 17.3.b, by mail.
    const wrongReason = await desk('POST', `/${ids.B}/answer`, {
      outcome: 'refused',
      channel: 'espace',
      refusal: { reason: 'rights_of_others' },
    });
    assert.equal(wrongReason.statusCode, 400, wrongReason.body);
    assert.equal(wrongReason.json().issues[0].field, 'body.refusal.reason');
    const noReason = await desk('POST', `/${ids.B}/answer`, { outcome: 'refused', channel: 'espace' });
    assert.equal(noReason.statusCode, 400);
    assert.equal(noReason.json().issues[0].field, 'body.refusal');
    const erasure = await desk('POST', `/${ids.B}/answer`, {
      outcome: 'refused',
      channel: 'email',
      message: 'Votre dossier reste conservé pour la durée légale.',
      refusal: { reason: 'legal_obligation' },
    });
    assert.equal(erasure.statusCode, 200, erasure.body);
    assert.equal(erasure.json().status, 'answered');
    const answer = erasure.json().answer;
    assert.equal(answer.refusal.legalReference, 'RGPD art. 17.3.b');
    assert.ok(answer.text.includes('RGPD art. 17.3.b'));
    assert.ok(answer.text.includes(CNIL_COMPLAINT));
    await runtime.messages.deliverDue();
    const mail = outbox(server.env.dir).find((m) => m.subject.includes(erasure.json().reference));
    assert.ok(mail && mail.body.includes('17.3.b') && mail.body.includes('CNIL'), 'the answer went by mail');
    // Writing to the person read their address: an access in their journal.
    const reads = (await events('access_granted', seekerPerson)).filter((e) => e.details.request !== undefined);
    assert.ok(reads.length >= 2);

    // An objection: only where the processing's agreement excludes it, quoting its reference.
    const notExcluded = await desk('POST', `/${ids.D}/answer`, {
      outcome: 'refused',
      channel: 'espace',
      refusal: { reason: 'objection_excluded', organisationId: partnerId, purpose: 'accompagnement_jeunes' },
    });
    assert.equal(notExcluded.statusCode, 409, notExcluded.body);
    assert.equal(notExcluded.json().error, 'objection_not_excluded');
    const unnamed = await desk('POST', `/${ids.D}/answer`, {
      outcome: 'refused',
      channel: 'espace',
      refusal: { reason: 'objection_excluded' },
    });
    assert.equal(unnamed.statusCode, 400);
    assert.equal(unnamed.json().issues[0].field, 'body.refusal.organisationId');
    const objection = await desk('POST', `/${ids.D}/answer`, {
      outcome: 'refused',
      channel: 'letter',
      refusal: { reason: 'objection_excluded', organisationId: agencyId, purpose: 'accompagnement' },
    });
    assert.equal(objection.statusCode, 200, objection.body);
    assert.equal(objection.json().answer.refusal.legalReference, AGENCY_OBJECTION_EXCLUDED);
    assert.ok(objection.json().answer.text.includes(AGENCY_OBJECTION_EXCLUDED));
    assert.ok(objection.json().answer.text.includes('CNIL'));
    const letter = await desk('GET', `/${ids.D}/letter`);
    assert.equal(letter.statusCode, 200, letter.body);
    assert.equal(letter.headers['content-type'], 'application/pdf');
    assert.equal(letter.rawPayload.subarray(0, 5).toString(), '%PDF-');

    // Identity never confirmed: the only answer from identity_to_confirm.
    const early = await desk('POST', `/${ids.E}/answer`, {
      outcome: 'refused',
      channel: 'espace',
      refusal: { reason: 'manifestly_unfounded' },
    });
    assert.equal(early.statusCode, 409);
    assert.match(early.json().message, /\(identity_to_confirm\)/);
    const identity = await desk('POST', `/${ids.E}/answer`, {
      outcome: 'refused',
      channel: 'espace',
      refusal: { reason: 'identity_not_confirmed' },
    });
    assert.equal(identity.statusCode, 200, identity.body);
    assert.equal(identity.json().answer.refusal.legalReference, 'RGPD art. 11.2 et 12.6');
    assert.ok(identity.json().answer.text.includes('CNIL'));

    // Partly granted is a partial refusal: its reason too. A restriction granted, even in part,
    // names the classes it restricts: required, known classes only, and for a restriction only.
    const restrictionsOf = async (personId: string) =>
      (
        await db()
          .selectFrom('person_restrictions')
          .select(['class', 'rights_request_id'])
          .where('person_id', '=', personId)
          .orderBy('class')
          .execute()
      ).map((r) => `${r.class}:${r.rights_request_id}`);
    const unnamedClasses = await desk('POST', `/${ids.F}/answer`, {
      outcome: 'partly_granted',
      channel: 'espace',
      refusal: { reason: 'manifestly_unfounded' },
    });
    assert.equal(unnamedClasses.statusCode, 400, unnamedClasses.body);
    assert.equal(unnamedClasses.json().issues[0].field, 'body.restrictedClasses');
    for (const restrictedClasses of [[], ['adresse'], ['contact', 'contact']]) {
      const bad = await desk('POST', `/${ids.F}/answer`, {
        outcome: 'partly_granted',
        channel: 'espace',
        refusal: { reason: 'manifestly_unfounded' },
        restrictedClasses,
      });
      assert.equal(bad.statusCode, 400, `${JSON.stringify(restrictedClasses)}: ${bad.body}`);
      assert.ok(
        (bad.json().issues as Array<{ field: string }>).every((i) => i.field.startsWith('body.restrictedClasses')),
        bad.body,
      );
    }
    const refusedWithClasses = await desk('POST', `/${ids.F}/answer`, {
      outcome: 'refused',
      channel: 'espace',
      refusal: { reason: 'manifestly_unfounded' },
      restrictedClasses: ['contact'],
    });
    assert.equal(refusedWithClasses.statusCode, 400, refusedWithClasses.body);
    assert.equal(refusedWithClasses.json().issues[0].field, 'body.restrictedClasses');
    assert.equal((await desk('GET', `/${ids.F}`)).json().status, 'in_progress', 'nothing answered');
    assert.deepEqual(await restrictionsOf(otherPerson), [], 'nothing restricted');
    assert.deepEqual(await events('processing_restricted', otherPerson), []);

    const partly = await desk('POST', `/${ids.F}/answer`, {
      outcome: 'partly_granted',
      channel: 'espace',
      refusal: { reason: 'manifestly_unfounded' },
      restrictedClasses: ['contact'],
    });
    assert.equal(partly.statusCode, 200, partly.body);
    assert.equal(partly.json().answer.refusal.legalReference, 'RGPD art. 12.5.b');
    assert.ok(partly.json().answer.text.includes(CNIL_COMPLAINT));
    assert.deepEqual(partly.json().answer.restrictedClasses, ['contact']);
    assert.match(
      partly.json().answer.text,
      /Limitation du traitement\nLe traitement des données suivantes de votre dossier est limité : Coordonnées\./,
    );
    assert.match(partly.json().answer.text, /art\. 18\.2/);
    assert.deepEqual(await restrictionsOf(otherPerson), [`contact:${ids.F}`]);
    const restricted = await events('processing_restricted', otherPerson);
    assert.equal(restricted.length, 1);
    assert.equal(restricted[0]!.details.rightsRequestId, ids.F);
    const answeredF = (await events('rights_request_answered', otherPerson)).find(
      (e) => e.details.requestId === ids.F,
    )!;
    assert.equal(answeredF.details.restrictedClasses, 'contact');
    assert.ok(!JSON.stringify(restricted).includes('limitation accordée'), 'the reason stays out of the log');

    // No other kind of request restricts anything.
    const notARestriction = await desk('POST', `/${ids.A}/answer`, {
      outcome: 'granted',
      channel: 'espace',
      restrictedClasses: ['contact'],
    });
    assert.equal(notARestriction.statusCode, 400, notARestriction.body);
    assert.equal(notARestriction.json().issues[0].field, 'body.restrictedClasses');
  });

  it('a restriction granted is set in the answer’s transaction: when either write fails, neither is kept', async () => {
    const filed = await desk('POST', '', {
      personId: otherPerson,
      kind: 'restriction',
      channel: 'letter',
      verification: { method: 'identity_document_copy' },
    });
    assert.equal(filed.statusCode, 201, filed.body);
    ids.G = filed.json().id;
    assert.equal((await desk('POST', `/${ids.G}/start`)).statusCode, 200);
    const state = async () => ({
      status: (await desk('GET', `/${ids.G}`)).json().status as string,
      restrictions: (
        await db().selectFrom('person_restrictions').select('class').where('person_id', '=', otherPerson).execute()
      )
        .map((r) => r.class)
        .sort(),
      restricted: (await events('processing_restricted', otherPerson)).length,
      answered: (await events('rights_request_answered', otherPerson)).filter((e) => e.details.requestId === ids.G)
        .length,
      steps: await count('rights_request_steps'),
    });
    const before = await state();
    assert.deepEqual(
      [before.status, before.restrictions, before.restricted, before.answered],
      ['in_progress', ['contact'], 1, 0],
    );
    // The restriction cannot be written: the answer is not written either.
    let undo = await failInserts('person_restrictions');
    const noRestriction = await desk('POST', `/${ids.G}/answer`, {
      outcome: 'granted',
      channel: 'espace',
      restrictedClasses: ['identity'],
    });
    await undo();
    assert.equal(noRestriction.statusCode, 500, noRestriction.body);
    assert.deepEqual(await state(), before);
    // The answer's mail cannot be queued, after the restriction was written: the restriction goes too.
    undo = await failInserts('outgoing_messages');
    const noMail = await desk('POST', `/${ids.G}/answer`, {
      outcome: 'granted',
      channel: 'email',
      restrictedClasses: ['identity'],
    });
    await undo();
    assert.equal(noMail.statusCode, 500, noMail.body);
    assert.deepEqual(await state(), before);

    const granted = await desk('POST', `/${ids.G}/answer`, {
      outcome: 'granted',
      channel: 'espace',
      restrictedClasses: ['identity', 'contact'],
    });
    assert.equal(granted.statusCode, 200, granted.body);
    assert.deepEqual(granted.json().answer.restrictedClasses, ['identity', 'contact']);
    const after = await state();
    assert.deepEqual(
      [after.status, after.restrictions, after.restricted, after.answered],
      ['answered', ['contact', 'identity'], 2, 1],
    );
    // A class already restricted keeps its first restriction; the event names the one added.
    const [, second] = await events('processing_restricted', otherPerson);
    assert.equal(second!.details.rightsRequestId, ids.G);
    const body = (
      await db()
        .selectFrom('ledger_events')
        .select('body')
        .where('kind', '=', 'processing_restricted')
        .where('person_id', '=', otherPerson)
        .execute()
    ).map((e) => (JSON.parse(e.body) as { classes: string[] }).classes);
    assert.deepEqual(body.sort(), [['contact'], ['identity']]);
  });

  it('an extension after the first due date is refused; an overdue request alerts the DPO once', async () => {
    at(30);
    const late = await desk('POST', `/${ids.C}/extend`, {
      reasons: 'Trop de demandes en ce moment.',
      notice: 'espace',
    });
    assert.equal(late.statusCode, 409, late.body);
    assert.equal(late.json().error, 'extension_too_late');
    const overdue = await desk('GET', '?overdue=true');
    assert.deepEqual(
      (overdue.json().items as Array<{ id: string }>).map((i) => i.id),
      [ids.C],
    );
    const c = (overdue.json().items as Array<{ clock: { overdue: boolean; label: string; daysLeft: number } }>)[0]!;
    assert.equal(c.clock.overdue, true);
    assert.match(c.clock.label, /en retard de 1 jour/);
    assert.equal(await runtime.rightsRequests.alertOverdue(), 1);
    assert.equal(await runtime.rightsRequests.alertOverdue(), 0, 'once');
    const alerts = await events('rights_request_overdue', seekerPerson);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.details.requestId, ids.C);
    const sent = await db()
      .selectFrom('notifications')
      .select(['recipient', 'subject'])
      .where('kind', '=', 'rights_request_overdue')
      .execute();
    assert.equal(sent.length, 1, 'the one DPO of the network, on their verified address');
    assert.match(sent[0]!.subject, /en retard/);
    // Answered late, it says so.
    at(31);
    const answered = await desk('POST', `/${ids.C}/answer`, {
      outcome: 'granted',
      channel: 'espace',
      message: 'Adresse corrigée.',
    });
    assert.equal(answered.statusCode, 200, answered.body);
    assert.equal(answered.json().answer.late, true);
    assert.equal(answered.json().clock.label, 'répondu après l’échéance');
    at(40);
    assert.equal(await runtime.rightsRequests.alertOverdue(), 0);
    const granted = await desk('POST', `/${ids.A}/answer`, {
      outcome: 'granted',
      channel: 'espace',
      message: 'Vous trouverez votre dossier complet dans votre espace, rubrique « Mon dossier ».',
    });
    assert.equal(granted.statusCode, 200, granted.body);
    assert.equal(granted.json().answer.refusal, null);
    assert.ok(!granted.json().answer.text.includes('CNIL'));
    assert.equal(granted.json().answer.late, false);
  });

  it('an access granted gives the copy of the data: the espace’s download, and the letter’s annex read through the pipeline and recorded', async () => {
    // In the espace: the answer links to « Télécharger mes données », and says how to get it on paper.
    const mine = await call(seeker, 'GET', `/api/me/rights-requests/${ids.A}`);
    assert.equal(mine.statusCode, 200, mine.body);
    const answer = mine.json().answer;
    assert.deepEqual(answer.dataCopy, {
      href: '/api/me/export',
      page: '/mon-espace/securite',
      label: 'Télécharger mes données',
    });
    assert.match(answer.text, /Copie de vos données/);
    assert.match(answer.text, /« Télécharger mes données »/);
    assert.match(answer.text, /art\. 15\.3/);
    const exported = await call(seeker, 'GET', answer.dataCopy.href);
    assert.equal(exported.statusCode, 200);
    assert.ok(exported.json().file.fields.identity, 'the download holds the file');
    // No copy with a refusal, nor with another kind of request.
    const refusedAccess = (await desk('GET', `/${ids.E}`)).json().answer;
    assert.equal(refusedAccess.dataCopy, null);
    assert.ok(!refusedAccess.text.includes('Copie de vos données'));
    assert.equal((await desk('GET', `/${ids.B}`)).json().answer.dataCopy, null);

    // The letter carries the copy: the whole file read once, recorded before anything is decrypted.
    const held = await db()
      .selectFrom('person_fields')
      .select('field_class')
      .where('person_id', '=', seekerPerson)
      .execute();
    const copiesBefore = (await accessEvents(seekerPerson)).filter((e) => e.operation === 'copy_to_person').length;
    const letter = await desk('GET', `/${ids.A}/letter`);
    assert.equal(letter.statusCode, 200, letter.body);
    assert.equal(letter.rawPayload.subarray(0, 5).toString(), '%PDF-');
    const copies = (await accessEvents(seekerPerson)).filter((e) => e.operation === 'copy_to_person');
    assert.equal(copies.length, copiesBefore + 1);
    const copy = copies.at(-1)!;
    assert.equal(copy.purpose, 'rights_request_answer');
    assert.equal(copy.details.request, (await desk('GET', `/${ids.A}`)).json().reference);
    assert.deepEqual([...copy.classes].sort(), held.map((h) => h.field_class).sort(), 'every class the file holds');
    const pages = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;
    // An objection's letter (D) reads the address only, and has no annex.
    const addressReads = (await accessEvents(seekerPerson)).length;
    const objection = await desk('GET', `/${ids.D}/letter`);
    assert.equal(objection.statusCode, 200);
    const after = await accessEvents(seekerPerson);
    assert.equal(after.length, addressReads + 1);
    assert.equal(after.at(-1)!.operation, 'write_to_person');
    assert.deepEqual([...after.at(-1)!.classes].sort(), ['contact', 'identity']);
    assert.ok(pages(letter.rawPayload) > pages(objection.rawPayload), 'the copy is an annex of its own');

    // Answered by letter, the posted letter carries the copy itself: the whole file read once, recorded.
    const byLetter = await desk('POST', '', {
      personId: seekerPerson,
      kind: 'access',
      channel: 'letter',
      verification: { method: 'identity_document_copy' },
    });
    assert.equal(byLetter.statusCode, 201, byLetter.body);
    ids.H = byLetter.json().id;
    const referenceH = byLetter.json().reference as string;
    assert.equal((await desk('POST', `/${ids.H}/start`)).statusCode, 200);
    const posted = await desk('POST', `/${ids.H}/answer`, { outcome: 'granted', channel: 'letter' });
    assert.equal(posted.statusCode, 200, posted.body);
    const readsForH = (await accessEvents(seekerPerson)).filter((e) => e.details.request === referenceH);
    assert.deepEqual(
      readsForH.map((e) => e.operation),
      ['copy_to_person'],
      'one recorded read of the whole file, no separate address read',
    );
    await runtime.messages.deliverDue();
    const sent = outbox(server.env.dir).find((m) => m.channel === 'letter' && m.subject.includes(referenceH));
    assert.ok(sent, 'the letter went to the post');
    assert.match(sent.body, /Annexe : copie de vos données \(RGPD art\. 15\.3\)/);
    const own = exported.json().file.fields;
    assert.ok(sent.body.includes(own.registration.franceTravailId), 'the data itself is in the letter');
    const real = await runtime.persons.read(seekerPerson, ['bank']);
    if (real.fields.bank) assert.ok(!sent.body.includes(real.fields.bank.iban), 'the IBAN is masked');
  });

  it('closes answered requests, and nothing after', async () => {
    const closed = await desk('POST', `/${ids.E}/close`);
    assert.equal(closed.statusCode, 200, closed.body);
    assert.equal(closed.json().status, 'closed');
    assert.deepEqual(closed.json().actions, []);
    const again = await desk('POST', `/${ids.E}/close`);
    assert.equal(again.statusCode, 409);
    assert.match(again.json().message, /\(closed\)/);
    const history = (await desk('GET', `/${ids.E}`)).json().history as Array<{ action: string; to: string }>;
    assert.deepEqual(
      history.map((h) => `${h.action}→${h.to}`),
      ['receive→identity_to_confirm', 'answer→answered', 'close→closed'],
    );
  });

  it('the person sees their requests and answers in their espace; another person sees none of them', async () => {
    const mine = await call(seeker, 'GET', '/api/me/rights-requests');
    assert.equal(mine.statusCode, 200, mine.body);
    const items = mine.json().items as Array<{ id: string; status: string; answer: { text: string } | null }>;
    assert.deepEqual(new Set(items.map((i) => i.id)), new Set([ids.A, ids.B, ids.C, ids.D, ids.H]));
    const b = items.find((i) => i.id === ids.B)!;
    assert.equal(b.status, 'answered');
    assert.ok(b.answer!.text.includes('RGPD art. 17.3.b') && b.answer!.text.includes('CNIL'));
    assert.ok(!JSON.stringify(mine.json()).includes('"accountId"'), 'no agent’s account in the person’s view');
    const theirs = await call(otherSeeker, 'GET', `/api/me/rights-requests/${ids.A}`);
    assert.equal(theirs.statusCode, 404);
    const list = await call(otherSeeker, 'GET', '/api/me/rights-requests');
    assert.deepEqual(
      new Set((list.json().items as Array<{ id: string }>).map((i) => i.id)),
      new Set([ids.E, ids.F, ids.G]),
    );
    const staff = await call(counsellor, 'GET', '/api/me/rights-requests');
    assert.equal(staff.statusCode, 403);
  });

  it('every step is an event of the person’s journal', async () => {
    const received = await events('rights_request_received', seekerPerson);
    const transitions = await events('rights_request_transition', seekerPerson);
    const answered = await events('rights_request_answered', seekerPerson);
    assert.equal(received.length, 5);
    // A, C, D, H started; B confirmed; A extended.
    assert.equal(transitions.length, 6);
    assert.equal(answered.length, 5);
    const b = answered.find((e) => e.details.requestId === ids.B)!;
    assert.equal(b.details.reason, 'legal_obligation');
    assert.equal(b.details.legalReference, 'RGPD art. 17.3.b');
    assert.equal(b.details.cnilMentioned, true);
    const journal = await call(seeker, 'GET', '/api/me/journal?pageSize=100');
    assert.equal(journal.statusCode, 200, journal.body);
    const kinds = new Set((journal.json().entries as Array<{ event: { kind: string } }>).map((e) => e.event.kind));
    for (const kind of KINDS) assert.ok(kinds.has(kind), `${kind} in the journal`);
  });

  it('the daily check is one of the fleet’s background jobs', () => {
    const names = backgroundJobs(runtime, () => {}).map((j) => j.name);
    assert.ok(names.includes('rights.overdue'));
  });

  it('documents its routes in the OpenAPI description', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    for (const path of [
      '/api/me/rights-requests',
      '/api/staff/rights-requests/',
      '/api/security/rights-requests/',
      '/api/security/rights-requests/{id}/answer',
      '/api/security/rights-requests/{id}/letter',
    ])
      assert.ok(doc.paths[path], path);
  });

  it('an agreement that excludes objection must name the reference that excludes it', () => {
    const file = {
      format: 'rempart.agreement/v1',
      organisation: '00000000-0000-4000-8000-000000000001',
      reference: 'TEST-1',
      version: 1,
      legalBasis: 'Code du travail',
      purposes: [
        {
          purpose: 'accompagnement',
          label: 'Accompagnement',
          roles: ['counsellor'],
          read: ['identity'],
          write: [],
          relationship: 'caseload',
          dailyCeiling: 10,
          retentionDays: 30,
          objection: { allowed: false },
        },
      ],
      dpoContact: 'dpo@example.org',
      securityContact: 'rssi@example.org',
      validFrom: '2026-01-01',
      validUntil: '2027-01-01',
    };
    assert.throws(
      () => validateAgreementFile(file),
      (e: { issues?: Array<{ field: string }> }) => e.issues?.[0]?.field === 'purposes.0.objection.legalReference',
    );
    file.purposes[0]!.objection = { allowed: false, legalReference: 'Code du travail, art. L. 5312-1' } as never;
    assert.equal(validateAgreementFile(file).purposes[0]!.objection?.legalReference, 'Code du travail, art. L. 5312-1');
  });
});
