import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import { validateAgreementFile, AGREEMENT_FORMAT, decide } from '../../src/policy/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { demoPersons, insertAssurance, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { lastCodeSentTo } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 7;
/** 10 March 2026, 11:00 in Paris: February's monthly update is open. */
const START = new Date('2026-03-10T10:00:00.000Z');
const MONTH = {
  stillLooking: true,
  works: [],
  training: false,
  sickness: false,
  parentalLeave: false,
  retirement: false,
  invalidity: false,
  sworn: true,
};

interface Who {
  client: Client;
  session: SignedIn;
}

/**
 * Assisted access under a mandate (issue 25 §4): an aidant prepares a mandate with the person, it
 * does nothing until the person confirms it (code or espace), then the aidant reads and writes
 * only its steps — never bank details, never another class, never after it ended or a step was
 * withdrawn, never another aidant — each act in the person's journal with the mandate's wording.
 */
describe(`mandates to a France Services aidant (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let now = START;
  const db = () => runtime.database.db;
  const who: Record<string, Who> = {};
  const seekers: Array<{ login: string; personId: string; franceTravailId: string }> = [];
  let counsellorLogin = '';
  let host = 10;

  const call = (
    login: string,
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    payload?: object,
    headers: Record<string, string> = {},
  ) =>
    app.inject({
      method,
      url,
      remoteAddress: who[login]!.client.remoteAddress,
      headers: {
        ...who[login]!.client.headers,
        cookie: who[login]!.session.cookie,
        'x-csrf-token': who[login]!.session.csrf,
        ...headers,
      },
      ...(payload ? { payload } : {}),
    });
  const enter = async (login: string) => {
    const client = {
      remoteAddress: `10.64.1.${++host}`,
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    who[login] = { client, session: await signIn(app, client, login, DEMO_PASSWORD) };
  };
  const count = async (table: 'mandates' | 'mandate_scopes') =>
    Number(
      (
        await db()
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const prepare = async (login: string, seeker: number, body: object = {}) => {
    const res = await call(login, 'POST', '/api/staff/mandates', {
      franceTravailId: seekers[seeker]!.franceTravailId,
      scopes: ['registration', 'update'],
      duration: '1m',
      consent: 'code',
      ...body,
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().mandate as { id: string; text: string; textSha256: string; state: string; personId: string };
  };
  const codeFor = (seeker: number) => lastCodeSentTo(server.env.dir, seekers[seeker]!.login);
  const confirm = (login: string, id: string, code: string) =>
    call(login, 'POST', `/api/staff/mandates/${id}/confirm`, { code });
  const refusals = async (operation: string) =>
    (await ledgerEvents(db(), 'access_denied')).filter((e) => e.details.operation === operation);

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
      if (!shown.has(person.email) || seekers.length === 2) continue;
      const registration = (await runtime.persons.read(person.id, ['registration'])).fields.registration!;
      await runtime.persons.update(person.id, {
        registration: { ...registration, category: 'A', status: 'registered', registeredOn: '2025-06-02' },
      });
      seekers.push({ login: person.email, personId: person.id, franceTravailId: registration.franceTravailId });
    }
    assert.equal(seekers.length, 2, 'two demo job seekers with an espace account');
    counsellorLogin = (
      await db()
        .selectFrom('caseloads')
        .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
        .select('actors.login')
        .where('caseloads.person_id', '=', seekers[0]!.personId)
        .where('actors.roles', 'like', '%"counsellor"%')
        .executeTakeFirstOrThrow()
    ).login;
    for (const login of ['fs.blaye.aidant1', 'fs.blaye.aidant2', counsellorLogin, ...seekers.map((s) => s.login)])
      await enter(login);
  });

  after(async () => {
    await server?.close();
  });

  it('refuses a bad form with a 400 naming the field, and writes nothing', async () => {
    const events = (await ledgerEvents(db())).length;
    const cases: Array<[object, string]> = [
      [{ scopes: ['bank'] }, 'body.scopes.0'],
      [{ scopes: [] }, 'body.scopes'],
      [{ duration: '2y' }, 'body.duration'],
      [{ consent: 'phone' }, 'body.consent'],
      [{ franceTravailId: 'abc' }, 'body.franceTravailId'],
      [{ consent: 'in_person' }, 'body.signatureAttested'],
      [{ extra: 1 }, 'body.extra'],
    ];
    for (const [patch, field] of cases) {
      const res = await call('fs.blaye.aidant1', 'POST', '/api/staff/mandates', {
        franceTravailId: seekers[0]!.franceTravailId,
        scopes: ['registration'],
        duration: '1m',
        consent: 'code',
        ...patch,
      });
      assert.equal(res.statusCode, 400, `${field}: ${res.body}`);
      const issues = res.json().issues as Array<{ field: string; message: string }>;
      assert.ok(
        issues.some((i) => i.field === field && /[a-zé]/.test(i.message)),
        `${field}: ${JSON.stringify(issues)}`,
      );
    }
    assert.equal(await count('mandates'), 0);
    assert.equal((await ledgerEvents(db())).length, events, 'nothing recorded for a bad form');
  });

  it('only an aidant prepares a mandate; an unknown identifier is a 404 naming the field', async () => {
    const refused = await call(counsellorLogin, 'POST', '/api/staff/mandates', {
      franceTravailId: seekers[0]!.franceTravailId,
      scopes: ['registration'],
      duration: '1m',
      consent: 'code',
    });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error, 'role_required');
    const unknown = await call('fs.blaye.aidant1', 'POST', '/api/staff/mandates', {
      franceTravailId: '9999999Z',
      scopes: ['registration'],
      duration: '1m',
      consent: 'code',
    });
    assert.equal(unknown.statusCode, 404, unknown.body);
    assert.equal(unknown.json().issues[0].field, 'body.franceTravailId');
    assert.equal(await count('mandates'), 0);
  });

  let byCode = '';
  it('a mandate by code: its text rendered and hashed, pending until the code the person received is typed', async () => {
    const mandate = await prepare('fs.blaye.aidant1', 0);
    byCode = mandate.id;
    assert.equal(mandate.state, 'pending');
    assert.match(mandate.text, /Je donne mandat à Nadia Benali, aidant\(e\) de France Services de Blaye/);
    assert.match(mandate.text, /actualisation mensuelle/);
    assert.doesNotMatch(mandate.text, /IBAN/);
    assert.equal(mandate.textSha256, createHash('sha256').update(mandate.text, 'utf8').digest('hex'));
    const requested = (await ledgerEvents(db(), 'mandate_requested')).at(-1)!;
    assert.equal(requested.details.personId, seekers[0]!.personId);
    assert.equal(requested.details.textSha256, mandate.textSha256);
    // Pending: it does nothing.
    const pending = await call('fs.blaye.aidant1', 'GET', `/api/staff/mandates/${byCode}/registration`);
    assert.equal(pending.statusCode, 403, pending.body);
    assert.equal(pending.json().error, 'person_out_of_scope');
    // A wrong code: a 400 naming the field, counted and recorded.
    const wrong = await confirm('fs.blaye.aidant1', byCode, '00000000' === codeFor(0) ? '11111111' : '00000000');
    assert.equal(wrong.statusCode, 400, wrong.body);
    assert.equal(wrong.json().issues[0].field, 'body.code');
    assert.equal((await refusals('confirm_mandate')).at(-1)!.details.reason, 'code_invalid');
    // Another aidant cannot confirm it, even with the right code.
    const other = await confirm('fs.blaye.aidant2', byCode, codeFor(0));
    assert.equal(other.statusCode, 404);
    const ok = await confirm('fs.blaye.aidant1', byCode, codeFor(0));
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().state, 'active');
    assert.equal(ok.json().confirmedVia, 'code');
    assert.equal(ok.json().expiresAt, '2026-04-10T10:00:00.000Z');
    const again = await confirm('fs.blaye.aidant1', byCode, codeFor(0));
    assert.equal(again.statusCode, 409);
  });

  it('wrong codes are throttled: the fifth cancels the mandate, and the right code no longer works', async () => {
    const mandate = await prepare('fs.blaye.aidant1', 1, { scopes: ['documents'] });
    const right = codeFor(1);
    const wrongCode = right === '12345678' ? '87654321' : '12345678';
    for (let i = 0; i < 4; i++)
      assert.equal((await confirm('fs.blaye.aidant1', mandate.id, wrongCode)).statusCode, 400);
    const fifth = await confirm('fs.blaye.aidant1', mandate.id, wrongCode);
    assert.equal(fifth.statusCode, 409);
    assert.equal(fifth.json().error, 'code_burned');
    const late = await confirm('fs.blaye.aidant1', mandate.id, right);
    assert.equal(late.statusCode, 409);
    const seen = await call(seekers[1]!.login, 'GET', '/api/me/mandates');
    assert.equal(seen.json().mandates.find((m: { id: string }) => m.id === mandate.id).state, 'refused');
  });

  it('under the mandate the aidant reads exactly the step’s classes, recorded naming the mandate', async () => {
    const res = await call('fs.blaye.aidant1', 'GET', `/api/staff/mandates/${byCode}/registration`);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(Object.keys(res.json().fields).sort(), ['contact', 'identity', 'registration']);
    const event = (await ledgerEvents(db(), 'access_granted')).at(-1)!;
    assert.equal(event.details.mandate, byCode);
    assert.equal(event.details.purpose, 'aidant_inscription');
    assert.equal(event.details.caseReference, `mandat:${byCode}`);
    assert.equal(event.details.personId, seekers[0]!.personId);
  });

  it('never bank details, never another class, never a direct write, never a step outside the mandate', async () => {
    const headers = { 'rempart-purpose': 'aidant_inscription', 'rempart-case-reference': `mandat:${byCode}` };
    const url = `/api/staff/persons/${seekers[0]!.personId}`;
    const bank = await call('fs.blaye.aidant1', 'GET', `${url}?classes=bank`, undefined, headers);
    assert.equal(bank.statusCode, 403);
    assert.equal(bank.json().error, 'field_class_not_granted');
    const career = await call('fs.blaye.aidant1', 'GET', `${url}?classes=career`, undefined, headers);
    assert.equal(career.statusCode, 403);
    assert.equal(career.json().error, 'field_class_not_granted');
    const write = await call(
      'fs.blaye.aidant1',
      'PATCH',
      url,
      { benefits: { allowance: 'none', payments: [] } },
      { 'rempart-purpose': 'aidant_actualisation', 'rempart-case-reference': `mandat:${byCode}` },
    );
    assert.equal(write.statusCode, 403, write.body);
    assert.equal(write.json().error, 'operation_not_granted');
    const bankChange = await call('fs.blaye.aidant1', 'GET', `${url}?classes=bank`, undefined, {
      'rempart-purpose': 'aidant_documents',
      'rempart-case-reference': `mandat:${byCode}`,
    });
    assert.equal(bankChange.statusCode, 403);
    // « documents » is not a step of this mandate.
    const documents = await call('fs.blaye.aidant1', 'GET', `/api/staff/mandates/${byCode}/documents`);
    assert.equal(documents.statusCode, 403, documents.body);
    assert.equal(documents.json().error, 'person_out_of_scope');
  });

  it('no mandate reaches bank details, whatever an agreement says: the file is refused, and so is the decision', () => {
    const purpose = {
      purpose: 'aidant_banque',
      label: 'Banque sous mandat',
      roles: ['aidant'],
      read: ['identity', 'bank'],
      write: [],
      relationship: 'mandate',
      mandateScope: 'documents',
      dailyCeiling: 10,
      retentionDays: 30,
    };
    assert.throws(
      () =>
        validateAgreementFile({
          format: AGREEMENT_FORMAT,
          organisation: randomUUID(),
          reference: 'FS-TEST',
          version: 1,
          legalBasis: 'mandat',
          purposes: [purpose],
          dpoContact: 'dpo@example.org',
          securityContact: 'ssi@example.org',
          validFrom: '2026-01-01',
          validUntil: '2027-01-01',
        }),
      (error: { issues: Array<{ field: string }> }) => error.issues.some((i) => i.field === 'purposes.0.read.1'),
    );
    const agreement = {
      id: 'a',
      organisationId: 'o',
      reference: 'FS-TEST',
      version: 1,
      legalBasis: 'mandat',
      purposes: [purpose as never],
      dpoContact: 'd',
      securityContact: 's',
      validFrom: '2026-01-01',
      validUntil: '2027-01-01',
      status: 'active' as const,
    };
    const decision = decide({
      actor: { id: 'x', organisationId: 'o', roles: ['aidant'], status: 'active' },
      organisation: {
        id: 'o',
        kind: 'france_services',
        status: 'active',
        agreements: [agreement],
        gate: { compliant: true, unmet: [] },
      },
      purpose: 'aidant_banque',
      caseReference: 'mandat:1',
      operation: 'read',
      classes: ['bank'],
      facts: {
        caseload: false,
        agency: false,
        referral: false,
        verifiedCaller: false,
        heldBankChange: false,
        employment: false,
        mandate: true,
      },
      now: new Date('2026-06-01T00:00:00Z'),
    });
    assert.deepEqual(decision, { allowed: false, reason: 'field_class_not_granted', detail: 'bank' });
  });

  it('the monthly update declared for the person: attributed to the aidant and the mandate, in their journal as « X (France Services de Y), avec votre mandat du … »', async () => {
    const bad = await call('fs.blaye.aidant1', 'POST', `/api/staff/mandates/${byCode}/monthly-update`, {
      ...MONTH,
      sworn: false,
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().issues[0].field, 'body.sworn');
    const res = await call('fs.blaye.aidant1', 'POST', `/api/staff/mandates/${byCode}/monthly-update`, MONTH);
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().declaration.period, '2026-02');
    const declared = (await ledgerEvents(db(), 'monthly_update_declared')).at(-1)!;
    assert.equal(declared.details.mandate, byCode);
    assert.equal(declared.details.personId, seekers[0]!.personId);
    assert.ok(declared.details.actorId, 'the aidant is the author');
    // The person sees their update done, and the act in their journal in the mandate's words.
    const own = await call(seekers[0]!.login, 'GET', '/api/me/monthly-update');
    assert.equal(own.json().declarations[0].period, '2026-02');
    const journal = await call(seekers[0]!.login, 'GET', '/api/me/journal?pageSize=50');
    assert.equal(journal.statusCode, 200, journal.body);
    const entries = journal.json().entries as Array<{ event: { kind: string }; mandate?: string }>;
    const act = entries.find((e) => e.event.kind === 'monthly_update_declared');
    assert.equal(act?.mandate, 'Nadia Benali (France Services de Blaye), avec votre mandat du 10 mars 2026');
    const kinds = entries.map((e) => e.event.kind);
    assert.ok(kinds.includes('mandate_requested') && kinds.includes('mandate_confirmed'));
  });

  it('another aidant, of the same house or of another, is refused', async () => {
    const mine = await call('fs.blaye.aidant2', 'GET', `/api/staff/mandates/${byCode}/registration`);
    assert.equal(mine.statusCode, 404);
    const headers = { 'rempart-purpose': 'aidant_inscription', 'rempart-case-reference': `mandat:${byCode}` };
    const generic = await call(
      'fs.blaye.aidant2',
      'GET',
      `/api/staff/persons/${seekers[0]!.personId}`,
      undefined,
      headers,
    );
    assert.equal(generic.statusCode, 403);
    assert.equal(generic.json().error, 'person_out_of_scope');
    // Another France Services house, with the same agreement: its aidant has no tie either.
    const house = await db()
      .selectFrom('organisations')
      .selectAll()
      .where('kind', '=', 'france_services')
      .executeTakeFirstOrThrow();
    const agreement = await db()
      .selectFrom('agreements')
      .selectAll()
      .where('organisation_id', '=', house.id)
      .executeTakeFirstOrThrow();
    const otherHouse = randomUUID();
    const otherRow = { ...house, id: otherHouse, name: 'France Services de Lesparre' };
    const otherAgreement = { ...agreement, id: randomUUID(), organisation_id: otherHouse, reference: 'FS-33-LESPARRE' };
    await db().insertInto('organisations').values(otherRow).execute();
    await db().insertInto('agreements').values(otherAgreement).execute();
    // Its DPIAs and baseline attestation, as the seed gives every house: its gate is met.
    await insertAssurance(db(), { organisations: [otherRow], agreements: [otherAgreement] });
    const actorId = randomUUID();
    await db()
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: otherHouse,
        kind: 'human',
        login: 'fs.lesparre.aidant',
        display_name: 'Aidant de Lesparre',
        roles: JSON.stringify(['aidant']),
        status: 'active',
        created_at: START.toISOString(),
      })
      .execute();
    const accountId = await createAccount(db(), {
      kind: 'staff',
      login: 'fs.lesparre.aidant',
      password: DEMO_PASSWORD,
      actorId,
    });
    await addChannel(db(), runtime.keyring, accountId, 'email', 'fs.lesparre@agents.rempart.example', {
      verified: true,
    });
    await enter('fs.lesparre.aidant');
    const stranger = await call('fs.lesparre.aidant', 'GET', `/api/staff/mandates/${byCode}/registration`);
    assert.equal(stranger.statusCode, 404);
    const strangerGeneric = await call(
      'fs.lesparre.aidant',
      'GET',
      `/api/staff/persons/${seekers[0]!.personId}`,
      undefined,
      headers,
    );
    assert.equal(strangerGeneric.statusCode, 403);
    assert.equal(strangerGeneric.json().error, 'person_out_of_scope');
  });

  it('a contained aidant is refused', async () => {
    const aidant = await db()
      .selectFrom('actors')
      .select('id')
      .where('login', '=', 'fs.blaye.aidant1')
      .executeTakeFirstOrThrow();
    await db().updateTable('actors').set({ status: 'suspended' }).where('id', '=', aidant.id).execute();
    try {
      const res = await call('fs.blaye.aidant1', 'GET', `/api/staff/mandates/${byCode}/registration`);
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error, 'actor_contained');
    } finally {
      await db().updateTable('actors').set({ status: 'active' }).where('id', '=', aidant.id).execute();
    }
  });

  it('the person sees their mandates, and another person can neither see, confirm nor revoke them', async () => {
    const mine = await call(seekers[0]!.login, 'GET', '/api/me/mandates');
    const listed = mine.json().mandates as Array<{
      id: string;
      helper: { name: string };
      organisation: { name: string };
    }>;
    const mandate = listed.find((m) => m.id === byCode)!;
    assert.equal(mandate.helper.name, 'Nadia Benali');
    assert.equal(mandate.organisation.name, 'France Services de Blaye');
    const theirs = await call(seekers[1]!.login, 'GET', '/api/me/mandates');
    assert.ok(!(theirs.json().mandates as Array<{ id: string }>).some((m) => m.id === byCode));
    assert.equal((await call(seekers[1]!.login, 'POST', `/api/me/mandates/${byCode}/revoke`, {})).statusCode, 404);
    assert.equal((await call(seekers[1]!.login, 'POST', `/api/me/mandates/${byCode}/confirm`)).statusCode, 404);
  });

  it('revoked per step by the person: that step is refused at once, the others still work; then the whole', async () => {
    const bad = await call(seekers[0]!.login, 'POST', `/api/me/mandates/${byCode}/revoke`, { scopes: ['bank'] });
    assert.equal(bad.statusCode, 400);
    const res = await call(seekers[0]!.login, 'POST', `/api/me/mandates/${byCode}/revoke`, { scopes: ['update'] });
    assert.equal(res.statusCode, 200, res.body);
    const update = (res.json().scopes as Array<{ scope: string; revokedVia: string | null }>).find(
      (s) => s.scope === 'update',
    );
    assert.equal(update?.revokedVia, 'espace');
    const refused = await call('fs.blaye.aidant1', 'POST', `/api/staff/mandates/${byCode}/monthly-update`, MONTH);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error, 'person_out_of_scope');
    const still = await call('fs.blaye.aidant1', 'GET', `/api/staff/mandates/${byCode}/registration`);
    assert.equal(still.statusCode, 200);
    const whole = await call(seekers[0]!.login, 'POST', `/api/me/mandates/${byCode}/revoke`, {});
    assert.equal(whole.json().state, 'revoked');
    const gone = await call('fs.blaye.aidant1', 'GET', `/api/staff/mandates/${byCode}/registration`);
    assert.equal(gone.statusCode, 403);
    const revoked = (await ledgerEvents(db(), 'mandate_revoked')).filter((e) => e.details.mandate === byCode);
    assert.deepEqual(
      revoked.map((e) => e.details.scopes),
      ['update', 'registration'],
    );
  });

  it('in person: the aidant attests the signature, and it works only once the person confirms in their espace', async () => {
    const mandate = await prepare('fs.blaye.aidant1', 0, {
      consent: 'in_person',
      signatureAttested: true,
      scopes: ['documents'],
      duration: '1d',
    });
    // The printed mandate to sign: its text and digest, for its aidant only.
    const pdf = await call('fs.blaye.aidant1', 'GET', `/api/staff/mandates/${mandate.id}/pdf`);
    assert.equal(pdf.statusCode, 200);
    assert.match(String(pdf.headers['content-type']), /^application\/pdf/);
    assert.equal(pdf.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.equal((await call('fs.blaye.aidant2', 'GET', `/api/staff/mandates/${mandate.id}/pdf`)).statusCode, 404);
    const before = await call('fs.blaye.aidant1', 'GET', `/api/staff/mandates/${mandate.id}/documents`);
    assert.equal(before.statusCode, 403);
    const ok = await call(seekers[0]!.login, 'POST', `/api/me/mandates/${mandate.id}/confirm`);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().confirmedVia, 'espace');
    const after = await call('fs.blaye.aidant1', 'GET', `/api/staff/mandates/${mandate.id}/documents`);
    assert.equal(after.statusCode, 200, after.body);
    assert.ok(Array.isArray(after.json().certificates));
    // A one-day mandate: the next day it is over.
    now = new Date(START.getTime() + 86_400_000 + 60_000);
    try {
      const expired = await call('fs.blaye.aidant1', 'GET', `/api/staff/mandates/${mandate.id}/documents`);
      assert.equal(expired.statusCode, 403);
      assert.equal(expired.json().error, 'person_out_of_scope');
    } finally {
      now = START;
    }
  });

  it('a pending mandate nobody confirmed within a day lapses', async () => {
    const mandate = await prepare('fs.blaye.aidant2', 1, { scopes: ['registration'] });
    now = new Date(START.getTime() + 25 * 3_600_000);
    try {
      const late = await call(seekers[1]!.login, 'POST', `/api/me/mandates/${mandate.id}/confirm`);
      assert.equal(late.statusCode, 409);
      assert.equal(late.json().error, 'mandate_lapsed');
    } finally {
      now = START;
    }
  });

  it('a letter withdrawing a mandate, recorded by an agent of the agency: the aidant is refused from then on', async () => {
    const mandate = await prepare('fs.blaye.aidant2', 0, { scopes: ['registration'], duration: '6m' });
    assert.equal((await confirm('fs.blaye.aidant2', mandate.id, codeFor(0))).statusCode, 200);
    const url = `/api/staff/persons/${seekers[0]!.personId}/mandates/${mandate.id}/revocation-letter`;
    const headers = { 'rempart-purpose': 'accompagnement', 'rempart-case-reference': 'COURRIER-2026-031' };
    const aidant = await call('fs.blaye.aidant2', 'POST', url, { receivedOn: '2026-03-09' }, headers);
    assert.equal(aidant.statusCode, 403);
    const bad = await call(counsellorLogin, 'POST', url, { receivedOn: '2026-13-01' }, headers);
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().issues[0].field, 'body.receivedOn');
    const future = await call(counsellorLogin, 'POST', url, { receivedOn: '2026-04-01' }, headers);
    assert.equal(future.statusCode, 400);
    const res = await call(counsellorLogin, 'POST', url, { receivedOn: '2026-03-09' }, headers);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().state, 'revoked');
    assert.equal(res.json().scopes[0].revokedVia, 'letter');
    const event = (await ledgerEvents(db(), 'mandate_revoked')).at(-1)!;
    assert.equal(event.details.via, 'letter');
    assert.equal(event.details.receivedOn, '2026-03-09');
    const refused = await call('fs.blaye.aidant2', 'GET', `/api/staff/mandates/${mandate.id}/registration`);
    assert.equal(refused.statusCode, 403);
  });

  it('expiry notices: some days before, and at the end (by letter too when the person chose paper), once each', async () => {
    const mandate = await prepare('fs.blaye.aidant2', 1, { scopes: ['registration'], duration: '1m' });
    assert.equal((await confirm('fs.blaye.aidant2', mandate.id, codeFor(1))).statusCode, 200);
    const account = await db()
      .selectFrom('accounts')
      .select('id')
      .where('person_id', '=', seekers[1]!.personId)
      .executeTakeFirstOrThrow();
    await runtime.paper.setPreference(seekers[1]!.personId, true, { accountId: account.id, as: 'person' });
    const letters = async () =>
      (
        await db().selectFrom('paper_letters').select('kind').where('person_id', '=', seekers[1]!.personId).execute()
      ).map((l) => l.kind);
    assert.equal(await runtime.mandates.noticeExpiries(), 0, 'nothing a month before the end');
    try {
      // Two days later, only the one-day mandate given in person has ended: its notice alone.
      now = new Date(START.getTime() + 2 * 86_400_000);
      assert.equal(await runtime.mandates.noticeExpiries(), 1);
      assert.ok(!(await letters()).some((k) => k.startsWith('mandate_')), 'not this person’s');
      now = new Date('2026-04-05T10:00:00.000Z');
      assert.equal(await runtime.mandates.noticeExpiries(), 1);
      assert.equal(await runtime.mandates.noticeExpiries(), 0, 'once');
      assert.ok((await letters()).includes('mandate_expiring'));
      now = new Date('2026-04-10T10:00:01.000Z');
      assert.equal(await runtime.mandates.noticeExpiries(), 1);
      assert.equal(await runtime.mandates.noticeExpiries(), 0, 'once');
      assert.ok((await letters()).includes('mandate_expired'));
      const ended = (await ledgerEvents(db(), 'mandate_expired')).filter((e) => e.details.mandate === mandate.id);
      assert.equal(ended.length, 1);
      const refused = await call('fs.blaye.aidant2', 'GET', `/api/staff/mandates/${mandate.id}/registration`);
      assert.equal(refused.statusCode, 403);
      const listed = await call(seekers[1]!.login, 'GET', '/api/me/mandates');
      assert.equal(listed.json().mandates.find((m: { id: string }) => m.id === mandate.id).state, 'expired');
    } finally {
      now = START;
    }
  });
});
