import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { registerMachineClient } from '../../src/identity/index.ts';
import type { PurposeRule } from '../../src/policy/index.ts';
import { CONSENT_TEXTS, consentTextHash } from '../../src/registration/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { insertAssurance, plantDecoys, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { intakeRecord } from '../helpers/intake.ts';
import { clientCredentialsForm, registerCapEmploiSystem, type TestMachineClient } from '../helpers/machine-client.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 43;
const PARTNER_ADDRESS = '10.20.0.9';
const IMPORT_PURPOSE = 'inscription_rsa';
/** The département's ceiling for imports in the test: 40 a day, so 10 in an hour for one system. */
const IMPORT_CEILING = 40;
const COUNSELLOR = 'conseiller.bastide.1';
const HURRIED = 'conseiller.bastide.2';
const ELSEWHERE = 'conseiller.merignac.1';
const NO_ABILITY = 'indemnisation.bastide';

/**
 * Registration by an agent (desk, paper form) and by a partner's import (issue 25 §1): the
 * consent recorded, the receipt handed (downloaded, counted) or posted (a letter queued), a
 * partner's batch registered whole or not at all with a notice letter for each person, duplicates
 * held for an agent; each refusal writes nothing, and a mass creation is contained as a mass read.
 */
describe(`registration by an agent and by import (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  const db = () => runtime.database.db;
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  let host = 20;
  let departement: TestMachineClient;
  let hacked: TestMachineClient;
  let textHash = '';
  let counter = 5_000;
  const next = () => ++counter;

  const call = (login: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    server.app.inject({
      method,
      url,
      remoteAddress: clients[login]!.remoteAddress,
      headers: { ...clients[login]!.headers, cookie: sessions[login]!.cookie, 'x-csrf-token': sessions[login]!.csrf },
      ...(payload ? { payload } : {}),
    });
  const desk = (login: string, body: object) => call(login, 'POST', '/api/staff/registrations/desk', body);
  const deskBody = (n: number, extra: Record<string, unknown> = {}) => ({
    registration: intakeRecord(n),
    consent: { given: 'desk', signed: true, textHash },
    receipt: 'handed',
    ...extra,
  });

  async function token(client: TestMachineClient, scope: string): Promise<string> {
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/oauth/token',
      remoteAddress: PARTNER_ADDRESS,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: await clientCredentialsForm(client, runtime.config.publicUrl, scope),
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().access_token as string;
  }
  const importBatch = (accessToken: string, records: unknown[], purpose = IMPORT_PURPOSE) =>
    server.app.inject({
      method: 'POST',
      url: '/api/partner/registrations/imports',
      remoteAddress: PARTNER_ADDRESS,
      headers: {
        authorization: `Bearer ${accessToken}`,
        'rempart-purpose': purpose,
        'rempart-case-reference': `LOT-RSA-${randomUUID().slice(0, 8)}`,
      },
      payload: { records } as object,
    });

  const count = async (
    table: 'persons' | 'registration_intakes' | 'registration_import_batches' | 'paper_letters' | 'referrals',
  ) =>
    Number(
      (
        await db()
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const eventsOf = async (kind: string, personId?: string) =>
    (
      await db()
        .selectFrom('ledger_events')
        .select(['body', 'actor_id', 'person_id'])
        .where('kind', '=', kind)
        .$if(personId !== undefined, (q) => q.where('person_id', '=', personId!))
        .execute()
    ).map((e) => {
      const body = JSON.parse(e.body) as {
        details: Record<string, unknown>;
        purpose: string | null;
        operation: string | null;
      };
      return { ...e, details: body.details, purpose: body.purpose, operation: body.operation };
    });
  /** What a refusal must leave as it was: files, intakes, batches, letters, held candidates, and their events. */
  const snapshot = async () => ({
    persons: await count('persons'),
    intakes: await count('registration_intakes'),
    batches: await count('registration_import_batches'),
    letters: await count('paper_letters'),
    referrals: await count('referrals'),
    reviews: (await db().selectFrom('registration_reviews').select('id').execute()).length,
    registered: (await eventsOf('person_registered')).length,
    recorded: (await eventsOf('registration_intake_recorded')).length,
  });

  async function machineClient(organisationId: string, name: string): Promise<TestMachineClient> {
    const keys = await generateKeyPair('ES256');
    const kid = randomUUID();
    const { clientId } = await registerMachineClient(db(), {
      organisationId,
      name,
      jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), kid }] },
    });
    return { organisationId, clientId, kid, privateKey: keys.privateKey };
  }

  before(async () => {
    server = await openTestServer();
    runtime = server.runtime;
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 20,
      seed: SEED,
      batchSize: 20,
      parallel: false,
    });
    await plantDecoys(db(), runtime.persons, { seed: SEED, population: 20 });
    await ensureDemoAccounts(runtime, SEED);
    for (const login of [COUNSELLOR, HURRIED, ELSEWHERE, NO_ABILITY]) {
      clients[login] = {
        remoteAddress: `10.62.70.${++host}`,
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      sessions[login] = await signIn(server.app, clients[login], login, DEMO_PASSWORD);
    }
    textHash = consentTextHash(CONSENT_TEXTS[0]!.text);

    // The département's agreement gains the import of RSA applicants, for its information system only.
    const cd = await db()
      .selectFrom('organisations')
      .select('id')
      .where('kind', '=', 'departement')
      .executeTakeFirstOrThrow();
    const agreement = await db()
      .selectFrom('agreements')
      .select(['id', 'purposes'])
      .where('organisation_id', '=', cd.id)
      .executeTakeFirstOrThrow();
    const purposes = JSON.parse(agreement.purposes) as PurposeRule[];
    purposes.push({
      purpose: IMPORT_PURPOSE,
      label: 'Inscription des allocataires du RSA orientés vers France Travail',
      roles: ['partner_system'],
      read: [],
      write: ['identity', 'nir', 'contact', 'career', 'registration'],
      relationship: 'referral',
      dailyCeiling: IMPORT_CEILING,
      retentionDays: 365,
    });
    await db()
      .updateTable('agreements')
      .set({ purposes: JSON.stringify(purposes) })
      .where('id', '=', agreement.id)
      .execute();
    // The new processing gets its impact assessment, as the gate asks of every purpose in force.
    await insertAssurance(db(), {
      organisations: [
        await db().selectFrom('organisations').selectAll().where('id', '=', cd.id).executeTakeFirstOrThrow(),
      ],
      agreements: [
        await db().selectFrom('agreements').selectAll().where('id', '=', agreement.id).executeTakeFirstOrThrow(),
      ],
    });
    // The hurried agent's account is not new: the guard's budget, not its new-account signal, is what stops them.
    const longAgo = new Date(Date.now() - 60 * 86_400_000).toISOString();
    await db()
      .updateTable('accounts')
      .set({ created_at: longAgo, password_changed_at: longAgo })
      .where('login', '=', HURRIED)
      .execute();
    departement = await machineClient(cd.id, 'SI insertion du Département');
    hacked = await machineClient(cd.id, 'SI RSA (second système)');
  });
  after(() => server.close());

  // ---- At the desk and from a paper form ----

  it('the consent text and its hash are given to the agent; an agent without the ability gets 403', async () => {
    const res = await call(COUNSELLOR, 'GET', '/api/staff/registrations/desk/consent-text');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().textHash, textHash);
    assert.match(res.json().text, /J’atteste sur l’honneur/);
    const refused = await call(NO_ABILITY, 'GET', '/api/staff/registrations/desk/consent-text');
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error, 'role_required');
  });

  it('at the desk: a file, the consent recorded, the receipt downloaded as a PDF and counted', async () => {
    const before = await snapshot();
    const res = await desk(COUNSELLOR, deskBody(next()));
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.outcome, 'registered');
    assert.match(body.franceTravailId, /^[0-9]{7}[A-Z]$/);
    assert.equal(body.category, 'A');
    assert.equal(body.administrativeCategory, 1);
    assert.equal(body.receipt.delivery, 'handed');
    const after1 = await snapshot();
    assert.equal(after1.persons, before.persons + 1);
    assert.equal(after1.letters, before.letters, 'a handed receipt is no letter');

    const intake = await runtime.intake.intake(body.intakeId);
    assert.equal(intake.person_id, body.personId);
    assert.equal(intake.channel, 'desk');
    assert.equal(intake.consent_given, 'desk');
    assert.equal(intake.receipt, 'handed');
    const file = await runtime.persons.read(body.personId, ['registration']);
    assert.equal(file.fields.registration!.channel, 'desk');
    assert.equal(file.fields.registration!.franceTravailId, body.franceTravailId);

    // The person's journal says who registered them, how they consented; never a value.
    const recorded = await eventsOf('registration_intake_recorded', body.personId);
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0]!.purpose, 'inscription');
    assert.equal(recorded[0]!.details.consent, 'desk');
    assert.equal(recorded[0]!.details.consentText, CONSENT_TEXTS[0]!.version);
    assert.equal(recorded[0]!.details.receipt, 'handed');
    assert.ok(!recorded[0]!.body.includes(body.franceTravailId), 'no value in the event');
    const registered = await eventsOf('person_registered', body.personId);
    assert.equal(registered[0]!.details.channel, 'desk');

    const pdf = await call(COUNSELLOR, 'GET', body.receipt.download);
    assert.equal(pdf.statusCode, 200, pdf.body);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    const read = await eventsOf('access_granted', body.personId);
    assert.deepEqual(
      read.filter((e) => e.operation === 'registration_receipt').map((e) => e.details.intake),
      [body.intakeId],
    );
    assert.ok((await runtime.intake.intake(body.intakeId)).receipt_issued_at);
    // Registering and handing the receipt is one person in the agent's windows, not two.
    const seen = await db()
      .selectFrom('guard_seen')
      .select('subject')
      .where('scope', '=', `actor:${recorded[0]!.actor_id}`)
      .where('subject', '=', body.intakeId)
      .execute();
    assert.equal(seen.length, 1);
  });

  it('from a paper form: its received date kept, the receipt posted as a queued letter', async () => {
    const receivedOn = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const res = await desk(
      COUNSELLOR,
      deskBody(next(), { consent: { given: 'paper', signed: true, textHash, receivedOn }, receipt: 'posted' }),
    );
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.receipt.download, null);
    const intake = await runtime.intake.intake(body.intakeId);
    assert.equal(intake.channel, 'paper');
    assert.equal(intake.consent_given, 'paper');
    assert.equal(intake.consent_received_on, receivedOn);
    assert.ok(intake.letter_id);
    const letter = await runtime.paper.get(intake.letter_id);
    assert.equal(letter.personId, body.personId);
    assert.equal(letter.kind, 'registration_receipt');
    assert.equal(letter.status, 'queued');
    assert.equal(letter.kindLabel, 'Récépissé d’inscription');
    // The mail room prints it: the address read from the new file through the pipeline, recorded.
    const printed = await runtime.paper.pdf(intake.letter_id, { accountId: null });
    assert.equal(printed.content.subarray(0, 5).toString(), '%PDF-');
    // A posted receipt is not downloaded at the desk.
    const pdf = await call(COUNSELLOR, 'GET', `/api/staff/registrations/desk/${body.intakeId}/receipt`);
    assert.equal(pdf.statusCode, 404);
  });

  it('bad fields are refused with the field named in French, and nothing is written', async () => {
    const before = await snapshot();
    const cases: Array<[object, string]> = [
      [{ registration: intakeRecord(next()), receipt: 'handed' }, 'body.consent'],
      [deskBody(next(), { consent: { given: 'paper', signed: true, textHash } }), 'body.consent.receivedOn'],
      [
        deskBody(next(), { consent: { given: 'desk', signed: true, textHash: 'a'.repeat(64) } }),
        'body.consent.textHash',
      ],
      [deskBody(next(), { consent: { given: 'desk', signed: false, textHash } }), 'body.consent.signed'],
      [
        deskBody(next(), {
          consent: { given: 'desk', signed: true, textHash, receivedOn: '2026-01-02' },
        }),
        'body.consent.receivedOn',
      ],
      [
        {
          ...deskBody(next()),
          registration: intakeRecord(next(), {
            identity: { lastName: 'FUTUR', firstNames: ['Zoé'], sex: 'F', birthDate: '2990-03-14' },
          }),
        },
        'body.registration.identity.birthDate',
      ],
      [
        {
          ...deskBody(next(), { receipt: 'posted' }),
          registration: intakeRecord(next(), { contact: { email: 'sans.adresse@exemple.fr' } }),
        },
        'body.registration.contact.address',
      ],
      [{ ...deskBody(next()), receipt: 'pigeon' }, 'body.receipt'],
    ];
    for (const [payload, field] of cases) {
      const res = await desk(COUNSELLOR, payload);
      assert.equal(res.statusCode, 400, `${field}: ${res.body}`);
      const issues = res.json().issues as Array<{ field: string; message: string }>;
      const named = issues.find((i) => i.field === field);
      assert.ok(named, `${field} named in ${res.body}`);
      assert.match(named.message, /[a-zé]/);
    }
    assert.deepEqual(await snapshot(), before);
  });

  it('refused without the ability, without a session, and for another organisation’s receipt', async () => {
    const before = await snapshot();
    const res = await desk(NO_ABILITY, deskBody(next()));
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'role_required');
    const anonymous = await server.app.inject({
      method: 'POST',
      url: '/api/staff/registrations/desk',
      remoteAddress: '10.62.70.99',
      payload: deskBody(next()),
    });
    assert.equal(anonymous.statusCode, 401);
    assert.deepEqual(await snapshot(), before);

    const mine = await desk(COUNSELLOR, deskBody(next()));
    assert.equal(mine.statusCode, 201, mine.body);
    const theirs = await call(ELSEWHERE, 'GET', mine.json().receipt.download);
    assert.equal(theirs.statusCode, 404, 'another agency does not even learn the intake exists');
    const none = await eventsOf('access_granted', mine.json().personId);
    assert.equal(none.filter((e) => e.operation === 'registration_receipt').length, 0);
  });

  it('a person already known is held for an agent, never merged; the receipt comes once an agent finds them different', async () => {
    const n = next();
    const first = await desk(COUNSELLOR, deskBody(n));
    assert.equal(first.statusCode, 201, first.body);
    const before = await snapshot();
    const again = await desk(COUNSELLOR, deskBody(n));
    assert.equal(again.statusCode, 202, again.body);
    assert.equal(again.json().outcome, 'held_as_duplicate');
    const after1 = await snapshot();
    assert.equal(after1.persons, before.persons, 'no second file');
    assert.equal(after1.reviews, before.reviews + 1, 'in the agents’ queue');
    const intake = await runtime.intake.intake(again.json().intakeId);
    assert.equal(intake.review_id, again.json().reviewId);
    assert.equal(intake.person_id, null);
    const review = await runtime.registrations.review(again.json().reviewId);
    assert.deepEqual(review.matchedOn.sort(), ['name_birth', 'nir']);
    assert.deepEqual(review.matchedPersonIds, [first.json().personId]);
    const pdf = await call(COUNSELLOR, 'GET', `/api/staff/registrations/desk/${again.json().intakeId}/receipt`);
    assert.equal(pdf.statusCode, 404);

    // An agent finds they are different persons: the file is created then, and the receipt with it.
    const agent = await db()
      .selectFrom('actors')
      .innerJoin('accounts', 'accounts.actor_id', 'actors.id')
      .select(['actors.id as actorId', 'actors.organisation_id as organisationId', 'accounts.id as accountId'])
      .where('actors.login', '=', COUNSELLOR)
      .executeTakeFirstOrThrow();
    const decided = await runtime.registrations.decide(again.json().reviewId, 'different_persons', agent);
    assert.ok(decided.registered);
    const created = await runtime.intake.intake(again.json().intakeId);
    assert.equal(created.person_id, decided.personId);
    const recorded = await eventsOf('registration_intake_recorded', decided.personId);
    assert.equal(recorded[0]!.details.via, 'review');
    const later = await call(COUNSELLOR, 'GET', `/api/staff/registrations/desk/${again.json().intakeId}/receipt`);
    assert.equal(later.statusCode, 200, later.body);
    assert.equal(later.rawPayload.subarray(0, 5).toString(), '%PDF-');
  });

  it('a desk account creating files en masse is contained like a mass reader; the refused one writes nothing', async () => {
    let created = 0;
    let refusal: { statusCode: number; json: () => { error: string } } | undefined;
    for (let i = 0; i < 40 && !refusal; i++) {
      const res = await desk(HURRIED, deskBody(next()));
      if (res.statusCode === 201) created++;
      else refusal = res;
    }
    assert.ok(refusal, 'contained before forty');
    assert.equal(refusal.statusCode, 403);
    assert.equal(refusal.json().error, 'guard_limit_reached');
    assert.equal(created, 30, 'the hour’s budget of the registration profile');
    const actor = await db()
      .selectFrom('actors')
      .select(['id', 'status'])
      .where('login', '=', HURRIED)
      .executeTakeFirstOrThrow();
    assert.equal(actor.status, 'suspended');
    const intakes = await db()
      .selectFrom('registration_intakes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('actor_id', '=', actor.id)
      .executeTakeFirstOrThrow();
    assert.equal(Number(intakes.n), 30, 'the refused registration left no intake');
    const before = await snapshot();
    // Contained: its sessions are revoked, the next registration is not even heard.
    const after1 = await desk(HURRIED, deskBody(next()));
    assert.equal(after1.statusCode, 401);
    assert.deepEqual(await snapshot(), before);
  });

  // ---- Imports from partners ----

  it('a département’s batch: each file created with its source and batch, each person sent a letter', async () => {
    const accessToken = await token(departement, IMPORT_PURPOSE);
    const before = await snapshot();
    const records = [intakeRecord(next()), intakeRecord(next()), intakeRecord(next())];
    const res = await importBatch(accessToken, records);
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.registered, 3);
    assert.equal(body.held, 0);
    assert.deepEqual(
      body.records.map((r: { index: number }) => r.index),
      [0, 1, 2],
    );
    const after1 = await snapshot();
    assert.equal(after1.persons, before.persons + 3);
    assert.equal(after1.letters, before.letters + 3);
    assert.equal(after1.batches, before.batches + 1);

    for (const record of body.records as Array<{ personId: string }>) {
      const recorded = await eventsOf('registration_intake_recorded', record.personId);
      assert.equal(recorded.length, 1);
      assert.equal(recorded[0]!.details.batch, body.batch);
      assert.equal(recorded[0]!.details.source, 'rsa');
      assert.equal(recorded[0]!.details.receipt, 'notice');
      assert.equal(recorded[0]!.purpose, IMPORT_PURPOSE);
      const registered = await eventsOf('person_registered', record.personId);
      assert.equal(registered[0]!.details.channel, 'import');
      assert.equal(registered[0]!.details.source, departement.organisationId);
      const letters = await runtime.paper.ofPerson(record.personId);
      assert.equal(letters.length, 1);
      assert.equal(letters[0]!.kind, 'registration_import_notice');
      // The département keeps following the person it sent: a referral, named in the event.
      const referral = await db()
        .selectFrom('referrals')
        .select(['id', 'organisation_id', 'status'])
        .where('person_id', '=', record.personId)
        .executeTakeFirstOrThrow();
      assert.equal(referral.organisation_id, departement.organisationId);
      assert.equal(referral.status, 'active');
      assert.equal(recorded[0]!.details.referral, referral.id);
    }
    const batch = await eventsOf('registration_import_received');
    const mine = batch.find((e) => e.details.batch === body.batch);
    assert.ok(mine);
    assert.equal(mine.details.records, 3);
    assert.equal(mine.details.registered, 3);
  });

  it('a bad record refuses the whole batch, each bad field named with its record’s index; nothing written', async () => {
    const accessToken = await token(departement, IMPORT_PURPOSE);
    const before = await snapshot();
    const res = await importBatch(accessToken, [
      intakeRecord(next()),
      intakeRecord(next(), { situation: { kind: 'reduced_activity' } }),
      intakeRecord(next(), { contact: { email: 'sans.adresse@exemple.fr' } }),
    ]);
    assert.equal(res.statusCode, 400, res.body);
    const fields = (res.json().issues as Array<{ field: string }>).map((i) => i.field).sort();
    assert.deepEqual(fields, ['body.records.1.situation.hoursLastMonth', 'body.records.2.contact.address']);
    const schema = await importBatch(accessToken, [intakeRecord(next()), { ...intakeRecord(next()), soughtJobs: [] }]);
    assert.equal(schema.statusCode, 400, schema.body);
    assert.ok(
      (schema.json().issues as Array<{ field: string }>).some((i) => i.field.startsWith('body.records.1.soughtJobs')),
    );
    const empty = await importBatch(accessToken, []);
    assert.equal(empty.statusCode, 400);
    assert.deepEqual(await snapshot(), before);
  });

  it('a batch that fails halfway leaves no partial file: the whole batch rolls back', async () => {
    const accessToken = await token(departement, IMPORT_PURPOSE);
    const before = await snapshot();
    const queueLetter = runtime.paper.queueLetter.bind(runtime.paper);
    let calls = 0;
    // The second person's letter cannot be queued (a full disk, a lost connection): after the first file was created.
    runtime.paper.queueLetter = async (notice, executor) => {
      if (++calls === 2) throw new Error('the letter queue is unavailable');
      return queueLetter(notice, executor);
    };
    try {
      const res = await importBatch(accessToken, [intakeRecord(next()), intakeRecord(next()), intakeRecord(next())]);
      assert.ok(res.statusCode >= 500, res.body);
    } finally {
      runtime.paper.queueLetter = queueLetter;
    }
    assert.equal(calls, 2, 'it failed after the first file');
    assert.deepEqual(await snapshot(), before);
  });

  it('a record matching a file is held for an agent, the rest registered; no letter for the held one', async () => {
    const accessToken = await token(departement, IMPORT_PURPOSE);
    const n = next();
    const existing = await desk(COUNSELLOR, deskBody(n));
    assert.equal(existing.statusCode, 201, existing.body);
    const before = await snapshot();
    const res = await importBatch(accessToken, [intakeRecord(next()), intakeRecord(n)]);
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().registered, 1);
    assert.equal(res.json().held, 1);
    const held = res.json().records[1];
    assert.equal(held.outcome, 'held_as_duplicate');
    assert.equal(held.personId, undefined);
    const review = await runtime.registrations.review(held.reviewId);
    assert.equal(review.channel, 'import');
    assert.equal(review.sourceOrganisationId, departement.organisationId);
    const after1 = await snapshot();
    assert.equal(after1.persons, before.persons + 1);
    assert.equal(after1.letters, before.letters + 1);
    assert.equal(after1.reviews, before.reviews + 1);
  });

  it('a partner without the import purpose, or of a kind that does not register, writes nothing', async () => {
    const before = await snapshot();
    const cap = await registerCapEmploiSystem(db());
    const capToken = await token(cap, 'accompagnement_handicap');
    const res = await importBatch(capToken, [intakeRecord(next())], 'accompagnement_handicap');
    assert.equal(res.statusCode, 403, res.body);
    // A purpose outside the token's scope is refused before anything is decided.
    const outOfScope = await importBatch(capToken, [intakeRecord(next())], IMPORT_PURPOSE);
    assert.equal(outOfScope.statusCode, 403, outOfScope.body);
    const missing = await server.app.inject({
      method: 'POST',
      url: '/api/partner/registrations/imports',
      remoteAddress: PARTNER_ADDRESS,
      headers: { authorization: `Bearer ${await token(departement, IMPORT_PURPOSE)}` },
      payload: { records: [intakeRecord(next())] },
    });
    assert.equal(missing.statusCode, 422, missing.body);
    const anonymous = await server.app.inject({
      method: 'POST',
      url: '/api/partner/registrations/imports',
      remoteAddress: PARTNER_ADDRESS,
      payload: { records: [intakeRecord(next())] },
    });
    assert.equal(anonymous.statusCode, 401);
    assert.deepEqual(await snapshot(), before);
  });

  it('a record naming a decoy’s identity contains the partner system: it holds stolen data', async () => {
    const decoyed = await machineClient(departement.organisationId, 'SI RSA (troisième système)');
    const accessToken = await token(decoyed, IMPORT_PURPOSE);
    const decoy = await db().selectFrom('guard_decoys').select('person_id').executeTakeFirstOrThrow();
    const file = await runtime.persons.read(decoy.person_id, ['identity', 'nir']);
    const stolen = intakeRecord(next(), { identity: file.fields.identity!, nir: file.fields.nir!.nir });
    const before = await snapshot();
    const res = await importBatch(accessToken, [intakeRecord(next()), stolen]);
    // Answered as any batch, so the system cannot tell which record tripped the wire; the decoy's file is untouched.
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().records[1].outcome, 'held_as_duplicate');
    assert.equal((await snapshot()).persons, before.persons + 1);
    const actor = await db()
      .selectFrom('machine_clients')
      .innerJoin('actors', 'actors.id', 'machine_clients.actor_id')
      .select(['actors.id', 'actors.status'])
      .where('machine_clients.id', '=', decoyed.clientId)
      .executeTakeFirstOrThrow();
    assert.equal(actor.status, 'suspended');
    const containment = await db()
      .selectFrom('guard_containments')
      .select('signal')
      .where('actor_id', '=', actor.id)
      .executeTakeFirstOrThrow();
    assert.equal(containment.signal, 'honeytoken');
    const again = await importBatch(accessToken, [intakeRecord(next())]);
    assert.equal(again.statusCode, 401);
  });

  it('a hacked partner system importing en masse is contained; the refused batch writes nothing', async () => {
    const accessToken = await token(hacked, IMPORT_PURPOSE);
    const first = await importBatch(
      accessToken,
      Array.from({ length: 8 }, () => intakeRecord(next())),
    );
    assert.equal(first.statusCode, 201, first.body);
    const before = await snapshot();
    // 8 + 5 > 10, the system's hourly budget (a quarter of the agreement's 40 a day).
    const second = await importBatch(
      accessToken,
      Array.from({ length: 5 }, () => intakeRecord(next())),
    );
    assert.equal(second.statusCode, 403, second.body);
    assert.equal(second.json().error, 'guard_limit_reached');
    assert.deepEqual(await snapshot(), before);
    const actor = await db()
      .selectFrom('machine_clients')
      .innerJoin('actors', 'actors.id', 'machine_clients.actor_id')
      .select('actors.status')
      .where('machine_clients.id', '=', hacked.clientId)
      .executeTakeFirstOrThrow();
    assert.equal(actor.status, 'suspended');
    // Its tokens are revoked: the next batch is not even heard.
    const third = await importBatch(accessToken, [intakeRecord(next())]);
    assert.equal(third.statusCode, 401);
    assert.deepEqual(await snapshot(), before);
  });
});
