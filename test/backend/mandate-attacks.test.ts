import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { grantBreakGlass } from '../../src/policy/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { demoPersons, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { lastCodeSentTo } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 7;

/**
 * Review: a mandate is the person's consent, and break-glass lifts a missing relationship; an
 * aidant (a stolen account, or a malicious one) with a fresh second factor opened any person's
 * identity, contact and registration under `aidant_inscription`, with no mandate at all.
 */
describe(`a mandate attacked: break-glass, codes all at once, a write beside the monthly update (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let client: Client;
  let session: SignedIn;
  let seeker = '';
  let seekerLogin = '';
  const db = () => runtime.database.db;

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 10,
      seed: SEED,
      batchSize: 10,
      parallel: false,
    });
    const shown = new Set((await ensureDemoAccounts(runtime, SEED)).map((s) => s.login));
    for (const person of await demoPersons(db(), SEED, 8))
      if (shown.has(person.email)) {
        const registration = (await runtime.persons.read(person.id, ['registration'])).fields.registration!;
        seeker = registration.franceTravailId;
        seekerLogin = person.email;
        break;
      }
    client = {
      remoteAddress: '10.64.1.77',
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    session = await signIn(app, client, 'fs.blaye.aidant1', DEMO_PASSWORD);
  });

  after(async () => {
    await server?.close();
  });

  it('an aidant cannot open a person without a mandate by break-glass, nor read them after', async () => {
    const person = await db().selectFrom('persons').select('id').limit(1).executeTakeFirstOrThrow();
    const account = await db()
      .selectFrom('accounts')
      .select('id')
      .where('login', '=', 'fs.blaye.aidant1')
      .executeTakeFirstOrThrow();
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date().toISOString() })
      .where('account_id', '=', account.id)
      .execute();
    const headers = { ...client.headers, cookie: session.cookie, 'x-csrf-token': session.csrf };
    const opened = await app.inject({
      method: 'POST',
      url: `/api/staff/persons/${person.id}/break-glass`,
      remoteAddress: client.remoteAddress,
      headers,
      payload: {
        purpose: 'aidant_inscription',
        caseReference: 'mandat:urgence',
        justification: 'La personne est devant moi et n’a pas reçu le code, il faut avancer son inscription',
        classes: ['identity', 'contact', 'registration'],
      },
    });
    assert.equal(opened.statusCode, 403, opened.body);
    assert.equal((await db().selectFrom('break_glass').select('id').execute()).length, 0, 'no grant');
    // A grant already in the table (made before this rule, or by hand) does not stand in for a mandate either.
    const actor = await db()
      .selectFrom('actors')
      .select(['id', 'organisation_id'])
      .where('login', '=', 'fs.blaye.aidant1')
      .executeTakeFirstOrThrow();
    await grantBreakGlass(db(), {
      actorId: actor.id,
      organisationId: actor.organisation_id,
      personId: person.id,
      purpose: 'aidant_inscription',
      caseReference: 'mandat:urgence',
      justification: 'Un accès d’urgence accordé avant la règle, qui ne doit rien ouvrir',
      classes: ['identity', 'contact', 'registration'],
      now: new Date(),
    });
    const read = await app.inject({
      method: 'GET',
      url: `/api/staff/persons/${person.id}`,
      remoteAddress: client.remoteAddress,
      headers: { ...headers, 'rempart-purpose': 'aidant_inscription', 'rempart-case-reference': 'mandat:urgence' },
    });
    assert.equal(read.statusCode, 403, read.body);
    assert.equal(
      (await ledgerEvents(db(), 'access_granted')).filter((e) => e.details.personId === person.id).length,
      0,
      'nothing of the person read',
    );
  });

  it('five wrong codes at most, even sent all at once', async () => {
    const headers = { ...client.headers, cookie: session.cookie, 'x-csrf-token': session.csrf };
    const prepared = await app.inject({
      method: 'POST',
      url: '/api/staff/mandates',
      remoteAddress: client.remoteAddress,
      headers,
      payload: { franceTravailId: seeker, scopes: ['registration'], duration: '1m', consent: 'code' },
    });
    assert.equal(prepared.statusCode, 201, prepared.body);
    const id = prepared.json().mandate.id as string;
    const guesses = Array.from({ length: 40 }, (_, i) => String(10_000_000 + i));
    const answers = await Promise.all(
      guesses.map((code) =>
        app.inject({
          method: 'POST',
          url: `/api/staff/mandates/${id}/confirm`,
          remoteAddress: client.remoteAddress,
          headers,
          payload: { code },
        }),
      ),
    );
    const tried = answers.filter((a) => a.statusCode === 400 || a.json().error === 'code_burned');
    const wrong = (await ledgerEvents(db(), 'access_denied')).filter(
      (e) => e.details.operation === 'confirm_mandate' && e.details.mandate === id,
    );
    assert.ok(wrong.length <= 5, `${wrong.length} codes tried against the mandate (${tried.length} answered as tried)`);
    const row = await db()
      .selectFrom('mandates')
      .select(['status', 'code_attempts'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'refused', 'the fifth wrong code burns the mandate');
  });

  it('under an « actualisation » mandate, no write but the monthly update: no dispute of an employer certificate', async () => {
    const headers = { ...client.headers, cookie: session.cookie, 'x-csrf-token': session.csrf };
    const prepared = await app.inject({
      method: 'POST',
      url: '/api/staff/mandates',
      remoteAddress: client.remoteAddress,
      headers,
      payload: { franceTravailId: seeker, scopes: ['update'], duration: '1m', consent: 'code' },
    });
    assert.equal(prepared.statusCode, 201, prepared.body);
    const mandate = prepared.json().mandate as { id: string; personId: string };
    const confirmed = await app.inject({
      method: 'POST',
      url: `/api/staff/mandates/${mandate.id}/confirm`,
      remoteAddress: client.remoteAddress,
      headers,
      payload: { code: lastCodeSentTo(server.env.dir, seekerLogin) },
    });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    const disputed = await app.inject({
      method: 'POST',
      url: `/api/staff/persons/${mandate.personId}/employer-certificates/${randomUUID()}/dispute`,
      remoteAddress: client.remoteAddress,
      headers: {
        ...headers,
        'rempart-purpose': 'aidant_actualisation',
        'rempart-case-reference': `mandat:${mandate.id}`,
      },
      payload: { reason: 'salaires_inexacts' },
    });
    // Without the rule the write was decided (granted) and only the unknown certificate stopped it (404).
    assert.equal(disputed.statusCode, 403, disputed.body);
    assert.equal(disputed.json().error, 'operation_not_granted');
  });
});
