import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { NETWORK, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { cookieOf, signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';

interface ProfilePurpose {
  purpose: string;
  label: string;
  agreement: { reference: string; version: number; validUntil: string };
  read: string[];
  write: string[];
  relationship: string;
  conditions: { maxAge?: number };
  breakGlass: boolean;
}
interface Profile {
  displayName: string;
  organisation: { id: string; name: string; kind: string };
  roles: string[];
  purposes: ProfilePurpose[];
  hasCaseload: boolean;
  gate: { compliant: boolean; unmet: string[] };
}

describe(`staff profile: who I am and which purposes I may declare (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let host = 0;
  let partner: { client: Client; session: SignedIn } | undefined;
  const db = () => runtime.database.db;
  const client = (): Client => ({
    remoteAddress: `10.0.1.${++host}`,
    headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
  });

  async function account(login: string): Promise<string> {
    const actor = await db().selectFrom('actors').select('id').where('login', '=', login).executeTakeFirstOrThrow();
    const id = await createAccount(db(), { kind: 'staff', login, password: PASSWORD, actorId: actor.id });
    await addChannel(db(), runtime.keyring, id, 'email', `${login}@agents.test.example`, { verified: true });
    return id;
  }

  function getProfile(c: Client, session: { cookie: string }) {
    return app.inject({
      method: 'GET',
      url: '/api/staff/profile',
      remoteAddress: c.remoteAddress,
      headers: { ...c.headers, cookie: session.cookie },
    });
  }

  async function eventCount(): Promise<number> {
    return Number(
      (
        await db()
          .selectFrom('ledger_events')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  }

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 20,
      seed: 3,
      batchSize: 20,
      parallel: false,
    });
  });
  after(() => server.close());

  it('gives a counsellor the agency agreement’s purposes open to counsellors, and says they have a caseload', async () => {
    await account('conseiller.bastide.1');
    const c = client();
    const session: SignedIn = await signIn(app, c, 'conseiller.bastide.1', PASSWORD);
    const before = await eventCount();
    const res = await getProfile(c, session);
    assert.equal(res.statusCode, 200, res.body);
    const profile = res.json<Profile>();
    const spec = NETWORK.find((o) => o.key === 'agency-bastide')!;
    assert.equal(profile.displayName, spec.staff.find((s) => s.login === 'conseiller.bastide.1')!.displayName);
    assert.equal(profile.organisation.name, spec.name);
    assert.equal(profile.organisation.kind, 'agency');
    assert.deepEqual(profile.roles, ['counsellor']);
    // Only `accompagnement`: `indemnisation` is for the indemnisation agents' role.
    const expected = spec.agreement.purposes.filter((p) => p.roles.includes('counsellor'));
    assert.deepEqual(
      profile.purposes.map((p) => p.purpose),
      expected.map((p) => p.purpose),
    );
    assert.deepEqual(
      profile.purposes.map((p) => p.purpose),
      ['accompagnement'],
    );
    const [accompagnement] = profile.purposes;
    assert.equal(accompagnement!.label, expected[0]!.label);
    assert.deepEqual(accompagnement!.read, expected[0]!.read);
    assert.deepEqual(accompagnement!.write, expected[0]!.write);
    assert.equal(accompagnement!.relationship, 'caseload');
    assert.equal(accompagnement!.agreement.reference, 'FT-33-BASTIDE');
    assert.equal(accompagnement!.breakGlass, true);
    assert.ok(!accompagnement!.read.includes('health') && !accompagnement!.read.includes('judicial'));
    assert.equal(profile.hasCaseload, true);
    assert.equal(profile.gate.compliant, true);
    assert.equal(await eventCount(), before, 'reading one’s own profile records nothing (no personal data)');
  });

  it('gives a partner agent only its own agreement’s purposes, with no caseload', async () => {
    await account('ml.bordeaux.1');
    const c = client();
    const session = await signIn(app, c, 'ml.bordeaux.1', PASSWORD);
    partner = { client: c, session };
    const res = await getProfile(c, session);
    assert.equal(res.statusCode, 200, res.body);
    const profile = res.json<Profile>();
    const spec = NETWORK.find((o) => o.key === 'mission-locale')!;
    assert.equal(profile.organisation.kind, 'mission_locale');
    assert.deepEqual(profile.roles, ['partner_staff']);
    assert.deepEqual(
      profile.purposes.map((p) => p.purpose).sort(),
      spec.agreement.purposes.map((p) => p.purpose).sort(),
    );
    assert.deepEqual(
      profile.purposes.map((p) => p.purpose),
      ['accompagnement_jeunes'],
    );
    const [jeunes] = profile.purposes;
    assert.equal(jeunes!.relationship, 'referral');
    assert.equal(jeunes!.conditions.maxAge, 25);
    assert.deepEqual(jeunes!.write, ['follow_up']);
    assert.equal(jeunes!.agreement.reference, 'ML-33-BDX');
    assert.equal(profile.hasCaseload, false);
    // Nothing of another organisation's agreements.
    const others = NETWORK.filter((o) => o.key !== 'mission-locale').flatMap((o) =>
      o.agreement.purposes.map((p) => p.purpose),
    );
    assert.ok(profile.purposes.every((p) => !others.includes(p.purpose)));
  });

  it('leaves out a purpose whose agreement is no longer in force', async () => {
    const { client: c, session } = partner!;
    const org = await db()
      .selectFrom('organisations')
      .select('id')
      .where('name', '=', 'Mission locale de Bordeaux')
      .executeTakeFirstOrThrow();
    const agreement = await db()
      .selectFrom('agreements')
      .select(['id', 'valid_until'])
      .where('organisation_id', '=', org.id)
      .executeTakeFirstOrThrow();
    await db().updateTable('agreements').set({ valid_until: '2020-12-31' }).where('id', '=', agreement.id).execute();
    try {
      const res = await getProfile(c, session);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json<Profile>().purposes, []);
    } finally {
      await db()
        .updateTable('agreements')
        .set({ valid_until: agreement.valid_until })
        .where('id', '=', agreement.id)
        .execute();
    }
  });

  it('refuses a job seeker’s session (403)', async () => {
    const person = await db().selectFrom('persons').select('id').orderBy('id').executeTakeFirstOrThrow();
    await createAccount(db(), {
      kind: 'job_seeker',
      login: 'profil.test@example.org',
      password: PASSWORD,
      personId: person.id,
    });
    const c = client();
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: c.remoteAddress,
      headers: c.headers,
      payload: { login: 'profil.test@example.org', password: PASSWORD },
    });
    assert.equal(login.statusCode, 200, login.body);
    const res = await getProfile(c, { cookie: cookieOf(login) });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'not_staff');
    assert.doesNotMatch(res.body, /accompagnement|purposes/);
  });

  it('refuses a staff session whose second factor is not passed (403), and no session at all (401)', async () => {
    await account('conseiller.bastide.2');
    const c = client();
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: c.remoteAddress,
      headers: c.headers,
      payload: { login: 'conseiller.bastide.2', password: PASSWORD },
    });
    assert.equal(login.statusCode, 200, login.body);
    assert.equal(login.json().secondFactor, 'enrolment_required');
    const res = await getProfile(c, { cookie: cookieOf(login) });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'second_factor_required');
    assert.doesNotMatch(res.body, /accompagnement/);
    // An enrolled counsellor signing in again: the password alone opens nothing until the code is given.
    const again = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: c.remoteAddress,
      headers: c.headers,
      payload: { login: 'conseiller.bastide.1', password: PASSWORD },
    });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().secondFactor, 'required');
    const pending = await getProfile(c, { cookie: cookieOf(again) });
    assert.equal(pending.statusCode, 403);
    assert.equal(pending.json().error, 'second_factor_required');
    const anonymous = await app.inject({
      method: 'GET',
      url: '/api/staff/profile',
      remoteAddress: c.remoteAddress,
      headers: c.headers,
    });
    assert.equal(anonymous.statusCode, 401);
  });
});
