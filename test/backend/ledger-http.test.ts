import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import {
  openSignedCheckpoint,
  verifyCheckpointPair,
  verifyEventInclusion,
  WitnessError,
  type PublicEvent,
} from '../../src/ledger/index.ts';
import { journalLeafHash } from '../../src/privacy/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { demoPersons, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents, ledgerText } from '../helpers/ledger.ts';
import { messagesTo } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 7;
const PURPOSE = 'accompagnement';
const CASE = 'DOSSIER-2026-0777';
const DPO_CONTACT = 'dpo@rempart.example';

interface JournalEntryView {
  event: PublicEvent;
  organisation: { id: string; name: string } | null;
  purposeLabel: string | null;
  index: number;
  proof: string[];
  pending: boolean;
}
interface JournalPageView {
  page: number;
  pageSize: number;
  total: number;
  checkpoint: { size: number; note: string } | null;
  verifierKey: string;
  entries: JournalEntryView[];
  pending: number;
}

describe(`the ledger over HTTP: fail closed, journal, reports, public proofs (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const db = () => runtime.database.db;

  /** The counsellor following the first demo job seeker that has one. */
  let counsellor = '';
  let counsellorActor = '';
  let counsellorAccount = '';
  let counsellorOrg = '';
  let counsellorOrgName = '';
  /** A demo job seeker (with a sign-in account) in the counsellor's caseload. */
  let seekerLogin = '';
  let seekerPerson = '';
  /** Another person of the same caseload, without an account. */
  let otherPerson = '';

  const DPO = 'dpo.na';
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  let host = 40;

  async function signInAs(login: string): Promise<void> {
    clients[login] = {
      remoteAddress: `10.20.30.${++host}`,
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    sessions[login] = await signIn(app, clients[login], login, DEMO_PASSWORD);
  }

  type Method = 'GET' | 'POST' | 'PATCH';
  function call(login: string, method: Method, url: string, options: { purpose?: string; payload?: object } = {}) {
    const headers: Record<string, string> = {
      ...clients[login]!.headers,
      cookie: sessions[login]!.cookie,
      'x-csrf-token': sessions[login]!.csrf,
    };
    if (options.purpose) {
      headers['rempart-purpose'] = options.purpose;
      headers['rempart-case-reference'] = CASE;
    }
    return app.inject({
      method,
      url,
      remoteAddress: clients[login]!.remoteAddress,
      headers,
      ...(options.payload ? { payload: options.payload } : {}),
    });
  }
  const readFile = (personId: string, login = counsellor) =>
    call(login, 'GET', `/api/staff/persons/${personId}`, { purpose: PURPOSE });

  /** The ledger cannot take any event while `work` runs: its table is renamed away, then back. */
  async function withLedgerOff<T>(work: () => Promise<T>): Promise<T> {
    await sql`ALTER TABLE ledger_events RENAME TO ledger_events_off`.execute(db());
    try {
      return await work();
    } finally {
      await sql`ALTER TABLE ledger_events_off RENAME TO ledger_events`.execute(db());
    }
  }

  const eventCount = async () => (await ledgerEvents(db())).length;

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 60,
      seed: SEED,
      batchSize: 60,
      parallel: false,
    });
    // The demo's sign-in accounts: every staff member of the network, and the first job seekers.
    const shown = await ensureDemoAccounts(runtime, SEED);
    const seekers = new Set(shown.map((s) => s.login));
    for (const person of await demoPersons(db(), SEED, 5)) {
      if (!seekers.has(person.email)) continue;
      const followed = await db()
        .selectFrom('caseloads')
        .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
        .select(['actors.id as actorId', 'actors.login', 'actors.organisation_id'])
        .where('caseloads.person_id', '=', person.id)
        .executeTakeFirst();
      if (!followed) continue;
      seekerLogin = person.email;
      seekerPerson = person.id;
      counsellor = followed.login;
      counsellorActor = followed.actorId;
      counsellorOrg = followed.organisation_id;
      break;
    }
    assert.ok(seekerPerson, 'a demo job seeker is in a counsellor’s caseload');
    const others = await db()
      .selectFrom('caseloads')
      .select('person_id')
      .where('actor_id', '=', counsellorActor)
      .where('person_id', '!=', seekerPerson)
      .orderBy('person_id')
      .execute();
    assert.ok(others.length > 0, 'the counsellor follows someone else too');
    otherPerson = others[0]!.person_id;
    counsellorOrgName = (
      await db().selectFrom('organisations').select('name').where('id', '=', counsellorOrg).executeTakeFirstOrThrow()
    ).name;
    counsellorAccount = (
      await db().selectFrom('accounts').select('id').where('login', '=', counsellor).executeTakeFirstOrThrow()
    ).id;
    await signInAs(counsellor);
    await signInAs(DPO);
    await signInAs(seekerLogin);
    assert.equal(sessions[seekerLogin]!.totpSecret, undefined, 'the demo job seeker has no second factor to pass');
  });
  after(() => server.close());

  it('fail closed, read: no ledger, no file (503 ledger_unavailable, no value in the answer); the read works again once it is back', async () => {
    const ok = await readFile(otherPerson);
    assert.equal(ok.statusCode, 200, ok.body);
    const identity = ok.json().fields.identity as { lastName: string; firstNames: string[] };
    const email = ok.json().fields.contact?.email as string | undefined;
    const values = [identity.lastName, identity.firstNames[0]!, ...(email ? [email] : [])];
    assert.ok(values.every((v) => v.length >= 2));

    const before = await eventCount();
    const off = await withLedgerOff(() => readFile(otherPerson));
    assert.equal(off.statusCode, 503, off.body);
    assert.equal(off.json().error, 'ledger_unavailable');
    assert.equal(off.json().requestId, off.headers['x-request-id']);
    assert.equal(off.json().fields, undefined);
    for (const value of values) assert.ok(!off.body.includes(value), 'no value of the person leaves without its event');
    assert.equal(await eventCount(), before, 'the refused read left no event');

    const again = await readFile(otherPerson);
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().fields.identity.lastName, identity.lastName);
    assert.equal(await eventCount(), before + 1);
  });

  it('fail closed, write: the PATCH answers 503 and changes nothing, with no event for it', async () => {
    const current = (await runtime.persons.read(otherPerson, ['follow_up'])).fields.follow_up;
    const snapshot = async () =>
      (
        await db()
          .selectFrom('person_fields')
          .select(['field_class', 'ciphertext'])
          .where('person_id', '=', otherPerson)
          .orderBy('field_class')
          .execute()
      ).map((r) => `${r.field_class}:${Buffer.from(r.ciphertext).toString('base64')}`);
    const stored = await snapshot();
    const writesBefore = (await ledgerEvents(db(), 'access_granted')).filter(
      (e) => e.details.operation === 'write',
    ).length;
    const followUp = {
      orientation: current?.orientation === 'renforce' ? 'guide' : 'renforce',
      appointments: [{ date: '2026-04-07', kind: 'entretien' }],
      actions: [],
    };

    const off = await withLedgerOff(() =>
      call(counsellor, 'PATCH', `/api/staff/persons/${otherPerson}`, {
        purpose: PURPOSE,
        payload: { follow_up: followUp },
      }),
    );
    assert.equal(off.statusCode, 503, off.body);
    assert.equal(off.json().error, 'ledger_unavailable');

    assert.deepEqual(await snapshot(), stored, 'the stored file is byte for byte what it was');
    assert.deepEqual((await runtime.persons.read(otherPerson, ['follow_up'])).fields.follow_up, current);
    const read = await readFile(otherPerson);
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json().fields.follow_up, current, 'read back over HTTP, unchanged');
    const writes = (await ledgerEvents(db(), 'access_granted')).filter((e) => e.details.operation === 'write');
    assert.equal(writes.length, writesBefore, 'no write event was recorded');
    assert.ok(!writes.some((e) => e.body.caseReference === CASE && e.details.personId === otherPerson));

    // The same write, ledger back: it happens, with its event.
    const ok = await call(counsellor, 'PATCH', `/api/staff/persons/${otherPerson}`, {
      purpose: PURPOSE,
      payload: { follow_up: followUp },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.notDeepEqual(await snapshot(), stored);
    assert.equal(
      (await ledgerEvents(db(), 'access_granted')).filter((e) => e.details.operation === 'write').length,
      writesBefore + 1,
    );
  });

  it('fail closed, search and caseload list: 503 with no result while the ledger is off', async () => {
    const ftId = (await runtime.persons.read(otherPerson, ['registration'])).fields.registration!.franceTravailId;
    const found = await call(counsellor, 'POST', '/api/staff/persons/search', {
      purpose: PURPOSE,
      payload: { franceTravailId: ftId },
    });
    assert.equal(found.statusCode, 200, found.body);
    assert.deepEqual(
      found.json().results.map((r: { id: string }) => r.id),
      [otherPerson],
    );
    const lastName = found.json().results[0].identity.lastName as string;
    const list = await call(counsellor, 'GET', '/api/staff/caseload?pageSize=100', { purpose: PURPOSE });
    assert.equal(list.statusCode, 200, list.body);
    assert.ok(list.json().items.some((i: { id: string }) => i.id === otherPerson));

    const before = await eventCount();
    const [search, caseload] = await withLedgerOff(async () => [
      await call(counsellor, 'POST', '/api/staff/persons/search', {
        purpose: PURPOSE,
        payload: { franceTravailId: ftId },
      }),
      await call(counsellor, 'GET', '/api/staff/caseload?pageSize=100', { purpose: PURPOSE }),
    ]);
    for (const res of [search!, caseload!]) {
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.json().error, 'ledger_unavailable');
      assert.equal(res.json().results, undefined);
      assert.equal(res.json().items, undefined);
      assert.ok(!res.body.includes(otherPerson), 'no person id in the answer');
      assert.ok(!res.body.includes(lastName));
    }
    assert.equal(await eventCount(), before);
  });

  it('every granted read writes its event before the answer: who, what, why, from where; never a value', async () => {
    const seen: number[] = [];
    const original = runtime.persons.open.bind(runtime.persons);
    runtime.persons.open = async (file, classes) => {
      // When the store is asked to decrypt, the grant is already in the ledger.
      if (file.id === otherPerson)
        seen.push(
          (await ledgerEvents(db(), 'access_granted')).filter(
            (e) => e.details.personId === otherPerson && e.body.classes.join(',') === 'identity,follow_up',
          ).length,
        );
      return original(file, classes);
    };
    let res;
    const grantsBefore = (await ledgerEvents(db(), 'access_granted')).filter(
      (e) => e.details.personId === otherPerson && e.body.classes.join(',') === 'identity,follow_up',
    ).length;
    try {
      res = await call(counsellor, 'GET', `/api/staff/persons/${otherPerson}?classes=identity,follow_up`, {
        purpose: PURPOSE,
      });
    } finally {
      runtime.persons.open = original;
    }
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(seen, [grantsBefore + 1], 'the event was committed before the file was decrypted');
    const requestId = res.headers['x-request-id'];
    assert.equal(typeof requestId, 'string');

    const granted = (await ledgerEvents(db(), 'access_granted')).find((e) => e.body.restricted.requestId === requestId);
    assert.ok(granted, 'the grant names the request id of the answer');
    assert.equal(granted.body.person, otherPerson);
    assert.equal(granted.body.purpose, PURPOSE);
    assert.equal(granted.body.caseReference, CASE);
    assert.equal(granted.body.operation, 'read');
    assert.deepEqual([...granted.body.classes].sort(), Object.keys(res.json().fields).sort());
    assert.deepEqual(granted.body.classes, ['identity', 'follow_up'], 'the classes actually returned');
    assert.deepEqual(granted.body.classes, res.json().decision.classes);
    assert.equal(granted.body.organisation, counsellorOrg);
    assert.equal(granted.body.restricted.actor, counsellorActor);
    assert.equal(granted.body.restricted.account, counsellorAccount);
    assert.equal(granted.body.restricted.address, clients[counsellor]!.remoteAddress);
    assert.ok(Math.abs(Date.parse(granted.at) - Date.now()) < 60_000);

    // No field value of the person, anywhere in the ledger.
    const all = await runtime.persons.read(otherPerson, ['identity', 'nir', 'contact', 'registration', 'bank']);
    const values = [
      all.fields.identity!.lastName,
      all.fields.identity!.birthDate,
      all.fields.nir?.nir,
      all.fields.contact?.email,
      all.fields.contact?.phone,
      all.fields.registration?.franceTravailId,
      all.fields.bank?.iban,
    ].filter((v): v is string => typeof v === 'string' && v.length > 0);
    assert.ok(values.length >= 4, 'values to look for');
    const text = await ledgerText(db());
    for (const value of values) assert.ok(!text.includes(value), 'a value of the person leaked into the ledger');
  });

  let readEventId = '';
  it('the job seeker’s journal shows the access (organisation, purpose, classes, date), each entry proven against a signed checkpoint', async () => {
    const res = await readFile(seekerPerson);
    assert.equal(res.statusCode, 200, res.body);
    const granted = (await ledgerEvents(db(), 'access_granted')).find(
      (e) => e.body.restricted.requestId === res.headers['x-request-id'],
    );
    assert.ok(granted);
    readEventId = granted.id;

    // Served with the last signed checkpoint, never one signed for the visit (issue 20: 624 checkpoints in
    // 5 minutes): the read just made is shown at once, pending, without a proof, however often the page is opened.
    const signedBefore = (await runtime.ledger.checkpoints({ limit: 1000 })).length;
    for (let visit = 0; visit < 5; visit++) {
      const view = await call(seekerLogin, 'GET', '/api/me/journal');
      assert.equal(view.statusCode, 200, view.body);
      const waiting = view.json() as JournalPageView;
      const fresh = waiting.entries.find((e) => e.event.id === readEventId);
      assert.ok(fresh, 'the access is in the journal before any checkpoint covers it');
      assert.equal(fresh.pending, true);
      assert.deepEqual(fresh.proof, []);
      assert.ok(waiting.pending >= 1);
      assert.ok(
        !waiting.checkpoint || waiting.checkpoint.size <= fresh.index,
        'the page’s checkpoint does not cover it',
      );
      for (const covered of waiting.entries.filter((e) => !e.pending)) {
        verifyEventInclusion(
          waiting.checkpoint!.note,
          waiting.verifierKey,
          BigInt(covered.index),
          journalLeafHash(covered.event),
          covered.proof.map((p) => Buffer.from(p, 'base64')),
        );
      }
    }
    assert.equal(
      (await runtime.ledger.checkpoints({ limit: 1000 })).length,
      signedBefore,
      'five visits signed nothing',
    );
    // The server's schedule signs the next checkpoint; from then on the entry has its proof.
    await runtime.ledger.checkpoint();

    const journal = await call(seekerLogin, 'GET', '/api/me/journal');
    assert.equal(journal.statusCode, 200, journal.body);
    const page = journal.json() as JournalPageView;
    assert.ok(page.checkpoint, 'a checkpoint covers the page');
    assert.equal(page.pending, 0);
    assert.ok(page.entries.every((e) => !e.pending && e.proof.length > 0));
    assert.equal(page.verifierKey, runtime.ledger.verifierKey);
    assert.ok(page.total >= 1);
    assert.ok(page.entries.length >= 1);
    assert.ok(
      page.entries.every((e) => e.event.person === seekerPerson),
      'only the job seeker’s own events',
    );
    const entry = page.entries.find((e) => e.event.id === readEventId);
    assert.ok(entry, 'the counsellor’s read is in the journal');
    assert.equal(entry.event.kind, 'access_granted');
    assert.deepEqual(entry.organisation, { id: counsellorOrg, name: counsellorOrgName });
    assert.equal(entry.event.purpose, PURPOSE);
    assert.equal(entry.purposeLabel, 'Accompagnement vers l’emploi', 'the purpose in words, from the agreement');
    assert.equal(entry.event.caseReference, CASE);
    assert.deepEqual(entry.event.classes, res.json().decision.classes);
    assert.equal(entry.event.at, granted.at);
    assert.ok(Math.abs(Date.parse(entry.event.at) - Date.now()) < 60_000);

    // Who acted and from where: a digest only, in this entry and anywhere in the answer.
    assert.equal(typeof entry.event.restricted, 'string');
    assert.match(entry.event.restricted, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!journal.body.includes(counsellorActor), 'no staff actor id');
    assert.ok(!journal.body.includes(counsellorAccount), 'no staff account id');
    assert.ok(!journal.body.includes(clients[counsellor]!.remoteAddress), 'no staff client address');
    assert.ok(!journal.body.includes(String(res.headers['x-request-id'])), 'no request id of the staff request');

    // Every proof checks offline, with the public key only; an altered entry does not.
    const proofOf = (e: JournalEntryView) => e.proof.map((p) => Buffer.from(p, 'base64'));
    for (const e of page.entries) {
      const checkpoint = verifyEventInclusion(
        page.checkpoint.note,
        page.verifierKey,
        BigInt(e.index),
        journalLeafHash(e.event),
        proofOf(e),
      );
      assert.equal(Number(checkpoint.size), page.checkpoint.size);
    }
    const purpose = entry.event.purpose!;
    const altered = { ...entry.event, purpose: purpose.slice(0, -1) + (purpose.endsWith('x') ? 'y' : 'x') };
    assert.throws(
      () =>
        verifyEventInclusion(
          page.checkpoint!.note,
          page.verifierKey,
          BigInt(entry.index),
          journalLeafHash(altered),
          proofOf(entry),
        ),
      WitnessError,
    );
    assert.throws(
      () =>
        verifyEventInclusion(
          page.checkpoint!.note,
          page.verifierKey,
          BigInt(entry.index) + 1n,
          journalLeafHash(entry.event),
          proofOf(entry),
        ),
      WitnessError,
      'nor at another index',
    );

    // Pagination.
    const one = await call(seekerLogin, 'GET', '/api/me/journal?pageSize=1');
    assert.equal(one.statusCode, 200, one.body);
    assert.equal(one.json().entries.length, 1);
    assert.equal(one.json().total, page.total);
    assert.ok(one.json().total >= 1);
    assert.equal(one.json().entries[0].event.id, page.entries[0]!.event.id, 'newest first');
    for (const query of ['pageSize=101', 'pageSize=0', 'pageSize=x', 'page=0']) {
      const bad = await call(seekerLogin, 'GET', `/api/me/journal?${query}`);
      assert.equal(bad.statusCode, 400, query);
      assert.equal(bad.json().issues[0].field, `query.${query.split('=')[0]}`);
    }
  });

  it('a job seeker reports an access: once (201, then 409), their own events only; the DPO sees it in full, a counsellor does not', async () => {
    assert.ok(readEventId, 'the journal test found the access');
    const comment = 'Je ne connais pas ce conseiller et je n’avais pas de rendez-vous.';
    const dpoMessages = messagesTo(server.env.dir, DPO_CONTACT).length;

    const first = await call(seekerLogin, 'POST', `/api/me/journal/${readEventId}/report`, { payload: { comment } });
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(first.json().eventId, readEventId);
    assert.equal(first.json().status, 'open');
    const reportId = first.json().id as string;

    const again = await call(seekerLogin, 'POST', `/api/me/journal/${readEventId}/report`, { payload: { comment } });
    assert.equal(again.statusCode, 409, again.body);
    assert.equal(again.json().error, 'already_reported');

    const othersEvent = (await ledgerEvents(db(), 'access_granted')).find((e) => e.details.personId === otherPerson);
    assert.ok(othersEvent);
    const foreign = await call(seekerLogin, 'POST', `/api/me/journal/${othersEvent.id}/report`, { payload: {} });
    assert.equal(foreign.statusCode, 404, foreign.body);
    const ghost = await call(seekerLogin, 'POST', `/api/me/journal/${randomUUID()}/report`, { payload: {} });
    assert.equal(ghost.statusCode, 404);
    assert.deepEqual(
      { ...(foreign.json() as object), requestId: '' },
      { ...(ghost.json() as object), requestId: '' },
      'another person’s event is answered as one that does not exist',
    );
    const noCsrf = await app.inject({
      method: 'POST',
      url: `/api/me/journal/${readEventId}/report`,
      remoteAddress: clients[seekerLogin]!.remoteAddress,
      headers: { ...clients[seekerLogin]!.headers, cookie: sessions[seekerLogin]!.cookie },
      payload: {},
    });
    assert.equal(noCsrf.statusCode, 403);

    const staffJournal = await call(counsellor, 'GET', '/api/me/journal');
    assert.equal(staffJournal.statusCode, 403);
    assert.equal(staffJournal.json().error, 'job_seeker_only');
    const staffReport = await call(counsellor, 'POST', `/api/me/journal/${readEventId}/report`, { payload: {} });
    assert.equal(staffReport.statusCode, 403);
    const anonymous = await app.inject({ method: 'GET', url: '/api/me/journal' });
    assert.equal(anonymous.statusCode, 401);

    const queue = await call(DPO, 'GET', '/api/security/access-reports');
    assert.equal(queue.statusCode, 200, queue.body);
    const items = queue.json().items as Array<{
      id: string;
      eventId: string;
      personId: string;
      comment: string | null;
      status: string;
      event: { id: string; kind: string; person: string; restricted: { actor: string; address: string } };
    }>;
    assert.equal(items.length, 1, 'one report, not two');
    const item = items[0]!;
    assert.equal(item.id, reportId);
    assert.equal(item.eventId, readEventId);
    assert.equal(item.personId, seekerPerson);
    assert.equal(item.comment, comment);
    assert.equal(
      (item as { organisationName?: string }).organisationName,
      counsellorOrgName,
      'the organisation the access was made for, by name',
    );
    assert.equal(item.status, 'open');
    assert.equal(item.event.id, readEventId);
    assert.equal(item.event.kind, 'access_granted');
    assert.equal(item.event.person, seekerPerson);
    assert.equal(item.event.restricted.actor, counsellorActor, 'the DPO sees who acted');
    assert.equal(item.event.restricted.address, clients[counsellor]!.remoteAddress);
    const refused = await call(counsellor, 'GET', '/api/security/access-reports');
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error, 'role_required');
    assert.ok(!refused.body.includes(comment));

    const reported = await ledgerEvents(db(), 'access_reported');
    assert.equal(reported.length, 1);
    assert.equal(reported[0]!.details.eventId, readEventId);
    assert.equal(reported[0]!.details.reportId, reportId);
    assert.equal(reported[0]!.details.personId, seekerPerson);
    assert.ok(!(await ledgerText(db())).includes('pas de rendez-vous'), 'the comment is not in the ledger');

    const sent = messagesTo(server.env.dir, DPO_CONTACT);
    assert.equal(sent.length, dpoMessages + 1, 'the DPO contact was told, once');
    assert.ok(sent.at(-1)!.body.includes(readEventId));
    assert.ok(sent.at(-1)!.body.includes(reportId));
    assert.ok(
      !sent.at(-1)!.body.includes(counsellorActor) && !sent.at(-1)!.body.includes(clients[counsellor]!.remoteAddress),
      'the mail points to the queue, it does not carry who or where',
    );
    assert.ok(!sent.at(-1)!.body.includes('pas de rendez-vous'));

    // The report itself is in the journal, and cannot be reported in turn.
    const journal = (await call(seekerLogin, 'GET', '/api/me/journal')).json() as JournalPageView;
    const ack = journal.entries.find((e) => e.event.kind === 'access_reported');
    assert.ok(ack);
    assert.equal(
      (await call(seekerLogin, 'POST', `/api/me/journal/${ack.event.id}/report`, { payload: {} })).statusCode,
      404,
    );
  });

  it('public endpoints: key, signed checkpoint, consistency proofs; bad sizes are 400 naming the field; signing on demand is for the DPO', async () => {
    const key = await app.inject({ method: 'GET', url: '/api/ledger/key' });
    assert.equal(key.statusCode, 200, key.body);
    assert.equal(key.json().origin, runtime.ledger.origin);
    assert.equal(key.json().verifierKey, runtime.ledger.verifierKey);
    assert.ok(key.json().verifierKey.startsWith(`${runtime.ledger.origin}+`));
    const verifierKey = key.json().verifierKey as string;

    const older = await runtime.ledger.checkpoint();
    assert.ok(older);
    assert.equal((await readFile(otherPerson)).statusCode, 200, 'one more event after the first checkpoint');
    const newer = await runtime.ledger.checkpoint();
    assert.ok(newer);
    assert.ok(newer.size > older.size);

    const latest = await app.inject({ method: 'GET', url: '/api/ledger/checkpoint' });
    assert.equal(latest.statusCode, 200, latest.body);
    assert.match(String(latest.headers['content-type']), /^text\/plain/);
    assert.equal(latest.body, newer.note);
    const opened = openSignedCheckpoint(latest.body, verifierKey, key.json().origin);
    assert.equal(opened.size, newer.size);
    assert.ok(opened.root.equals(newer.root));
    const tamperedNote = latest.body.replace(`\n${newer.size}\n`, `\n${newer.size + 1n}\n`);
    assert.notEqual(tamperedNote, latest.body);
    assert.throws(() => openSignedCheckpoint(tamperedNote, verifierKey), WitnessError, 'an altered note does not open');

    const list = await app.inject({ method: 'GET', url: `/api/ledger/checkpoints?from=${older.size}` });
    assert.equal(list.statusCode, 200, list.body);
    assert.deepEqual(
      list.json().items.map((c: { size: number }) => c.size),
      [Number(older.size), Number(newer.size)],
    );

    const consistency = await app.inject({
      method: 'GET',
      url: `/api/ledger/proofs/consistency?from=${older.size}&to=${newer.size}`,
    });
    assert.equal(consistency.statusCode, 200, consistency.body);
    const proof = (consistency.json().proof as string[]).map((p) => Buffer.from(p, 'base64'));
    assert.ok(proof.length > 0);
    const pair = verifyCheckpointPair(older.note, newer.note, proof, verifierKey);
    assert.equal(pair.newer.size, newer.size);
    assert.throws(
      () => verifyCheckpointPair(older.note, newer.note, proof.slice(1), verifierKey),
      WitnessError,
      'a truncated proof does not verify',
    );
    const flipped = proof.map((p, i) => (i === 0 ? Buffer.from(p.map((b, j) => (j === 0 ? b ^ 1 : b))) : p));
    assert.throws(
      () => verifyCheckpointPair(older.note, newer.note, flipped, verifierKey),
      WitnessError,
      'an altered proof does not verify',
    );

    const inclusion = await app.inject({
      method: 'GET',
      url: `/api/ledger/proofs/inclusion?index=0&size=${newer.size}`,
    });
    assert.equal(inclusion.statusCode, 200, inclusion.body);
    verifyEventInclusion(
      newer.note,
      verifierKey,
      0n,
      Buffer.from(inclusion.json().leafHash, 'base64'),
      (inclusion.json().proof as string[]).map((p) => Buffer.from(p, 'base64')),
    );

    const size = Number(await runtime.ledger.size());
    const outOfRange: Array<[string, string]> = [
      [`/api/ledger/proofs/consistency?from=1&to=${size + 1}`, 'query.to'],
      [`/api/ledger/proofs/consistency?from=${newer.size}&to=${older.size}`, 'query.from'],
      [`/api/ledger/proofs/inclusion?index=0&size=${size + 1}`, 'query.size'],
      [`/api/ledger/proofs/inclusion?index=${older.size}&size=${older.size}`, 'query.index'],
    ];
    for (const [url, field] of outOfRange) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.equal(res.json().error, 'out_of_range');
      assert.ok(res.json().message.includes(field), `${url} names ${field}: ${res.json().message}`);
    }
    const invalid: Array<[string, string]> = [
      ['/api/ledger/proofs/consistency?from=0&to=1', 'query.from'],
      ['/api/ledger/proofs/consistency?from=1&to=x', 'query.to'],
      ['/api/ledger/proofs/inclusion?index=-1&size=1', 'query.index'],
    ];
    for (const [url, field] of invalid) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.equal(res.json().issues[0].field, field);
    }

    const anonymous = await app.inject({ method: 'POST', url: '/api/ledger/checkpoints' });
    assert.equal(anonymous.statusCode, 401);
    const checkpointsBefore = (await runtime.ledger.checkpoints()).length;
    const counsellorSigns = await call(counsellor, 'POST', '/api/ledger/checkpoints');
    assert.equal(counsellorSigns.statusCode, 403, counsellorSigns.body);
    assert.equal(counsellorSigns.json().error, 'role_required');
    assert.equal((await runtime.ledger.checkpoints()).length, checkpointsBefore, 'a refused request signs nothing');
    assert.equal((await readFile(otherPerson)).statusCode, 200, 'one more event to sign');
    // At most one checkpoint per interval, whoever asks and on whichever server (issue 20): the newest, in the store,
    // is younger than REMPART_CHECKPOINT_SECONDS (10 s).
    const tooSoon = await call(DPO, 'POST', '/api/ledger/checkpoints');
    assert.equal(tooSoon.statusCode, 429, tooSoon.body);
    assert.equal(tooSoon.json().error, 'checkpoint_too_soon');
    const retryAfter = Number(tooSoon.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 10, `Retry-After ${retryAfter}`);
    assert.equal((await runtime.ledger.checkpoints()).length, checkpointsBefore, 'a refused request signs nothing');
    // An interval later (the checkpoints' time is not signed: dated back here).
    await db()
      .updateTable('ledger_checkpoints')
      .set({ at: new Date(Date.now() - 60_000).toISOString() })
      .execute();
    const started = Date.now();
    const dpoSigns = await call(DPO, 'POST', '/api/ledger/checkpoints');
    assert.equal(dpoSigns.statusCode, 201, dpoSigns.body);
    assert.ok(Date.now() - started < 5_000, 'signed in bounded time');
    assert.ok(dpoSigns.json().size > Number(newer.size), 'the events since are now signed');
    assert.equal((await runtime.ledger.checkpoints()).length, checkpointsBefore + 1);
    assert.equal(openSignedCheckpoint(dpoSigns.json().note, verifierKey).size, BigInt(dpoSigns.json().size));
    // Asked again at once, with nothing new: the same checkpoint, 200, nothing signed.
    const nothingNew = await call(DPO, 'POST', '/api/ledger/checkpoints');
    assert.equal(nothingNew.statusCode, 200, nothingNew.body);
    assert.equal(nothingNew.json().note, dpoSigns.json().note);
    assert.equal((await runtime.ledger.checkpoints()).length, checkpointsBefore + 1);
  });
});
