import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const CASE = 'SUIVI-2026-0101';

describe(`recording a follow-up action: appended under the policy, never lost to a concurrent one (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let session: SignedIn;
  let mine = '';
  let stranger = '';
  const client: Client = {
    remoteAddress: '10.0.3.1',
    headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
  };
  const db = () => runtime.database.db;

  function record(
    personId: string,
    body: unknown,
    headers: Record<string, string> = { 'rempart-purpose': 'accompagnement', 'rempart-case-reference': CASE },
  ) {
    return app.inject({
      method: 'POST',
      url: `/api/staff/persons/${personId}/follow-up/actions`,
      remoteAddress: client.remoteAddress,
      headers: { ...client.headers, cookie: session.cookie, 'x-csrf-token': session.csrf, ...headers },
      payload: body as object,
    });
  }
  const actionsOf = async (personId: string) =>
    (await runtime.persons.read(personId, ['follow_up'])).fields.follow_up?.actions ?? [];
  const writes = async (personId: string) =>
    (await ledgerEvents(db(), 'access_granted'))
      .map((e) => e.body)
      .filter((e) => e.person === personId && e.operation === 'write');

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 40,
      seed: 4,
      batchSize: 40,
      parallel: false,
    });
    const actor = await db()
      .selectFrom('actors')
      .select('id')
      .where('login', '=', 'conseiller.bastide.1')
      .executeTakeFirstOrThrow();
    const accountId = await createAccount(db(), {
      kind: 'staff',
      login: 'conseiller.bastide.1',
      password: PASSWORD,
      actorId: actor.id,
    });
    await addChannel(db(), runtime.keyring, accountId, 'email', 'conseiller.bastide.1@agents.test.example', {
      verified: true,
    });
    session = await signIn(app, client, 'conseiller.bastide.1', PASSWORD);
    const decoys = (await db().selectFrom('guard_decoys').select('person_id').execute()).map((d) => d.person_id);
    const caseload = await db().selectFrom('caseloads').select('person_id').where('actor_id', '=', actor.id).execute();
    mine = caseload.map((c) => c.person_id).find((id) => !decoys.includes(id))!;
    const others = await db().selectFrom('caseloads').select('person_id').where('actor_id', '!=', actor.id).execute();
    stranger = others
      .map((c) => c.person_id)
      .find((id) => !decoys.includes(id) && !caseload.some((c) => c.person_id === id))!;
    assert.ok(mine && stranger);
  });
  after(() => server.close());

  it('appends the action to the follow-up the file holds, recorded as a write of follow_up', async () => {
    const before = await actionsOf(mine);
    const res = await record(mine, { date: '2026-11-24', kind: 'Atelier', label: 'Atelier CV' });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().actions, before.length + 1);
    assert.deepEqual(res.json().decision.classes, ['follow_up']);
    const after = await actionsOf(mine);
    assert.deepEqual(
      after,
      [...before, { date: '2026-11-24', kind: 'Atelier', label: 'Atelier CV' }],
      'earlier actions kept, the new one last',
    );
    const [event] = (await writes(mine)).slice(-1);
    assert.deepEqual(event!.classes, ['follow_up']);
    assert.equal(event!.caseReference, CASE);
  });

  it('loses none of several actions recorded at the same moment', async () => {
    const before = (await actionsOf(mine)).length;
    const labels = Array.from({ length: 6 }, (_, i) => `Action simultanée ${i + 1}`);
    const answers = await Promise.all(
      labels.map((label) => record(mine, { date: '2026-11-24', kind: 'Entretien', label })),
    );
    assert.deepEqual(
      answers.map((a) => a.statusCode),
      labels.map(() => 201),
    );
    const after = await actionsOf(mine);
    assert.equal(after.length, before + labels.length);
    assert.deepEqual(
      after
        .slice(before)
        .map((a) => a.label)
        .sort(),
      [...labels].sort(),
    );
  });

  it('refuses bad input naming the field, a missing purpose, and a person outside the caseload; nothing is written', async () => {
    const before = await actionsOf(mine);
    const writesBefore = (await writes(mine)).length;
    const bad = await record(mine, { date: '2026-11-24', kind: 'Atelier' });
    assert.equal(bad.statusCode, 400);
    assert.ok(
      bad.json().issues.some((i: { field: string }) => i.field === 'body.label'),
      bad.body,
    );
    const badDate = await record(mine, { date: '24/11/2026', kind: 'Atelier', label: 'x' });
    assert.equal(badDate.statusCode, 400);
    assert.ok(
      badDate.json().issues.some((i: { field: string }) => i.field === 'body.date'),
      badDate.body,
    );
    const extra = await record(mine, { date: '2026-11-24', kind: 'Atelier', label: 'x', nir: '1' });
    assert.equal(extra.statusCode, 400);
    const undeclared = await record(mine, { date: '2026-11-24', kind: 'Atelier', label: 'x' }, {});
    assert.equal(undeclared.statusCode, 422);
    assert.deepEqual(await actionsOf(mine), before);
    assert.equal((await writes(mine)).length, writesBefore, 'no write event for a refused request');

    const strangerBefore = await actionsOf(stranger);
    const out = await record(stranger, { date: '2026-11-24', kind: 'Atelier', label: 'Hors portefeuille' });
    assert.equal(out.statusCode, 403);
    assert.equal(out.json().error, 'person_out_of_scope');
    assert.deepEqual(await actionsOf(stranger), strangerBefore);
    assert.deepEqual(await writes(stranger), []);
    const denied = (await ledgerEvents(db(), 'access_denied')).filter((e) => e.body.person === stranger);
    assert.equal(denied.length, 1, 'the refusal is recorded');
  });

  it('refuses a purpose that does not write follow-up, and a purpose the role may not declare; nothing is written', async () => {
    const before = await actionsOf(mine);
    // The indemnisation agent's purpose writes benefits and bank details, never follow-up.
    const agent = await db()
      .selectFrom('actors')
      .select('id')
      .where('login', '=', 'indemnisation.bastide')
      .executeTakeFirstOrThrow();
    const agentAccount = await createAccount(db(), {
      kind: 'staff',
      login: 'indemnisation.bastide',
      password: PASSWORD,
      actorId: agent.id,
    });
    await addChannel(db(), runtime.keyring, agentAccount, 'email', 'indemnisation.bastide@agents.test.example', {
      verified: true,
    });
    const agentClient: Client = { remoteAddress: '10.0.3.2', headers: client.headers };
    const agentSession = await signIn(app, agentClient, 'indemnisation.bastide', PASSWORD);
    const byAgent = await app.inject({
      method: 'POST',
      url: `/api/staff/persons/${mine}/follow-up/actions`,
      remoteAddress: agentClient.remoteAddress,
      headers: {
        ...agentClient.headers,
        cookie: agentSession.cookie,
        'x-csrf-token': agentSession.csrf,
        'rempart-purpose': 'indemnisation',
        'rempart-case-reference': CASE,
      },
      payload: { date: '2026-11-24', kind: 'Atelier', label: 'Pas pour ce rôle' },
    });
    assert.equal(byAgent.statusCode, 403, byAgent.body);
    assert.equal(byAgent.json().error, 'field_class_not_granted');
    // The counsellor may not declare the indemnisation agents' purpose.
    const wrongPurpose = await record(
      mine,
      { date: '2026-11-24', kind: 'Atelier', label: 'Mauvaise finalité' },
      { 'rempart-purpose': 'indemnisation', 'rempart-case-reference': CASE },
    );
    assert.equal(wrongPurpose.statusCode, 403);
    assert.equal(wrongPurpose.json().error, 'role_not_allowed');
    assert.deepEqual(await actionsOf(mine), before);
  });
});
