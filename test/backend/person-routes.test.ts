import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { FIELD_CLASSES } from '../../src/domain/index.ts';
import { addChannel, createAccount, ensureBootstrapAdmin } from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { demoPersons, seedDatabase } from '../../src/seed/index.ts';
import { archiveClasses, inTransaction } from '../../src/store/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents, type FlatEvent } from '../helpers/ledger.ts';
import { clientCredentialsForm, registerCapEmploiSystem, registerEmployerSystem } from '../helpers/machine-client.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 13;
const PARTNER_ADDRESS = '10.20.0.5';
const ACCESS_KINDS = new Set(['access_granted', 'subject_access', 'previous_value_read', 'archive_read']);

/** Whether a response schema carries a person's fields (a file, or a class such as `identity`). */
function carriesPersonFields(schema: unknown): boolean {
  if (!schema || typeof schema !== 'object') return false;
  const node = schema as Record<string, unknown>;
  const properties = node.properties as Record<string, unknown> | undefined;
  if (properties && ('fields' in properties || 'identity' in properties)) return true;
  // A view that is not a file says which classes it releases (the employer certificates' routes).
  if ('x-person-classes' in node) return true;
  return Object.values(node).some(carriesPersonFields);
}

/** What a call returned of persons: per person id, the classes its answer carries. */
type Released = Map<string, string[]>;

/**
 * Every route of the OpenAPI document whose answer carries person fields, called as its
 * audience calls it: each file that leaves is exactly one access event (a read, or the person's
 * own subject access), recorded before the answer, naming exactly the classes in the answer.
 * A new such route fails here until it is added to the table below (and so to the pipeline).
 */
describe(`every route that returns person fields: one access event per file, naming exactly the classes released (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  const db = () => runtime.database.db;
  let bootstrapToken = '';
  let partnerToken = '';
  let referred = '';
  let counsellor: { login: string; client: Client; session: SignedIn } | undefined;
  let seeker: { client: Client; session: SignedIn; personId: string } | undefined;
  let followed = '';
  let partnerStaff: { client: Client; session: SignedIn } | undefined;
  let dpo: { client: Client; session: SignedIn } | undefined;
  let rectificationId = '';
  let archivedPerson = '';
  let aidant: { client: Client; session: SignedIn } | undefined;
  let mandateId = '';
  let reviewId = '';
  let employerToken = '';
  let indemnisation: { client: Client; session: SignedIn } | undefined;

  const staffCall = (method: 'GET' | 'POST', url: string, payload?: object) =>
    server.app.inject({
      method,
      url,
      remoteAddress: counsellor!.client.remoteAddress,
      headers: {
        ...counsellor!.client.headers,
        cookie: counsellor!.session.cookie,
        'x-csrf-token': counsellor!.session.csrf,
        'rempart-purpose': 'accompagnement',
        'rempart-case-reference': 'DOSSIER-2026-0313',
      },
      ...(payload ? { payload } : {}),
    });

  const fileOf = (res: LightMyRequestResponse): Released =>
    new Map([[res.json().id as string, Object.keys(res.json().fields)]]);

  /** Each route, how its audience calls it, and what its answer released (person → classes). */
  const CALLS: Record<
    string,
    { call: () => Promise<LightMyRequestResponse>; released: (res: LightMyRequestResponse) => Released }
  > = {
    'GET /api/staff/persons/{id}': { call: () => staffCall('GET', `/api/staff/persons/${followed}`), released: fileOf },
    'POST /api/staff/persons/search': {
      call: async () => {
        const identity = (await runtime.persons.read(followed, ['identity'])).fields.identity!;
        return staffCall('POST', '/api/staff/persons/search', {
          person: { lastName: identity.lastName, firstName: identity.firstNames[0], birthDate: identity.birthDate },
        });
      },
      released: (res) =>
        new Map(
          (res.json().results as Array<{ id: string; identity?: object }>).map((r) => [
            r.id,
            r.identity ? ['identity'] : [],
          ]),
        ),
    },
    // A list shows who is there: each person on the page is one access event naming `identity`.
    'GET /api/staff/caseload': {
      call: () => staffCall('GET', '/api/staff/caseload?pageSize=200'),
      released: (res) => new Map((res.json().items as Array<{ id: string }>).map((i) => [i.id, ['identity']])),
    },
    'GET /api/staff/referrals': {
      call: () =>
        server.app.inject({
          method: 'GET',
          url: '/api/staff/referrals?pageSize=200',
          remoteAddress: partnerStaff!.client.remoteAddress,
          headers: {
            ...partnerStaff!.client.headers,
            cookie: partnerStaff!.session.cookie,
            'rempart-purpose': 'accompagnement_handicap',
            'rempart-case-reference': 'CAPE-2026-0042',
          },
        }),
      released: (res) => new Map((res.json().items as Array<{ id: string }>).map((i) => [i.id, ['identity']])),
    },
    'GET /api/partner/persons/{id}': {
      call: () =>
        server.app.inject({
          method: 'GET',
          url: `/api/partner/persons/${referred}`,
          remoteAddress: PARTNER_ADDRESS,
          headers: {
            authorization: `Bearer ${partnerToken}`,
            'rempart-purpose': 'accompagnement_handicap',
            'rempart-case-reference': 'SI-CAPE-2026-117',
          },
        }),
      released: fileOf,
    },
    'GET /api/agency/persons/{id}': {
      call: () =>
        server.app.inject({
          method: 'GET',
          url: `/api/agency/persons/${referred}`,
          headers: { authorization: `Bearer ${bootstrapToken}` },
        }),
      released: fileOf,
    },
    'PATCH /api/agency/persons/{id}': {
      call: () =>
        server.app.inject({
          method: 'PATCH',
          url: `/api/agency/persons/${referred}`,
          headers: { authorization: `Bearer ${bootstrapToken}` },
          payload: { career: { experiences: [], diplomas: [], soughtJobs: ['M1607'] } },
        }),
      released: fileOf,
    },
    // The value a rectification replaced, read by the DPO (a file of one class).
    'GET /api/security/rectifications/{id}/previous': {
      call: () =>
        server.app.inject({
          method: 'GET',
          url: `/api/security/rectifications/${rectificationId}/previous`,
          remoteAddress: dpo!.client.remoteAddress,
          headers: { ...dpo!.client.headers, cookie: dpo!.session.cookie },
        }),
      released: fileOf,
    },
    // A person's intermediate archive, read by the DPO (the archived classes, as a file).
    'GET /api/security/retention/persons/{personId}/archive': {
      call: () =>
        server.app.inject({
          method: 'GET',
          url: `/api/security/retention/persons/${archivedPerson}/archive`,
          remoteAddress: dpo!.client.remoteAddress,
          headers: { ...dpo!.client.headers, cookie: dpo!.session.cookie },
        }),
      released: fileOf,
    },
    // Employers' certificates (issue 25 §3): the person's own, an agent's read, the employer's disputes queue.
    'GET /api/me/employer-certificates': {
      call: () =>
        server.app.inject({
          method: 'GET',
          url: '/api/me/employer-certificates',
          remoteAddress: seeker!.client.remoteAddress,
          headers: { ...seeker!.client.headers, cookie: seeker!.session.cookie },
        }),
      released: (res) => new Map(res.json().certificates.length ? [[seeker!.personId, ['benefits']]] : []),
    },
    'GET /api/staff/persons/{id}/employer-certificates': {
      call: () =>
        server.app.inject({
          method: 'GET',
          url: `/api/staff/persons/${seeker!.personId}/employer-certificates`,
          remoteAddress: indemnisation!.client.remoteAddress,
          headers: {
            ...indemnisation!.client.headers,
            cookie: indemnisation!.session.cookie,
            'rempart-purpose': 'indemnisation',
            'rempart-case-reference': 'IND-2026-0313',
          },
        }),
      released: (res) => new Map(res.json().certificates.length ? [[seeker!.personId, ['benefits']]] : []),
    },
    'GET /api/employer/certificates': {
      call: () =>
        server.app.inject({
          method: 'GET',
          url: '/api/employer/certificates?status=disputed',
          remoteAddress: PARTNER_ADDRESS,
          headers: {
            authorization: `Bearer ${employerToken}`,
            'rempart-purpose': 'attestation_employeur',
            'rempart-case-reference': 'PAIE-2026-0313',
          },
        }),
      // The queue names no person: whose certificates they are is the store's.
      released: (res) => new Map(res.json().certificates.length ? [[seeker!.personId, ['benefits']]] : []),
    },
    // A registration held as a possible duplicate of a file (issue 25 §1): the counsellor compares them.
    'GET /api/staff/registration-reviews/{id}': {
      call: () => staffCall('GET', `/api/staff/registration-reviews/${reviewId}`),
      released: (res) =>
        new Map(
          (res.json().matches as Array<Record<string, unknown>>).map((m) => [
            m.personId as string,
            ['identity', 'registration'].filter((c) => c in m),
          ]),
        ),
    },
    // A France Services aidant under the person's mandate (issue 25 §4): its step's classes only.
    'GET /api/staff/mandates/{id}/registration': {
      call: () =>
        server.app.inject({
          method: 'GET',
          url: `/api/staff/mandates/${mandateId}/registration`,
          remoteAddress: aidant!.client.remoteAddress,
          headers: { ...aidant!.client.headers, cookie: aidant!.session.cookie },
        }),
      released: fileOf,
    },
    'GET /api/me/file': {
      call: () =>
        server.app.inject({
          method: 'GET',
          url: '/api/me/file',
          remoteAddress: seeker!.client.remoteAddress,
          headers: { ...seeker!.client.headers, cookie: seeker!.session.cookie },
        }),
      released: (res) => new Map([[seeker!.personId, Object.keys(res.json().fields)]]),
    },
  };

  before(async () => {
    server = await openTestServer();
    runtime = server.runtime;
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 60,
      seed: SEED,
      batchSize: 60,
      parallel: false,
    });
    const shown = new Set((await ensureDemoAccounts(runtime, SEED)).map((s) => s.login));
    bootstrapToken = (await ensureBootstrapAdmin(db())).token!;

    const cap = await registerCapEmploiSystem(db());
    const form = await clientCredentialsForm(cap, runtime.config.publicUrl, 'accompagnement_handicap');
    const issued = await server.app.inject({
      method: 'POST',
      url: '/api/oauth/token',
      remoteAddress: PARTNER_ADDRESS,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form,
    });
    assert.equal(issued.statusCode, 200, issued.body);
    partnerToken = issued.json().access_token as string;
    referred = (
      await db()
        .selectFrom('referrals')
        .select('person_id')
        .where('organisation_id', '=', cap.organisationId)
        .where('status', '=', 'active')
        .orderBy('person_id')
        .executeTakeFirstOrThrow()
    ).person_id;

    for (const person of await demoPersons(db(), SEED, 10)) {
      if (!shown.has(person.email)) continue;
      const follower = await db()
        .selectFrom('caseloads')
        .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
        .select('actors.login')
        .where('caseloads.person_id', '=', person.id)
        .where('actors.roles', 'like', '%"counsellor"%')
        .executeTakeFirst();
      if (!follower) continue;
      followed = person.id;
      const client = {
        remoteAddress: '10.30.0.7',
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      counsellor = {
        login: follower.login,
        client,
        session: await signIn(server.app, client, follower.login, DEMO_PASSWORD),
      };
      const seekerClient = {
        remoteAddress: '10.30.9.9',
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      seeker = {
        client: seekerClient,
        session: await signIn(server.app, seekerClient, person.email, DEMO_PASSWORD),
        personId: person.id,
      };
      break;
    }
    assert.ok(counsellor && seeker, 'a demo job seeker with an account is followed by a counsellor');
    // A rectification of the followed person's contact, whose replaced value the DPO reads.
    const dpoClient = {
      remoteAddress: '10.30.0.9',
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    dpo = { client: dpoClient, session: await signIn(server.app, dpoClient, 'dpo.na', DEMO_PASSWORD) };
    const dpoActor = await db()
      .selectFrom('actors')
      .select('id')
      .where('login', '=', 'dpo.na')
      .executeTakeFirstOrThrow();
    const request = await runtime.rightsRequests.file(
      {
        personId: followed,
        kind: 'rectification',
        channel: 'letter',
        verification: { method: 'identity_document_copy' },
      },
      { accountId: null },
    );
    await runtime.rightsRequests.start(request.id, { accountId: null });
    const [rectified] = await runtime.rectifications.rectify(
      request.id,
      { changes: { contact: { email: 'rectifiee@exemple.fr' } }, suppliedBy: { kind: 'person' } },
      { accountId: null, actorId: dpoActor.id },
    );
    rectificationId = rectified!.id;
    // A person none of the other routes reads, with their career moved to the intermediate archive.
    archivedPerson = (
      await db()
        .selectFrom('persons')
        .select('id')
        .where('id', 'not in', [followed, referred, seeker!.personId])
        .orderBy('id')
        .executeTakeFirstOrThrow()
    ).id;
    await inTransaction(db(), (trx) =>
      archiveClasses(trx, ['career'], [archivedPerson], { ruleId: 'test_archive', at: new Date().toISOString() }),
    );
    const partnerClient = {
      remoteAddress: '10.30.0.8',
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    partnerStaff = {
      client: partnerClient,
      session: await signIn(server.app, partnerClient, 'capemploi.gironde.1', DEMO_PASSWORD),
    };
    // The demo job seeker's mandate to an aidant, prepared and confirmed by the person (issue 25 §4).
    const aidantClient = {
      remoteAddress: '10.30.0.11',
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    aidant = {
      client: aidantClient,
      session: await signIn(server.app, aidantClient, 'fs.blaye.aidant1', DEMO_PASSWORD),
    };
    const helper = await db()
      .selectFrom('actors')
      .select(['id', 'organisation_id'])
      .where('login', '=', 'fs.blaye.aidant1')
      .executeTakeFirstOrThrow();
    const franceTravailId = (await runtime.persons.read(seeker!.personId, ['registration'])).fields.registration!
      .franceTravailId;
    const { mandate } = await runtime.mandates.prepare(
      { actorId: helper.id, organisationId: helper.organisation_id },
      seeker!.personId,
      { franceTravailId, scopes: ['registration'], duration: '1m', consent: 'code' },
    );
    const seekerAccount = await db()
      .selectFrom('accounts')
      .select('id')
      .where('person_id', '=', seeker!.personId)
      .executeTakeFirstOrThrow();
    await runtime.mandates.confirmByPerson(seeker!.personId, seekerAccount.id, mandate.id);
    mandateId = mandate.id;
    // The network's employer sends the seeker a certificate, which the seeker disputes (so it is in the employer's queue).
    const employer = await registerEmployerSystem(db());
    const employerIssued = await server.app.inject({
      method: 'POST',
      url: '/api/oauth/token',
      remoteAddress: PARTNER_ADDRESS,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: await clientCredentialsForm(employer, runtime.config.publicUrl, 'attestation_employeur'),
    });
    assert.equal(employerIssued.statusCode, 200, employerIssued.body);
    employerToken = employerIssued.json().access_token as string;
    const own = await runtime.persons.read(seeker!.personId, ['identity', 'nir']);
    const month = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
    const certified = await server.app.inject({
      method: 'POST',
      url: '/api/employer/certificates',
      remoteAddress: PARTNER_ADDRESS,
      headers: {
        authorization: `Bearer ${employerToken}`,
        'rempart-purpose': 'attestation_employeur',
        'rempart-case-reference': 'PAIE-2026-0313',
      },
      payload: {
        person: { nir: own.fields.nir!.nir, birthDate: own.fields.identity!.birthDate },
        employerReference: 'AE-2026-0313',
        employment: { from: month, to: month, contractKind: 'cdd', jobTitle: 'Cariste' },
        endReason: 'fin_cdd',
        salaries: [{ month: month.slice(0, 7), grossCents: 90_000 }],
        indemnities: [],
      },
    });
    assert.equal(certified.statusCode, 201, certified.body);
    const disputed = await server.app.inject({
      method: 'POST',
      url: `/api/me/employer-certificates/${certified.json().id as string}/dispute`,
      remoteAddress: seeker!.client.remoteAddress,
      headers: { ...seeker!.client.headers, cookie: seeker!.session.cookie, 'x-csrf-token': seeker!.session.csrf },
      payload: { reason: 'salaires_inexacts' },
    });
    assert.equal(disputed.statusCode, 200, disputed.body);
    // The indemnisation agent of the agency that follows the seeker reads their certificates.
    const agent = await db()
      .selectFrom('actors')
      .select(['id', 'login'])
      .where(
        'organisation_id',
        '=',
        db().selectFrom('actors').select('organisation_id').where('login', '=', counsellor!.login).limit(1),
      )
      .where('roles', 'like', '%"indemnisation_agent"%')
      .executeTakeFirstOrThrow();
    if (!(await db().selectFrom('accounts').select('id').where('login', '=', agent.login).executeTakeFirst())) {
      const accountId = await createAccount(db(), {
        kind: 'staff',
        login: agent.login,
        password: DEMO_PASSWORD,
        actorId: agent.id,
      });
      await addChannel(db(), runtime.keyring, accountId, 'email', `${agent.login}@agents.test.example`, {
        verified: true,
      });
    }
    const agentClient = {
      remoteAddress: '10.30.0.10',
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    indemnisation = { client: agentClient, session: await signIn(server.app, agentClient, agent.login, DEMO_PASSWORD) };
    // Someone registers online with the followed person's name and birth date: held for a counsellor.
    const { identity } = (await runtime.persons.read(followed, ['identity'])).fields;
    const [birthYear, birthMonth] = identity!.birthDate.split('-');
    const nirBody = `${identity!.sex === 'F' ? '2' : '1'}${birthYear!.slice(2)}${birthMonth}99312777`;
    const held = await runtime.registrations.register(
      {
        identity: {
          lastName: identity!.lastName,
          firstNames: identity!.firstNames,
          sex: identity!.sex,
          birthDate: identity!.birthDate,
        },
        nir: nirBody + String(97 - Number(BigInt(nirBody) % 97n)).padStart(2, '0'),
        contact: { email: 'candidat.doublon@exemple.fr' },
        education: [],
        experience: [],
        soughtJobs: ['M1607'],
        availability: { availableFrom: '2026-01-05', workingTime: 'full_time', contract: 'permanent' },
        mobility: { maxDistanceKm: 10, transport: [], drivingLicence: false },
        situation: { kind: 'available' },
      },
      { kind: 'online' },
    );
    assert.equal(held.outcome, 'held_as_duplicate');
    if (held.outcome === 'held_as_duplicate') reviewId = held.reviewId;
  });
  after(() => server.close());

  it('the OpenAPI document lists exactly the routes of this table as returning person fields', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    };
    const found: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const ok = Object.entries(operation.responses ?? {}).filter(([code]) => code.startsWith('2'));
        if (ok.some(([, response]) => carriesPersonFields(response))) found.push(`${method.toUpperCase()} ${path}`);
      }
    }
    assert.deepEqual(found.sort(), Object.keys(CALLS).sort());
  });

  for (const [route, { call, released }] of Object.entries(CALLS)) {
    it(`${route}: each file that leaves is one access event, recorded, naming the classes it carries`, async () => {
      const before = new Set((await ledgerEvents(db())).map((e) => e.id));
      const res = await call();
      assert.ok(res.statusCode >= 200 && res.statusCode < 300, `${route}: ${res.statusCode} ${res.body}`);
      const out = released(res);
      assert.ok(out.size > 0, `${route} returned a file`);
      const added = (await ledgerEvents(db())).filter((e) => !before.has(e.id) && ACCESS_KINDS.has(e.kind));
      // A list's page summary (`list_page`) names no person: the persons it showed have their own events.
      const reads = added.filter(
        (e) => (e.kind === 'subject_access' || e.details.operation !== 'update') && e.details.operation !== 'list_page',
      );
      for (const [personId, classes] of out) {
        const mine: FlatEvent[] = reads.filter((e) => e.details.personId === personId);
        assert.equal(
          mine.length,
          1,
          `${route}: exactly one access event for ${personId}, got ${mine.map((e) => `${e.kind}:${String(e.details.operation)}`).join(', ')}`,
        );
        assert.deepEqual(
          [...mine[0]!.body.classes].sort(),
          [...classes].sort(),
          `${route}: the event names exactly the classes released`,
        );
        assert.ok(classes.every((c) => (FIELD_CLASSES as readonly string[]).includes(c)));
      }
      assert.equal(reads.length, out.size, `${route}: no access event for a file that did not leave`);
    });
  }
});
