import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Runtime } from '../../src/runtime/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { clientCredentialsForm, registerCapEmploiSystem, type TestMachineClient } from '../helpers/machine-client.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';

const SEED = 11;
const PARTNER_ADDRESS = '10.20.0.5';

describe(`a partner information system reads by the same decision as its staff (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let system: TestMachineClient;
  let referred = '';
  let notReferred = '';
  const db = () => runtime.database.db;

  async function token(scope: string): Promise<string> {
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/oauth/token',
      remoteAddress: PARTNER_ADDRESS,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: await clientCredentialsForm(system, runtime.config.publicUrl, scope),
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().access_token as string;
  }

  const read = (
    accessToken: string,
    personId: string,
    options: { purpose?: string; classes?: string; from?: string } = {},
  ) =>
    server.app.inject({
      method: 'GET',
      url: `/api/partner/persons/${personId}${options.classes ? `?classes=${options.classes}` : ''}`,
      remoteAddress: options.from ?? PARTNER_ADDRESS,
      headers: {
        authorization: `Bearer ${accessToken}`,
        'rempart-case-reference': 'SI-CAPE-2026-117',
        ...(options.purpose === undefined
          ? { 'rempart-purpose': 'accompagnement_handicap' }
          : options.purpose
            ? { 'rempart-purpose': options.purpose }
            : {}),
      },
    });

  before(async () => {
    server = await openTestServer();
    runtime = server.runtime;
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 60,
      seed: SEED,
      batchSize: 60,
      parallel: false,
    });
    system = await registerCapEmploiSystem(db());
    const cap = { id: system.organisationId };
    const referrals = (
      await db()
        .selectFrom('referrals')
        .select('person_id')
        .where('organisation_id', '=', cap.id)
        .where('status', '=', 'active')
        .execute()
    ).map((r) => r.person_id);
    if (referrals.length === 0) {
      const person = await db().selectFrom('persons').select('id').orderBy('id').executeTakeFirstOrThrow();
      await db()
        .insertInto('referrals')
        .values({
          id: randomUUID(),
          person_id: person.id,
          organisation_id: cap.id,
          referred_by_actor_id: null,
          reason: 'test',
          starts_on: '2026-01-01',
          ends_on: null,
          status: 'active',
          created_at: new Date().toISOString(),
        })
        .execute();
      referrals.push(person.id);
    }
    referred = referrals[0]!;
    notReferred = (
      await db()
        .selectFrom('persons')
        .select('id')
        .where('id', 'not in', referrals)
        .orderBy('id')
        .executeTakeFirstOrThrow()
    ).id;
  });
  after(() => server.close());

  it('reads a referred person’s granted classes, and only those', async () => {
    const accessToken = await token('accompagnement_handicap');
    const res = await read(accessToken, referred, { classes: 'identity,health' });
    assert.equal(res.statusCode, 200, res.body);
    const keys = Object.keys(res.json().fields);
    assert.ok(
      keys.includes('identity') && keys.every((k) => k === 'identity' || k === 'health'),
      `only the asked, granted classes: ${keys.join(',')}`,
    );
    assert.deepEqual(res.json().decision.classes, ['identity', 'health']);
    const granted = (await ledgerEvents(db(), 'access_granted')).map((e) => JSON.stringify(e.details));
    assert.ok(
      granted.some((details) => details.includes(referred) && details.includes('accompagnement_handicap')),
      'the access is recorded, with the machine actor',
    );
  });

  it('is refused a person not referred to it exactly as one who does not exist', async () => {
    const accessToken = await token('accompagnement_handicap');
    const stranger = await read(accessToken, notReferred);
    const nobody = await read(accessToken, randomUUID());
    assert.equal(stranger.statusCode, 403);
    assert.equal(stranger.json().error, 'person_out_of_scope');
    assert.deepEqual(
      { ...(stranger.json() as object), requestId: '' },
      { ...(nobody.json() as object), requestId: '' },
    );
  });

  it('is refused a class outside the agreement, a purpose outside its token, an undeclared purpose and a foreign network', async () => {
    const accessToken = await token('accompagnement_handicap');
    const bank = await read(accessToken, referred, { classes: 'bank' });
    assert.equal(bank.statusCode, 403);
    assert.equal(bank.json().error, 'field_class_not_granted');
    const otherPurpose = await read(accessToken, referred, { purpose: 'insertion_rsa' });
    assert.equal(otherPurpose.statusCode, 403);
    const undeclared = await read(accessToken, referred, { purpose: '' });
    assert.equal(undeclared.statusCode, 422);
    assert.equal(undeclared.json().issues[0].field, 'headers.rempart-purpose');
    const outside = await read(accessToken, referred, { from: '203.0.113.9' });
    assert.equal(outside.statusCode, 403);
    assert.equal(outside.json().error, 'posture_non_compliant');
  });

  it('is held to an hourly budget of a quarter of its agreement’s daily ceiling: over it, refused and contained, its tokens dead', async () => {
    const accessToken = await token('accompagnement_handicap');
    const cap = await db()
      .selectFrom('organisations')
      .select('id')
      .where('kind', '=', 'cap_emploi')
      .executeTakeFirstOrThrow();
    const actorId = (
      await db()
        .selectFrom('machine_clients')
        .select('actor_id')
        .where('id', '=', system.clientId)
        .executeTakeFirstOrThrow()
    ).actor_id;
    // Cap emploi's agreement: 50 persons a day, so 13 in an hour for its system.
    const fresh = (
      await db()
        .selectFrom('persons')
        .select('id')
        .where('id', 'not in', [referred, notReferred])
        .orderBy('id', 'desc')
        .limit(20)
        .execute()
    ).map((r) => r.id);
    for (const personId of fresh) {
      await db()
        .insertInto('referrals')
        .values({
          id: randomUUID(),
          person_id: personId,
          organisation_id: cap.id,
          referred_by_actor_id: null,
          reason: 'test',
          starts_on: '2026-01-01',
          ends_on: null,
          status: 'active',
          created_at: new Date().toISOString(),
        })
        .execute();
    }
    let denied;
    for (const personId of fresh) {
      const res = await read(accessToken, personId);
      if (res.statusCode !== 200) {
        denied = res;
        break;
      }
    }
    assert.equal(denied?.statusCode, 403, 'refused before the 20 were read');
    assert.equal(denied!.json().error, 'guard_limit_reached');
    const read13 = await db()
      .selectFrom('ledger_events')
      .select('person_id')
      .distinct()
      .where('actor_id', '=', actorId)
      .where('kind', '=', 'access_granted')
      .execute();
    assert.equal(read13.length, 13, 'exactly the hourly budget left the server');
    const containment = await db()
      .selectFrom('guard_containments')
      .select('signal')
      .where('actor_id', '=', actorId)
      .executeTakeFirstOrThrow();
    assert.equal(containment.signal, 'budget_hour_hard');
    assert.equal((await read(accessToken, referred)).statusCode, 401, 'its token stopped working');
  });
});
