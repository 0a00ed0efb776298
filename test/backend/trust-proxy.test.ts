import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, trustProxyFrom } from '../../src/config.ts';
import { addChannel, ADDRESS_MAX_FAILURES, createAccount } from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { clientCredentialsForm, registerCapEmploiSystem, type TestMachineClient } from '../helpers/machine-client.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { cookieOf } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const BROWSER = { 'user-agent': 'Mozilla/5.0 Firefox/140.0', 'accept-language': 'fr-FR' };
/** The load balancer, and a second one on IPv6: the addresses REMPART_TRUST_PROXY lists. */
const PROXY = '192.0.2.10';
const PROXY_V6 = '2001:db8:ffff::1';
const TRUSTED = '192.0.2.10,2001:db8:ffff::/48';

/** Issue 22, item 3: the client's address behind a load balancer, and only behind one. */
describe(`REMPART_TRUST_PROXY is read strictly`, () => {
  const refused = (value: string, entry: RegExp) =>
    assert.throws(
      () => loadConfig({ REMPART_TRUST_PROXY: value }),
      (error: unknown) =>
        error instanceof ConfigError && /^REMPART_TRUST_PROXY : /.test(error.message) && entry.test(error.message),
      `« ${value} » is refused`,
    );

  it('refuses a malformed, empty or all-trusting entry, naming the variable and the entry', () => {
    refused('10.0.0.0/33', /« 10\.0\.0\.0\/33 » : longueur de préfixe invalide/);
    refused('not-an-ip', /« not-an-ip » n'est pas une adresse IP/);
    refused('10.0.0.1,,10.0.0.2', /entrée vide en position 2/);
    refused('10.0.0.1,', /entrée vide en position 2/);
    refused(' ', /entrée vide en position 1/);
    refused('10.0.0.0/', /« 10\.0\.0\.0\/ » : longueur de préfixe invalide/);
    refused('10.0.0.0/8x', /« 10\.0\.0\.0\/8x »/);
    refused('10.0.0.0/255.0.0.0', /« 10\.0\.0\.0\/255\.0\.0\.0 »/);
    refused('fd00::/129', /« fd00::\/129 » : longueur de préfixe invalide \(de 1 à 128 en IPv6\)/);
    refused('10.0.0.256', /« 10\.0\.0\.256 »/);
    refused('fe80::1%eth0', /« fe80::1%eth0 »/);
    refused('loopback', /« loopback »/);
    refused('10.0.0.5, 0.0.0.0/0', /« 0\.0\.0\.0\/0 » ferait confiance à toutes les adresses/);
    refused('::/0', /« ::\/0 »/);
  });

  it('accepts IPv4 and IPv6 addresses and ranges, and nothing set means no proxy', () => {
    assert.deepEqual(loadConfig({}).trustProxy, []);
    assert.deepEqual(loadConfig({ REMPART_TRUST_PROXY: '' }).trustProxy, []);
    assert.deepEqual(trustProxyFrom('10.0.0.5'), ['10.0.0.5']);
    assert.deepEqual(trustProxyFrom(' 10.0.0.5 , 10.1.0.0/16,fd00::/8,::1,2001:db8::/032 ,10.0.0.5'), [
      '10.0.0.5',
      '10.1.0.0/16',
      'fd00::/8',
      '::1',
      '2001:db8::/32',
    ]);
    assert.deepEqual(loadConfig({ REMPART_TRUST_PROXY: '::ffff:10.0.0.1,10.0.0.0/32' }).trustProxy, [
      '::ffff:10.0.0.1',
      '10.0.0.0/32',
    ]);
  });
});

/** Twenty wrong passwords, each for a different login (the per-login lock is not the point), from one place. */
async function spray(
  app: FastifyInstance,
  from: (i: number) => { remoteAddress: string; forwardedFor?: string },
  tag: string,
): Promise<void> {
  for (let i = 0; i < ADDRESS_MAX_FAILURES; i++) {
    const { remoteAddress, forwardedFor } = from(i);
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress,
      headers: { ...BROWSER, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
      payload: { login: `${tag}.${i}@exemple.fr`, password: 'Printemps2026!' },
    });
    assert.equal(res.statusCode, 401, res.body);
  }
}

function signInFrom(app: FastifyInstance, login: string, remoteAddress: string, forwardedFor?: string) {
  return app.inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress,
    headers: { ...BROWSER, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    payload: { login, password: PASSWORD },
  });
}

async function jobSeeker(runtime: Runtime, login: string): Promise<void> {
  const id = await createAccount(runtime.database.db, { kind: 'job_seeker', login, password: PASSWORD });
  await addChannel(runtime.database.db, runtime.keyring, id, 'email', login, { verified: true });
}

async function addressLocks(runtime: Runtime): Promise<(string | null)[]> {
  return (await ledgerEvents(runtime.database.db, 'login_locked'))
    .filter((e) => e.details.scope === 'address')
    .map((e) => e.address);
}

describe(`without REMPART_TRUST_PROXY, X-Forwarded-For is ignored (${BACKEND})`, () => {
  let server: TestServer;
  before(async () => {
    server = await openTestServer();
    await jobSeeker(server.runtime, 'sans.mandataire@exemple.fr');
  });
  after(() => server.close());

  it('blocks the socket’s address whatever the forged headers say, and no one else', async () => {
    const attacker = '198.51.100.7';
    await spray(server.app, (i) => ({ remoteAddress: attacker, forwardedFor: `203.0.113.${i + 1}` }), 'forge');
    assert.deepEqual(await addressLocks(server.runtime), [attacker]);
    const failed = (await ledgerEvents(server.runtime.database.db, 'login_failed')).map((e) => e.address);
    assert.deepEqual([...new Set(failed)], [attacker], 'no forged address reached the ledger');

    const blocked = await signInFrom(server.app, 'sans.mandataire@exemple.fr', attacker, '192.0.2.77');
    assert.equal(blocked.statusCode, 429, 'a fresh forged header does not unblock the address');
    const elsewhere = await signInFrom(server.app, 'sans.mandataire@exemple.fr', '192.0.2.44', attacker);
    assert.equal(elsewhere.statusCode, 200, 'naming the blocked address in the header blocks no one');
  });
});

describe(`with REMPART_TRUST_PROXY, clients behind the proxy are told apart (${BACKEND})`, () => {
  let server: TestServer;
  let app: FastifyInstance;
  const alice = '198.51.100.23';
  const bob = '198.51.100.24';
  before(async () => {
    server = await openTestServer({ config: { trustProxy: trustProxyFrom(TRUSTED) } });
    app = server.app;
    for (const login of ['alice@exemple.fr', 'bob@exemple.fr', 'carole@exemple.fr'])
      await jobSeeker(server.runtime, login);
  });
  after(() => server.close());

  it('counts failed sign-ins per client: blocking one blocks neither its neighbour nor the proxy', async () => {
    // The proxy appends the peer it saw: whatever a client puts before it is not believed.
    await spray(app, (i) => ({ remoteAddress: PROXY, forwardedFor: `6.6.6.${i}, ${alice}` }), 'alice');
    assert.deepEqual(await addressLocks(server.runtime), [alice], 'the client is blocked, not the balancer');

    assert.equal((await signInFrom(app, 'alice@exemple.fr', PROXY, alice)).statusCode, 429);
    const neighbour = await signInFrom(app, 'bob@exemple.fr', PROXY, bob);
    assert.equal(neighbour.statusCode, 200, neighbour.body);
    const viaV6 = await signInFrom(app, 'carole@exemple.fr', PROXY_V6, `2001:db8:42::7, ${bob}`);
    assert.equal(viaV6.statusCode, 200, viaV6.body);
    const succeeded = (await ledgerEvents(server.runtime.database.db, 'login_succeeded')).map((e) => e.address);
    assert.deepEqual(succeeded, [bob, bob], 'the ledger names the client, not the proxy');
  });

  it('judges a request from an untrusted address by that address, whatever header it forges', async () => {
    const stranger = '203.0.113.50';
    const direct = await signInFrom(app, 'alice@exemple.fr', stranger, `${PROXY}, ${bob}`);
    assert.equal(direct.statusCode, 200, 'not taken for the blocked client it does not claim to be');
    const claimsBlocked = await signInFrom(app, 'bob@exemple.fr', stranger, alice);
    assert.equal(claimsBlocked.statusCode, 200, 'nor for the blocked client it claims to be');
    const events = await ledgerEvents(server.runtime.database.db, 'login_succeeded');
    assert.deepEqual(
      events.slice(-2).map((e) => e.address),
      [stranger, stranger],
    );
  });

  it('binds a session to the client’s network, so a cookie moved behind the same proxy is seen moving', async () => {
    const signedIn = await signInFrom(app, 'carole@exemple.fr', PROXY, '198.51.100.90');
    assert.equal(signedIn.statusCode, 200, signedIn.body);
    const cookie = cookieOf(signedIn);
    const session = (forwardedFor: string) =>
      app.inject({
        method: 'GET',
        url: '/api/auth/session',
        remoteAddress: PROXY,
        headers: { ...BROWSER, cookie, 'x-forwarded-for': forwardedFor },
      });
    const home = await session('198.51.100.91');
    assert.equal(home.statusCode, 200, home.body);
    assert.equal(home.json().session.network, '198.51.100.0/24');
    const moved = await session('203.0.113.9');
    // Without a second factor nothing can lift a hold: the moved session is revoked.
    assert.equal(moved.statusCode, 401, moved.body);
    assert.equal(moved.json().error, 'session_moved');
    const rejected = (await ledgerEvents(server.runtime.database.db, 'session_rejected')).at(-1);
    assert.equal(rejected?.details.reason, 'moved');
    assert.equal(rejected?.address, '203.0.113.9', 'the ledger names the client it moved to');
  });

  it('refuses a forwarded entry that is not an address rather than judge a string the client chose', async () => {
    const res = await signInFrom(app, 'bob@exemple.fr', PROXY, 'unknown');
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_forwarded_for');
  });
});

describe(`the partner network gate behind a trusted proxy (${BACKEND})`, () => {
  // The balancer sits inside the partners' declared private ranges, as they usually do: judging
  // the balancer's address would admit the whole Internet.
  const BALANCER = '10.255.0.1';
  const PARTNER_ADDRESS = '10.20.0.5';
  let server: TestServer;
  let runtime: Runtime;
  let system: TestMachineClient;
  let referred = '';
  const db = () => runtime.database.db;

  async function token(): Promise<string> {
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/oauth/token',
      remoteAddress: BALANCER,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': PARTNER_ADDRESS },
      payload: await clientCredentialsForm(system, runtime.config.publicUrl, 'accompagnement_handicap'),
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().access_token as string;
  }

  const read = (accessToken: string, remoteAddress: string, forwardedFor: string) =>
    server.app.inject({
      method: 'GET',
      url: `/api/partner/persons/${referred}?classes=identity`,
      remoteAddress,
      headers: {
        authorization: `Bearer ${accessToken}`,
        'x-forwarded-for': forwardedFor,
        'rempart-case-reference': 'SI-CAPE-2026-117',
        'rempart-purpose': 'accompagnement_handicap',
      },
    });

  before(async () => {
    server = await openTestServer({ config: { trustProxy: trustProxyFrom(BALANCER) } });
    runtime = server.runtime;
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 30,
      seed: 11,
      batchSize: 30,
      parallel: false,
    });
    system = await registerCapEmploiSystem(db());
    const cap = { id: system.organisationId };
    const existing = await db()
      .selectFrom('referrals')
      .select('person_id')
      .where('organisation_id', '=', cap.id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    referred =
      existing?.person_id ?? (await db().selectFrom('persons').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
    if (!existing)
      await db()
        .insertInto('referrals')
        .values({
          id: randomUUID(),
          person_id: referred,
          organisation_id: cap.id,
          referred_by_actor_id: null,
          reason: 'test',
          starts_on: '2026-01-01',
          ends_on: null,
          status: 'active',
          created_at: new Date().toISOString(),
        })
        .execute();
  });
  after(() => server.close());

  it('admits a client inside the declared networks behind the proxy, and refuses one outside or a forged header', async () => {
    const accessToken = await token();
    const inside = await read(accessToken, BALANCER, PARTNER_ADDRESS);
    assert.equal(inside.statusCode, 200, inside.body);

    const outside = await read(accessToken, BALANCER, '203.0.113.9');
    assert.equal(outside.statusCode, 403, 'the balancer’s own address does not vouch for its client');
    assert.equal(outside.json().error, 'posture_non_compliant');

    const forged = await read(accessToken, '203.0.113.9', PARTNER_ADDRESS);
    assert.equal(forged.statusCode, 403, 'an untrusted sender cannot claim an address inside the ranges');
    assert.equal(forged.json().error, 'posture_non_compliant');
  });
});
