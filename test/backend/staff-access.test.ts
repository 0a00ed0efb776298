import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer, createLogger } from '../../src/api/index.ts';
import type { FieldClass } from '../../src/domain/index.ts';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import { listCaseload } from '../../src/policy/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { lastCodeSentTo, messagesTo } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { cookieOf, signIn, totpCode, type Client, type SignedIn } from '../helpers/sign-in.ts';
import { ledgerEvents } from '../helpers/ledger.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const SEED = 7;

describe(`staff access by purpose, relationship and posture (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const orgs: Record<string, string> = {};
  const actors: Record<string, string> = {};
  const accounts: Record<string, string> = {};
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  let host = 0;
  /** Values read in tests: none may ever appear in an event or a log line. */
  const secrets: string[] = [];

  const db = () => runtime.database.db;

  async function staffAccount(login: string): Promise<void> {
    const actor = await db()
      .selectFrom('actors')
      .select(['id', 'organisation_id'])
      .where('login', '=', login)
      .executeTakeFirstOrThrow();
    actors[login] = actor.id;
    accounts[login] = await createAccount(db(), { kind: 'staff', login, password: PASSWORD, actorId: actor.id });
    await addChannel(db(), runtime.keyring, accounts[login], 'email', `${login}@agents.test.example`, {
      verified: true,
    });
    // The demo network's postures allow private ranges: the agents connect from 10.0.0.0/8.
    clients[login] = {
      remoteAddress: `10.0.0.${++host}`,
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    // The call centre's posture is passkey-only; these tests sign its operator in with a TOTP app
    // (passkeys have their own suite), so the posture allows codes for the time of the sign-in.
    const posture = await db()
      .selectFrom('organisations')
      .select('security_posture')
      .where('id', '=', actor.organisation_id)
      .executeTakeFirstOrThrow();
    const parsed = JSON.parse(posture.security_posture) as { passkeyOnly?: boolean };
    if (parsed.passkeyOnly)
      await db()
        .updateTable('organisations')
        .set({ security_posture: JSON.stringify({ ...parsed, passkeyOnly: false }) })
        .where('id', '=', actor.organisation_id)
        .execute();
    try {
      sessions[login] = await signIn(app, clients[login], login, PASSWORD);
    } finally {
      await db()
        .updateTable('organisations')
        .set({ security_posture: posture.security_posture })
        .where('id', '=', actor.organisation_id)
        .execute();
    }
  }

  type Method = 'GET' | 'POST' | 'PATCH';
  function call(
    login: string,
    method: Method,
    url: string,
    options: { purpose?: string | null; caseReference?: string | null; payload?: object; via?: FastifyInstance } = {},
  ) {
    const headers: Record<string, string> = {
      ...clients[login]!.headers,
      cookie: sessions[login]!.cookie,
      'x-csrf-token': sessions[login]!.csrf,
    };
    if (options.purpose !== null && options.purpose !== undefined) headers['rempart-purpose'] = options.purpose;
    if (options.caseReference !== null)
      headers['rempart-case-reference'] = options.caseReference ?? 'DOSSIER-2026-0042';
    return (options.via ?? app).inject({
      method,
      url,
      remoteAddress: clients[login]!.remoteAddress,
      headers,
      ...(options.payload ? { payload: options.payload } : {}),
    });
  }

  const CAP = 'capemploi.gironde.1';
  const ML = 'ml.bordeaux.1';
  const C1 = 'conseiller.bastide.1';
  const C2 = 'conseiller.bastide.2';
  const INDEM = 'indemnisation.bastide';
  const RCA = 'rca.operateur.1';
  const RSSI = 'rssi.na';

  let referred = '';
  let notReferred = '';
  let youngReferred = '';
  let ownCase = '';
  let otherCase = '';

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 120,
      seed: SEED,
      batchSize: 120,
      parallel: false,
    });
    for (const o of await db().selectFrom('organisations').select(['id', 'name', 'kind']).execute())
      orgs[o.name] = o.id;
    for (const login of [CAP, ML, C1, C2, INDEM, RCA, RSSI]) await staffAccount(login);

    const capOrg = (
      await db().selectFrom('actors').select('organisation_id').where('id', '=', actors[CAP]!).executeTakeFirstOrThrow()
    ).organisation_id;
    const capReferrals = (
      await db()
        .selectFrom('referrals')
        .select('person_id')
        .where('organisation_id', '=', capOrg)
        .where('status', '=', 'active')
        .execute()
    ).map((r) => r.person_id);
    assert.ok(capReferrals.length > 0, 'the seed refers some people to Cap emploi');
    referred = capReferrals[0]!;

    // Mission locale: a person aged 25 or less, referred to it (added here if the seed has none).
    const mlOrg = (
      await db().selectFrom('actors').select('organisation_id').where('id', '=', actors[ML]!).executeTakeFirstOrThrow()
    ).organisation_id;
    for (const { id } of await db().selectFrom('persons').select('id').orderBy('id').execute()) {
      const birth = (await runtime.persons.read(id, ['identity'])).fields.identity!.birthDate;
      if (Date.now() - Date.parse(birth) < 24 * 365.25 * 86_400_000) {
        youngReferred = id;
        break;
      }
    }
    assert.ok(youngReferred, 'the seed holds someone under 25');
    const hasReferral = await db()
      .selectFrom('referrals')
      .select('id')
      .where('person_id', '=', youngReferred)
      .where('organisation_id', '=', mlOrg)
      .executeTakeFirst();
    if (!hasReferral) {
      await db()
        .insertInto('referrals')
        .values({
          id: randomUUID(),
          person_id: youngReferred,
          organisation_id: mlOrg,
          referred_by_actor_id: null,
          reason: 'test',
          starts_on: '2026-01-01',
          ends_on: null,
          status: 'active',
          created_at: new Date().toISOString(),
        })
        .execute();
    }
    // Referred nowhere (not to Cap emploi, nor to the mission locale whose adviser must not read them either).
    notReferred = (
      await db()
        .selectFrom('persons')
        .select('id')
        .where('id', 'not in', db().selectFrom('referrals').select('person_id'))
        .orderBy('id')
        .executeTakeFirstOrThrow()
    ).id;

    ownCase = (
      await db()
        .selectFrom('caseloads')
        .select('person_id')
        .where('actor_id', '=', actors[C1]!)
        .orderBy('person_id')
        .executeTakeFirstOrThrow()
    ).person_id;
    otherCase = (
      await db()
        .selectFrom('caseloads')
        .select('person_id')
        .where('actor_id', '=', actors[C2]!)
        .orderBy('person_id')
        .executeTakeFirstOrThrow()
    ).person_id;
  });
  after(() => server.close());

  const events = (kind?: string) => ledgerEvents(db(), kind);

  const CAP_PURPOSE = 'accompagnement_handicap';

  it('a Cap emploi adviser reads a referred person’s allowed fields, and only those are decrypted and serialized', async () => {
    const calls: Array<readonly FieldClass[]> = [];
    // The pipeline fetches the sealed file, then asks the store to open (decrypt) the recorded classes.
    const original = runtime.persons.open.bind(runtime.persons);
    runtime.persons.open = async (file, classes) => {
      calls.push([...classes]);
      return original(file, classes);
    };
    try {
      const res = await call(CAP, 'GET', `/api/staff/persons/${referred}?classes=identity,contact`, {
        purpose: CAP_PURPOSE,
      });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.deepEqual(Object.keys(body).sort(), ['decision', 'fields', 'id', 'status']);
      assert.deepEqual(Object.keys(body.fields).sort(), ['contact', 'identity']);
      assert.deepEqual(body.decision.classes, ['identity', 'contact']);
      assert.equal(body.decision.purpose, CAP_PURPOSE);
      assert.equal(body.decision.caseReference, 'DOSSIER-2026-0042');
      assert.equal(body.decision.agreement.reference, 'CAPE-33');
      assert.deepEqual(calls, [['identity', 'contact']], 'the store was asked to decrypt exactly the decided classes');
      assert.ok(!res.body.includes('"health"') && !res.body.includes('"nir"'));
      secrets.push(body.fields.identity.lastName, ...(body.fields.contact.email ? [body.fields.contact.email] : []));
    } finally {
      runtime.persons.open = original;
    }
    const granted = (await events('access_granted')).at(-1)!;
    assert.equal(granted.account_id, accounts[CAP]);
    assert.deepEqual(
      {
        personId: granted.details.personId,
        purpose: granted.details.purpose,
        caseReference: granted.details.caseReference,
        classes: granted.details.classes,
        operation: granted.details.operation,
      },
      {
        personId: referred,
        purpose: CAP_PURPOSE,
        caseReference: 'DOSSIER-2026-0042',
        classes: 'identity,contact',
        operation: 'read',
      },
    );
  });

  it('without classes, the decision names all the purpose grants; health is read only where the agreement says so', async () => {
    const res = await call(CAP, 'GET', `/api/staff/persons/${referred}`, { purpose: CAP_PURPOSE });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().decision.classes, [
      'identity',
      'contact',
      'registration',
      'career',
      'follow_up',
      'health',
    ]);
    assert.ok(Object.keys(res.json().fields).length > 0, 'the person has fields to check');
    for (const key of Object.keys(res.json().fields)) assert.ok(res.json().decision.classes.includes(key));
  });

  it('another person is refused exactly as a person who does not exist, and nothing is decrypted', async () => {
    const calls: string[] = [];
    const original = runtime.persons.read.bind(runtime.persons);
    runtime.persons.read = async (id, classes, executor) => {
      calls.push(id);
      return original(id, classes, executor);
    };
    try {
      const other = await call(CAP, 'GET', `/api/staff/persons/${notReferred}?classes=identity`, {
        purpose: CAP_PURPOSE,
      });
      const ghost = await call(CAP, 'GET', `/api/staff/persons/${randomUUID()}?classes=identity`, {
        purpose: CAP_PURPOSE,
      });
      assert.equal(other.statusCode, 403);
      assert.equal(ghost.statusCode, 403);
      const strip = (b: Record<string, unknown>) => ({ ...b, requestId: '' });
      assert.deepEqual(strip(other.json()), strip(ghost.json()));
      assert.equal(other.json().error, 'person_out_of_scope');
      assert.deepEqual(calls, [], 'a refusal decrypts nothing');
    } finally {
      runtime.persons.read = original;
    }
    const denied = (await events('access_denied')).at(-1)!;
    assert.equal(denied.details.reason, 'person_out_of_scope');
  });

  it('a field class outside the agreement is refused: bank for Cap emploi, health for a mission locale', async () => {
    const bank = await call(CAP, 'GET', `/api/staff/persons/${referred}?classes=identity,bank`, {
      purpose: CAP_PURPOSE,
    });
    assert.equal(bank.statusCode, 403);
    assert.equal(bank.json().error, 'field_class_not_granted');
    const ok = await call(ML, 'GET', `/api/staff/persons/${youngReferred}?classes=identity`, {
      purpose: 'accompagnement_jeunes',
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const health = await call(ML, 'GET', `/api/staff/persons/${youngReferred}?classes=identity,health`, {
      purpose: 'accompagnement_jeunes',
    });
    assert.equal(health.statusCode, 403);
    assert.equal(health.json().error, 'field_class_not_granted');
    const unknownClass = await call(CAP, 'GET', `/api/staff/persons/${referred}?classes=identity,secrets`, {
      purpose: CAP_PURPOSE,
    });
    assert.equal(unknownClass.statusCode, 400);
    assert.equal(unknownClass.json().issues[0].field, 'query.classes');
  });

  it('a missing or malformed purpose or case reference is a 422 naming the header; an unknown purpose is purpose_unknown', async () => {
    const noPurpose = await call(CAP, 'GET', `/api/staff/persons/${referred}`);
    assert.equal(noPurpose.statusCode, 422);
    assert.equal(noPurpose.json().error, 'purpose_missing');
    assert.equal(noPurpose.json().issues[0].field, 'headers.rempart-purpose');
    const noCase = await call(CAP, 'GET', `/api/staff/persons/${referred}`, {
      purpose: CAP_PURPOSE,
      caseReference: null,
    });
    assert.equal(noCase.statusCode, 422);
    assert.equal(noCase.json().error, 'case_reference_missing');
    assert.equal(noCase.json().issues[0].field, 'headers.rempart-case-reference');
    const badCase = await call(CAP, 'GET', `/api/staff/persons/${referred}`, {
      purpose: CAP_PURPOSE,
      caseReference: 'x',
    });
    assert.equal(badCase.statusCode, 422);
    assert.equal(badCase.json().issues[0].rule, 'format');
    const unknown = await call(CAP, 'GET', `/api/staff/persons/${referred}`, { purpose: 'curiosite' });
    assert.equal(unknown.statusCode, 422);
    assert.equal(unknown.json().error, 'purpose_unknown');
    const otherOrgPurpose = await call(CAP, 'GET', `/api/staff/persons/${referred}`, { purpose: 'indemnisation' });
    assert.equal(otherOrgPurpose.json().error, 'purpose_unknown');
  });

  it('a job seeker or an anonymous caller does not reach the staff API', async () => {
    const anonymous = await app.inject({
      method: 'GET',
      url: `/api/staff/persons/${referred}`,
      headers: { 'rempart-purpose': CAP_PURPOSE, 'rempart-case-reference': 'DOSSIER-1' },
    });
    assert.equal(anonymous.statusCode, 401);
  });

  it('a counsellor lists their own caseload by name, page by page, each person recorded, and is refused another counsellor’s', async () => {
    const first = await call(C1, 'GET', '/api/staff/caseload?page=1&pageSize=5', { purpose: 'accompagnement' });
    assert.equal(first.statusCode, 200, first.body);
    const expected = await listCaseload(db(), actors[C1]!, { page: 1, pageSize: 1000 });
    assert.equal(first.json().total, expected.total);
    const second = await call(C1, 'GET', '/api/staff/caseload?page=2&pageSize=5', { purpose: 'accompagnement' });
    const shown = [...first.json().items, ...second.json().items] as Array<{
      id: string;
      identity: Record<string, unknown>;
    }>;
    assert.ok(expected.total > 5, 'the counsellor has more than a page');
    assert.equal(new Set(shown.map((i) => i.id)).size, Math.min(10, expected.total), 'two pages, no overlap');
    for (const item of shown) {
      assert.ok(expected.personIds.includes(item.id), 'only the counsellor’s own people');
      // What a list shows of a person, and nothing else of their identity (no sex, no birthplace).
      assert.deepEqual(
        Object.keys(item.identity).sort(),
        ['birthDate', 'firstName', 'lastName', ...('usageName' in item.identity ? ['usageName'] : [])].sort(),
      );
      assert.equal(Object.keys(item).includes('contact'), false);
    }
    const own = await db().selectFrom('caseloads').select('person_id').where('actor_id', '=', actors[C1]!).execute();
    assert.deepEqual(
      [...expected.personIds].sort(),
      own.map((r) => r.person_id).sort(),
      'only the counsellor’s own people',
    );
    // Each person shown is in their own journal: seen in a list, `identity` named, the fields listed.
    const events = await ledgerEvents(db());
    for (const item of shown) {
      const seen = events.filter(
        (e) => e.kind === 'access_granted' && e.details.personId === item.id && e.details.operation === 'list_caseload',
      );
      assert.ok(seen.length >= 1, 'the list is in the person’s journal');
      assert.equal(seen[0]!.details.classes, 'identity');
    }

    // By name: ordered by the name shown, and a filter keeps only the names that hold it.
    const byName = await call(C1, 'GET', '/api/staff/caseload?pageSize=200&sort=name', { purpose: 'accompagnement' });
    assert.equal(byName.statusCode, 200, byName.body);
    const names = (byName.json().items as Array<{ identity: { lastName: string; usageName?: string } }>).map(
      (i) => i.identity.usageName ?? i.identity.lastName,
    );
    assert.deepEqual(
      names,
      [...names].sort((a, b) => a.localeCompare(b, 'fr', { sensitivity: 'base' })),
    );
    const someone = (byName.json().items as Array<{ id: string; identity: { lastName: string } }>)[0]!;
    const part = someone.identity.lastName.slice(0, 4).toUpperCase();
    const filtered = await call(C1, 'GET', `/api/staff/caseload?q=${encodeURIComponent(part)}`, {
      purpose: 'accompagnement',
    });
    assert.equal(filtered.statusCode, 200, filtered.body);
    const found = filtered.json().items as Array<{ id: string; identity: { lastName: string; firstName: string } }>;
    assert.ok(found.some((i) => i.id === someone.id));
    for (const i of found)
      assert.ok(
        `${JSON.stringify(i.identity)}`
          .toLowerCase()
          .normalize('NFD')
          .replace(/\p{M}/gu, '')
          .includes(part.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '')),
      );

    // Denials: a partner's purpose over referrals lists no caseload; a counsellor's purpose lists no referrals; bad input names its field.
    const notCounsellor = await call(CAP, 'GET', '/api/staff/caseload', { purpose: CAP_PURPOSE });
    assert.equal(notCounsellor.statusCode, 403);
    assert.equal(notCounsellor.json().error, 'operation_not_granted');
    const notReferrals = await call(C1, 'GET', '/api/staff/referrals', { purpose: 'accompagnement' });
    assert.equal(notReferrals.statusCode, 403);
    assert.equal(notReferrals.json().error, 'operation_not_granted');
    const badPage = await call(C1, 'GET', '/api/staff/caseload?page=0', { purpose: 'accompagnement' });
    assert.equal(badPage.statusCode, 400);
    const badSort = await call(C1, 'GET', '/api/staff/caseload?sort=nir', { purpose: 'accompagnement' });
    assert.equal(badSort.statusCode, 400);
    assert.match(badSort.body, /sort/);

    const read = await call(C1, 'GET', `/api/staff/persons/${ownCase}?classes=identity,follow_up`, {
      purpose: 'accompagnement',
    });
    assert.equal(read.statusCode, 200, read.body);
    const refused = await call(C1, 'GET', `/api/staff/persons/${otherCase}?classes=identity`, {
      purpose: 'accompagnement',
    });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error, 'person_out_of_scope');
  });

  it('an indemnisation agent reads benefits and bank details of a person followed by its agency', async () => {
    const res = await call(INDEM, 'GET', `/api/staff/persons/${otherCase}?classes=benefits,bank`, {
      purpose: 'indemnisation',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().decision.classes, ['benefits', 'bank']);
    assert.ok(Object.keys(res.json().fields).length > 0, 'the person has fields to check');
    for (const key of Object.keys(res.json().fields)) assert.ok(['benefits', 'bank'].includes(key));
    if (res.json().fields.bank) secrets.push(res.json().fields.bank.iban);
    const counsellorBank = await call(C1, 'GET', `/api/staff/persons/${ownCase}?classes=bank`, {
      purpose: 'accompagnement',
    });
    assert.equal(counsellorBank.json().error, 'field_class_not_granted');
    const wrongRole = await call(C1, 'GET', `/api/staff/persons/${ownCase}?classes=bank`, { purpose: 'indemnisation' });
    assert.equal(wrongRole.json().error, 'role_not_allowed');
  });

  it('writes: only classes of the decision’s write set, in one transaction with their event; a refusal writes nothing', async () => {
    const followUp = {
      orientation: 'renforce',
      appointments: [{ date: '2026-03-02', kind: 'entretien' }],
      actions: [],
    };
    const ok = await call(CAP, 'PATCH', `/api/staff/persons/${referred}`, {
      purpose: CAP_PURPOSE,
      payload: { follow_up: followUp },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json().written, ['follow_up']);
    const stored = await runtime.persons.read(referred, ['follow_up']);
    assert.equal(stored.fields.follow_up?.orientation, 'renforce');

    const snapshot = async (id: string) =>
      (
        await db()
          .selectFrom('person_fields')
          .select(['field_class', 'ciphertext'])
          .where('person_id', '=', id)
          .orderBy('field_class')
          .execute()
      ).map((r) => `${r.field_class}:${Buffer.from(r.ciphertext).toString('base64')}`);
    const beforeReferred = await snapshot(referred);
    const beforeOther = await snapshot(notReferred);
    const contact = await call(CAP, 'PATCH', `/api/staff/persons/${referred}`, {
      purpose: CAP_PURPOSE,
      payload: { contact: { email: 'nouvelle.adresse@exemple.fr' } },
    });
    assert.equal(contact.statusCode, 403);
    assert.equal(contact.json().error, 'field_class_not_granted');
    const outOfScope = await call(CAP, 'PATCH', `/api/staff/persons/${notReferred}`, {
      purpose: CAP_PURPOSE,
      payload: { follow_up: followUp },
    });
    assert.equal(outOfScope.statusCode, 403);
    assert.equal(outOfScope.json().error, 'person_out_of_scope');
    const invalid = await call(CAP, 'PATCH', `/api/staff/persons/${referred}`, {
      purpose: CAP_PURPOSE,
      payload: { follow_up: { orientation: 'n_importe_quoi' } },
    });
    assert.equal(invalid.statusCode, 400);
    const noPurpose = await call(CAP, 'PATCH', `/api/staff/persons/${referred}`, { payload: { follow_up: followUp } });
    assert.equal(noPurpose.statusCode, 422);
    assert.deepEqual(await snapshot(referred), beforeReferred);
    assert.deepEqual(await snapshot(notReferred), beforeOther);
    assert.ok(!JSON.stringify(await events()).includes('nouvelle.adresse'));
  });

  it('search: exact identifiers only, results within scope only, and the identifier is not recorded', async () => {
    const nirOf = async (id: string) => (await runtime.persons.read(id, ['nir'])).fields.nir!.nir;
    const inScope = await nirOf(referred);
    const outScope = await nirOf(notReferred);
    secrets.push(inScope, outScope);
    const found = await call(CAP, 'POST', '/api/staff/persons/search', {
      purpose: CAP_PURPOSE,
      payload: { nir: inScope },
    });
    assert.equal(found.statusCode, 200, found.body);
    assert.equal(found.json().results.length, 1);
    assert.equal(found.json().results[0].id, referred);
    assert.deepEqual(Object.keys(found.json().results[0]).sort(), ['id', 'identity']);
    const hidden = await call(CAP, 'POST', '/api/staff/persons/search', {
      purpose: CAP_PURPOSE,
      payload: { nir: outScope },
    });
    assert.equal(hidden.statusCode, 200);
    assert.deepEqual(hidden.json().results, [], 'a person out of scope is not found');
    const prefix = await call(CAP, 'POST', '/api/staff/persons/search', {
      purpose: CAP_PURPOSE,
      payload: { nir: inScope.slice(0, 13) },
    });
    assert.deepEqual(prefix.json().results ?? [], []);
    const both = await call(CAP, 'POST', '/api/staff/persons/search', {
      purpose: CAP_PURPOSE,
      payload: { nir: inScope, franceTravailId: '1234567A' },
    });
    assert.equal(both.statusCode, 400);
    const none = await call(CAP, 'POST', '/api/staff/persons/search', { purpose: CAP_PURPOSE, payload: {} });
    assert.equal(none.statusCode, 400);
    const wildcard = await call(CAP, 'POST', '/api/staff/persons/search', {
      purpose: CAP_PURPOSE,
      payload: { lastName: '*' },
    });
    assert.equal(wildcard.statusCode, 400);
    const noPurpose = await call(CAP, 'POST', '/api/staff/persons/search', { payload: { nir: inScope } });
    assert.equal(noPurpose.statusCode, 422);

    const ftId = (await runtime.persons.read(ownCase, ['registration'])).fields.registration!.franceTravailId;
    const byFt = await call(C1, 'POST', '/api/staff/persons/search', {
      purpose: 'accompagnement',
      payload: { franceTravailId: ftId },
    });
    assert.deepEqual(
      byFt.json().results.map((r: { id: string }) => r.id),
      [ownCase],
    );
    const byFtOther = await call(C2, 'POST', '/api/staff/persons/search', {
      purpose: 'accompagnement',
      payload: { franceTravailId: ftId },
    });
    assert.deepEqual(byFtOther.json().results, []);

    const searches = await events('person_search');
    assert.ok(searches.length >= 4);
    assert.ok(!JSON.stringify(searches).includes(inScope) && !JSON.stringify(searches).includes(ftId));
  });

  it('search by birth name, first name and birth date: whole words only, any accents or case, within scope only', async () => {
    const identityOf = async (id: string) => (await runtime.persons.read(id, ['identity'])).fields.identity!;
    const mine = await identityOf(referred);
    const theirs = await identityOf(notReferred);
    secrets.push(mine.lastName, theirs.lastName);
    const shouted = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toUpperCase().replace(/-/g, ' ');
    const search = (person: { lastName: string; firstName: string; birthDate: string }) =>
      call(CAP, 'POST', '/api/staff/persons/search', { purpose: CAP_PURPOSE, payload: { person } });
    const found = await search({
      lastName: shouted(mine.lastName),
      firstName: mine.firstNames[0]!.toLowerCase(),
      birthDate: mine.birthDate,
    });
    assert.equal(found.statusCode, 200, found.body);
    assert.ok(
      found.json().results.some((r: { id: string }) => r.id === referred),
      'found whatever the accents and case',
    );
    const hidden = await search({
      lastName: theirs.lastName,
      firstName: theirs.firstNames[0]!,
      birthDate: theirs.birthDate,
    });
    assert.ok(
      !hidden.json().results.some((r: { id: string }) => r.id === notReferred),
      'a person out of scope is not found',
    );
    const partial = await search({
      lastName: mine.lastName.slice(0, 3),
      firstName: mine.firstNames[0]!,
      birthDate: mine.birthDate,
    });
    assert.deepEqual(partial.json().results, [], 'no prefix search');
    const wrongDate = await search({
      lastName: mine.lastName,
      firstName: mine.firstNames[0]!,
      birthDate: '1900-01-01',
    });
    assert.deepEqual(wrongDate.json().results, []);
    const incomplete = await call(CAP, 'POST', '/api/staff/persons/search', {
      purpose: CAP_PURPOSE,
      payload: { person: { lastName: mine.lastName } },
    });
    assert.equal(incomplete.statusCode, 400);
  });

  it('a call-centre operator is refused until the caller is verified, then sees identity and registration only', async () => {
    const person = ownCase;
    const purpose = 'relation_usager';
    const before = await call(RCA, 'GET', `/api/staff/persons/${person}?classes=identity,registration`, { purpose });
    assert.equal(before.statusCode, 403);
    assert.equal(before.json().error, 'person_out_of_scope');

    // Nobody to reach (no verified channel, or no such person): answered as a code sent, and
    // every confirmation fails as a wrong code does, then burns as a real one does.
    // The ghost's confirmations reach another server process (another server on the same store),
    // as they would behind a load balancer: answered the same there too.
    const otherProcess = await buildServer(runtime, createLogger('error'));
    const noChannel = await call(RCA, 'POST', '/api/staff/callers/verify', { purpose, payload: { personId: person } });
    const ghost = await call(RCA, 'POST', '/api/staff/callers/verify', {
      purpose,
      payload: { personId: randomUUID() },
    });
    try {
      for (const [blank, via] of [
        [noChannel, app],
        [ghost, otherProcess],
      ] as const) {
        assert.equal(blank.statusCode, 202, blank.body);
        assert.deepEqual(Object.keys(blank.json()).sort(), ['expiresAt', 'id']);
        const tries = [];
        for (let i = 1; i <= 6; i++)
          tries.push(
            (
              await call(RCA, 'POST', `/api/staff/callers/${blank.json().id}/confirm`, {
                payload: { code: '12345678' },
                via,
              })
            ).json().error,
          );
        assert.deepEqual(tries, [
          'code_invalid',
          'code_invalid',
          'code_invalid',
          'code_invalid',
          'code_burned',
          'code_burned',
        ]);
      }
    } finally {
      await otherProcess.close();
    }
    assert.equal(
      (await call(C1, 'POST', `/api/staff/callers/${ghost.json().id}/confirm`, { payload: { code: '12345678' } }))
        .statusCode,
      404,
      'a blank belongs to its operator too',
    );

    const email = 'appelant.verifie@exemple.fr';
    const seeker = await createAccount(db(), {
      kind: 'job_seeker',
      login: email,
      password: PASSWORD,
      personId: person,
    });
    await addChannel(db(), runtime.keyring, seeker, 'email', email, { verified: true });

    const notOperator = await call(C1, 'POST', '/api/staff/callers/verify', {
      purpose: 'accompagnement',
      payload: { personId: person },
    });
    assert.equal(notOperator.statusCode, 403);
    assert.equal(notOperator.json().error, 'operation_not_granted');

    // Five wrong tries burn a code.
    const burnt = await call(RCA, 'POST', '/api/staff/callers/verify', { purpose, payload: { personId: person } });
    assert.equal(burnt.statusCode, 202, burnt.body);
    const burntCode = lastCodeSentTo(server.env.dir, email);
    const wrong = burntCode === '00000000' ? '11111111' : '00000000';
    for (let i = 1; i <= 5; i++) {
      const r = await call(RCA, 'POST', `/api/staff/callers/${burnt.json().id}/confirm`, { payload: { code: wrong } });
      assert.equal(r.json().error, i < 5 ? 'code_invalid' : 'code_burned');
    }
    const late = await call(RCA, 'POST', `/api/staff/callers/${burnt.json().id}/confirm`, {
      payload: { code: burntCode },
    });
    assert.equal(late.json().error, 'code_burned');
    assert.equal(
      (await call(RCA, 'GET', `/api/staff/persons/${person}?classes=identity`, { purpose })).statusCode,
      403,
    );

    const started = await call(RCA, 'POST', '/api/staff/callers/verify', { purpose, payload: { personId: person } });
    assert.equal(started.statusCode, 202);
    const code = lastCodeSentTo(server.env.dir, email);
    const otherOperator = await call(C1, 'POST', `/api/staff/callers/${started.json().id}/confirm`, {
      payload: { code },
    });
    assert.equal(otherOperator.statusCode, 404, 'a verification belongs to its operator');
    const confirmed = await call(RCA, 'POST', `/api/staff/callers/${started.json().id}/confirm`, { payload: { code } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    assert.equal(confirmed.json().personId, person);
    const minutes = (Date.parse(confirmed.json().verifiedUntil) - Date.now()) / 60_000;
    assert.ok(minutes > 14 && minutes <= 15);
    const replayed = await call(RCA, 'POST', `/api/staff/callers/${started.json().id}/confirm`, { payload: { code } });
    assert.equal(replayed.statusCode, 409, 'a code confirms once');
    assert.equal(replayed.json().error, 'already_verified');

    const read = await call(RCA, 'GET', `/api/staff/persons/${person}`, { purpose });
    assert.equal(read.statusCode, 200, read.body);
    assert.deepEqual(read.json().decision.classes, ['identity', 'registration']);
    const contact = await call(RCA, 'GET', `/api/staff/persons/${person}?classes=contact`, { purpose });
    assert.equal(contact.json().error, 'field_class_not_granted');
    const other = await call(RCA, 'GET', `/api/staff/persons/${otherCase}?classes=identity`, { purpose });
    assert.equal(other.json().error, 'person_out_of_scope', 'the proof covers this caller only');

    await db()
      .updateTable('caller_verifications')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', started.json().id)
      .execute();
    assert.equal(
      (await call(RCA, 'GET', `/api/staff/persons/${person}?classes=identity`, { purpose })).json().error,
      'person_out_of_scope',
      'and only for a while',
    );
    assert.ok((await events('caller_verification_started')).length >= 2);
    assert.equal((await events('caller_verified')).length, 1);
    assert.ok(!JSON.stringify(await events()).includes(code));
  });

  it('an audit older than 12 months suspends every read of the organisation, until a derogation covers it', async () => {
    const capOrg = (
      await db().selectFrom('actors').select('organisation_id').where('id', '=', actors[CAP]!).executeTakeFirstOrThrow()
    ).organisation_id;
    const row = await db()
      .selectFrom('organisations')
      .select('security_posture')
      .where('id', '=', capOrg)
      .executeTakeFirstOrThrow();
    const posture = JSON.parse(row.security_posture) as Record<string, unknown>;
    const stale = new Date(Date.now() - 400 * 86_400_000).toISOString().slice(0, 10);
    await db()
      .updateTable('organisations')
      .set({ security_posture: JSON.stringify({ ...posture, lastAudit: stale }) })
      .where('id', '=', capOrg)
      .execute();
    try {
      const refused = await call(CAP, 'GET', `/api/staff/persons/${referred}?classes=identity`, {
        purpose: CAP_PURPOSE,
      });
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().error, 'posture_non_compliant');
      const search = await call(CAP, 'POST', '/api/staff/persons/search', {
        purpose: CAP_PURPOSE,
        payload: { franceTravailId: '0000000A' },
      });
      assert.equal(search.json().error, 'posture_non_compliant', 'searches are suspended too');

      const derogation = randomUUID();
      await db()
        .insertInto('derogations')
        .values({
          id: derogation,
          organisation_id: capOrg,
          requirement: 'security_audit',
          justification: 'audit planifié le mois prochain',
          approved_by: accounts[RSSI]!,
          approved_at: new Date().toISOString(),
          expires_at: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          revoked_at: null,
        })
        .execute();
      const allowed = await call(CAP, 'GET', `/api/staff/persons/${referred}?classes=identity`, {
        purpose: CAP_PURPOSE,
      });
      assert.equal(allowed.statusCode, 200, allowed.body);
      await db()
        .updateTable('derogations')
        .set({ revoked_at: new Date().toISOString() })
        .where('id', '=', derogation)
        .execute();
      assert.equal(
        (await call(CAP, 'GET', `/api/staff/persons/${referred}?classes=identity`, { purpose: CAP_PURPOSE })).json()
          .error,
        'posture_non_compliant',
      );
    } finally {
      await db()
        .updateTable('organisations')
        .set({ security_posture: row.security_posture })
        .where('id', '=', capOrg)
        .execute();
    }
  });

  it('a request from outside the organisation’s network ranges is refused', async () => {
    const login = 'capemploi.gironde.2';
    await staffAccount(login);
    assert.equal(
      (await call(login, 'GET', `/api/staff/persons/${referred}?classes=identity`, { purpose: CAP_PURPOSE }))
        .statusCode,
      200,
    );
    // The same agent, from an address outside the posture's ranges (a new session there).
    clients[login] = { ...clients[login]!, remoteAddress: '203.0.113.9' };
    const secret = sessions[login]!.totpSecret!;
    const first = await signIn(app, clients[login], login, PASSWORD);
    const passed = await app.inject({
      method: 'POST',
      url: '/api/auth/second-factor',
      remoteAddress: clients[login].remoteAddress,
      headers: { ...clients[login].headers, cookie: first.cookie, 'x-csrf-token': first.csrf },
      payload: { code: totpCode(secret, 1) },
    });
    assert.equal(passed.statusCode, 200, passed.body);
    sessions[login] = { cookie: cookieOf(passed), csrf: passed.json().csrfToken as string };
    const res = await call(login, 'GET', `/api/staff/persons/${referred}?classes=identity`, { purpose: CAP_PURPOSE });
    assert.equal(res.statusCode, 403, res.body);
    assert.equal(res.json().error, 'posture_non_compliant');
  });

  it('break-glass: step-up required, classes the purpose grants only, alerts at once, in the review queue, 30 minutes only', async () => {
    const body = {
      purpose: CAP_PURPOSE,
      caseReference: 'URGENCE-2026-7',
      justification: 'Appel de la personne en détresse, conseillère absente, rendez-vous à fixer aujourd’hui',
      classes: ['identity', 'contact'],
    };
    // A second factor older than five minutes does not open break-glass.
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
      .where('account_id', '=', accounts[CAP]!)
      .execute();
    const stale = await call(CAP, 'POST', `/api/staff/persons/${notReferred}/break-glass`, { payload: body });
    assert.equal(stale.statusCode, 403);
    assert.equal(stale.json().error, 'step_up_required');
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date().toISOString() })
      .where('account_id', '=', accounts[CAP]!)
      .execute();

    const short = await call(CAP, 'POST', `/api/staff/persons/${notReferred}/break-glass`, {
      payload: { ...body, justification: 'urgent' },
    });
    assert.equal(short.statusCode, 400);
    assert.equal(short.json().issues[0].field, 'body.justification');
    const bank = await call(CAP, 'POST', `/api/staff/persons/${notReferred}/break-glass`, {
      payload: { ...body, classes: ['identity', 'bank'] },
    });
    assert.equal(bank.statusCode, 403);
    assert.equal(bank.json().error, 'field_class_not_granted');
    assert.equal(
      (await db().selectFrom('break_glass').select('id').execute()).length,
      0,
      'a refused break-glass leaves no grant',
    );

    const contactAlerts = messagesTo(server.env.dir, 'securite.cap-emploi@rempart.example').length;
    const officerAlerts = messagesTo(server.env.dir, `${RSSI}@agents.test.example`).length;
    const opened = await call(CAP, 'POST', `/api/staff/persons/${notReferred}/break-glass`, { payload: body });
    assert.equal(opened.statusCode, 201, opened.body);
    assert.deepEqual(opened.json().classes, ['identity', 'contact']);
    const minutes = (Date.parse(opened.json().expiresAt) - Date.now()) / 60_000;
    assert.ok(minutes > 29 && minutes <= 30);
    assert.equal(
      messagesTo(server.env.dir, 'securite.cap-emploi@rempart.example').length,
      contactAlerts + 1,
      'the organisation’s security contact is alerted',
    );
    const alert = messagesTo(server.env.dir, `${RSSI}@agents.test.example`);
    assert.equal(alert.length, officerAlerts + 1, 'every security officer is alerted');
    assert.match(alert.at(-1)!.body, /capemploi\.gironde\.1/);
    assert.equal((await events('break_glass_used')).length, 1);

    const read = await call(CAP, 'GET', `/api/staff/persons/${notReferred}?classes=identity`, {
      purpose: CAP_PURPOSE,
      caseReference: 'URGENCE-2026-7',
    });
    assert.equal(read.statusCode, 200, read.body);
    assert.equal(read.json().decision.breakGlass, opened.json().id);
    const granted = (await events('access_granted')).at(-1)!;
    assert.equal(granted.details.breakGlass, opened.json().id);
    const health = await call(CAP, 'GET', `/api/staff/persons/${notReferred}?classes=health`, { purpose: CAP_PURPOSE });
    assert.equal(health.json().error, 'field_class_not_granted', 'only the classes of the grant');
    const write = await call(CAP, 'PATCH', `/api/staff/persons/${notReferred}`, {
      purpose: CAP_PURPOSE,
      payload: { follow_up: { appointments: [], actions: [] } },
    });
    assert.equal(write.json().error, 'person_out_of_scope', 'break-glass is read-only');
    const colleague = await call('ml.bordeaux.1', 'GET', `/api/staff/persons/${notReferred}?classes=identity`, {
      purpose: 'accompagnement_jeunes',
    });
    assert.equal(colleague.statusCode, 403, 'the grant is for its actor only');

    // The review queue.
    const notOfficer = await call(CAP, 'GET', '/api/security/break-glass?status=pending');
    assert.equal(notOfficer.statusCode, 403);
    const queue = await call(RSSI, 'GET', '/api/security/break-glass?status=pending');
    assert.equal(queue.statusCode, 200, queue.body);
    const item = queue.json().items.find((i: { id: string }) => i.id === opened.json().id);
    assert.ok(item);
    assert.equal(item.actorLogin, CAP);
    assert.equal(item.justification, body.justification);
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
      .where('account_id', '=', accounts[RSSI]!)
      .execute();
    const staleReview = await call(RSSI, 'POST', `/api/security/break-glass/${opened.json().id}/review`, {
      payload: { verdict: 'justified', note: 'urgence avérée' },
    });
    assert.equal(staleReview.json().error, 'step_up_required');
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date().toISOString() })
      .where('account_id', '=', accounts[RSSI]!)
      .execute();
    const reviewed = await call(RSSI, 'POST', `/api/security/break-glass/${opened.json().id}/review`, {
      payload: { verdict: 'justified', note: 'urgence avérée' },
    });
    assert.equal(reviewed.statusCode, 200, reviewed.body);
    assert.equal(
      (
        await call(RSSI, 'POST', `/api/security/break-glass/${opened.json().id}/review`, {
          payload: { verdict: 'abusive', note: 'x' },
        })
      ).statusCode,
      409,
    );
    assert.equal((await call(RSSI, 'GET', '/api/security/break-glass?status=pending')).json().items.length, 0);
    assert.equal((await events('break_glass_reviewed')).length, 1);

    // Thirty minutes later the grant is over.
    await db()
      .updateTable('break_glass')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', opened.json().id)
      .execute();
    const expired = await call(CAP, 'GET', `/api/staff/persons/${notReferred}?classes=identity`, {
      purpose: CAP_PURPOSE,
    });
    assert.equal(expired.json().error, 'person_out_of_scope');
  });

  it('break-glass by an exact identifier: step-up first, a malformed identifier named, an unknown one 404 and counted as a missed search, no grant for any', async () => {
    const body = {
      purpose: CAP_PURPOSE,
      caseReference: 'URGENCE-2026-8',
      justification: 'Appel de la personne en détresse, conseillère absente, rendez-vous à fixer aujourd’hui',
      classes: ['identity'],
      identifier: { franceTravailId: '0000001Z' },
    };
    const grants = async () => (await db().selectFrom('break_glass').select('id').execute()).length;
    const before = await grants();
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
      .where('account_id', '=', accounts[CAP]!)
      .execute();
    const stale = await call(CAP, 'POST', '/api/staff/break-glass', { payload: body });
    assert.equal(stale.statusCode, 403);
    assert.equal(stale.json().error, 'step_up_required');
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date().toISOString() })
      .where('account_id', '=', accounts[CAP]!)
      .execute();
    const malformed = await call(CAP, 'POST', '/api/staff/break-glass', {
      payload: { ...body, identifier: { nir: '1234567890123' } },
    });
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json().issues[0].field, 'body.identifier.nir');
    const missesBefore = (
      await db()
        .selectFrom('guard_searches')
        .select('id')
        .where('actor_id', '=', actors[CAP]!)
        .where('hit', '=', 0)
        .execute()
    ).length;
    const unknown = await call(CAP, 'POST', '/api/staff/break-glass', { payload: body });
    assert.equal(unknown.statusCode, 404, unknown.body);
    const missesAfter = (
      await db()
        .selectFrom('guard_searches')
        .select('id')
        .where('actor_id', '=', actors[CAP]!)
        .where('hit', '=', 0)
        .execute()
    ).length;
    assert.equal(missesAfter, missesBefore + 1, 'the lookup is a missed search for the guard');
    assert.equal(await grants(), before, 'no grant for a refused or unanswered request');
  });

  it('an abusive break-glass stops working at once', async () => {
    const opened = await call(C1, 'POST', `/api/staff/persons/${otherCase}/break-glass`, {
      payload: {
        purpose: 'accompagnement',
        caseReference: 'URGENCE-2026-8',
        justification: 'Remplacement du conseiller référent absent cette semaine',
        classes: ['identity'],
      },
    });
    assert.equal(opened.statusCode, 201, opened.body);
    assert.equal(
      (await call(C1, 'GET', `/api/staff/persons/${otherCase}?classes=identity`, { purpose: 'accompagnement' }))
        .statusCode,
      200,
    );
    const reviewed = await call(RSSI, 'POST', `/api/security/break-glass/${opened.json().id}/review`, {
      payload: { verdict: 'abusive', note: 'aucune absence constatée' },
    });
    assert.equal(reviewed.statusCode, 200, reviewed.body);
    assert.equal(
      (await call(C1, 'GET', `/api/staff/persons/${otherCase}?classes=identity`, { purpose: 'accompagnement' })).json()
        .error,
      'person_out_of_scope',
    );
  });

  it('a call-centre operator walking a list of identifiers through caller checks learns nothing and is contained after 15 that reach nobody', async () => {
    const purpose = 'relation_usager';
    const answers: Array<{ status: number; keys: string }> = [];
    let contained: { statusCode: number; json(): { error: string } } | undefined;
    for (let i = 0; i < 20 && !contained; i++) {
      const res = await call(RCA, 'POST', '/api/staff/callers/verify', {
        purpose,
        payload: { franceTravailId: `${String(7_300_000 + i * 7919).padStart(7, '0')}Z` },
      });
      if (res.statusCode === 403) contained = res;
      else answers.push({ status: res.statusCode, keys: Object.keys(res.json()).sort().join(',') });
    }
    assert.ok(
      answers.length > 0 && answers.every((a) => a.status === 202 && a.keys === 'expiresAt,id'),
      'every check answered as a code sent',
    );
    assert.ok(contained, 'contained within 20 checks');
    assert.equal(contained.json().error, 'actor_contained');
    assert.ok(
      answers.length < 15,
      `contained at the 15th miss of the hour (the operator had missed before), after ${answers.length} answered`,
    );
    const containment = await db()
      .selectFrom('guard_containments')
      .select(['signal'])
      .where('actor_id', '=', actors[RCA]!)
      .where('released_at', 'is', null)
      .executeTakeFirstOrThrow();
    assert.equal(containment.signal, 'enumeration_misses');
  });

  it('no event and no log line holds a value that was read, searched or written', async () => {
    const all = JSON.stringify(await events());
    const logs = server.logLines.join('\n');
    assert.ok(secrets.length >= 3);
    for (const secret of secrets) {
      assert.ok(!all.includes(secret), 'a value leaked into the security events');
      assert.ok(!logs.includes(secret), 'a value leaked into the logs');
    }
    const denials = await events('access_denied');
    assert.ok(denials.length > 0, 'the suite made refusals');
    for (const e of denials) assert.ok(typeof e.details.reason === 'string');
  });
});
