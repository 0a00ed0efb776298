import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import {
  DECOY_RENEWAL_DAYS,
  DECOYS_PER_ORGANISATION,
  ensureDecoyCoverage,
  freshDecoyFile,
  maintainDecoys,
  renewDecoys,
} from '../../src/guard/index.ts';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import { listCaseload } from '../../src/policy/index.ts';
import { relationshipFacts } from '../../src/policy/context.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import {
  CHUNK_SIZE,
  decoyCountFor,
  deterministicUuid,
  NIR_CAPACITY,
  plantDecoys,
  SEED_SECRET_KEY,
  seedDatabase,
  storedSeedSecret,
} from '../../src/seed/index.ts';
import { generateChunk } from '../../src/seed/population.ts';
import type { Executor } from '../../src/store/index.ts';
import { BACKEND, TEST_SEED_SECRET, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';
import { samplePerson } from '../helpers/fixtures.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const DAY = 86_400_000;

/** Decoys in an organisation's scope today: open caseload entries, active referrals. */
async function decoysInScope(db: Executor, organisationId: string) {
  const caseloads = await db
    .selectFrom('caseloads')
    .innerJoin('guard_decoys', 'guard_decoys.person_id', 'caseloads.person_id')
    .select(['caseloads.person_id', 'caseloads.actor_id'])
    .where('caseloads.organisation_id', '=', organisationId)
    .where('caseloads.until', 'is', null)
    .execute();
  const referrals = await db
    .selectFrom('referrals')
    .innerJoin('guard_decoys', 'guard_decoys.person_id', 'referrals.person_id')
    .select(['referrals.person_id'])
    .where('referrals.organisation_id', '=', organisationId)
    .where('referrals.status', '=', 'active')
    .execute();
  return {
    caseloads,
    referrals,
    ids: new Set([...caseloads.map((c) => c.person_id), ...referrals.map((r) => r.person_id)]),
  };
}

/** Person ids still tied to any organisation today (an open caseload entry, an active referral). */
async function tiedToday(db: Executor, personIds: readonly string[]): Promise<string[]> {
  const today = new Date().toISOString().slice(0, 10);
  const caseloads = await db
    .selectFrom('caseloads')
    .select('person_id')
    .where('person_id', 'in', personIds)
    .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>=', today)]))
    .execute();
  const referrals = await db
    .selectFrom('referrals')
    .select('person_id')
    .where('person_id', 'in', personIds)
    .where('status', '=', 'active')
    .execute();
  return [...new Set([...caseloads, ...referrals].map((r) => r.person_id))];
}

/**
 * Issue 19, item 10: decoys were planted by `seed` only, so a store filled through the API had
 * none and the honeytoken wire was simply absent in production. The guard now keeps decoys in
 * the scope of every active organisation whatever filled the store, with ids and files from
 * fresh randomness that no public code nor known seed reproduces.
 */
describe(`decoys in every organisation's scope, whatever filled the store (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  const db = () => runtime.database.db;
  const orgs = { agency: randomUUID(), partner: randomUUID(), suspended: randomUUID() };
  const counsellor = randomUUID();
  const realPersons: string[] = [];

  before(async () => {
    server = await openTestServer();
    runtime = server.runtime;
    const at = new Date().toISOString();
    for (const [key, kind] of [
      ['agency', 'agency'],
      ['partner', 'caf'],
      ['suspended', 'cap_emploi'],
    ] as const) {
      await db()
        .insertInto('organisations')
        .values({
          id: orgs[key],
          kind,
          name: `Organisation ${key}`,
          siret: null,
          departement: '33',
          security_posture: '{}',
          status: key === 'suspended' ? 'suspended' : 'active',
          created_at: at,
        })
        .execute();
    }
    await db()
      .insertInto('actors')
      .values({
        id: counsellor,
        organisation_id: orgs.agency,
        kind: 'human',
        login: 'conseiller.leurres',
        display_name: 'Conseiller',
        roles: '["counsellor"]',
        status: 'active',
        created_at: at,
      })
      .execute();
    await db()
      .insertInto('actors')
      .values({
        id: randomUUID(),
        organisation_id: orgs.partner,
        kind: 'human',
        login: 'agent.caf.leurres',
        display_name: 'Agent CAF',
        roles: '["partner_staff"]',
        status: 'active',
        created_at: at,
      })
      .execute();
    // Files entered as through the API: real persons, no decoy among them; one in the counsellor's caseload.
    for (let i = 0; i < 3; i++) realPersons.push(await runtime.persons.create(samplePerson(i)));
    await db()
      .insertInto('caseloads')
      .values({
        person_id: realPersons[0]!,
        actor_id: counsellor,
        organisation_id: orgs.agency,
        since: at.slice(0, 10),
        until: null,
      })
      .execute();
  });
  after(() => server.close());

  const decoysIn = (organisationId: string) => decoysInScope(db(), organisationId);

  it('plants decoys in the caseload of an agency’s counsellor and by referral to a partner, none for a suspended organisation; runs again add nothing', async () => {
    assert.equal(
      (await db().selectFrom('guard_decoys').select('person_id').execute()).length,
      0,
      'a store filled without the seed has no decoy',
    );
    const first = await ensureDecoyCoverage(db(), runtime.persons, freshDecoyFile);
    assert.equal(first.planted, 2 * DECOYS_PER_ORGANISATION);
    assert.deepEqual(first.unreachable, []);
    const agency = await decoysIn(orgs.agency);
    assert.equal(agency.caseloads.length, DECOYS_PER_ORGANISATION);
    assert.ok(
      agency.caseloads.every((c) => c.actor_id === counsellor),
      'in the caseload of the agency’s counsellor',
    );
    assert.equal((await decoysIn(orgs.partner)).referrals.length, DECOYS_PER_ORGANISATION, 'referred to the partner');
    const suspended = await decoysIn(orgs.suspended);
    assert.equal(suspended.caseloads.length + suspended.referrals.length, 0);

    const again = await ensureDecoyCoverage(db(), runtime.persons, freshDecoyFile);
    assert.equal(again.planted, 0, 'idempotent');
    assert.equal((await ledgerEvents(db(), 'decoys_planted')).length, 1);
  });

  it('gives decoys random ids and files sealed like everybody’s, all different', async () => {
    const decoys = (await db().selectFrom('guard_decoys').select('person_id').execute()).map((d) => d.person_id);
    for (const id of decoys)
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a random (v4) id');
    const files = await Promise.all(
      decoys.map(async (id) =>
        (await db().selectFrom('person_fields').select('field_class').where('person_id', '=', id).execute())
          .map((f) => f.field_class)
          .sort(),
      ),
    );
    for (const classes of files) {
      for (const c of ['identity', 'contact', 'registration'] as const)
        assert.ok(classes.includes(c), `the ${c} class sealed as in a real file`);
    }
    const nirs = await db()
      .selectFrom('person_lookups')
      .select('digest')
      .where('person_id', 'in', decoys)
      .where('kind', '=', 'nir')
      .execute();
    assert.equal(new Set(nirs.map((n) => n.digest)).size, decoys.length, 'no two decoys share a NIR');
  });

  it('renews decoys past their time: the old ones leave every scope, fresh ones take their place, lists and counts still leave them out', async () => {
    const agencyBefore = await decoysIn(orgs.agency);
    const partnerBefore = await decoysIn(orgs.partner);
    const leaked = [...agencyBefore.ids, ...partnerBefore.ids];
    assert.equal(leaked.length, 2 * DECOYS_PER_ORGANISATION);
    const plantedAt = Date.parse(
      (await db().selectFrom('guard_decoys').select('created_at').orderBy('created_at').executeTakeFirstOrThrow())
        .created_at,
    );

    // On a clock one day short of the renewal age, nothing moves.
    const early = await renewDecoys(db(), runtime.persons, freshDecoyFile, {
      now: new Date(plantedAt + (DECOY_RENEWAL_DAYS - 1) * DAY),
    });
    assert.deepEqual(early, { retired: 0, planted: 0 });
    assert.equal(
      await db().selectFrom('guard_decoys').select('person_id').where('retired_at', 'is not', null).executeTakeFirst(),
      undefined,
    );

    // The decoys are made older than the renewal age; the daily sweep runs today.
    await db()
      .updateTable('guard_decoys')
      .set({ created_at: new Date(Date.now() - (DECOY_RENEWAL_DAYS + 10) * DAY).toISOString() })
      .execute();
    const sweep = await maintainDecoys(db(), runtime.persons, freshDecoyFile);
    assert.deepEqual(sweep.renewal, { retired: leaked.length, planted: leaked.length }, 'each one replaced');
    assert.equal(sweep.coverage.planted, 0, 'the fresh decoys already cover every organisation');

    const retired = await db()
      .selectFrom('guard_decoys')
      .select(['person_id', 'retired_at'])
      .where('person_id', 'in', leaked)
      .execute();
    assert.equal(retired.length, leaked.length, 'the old decoys stay known to the guard');
    assert.ok(
      retired.every((r) => r.retired_at !== null),
      'marked retired',
    );
    assert.deepEqual(await tiedToday(db(), leaked), [], 'no old decoy is in any caseload or referral today');
    for (const id of leaked) {
      const facts = await relationshipFacts(
        db(),
        { id: counsellor, organisationId: orgs.agency, roles: ['counsellor'], status: 'active' },
        id,
        new Date(),
      );
      assert.deepEqual(
        [facts.caseload, facts.agency, facts.referral],
        [false, false, false],
        'out of the counsellor’s scope',
      );
    }

    const agencyAfter = await decoysIn(orgs.agency);
    const partnerAfter = await decoysIn(orgs.partner);
    assert.equal(agencyAfter.caseloads.length, DECOYS_PER_ORGANISATION);
    assert.ok(
      agencyAfter.caseloads.every((c) => c.actor_id === counsellor),
      'in the same counsellor’s caseload',
    );
    assert.equal(partnerAfter.referrals.length, DECOYS_PER_ORGANISATION, 'referred to the same partner');
    for (const id of [...agencyAfter.ids, ...partnerAfter.ids])
      assert.ok(!leaked.includes(id), 'fresh ids, not the leaked ones');
    const fresh = await db()
      .selectFrom('guard_decoys')
      .select(['person_id', 'created_at'])
      .where('retired_at', 'is', null)
      .execute();
    assert.equal(fresh.length, leaked.length);
    assert.ok(
      fresh.every((d) => Date.now() - Date.parse(d.created_at) < DAY),
      'planted today',
    );

    // The counsellor's list and count show the one real person, no decoy, old or fresh.
    const page = await listCaseload(db(), counsellor, { page: 1, pageSize: 50 });
    assert.deepEqual(page, { page: 1, pageSize: 50, total: 1, personIds: [realPersons[0]] });

    const renewals = (await ledgerEvents(db(), 'decoys_planted')).filter((e) => e.details.operation === 'renew_decoys');
    assert.equal(renewals.length, 1);
    assert.deepEqual(
      await renewDecoys(db(), runtime.persons, freshDecoyFile),
      { retired: 0, planted: 0 },
      'the fresh ones are not due',
    );
  });

  it('contains the counsellor who reads one of them', async () => {
    const { caseloads } = await decoysIn(orgs.agency);
    const admission = await runtime.guard.admit({
      actor: { id: counsellor, organisationId: orgs.agency },
      network: '10.1.2.0/24',
      purpose: 'accompagnement',
      dailyCeiling: 80,
      followUpExpected: true,
      personIds: [caseloads[0]!.person_id],
    });
    assert.ok(admission, 'answered');
    const containment = await db()
      .selectFrom('guard_containments')
      .select('signal')
      .where('actor_id', '=', counsellor)
      .executeTakeFirstOrThrow();
    assert.equal(containment.signal, 'honeytoken');
  });

  it('sets aside a generated file whose NIR is already someone’s and plants another', async () => {
    const taken = samplePerson(0);
    let calls = 0;
    const makeFile = () => (++calls === 1 ? taken : freshDecoyFile());
    const result = await ensureDecoyCoverage(db(), runtime.persons, makeFile, {
      perOrganisation: DECOYS_PER_ORGANISATION + 1,
    });
    // The agency gets one more (referred by the partner's agent); the partner none: the only actor
    // who could refer to it, the agency's counsellor, was contained just above.
    assert.equal(result.planted, 1);
    assert.deepEqual(result.unreachable, [orgs.partner]);
    assert.equal(calls, 2, 'the first file set aside, the second planted');
    assert.deepEqual(
      await runtime.persons.lookup('nir', taken.nir!.nir),
      [realPersons[0]],
      'the NIR still names the real person alone',
    );
  });
});

/**
 * Issue 19, item 10 (continued): the demo prints its seed and the code is public, so ids derived
 * from the seed alone named every person and every decoy. Ids now follow a secret each store
 * draws at its first seeding; decoys are renewed, so that a list that leaked once stops mapping them.
 */
describe(`seeded stores: ids nobody computes from the seed, decoys renewed (${BACKEND})`, () => {
  const SEED = 23;
  const POPULATION = 60;
  const PASSWORD = 'Leurres renouvelés 2026 !';
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let twinEnv: TestEnvironment;
  let twin: Runtime;
  const db = () => runtime.database.db;

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    twinEnv = testEnvironment();
    twin = await twinEnv.open();
    for (const r of [runtime, twin]) {
      // Test stores share a fixed seed secret (repeatable runs): these two draw their own, as a store in service does.
      await r.database.db.deleteFrom('meta').where('key', '=', SEED_SECRET_KEY).execute();
      await seedDatabase(r.database.db, r.persons, r.keyring, {
        persons: POPULATION,
        seed: SEED,
        batchSize: POPULATION,
        parallel: false,
      });
      await plantDecoys(r.database.db, r.persons, { seed: SEED, population: POPULATION });
    }
  });
  after(async () => {
    await twin.close();
    await twinEnv.cleanup();
    await server.close();
  });

  const idsOf = async (r: Runtime, table: 'persons' | 'referrals' | 'appointments' | 'organisations') =>
    new Set((await r.database.db.selectFrom(table).select('id').execute()).map((row) => row.id));
  const decoysOf = async (r: Runtime) =>
    new Set((await r.database.db.selectFrom('guard_decoys').select('person_id').execute()).map((row) => row.person_id));
  const shared = (a: Set<string>, b: Set<string>) => [...a].filter((id) => b.has(id));

  it('gives two stores seeded with the same seed different person, decoy, referral and appointment ids', async () => {
    const secrets = [await storedSeedSecret(db()), await storedSeedSecret(twin.database.db)];
    for (const secret of secrets) {
      assert.match(secret ?? '', /^[0-9a-f]{64}$/, 'a 32-byte secret kept by each store');
      assert.notEqual(secret, TEST_SEED_SECRET, 'drawn at the first seeding');
    }
    assert.notEqual(secrets[0], secrets[1]);
    for (const table of ['persons', 'referrals', 'appointments'] as const) {
      const [a, b] = [await idsOf(runtime, table), await idsOf(twin, table)];
      assert.ok(a.size > 0 && a.size === b.size, `${table}: the same population`);
      assert.deepEqual(shared(a, b), [], `${table}: no id in common`);
    }
    const [decoysA, decoysB] = [await decoysOf(runtime), await decoysOf(twin)];
    assert.equal(decoysA.size, decoyCountFor(POPULATION));
    assert.equal(decoysB.size, decoyCountFor(POPULATION));
    assert.deepEqual(shared(decoysA, decoysB), [], 'no decoy id in common');
    // The network's ids stay those of the seed: organisations and staff are public anyway.
    assert.deepEqual(
      [...(await idsOf(runtime, 'organisations'))].sort(),
      [...(await idsOf(twin, 'organisations'))].sort(),
    );
  });

  it('lets nobody recompute a person’s or a decoy’s id, nor a decoy’s identifiers, from the code and the seed', async () => {
    const persons = await idsOf(runtime, 'persons');
    const decoys = await decoysOf(runtime);
    for (let i = 0; i < POPULATION; i++)
      assert.ok(!persons.has(deterministicUuid(SEED, 'person', i)), 'a person’s id does not follow from the seed');
    for (let k = 0; k < decoys.size; k++) {
      const index = NIR_CAPACITY - 1 - k;
      assert.ok(!persons.has(deterministicUuid(SEED, 'person', index)), 'a decoy’s id does not follow from the seed');
      const publicFile = generateChunk(SEED, Math.floor(index / CHUNK_SIZE), index + 1).find(
        (p) => p.index === index,
      )!.file;
      assert.deepEqual(await runtime.persons.lookup('nir', publicFile.nir!.nir), [], 'nor its NIR');
    }
    for (const id of decoys) {
      const { fields } = await runtime.persons.read(id, ['contact']);
      const number = Number(/\.(\d+)@/.exec(fields.contact!.email!)?.[1]);
      assert.ok(
        Number.isInteger(number) && number < POPULATION,
        'a decoy’s mail address is numbered like a real person’s',
      );
    }
  });

  async function signedIn(
    login: string,
    host: number,
  ): Promise<{ actorId: string; client: Client; session: SignedIn }> {
    const actor = await db().selectFrom('actors').select('id').where('login', '=', login).executeTakeFirstOrThrow();
    const account = await createAccount(db(), { kind: 'staff', login, password: PASSWORD, actorId: actor.id });
    await addChannel(db(), runtime.keyring, account, 'email', `${login}@agents.test.example`, { verified: true });
    const client = {
      remoteAddress: `10.0.0.${host}`,
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    return { actorId: actor.id, client, session: await signIn(app, client, login, PASSWORD) };
  }

  function call(who: { client: Client; session: SignedIn }, method: 'GET' | 'POST', url: string, payload?: object) {
    const headers = {
      ...who.client.headers,
      cookie: who.session.cookie,
      'x-csrf-token': who.session.csrf,
      'rempart-purpose': 'accompagnement',
      'rempart-case-reference': 'DOSSIER-2026-0077',
    };
    return app.inject({
      method,
      url,
      remoteAddress: who.client.remoteAddress,
      headers,
      ...(payload ? { payload } : {}),
    });
  }

  it('renews the seeded decoys in place; whoever kept an old one’s id or identifier and names it is refused and contained', async () => {
    // Every organisation covered first, so that what follows is the renewal's doing alone.
    await ensureDecoyCoverage(db(), runtime.persons, freshDecoyFile);
    const organisations = (
      await db().selectFrom('organisations').select('id').where('status', '=', 'active').execute()
    ).map((o) => o.id);
    const before = new Map<string, Set<string>>();
    for (const o of organisations) before.set(o, (await decoysInScope(db(), o)).ids);
    const leaked = [...(await decoysOf(runtime))];

    // A decoy in a counsellor's caseload, as the counsellor's list could once have shown it, and another counsellor of the same agency.
    const held = await db()
      .selectFrom('caseloads')
      .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
      .select(['caseloads.person_id', 'actors.login', 'actors.organisation_id'])
      .where('caseloads.person_id', 'in', leaked)
      .where('actors.login', 'like', 'conseiller.%')
      .orderBy('actors.login')
      .executeTakeFirstOrThrow();
    const colleague = await db()
      .selectFrom('actors')
      .select('login')
      .where('organisation_id', '=', held.organisation_id)
      .where('login', 'like', 'conseiller.%')
      .where('login', '!=', held.login)
      .orderBy('login')
      .executeTakeFirstOrThrow();
    const oldNir = (await runtime.persons.read(held.person_id, ['nir'])).fields.nir!.nir;

    await db()
      .updateTable('guard_decoys')
      .set({ created_at: new Date(Date.now() - (DECOY_RENEWAL_DAYS + 1) * DAY).toISOString() })
      .execute();
    const sweep = await maintainDecoys(db(), runtime.persons, freshDecoyFile);
    assert.deepEqual(sweep.renewal, { retired: leaked.length, planted: leaked.length });
    assert.equal(sweep.coverage.planted, 0);
    assert.deepEqual(await tiedToday(db(), leaked), [], 'the old decoys left every scope');
    for (const o of organisations) {
      const after = (await decoysInScope(db(), o)).ids;
      assert.equal(after.size, before.get(o)!.size, 'as many decoys in each organisation’s scope as before');
      assert.deepEqual(shared(after, new Set(leaked)), [], 'none of them an old one');
    }
    const counsellorList = await listCaseload(
      db(),
      (await db().selectFrom('actors').select('id').where('login', '=', held.login).executeTakeFirstOrThrow()).id,
      { page: 1, pageSize: 200 },
    );
    const allDecoys = await decoysOf(runtime);
    assert.ok(
      counsellorList.total > 0 && counsellorList.personIds.every((id) => !allDecoys.has(id)),
      'the caseload list still leaves every decoy out',
    );

    // The counsellor names the old decoy from the list they kept: refused (out of scope now) and contained.
    const reader = await signedIn(held.login, 41);
    const read = await call(reader, 'GET', `/api/staff/persons/${held.person_id}?classes=identity`);
    assert.equal(read.statusCode, 403, read.body);
    assert.equal(read.json().error, 'person_out_of_scope');
    const readerContainment = await db()
      .selectFrom('guard_containments')
      .select('signal')
      .where('actor_id', '=', reader.actorId)
      .executeTakeFirstOrThrow();
    assert.equal(readerContainment.signal, 'honeytoken');
    assert.equal(
      (await db().selectFrom('actors').select('status').where('id', '=', reader.actorId).executeTakeFirstOrThrow())
        .status,
      'suspended',
    );

    // A colleague searches the old decoy's NIR (kept from an earlier leak): contained too, and shown nothing.
    const searcher = await signedIn(colleague.login, 42);
    const search = await call(searcher, 'POST', '/api/staff/persons/search', { nir: oldNir });
    assert.ok(!search.body.includes(held.person_id), 'the old decoy is not shown');
    assert.equal(
      (
        await db()
          .selectFrom('guard_containments')
          .select('signal')
          .where('actor_id', '=', searcher.actorId)
          .executeTakeFirstOrThrow()
      ).signal,
      'honeytoken',
    );
  });
});
