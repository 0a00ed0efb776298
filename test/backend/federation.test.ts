import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { Secret, TOTP } from 'otpauth';
import { CSRF_HANDOFF_COOKIE, TRANSACTION_COOKIE } from '../../src/api/auth/federation.ts';
import { addChannel, createAccount, redirectUriFor, SESSION_COOKIE } from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND, countRows } from '../helpers/backend.ts';
import { startTestIdentityProvider, type TestIdentityProvider } from '../helpers/identity-provider.ts';
import { ledgerEvents, ledgerText } from '../helpers/ledger.ts';
import { OidcBrowser } from '../helpers/oidc-browser.ts';
import { messagesTo } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';

const PUBLIC_URL = 'http://localhost:3000';
const PASSWORD = 'cheval agrafe pile correcte';

describe(`federated login with FranceConnect and ProConnect (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let franceConnect: TestIdentityProvider;
  let proConnect: TestIdentityProvider;
  let address = 0;

  before(async () => {
    franceConnect = await startTestIdentityProvider({
      clientId: 'rempart-franceconnect',
      redirectUri: redirectUriFor(PUBLIC_URL, 'franceconnect'),
    });
    proConnect = await startTestIdentityProvider({
      clientId: 'rempart-proconnect',
      redirectUri: redirectUriFor(PUBLIC_URL, 'proconnect'),
    });
    server = await openTestServer({
      config: {
        publicUrl: PUBLIC_URL,
        oidc: {
          franceconnect: {
            issuer: franceConnect.issuer,
            clientId: franceConnect.clientId,
            clientSecret: franceConnect.clientSecret,
          },
          proconnect: {
            issuer: proConnect.issuer,
            clientId: proConnect.clientId,
            clientSecret: proConnect.clientSecret,
          },
        },
      },
    });
    runtime = server.runtime;
  });
  after(async () => {
    await server.close();
    await franceConnect.close();
    await proConnect.close();
  });

  /** A browser of its own for each step, from its own address, so throttling never leaks across tests. */
  const browser = () => new OidcBrowser(server.app, PUBLIC_URL, `192.0.2.${++address}`);

  const counts = async () => ({
    accounts: await countRows(runtime, 'accounts'),
    sessions: await countRows(runtime, 'sessions'),
    identities: await countRows(runtime, 'federated_identities'),
  });

  async function jobSeeker(login: string): Promise<string> {
    return createAccount(runtime.database.db, { kind: 'job_seeker', login, password: PASSWORD });
  }

  async function staff(login: string): Promise<string> {
    const db = runtime.database.db;
    const org = await db.selectFrom('organisations').select('id').executeTakeFirst();
    const orgId = org?.id ?? '44444444-4444-4444-8444-444444444444';
    if (!org)
      await db
        .insertInto('organisations')
        .values({
          id: orgId,
          kind: 'agency',
          name: 'Agence test',
          siret: null,
          departement: '33',
          security_posture: '{}',
          status: 'active',
          created_at: '',
        })
        .execute();
    const actorId = crypto.randomUUID();
    await db
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: orgId,
        kind: 'human',
        login,
        display_name: login,
        roles: '["counsellor"]',
        status: 'active',
        created_at: '',
      })
      .execute();
    return createAccount(db, { kind: 'staff', login, password: PASSWORD, actorId });
  }

  /** Password login in this browser; returns the CSRF token. */
  async function passwordLogin(b: OidcBrowser, login: string): Promise<string> {
    const res = await b.rempart('POST', '/api/auth/login', { payload: { login, password: PASSWORD } });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().csrfToken as string;
  }

  /** Staff password login, then a real TOTP enrolment: a session that passed its second factor. */
  async function staffWithSecondFactor(b: OidcBrowser, login: string): Promise<string> {
    const csrf = await passwordLogin(b, login);
    const begun = await b.rempart('POST', '/api/auth/factors/totp', { csrf });
    assert.equal(begun.statusCode, 200, begun.body);
    const code = new TOTP({
      secret: Secret.fromBase32(begun.json().secret),
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
    }).generate();
    const confirmed = await b.rempart('POST', '/api/auth/factors/totp/confirm', {
      csrf,
      payload: { factorId: begun.json().factorId, code },
    });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    return confirmed.json().csrfToken as string;
  }

  /** POST …/link from a signed-in browser, through the provider, back to the callback. */
  async function link(
    b: OidcBrowser,
    provider: 'franceconnect' | 'proconnect',
    csrf: string,
  ): Promise<LightMyRequestResponse> {
    const started = await b.rempart('POST', `/api/auth/oidc/${provider}/link`, { csrf });
    assert.equal(started.statusCode, 200, started.body);
    return b.callback(await b.authorizeAtProvider(started.json().authorizationUrl));
  }

  async function linkJobSeeker(login: string, subject: string): Promise<string> {
    const accountId = await jobSeeker(login);
    const b = browser();
    const csrf = await passwordLogin(b, login);
    franceConnect.next = { subject, acr: 'eidas1' };
    const linked = await link(b, 'franceconnect', csrf);
    assert.equal(linked.statusCode, 303, linked.body);
    return accountId;
  }

  async function federatedLogin(provider: 'franceconnect' | 'proconnect', next: TestIdentityProvider['next']) {
    (provider === 'franceconnect' ? franceConnect : proConnect).next = next;
    const b = browser();
    const { start, callbackUrl } = await b.startLogin(provider);
    const res = await b.callback(callbackUrl);
    return { b, start, callbackUrl, res };
  }

  const events = (kind: string) => ledgerEvents(runtime.database.db, kind);

  it('sends the browser to the provider with PKCE S256, state, nonce and the provider’s scopes, the request bound to a Lax cookie', async () => {
    const b = browser();
    const fc = await b.rempart('GET', '/api/auth/oidc/franceconnect/start');
    assert.equal(fc.statusCode, 302, fc.body);
    const url = new URL(String(fc.headers.location));
    assert.equal(url.origin, franceConnect.issuer);
    assert.equal(url.searchParams.get('client_id'), 'rempart-franceconnect');
    assert.equal(url.searchParams.get('redirect_uri'), `${PUBLIC_URL}/api/auth/oidc/franceconnect/callback`);
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(url.searchParams.get('state')!.length >= 32);
    assert.ok(url.searchParams.get('nonce')!.length >= 32);
    assert.deepEqual(url.searchParams.get('scope')!.split(' ').slice(0, 4), [
      'openid',
      'email',
      'given_name',
      'family_name',
    ]);
    assert.equal(url.searchParams.get('acr_values'), 'eidas1');
    const cookie = String(fc.headers['set-cookie']);
    assert.match(cookie, new RegExp(`^${TRANSACTION_COOKIE}=[A-Za-z0-9_-]{43};`));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /Secure/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Max-Age=600/);
    const stored = await runtime.database.db
      .selectFrom('federation_transactions')
      .selectAll()
      .where('state', '=', url.searchParams.get('state')!)
      .executeTakeFirstOrThrow();
    assert.notEqual(
      stored.id_hash,
      b.rempartCookies.get(TRANSACTION_COOKIE),
      'the table keeps a hash of the cookie, not the cookie',
    );

    const pc = await browser().rempart('GET', '/api/auth/oidc/proconnect/start');
    const claims = JSON.parse(new URL(String(pc.headers.location)).searchParams.get('claims')!);
    assert.deepEqual(claims, { id_token: { acr: { essential: true, values: ['eidas2', 'eidas3'] } } });
  });

  it('links a job seeker’s FranceConnect identity, then FranceConnect opens a working session', async () => {
    const accountId = await jobSeeker('alice@demo.rempart.example');
    const b = browser();
    const csrf = await passwordLogin(b, 'alice@demo.rempart.example');
    franceConnect.next = { subject: 'fc-alice', acr: 'eidas1' };
    const linked = await link(b, 'franceconnect', csrf);
    assert.equal(linked.statusCode, 303, linked.body);
    assert.equal(linked.headers.location, '/');
    const row = await runtime.database.db
      .selectFrom('federated_identities')
      .selectAll()
      .where('subject', '=', 'fc-alice')
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      { account: row.account_id, provider: row.provider, issuer: row.issuer },
      { account: accountId, provider: 'franceconnect', issuer: franceConnect.issuer },
    );
    assert.equal((await events('federated_identity_linked')).filter((e) => e.account_id === accountId).length, 1);
    const links = await b.rempart('GET', '/api/auth/oidc/links');
    assert.deepEqual(
      links.json().links.map((l: { provider: string }) => l.provider),
      ['franceconnect'],
    );

    const { b: other, res } = await federatedLogin('franceconnect', { subject: 'fc-alice', acr: 'eidas1' });
    assert.equal(res.statusCode, 303, res.body);
    assert.equal(res.headers.location, '/');
    const setCookie = ([] as string[])
      .concat(res.headers['set-cookie'] as string[])
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /Secure/);
    assert.match(setCookie, /SameSite=Strict/);
    const me = await other.rempart('GET', '/api/auth/session');
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json().account.login, 'alice@demo.rempart.example');
    assert.equal(me.json().session.secondFactorAt, null, 'eidas1 proves no second factor');
    assert.equal(
      (await other.rempart('GET', '/api/auth/factors')).statusCode,
      200,
      'a job seeker with no factor needs none, as with a password',
    );
    // The CSRF token reaches the page through the hand-off cookie: state-changing requests work.
    const handoff = other.rempartCookies.get(CSRF_HANDOFF_COOKIE)!;
    assert.equal((await other.rempart('POST', '/api/auth/logout')).statusCode, 403);
    assert.equal((await other.rempart('POST', '/api/auth/logout', { csrf: handoff })).statusCode, 204);
    const logins = (await events('federated_login')).filter((e) => e.account_id === accountId);
    assert.equal(logins.length, 1);
    assert.equal(logins[0]!.details.acr, 'eidas1');
  });

  it('FranceConnect at eidas2 counts as the second factor; at eidas1 a job seeker who enrolled one must present it', async () => {
    const accountId = await linkJobSeeker('bruno@demo.rempart.example', 'fc-bruno');
    const db = runtime.database.db;
    await db
      .insertInto('account_factors')
      .values({
        id: crypto.randomUUID(),
        account_id: accountId,
        kind: 'totp',
        status: 'active',
        label: 'app',
        secret: null,
        secret_version: null,
        data: '{}',
        last_used_step: null,
        created_at: new Date().toISOString(),
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
    const weak = await federatedLogin('franceconnect', { subject: 'fc-bruno', acr: 'eidas1' });
    assert.equal(weak.res.statusCode, 303, weak.res.body);
    assert.equal((await weak.b.rempart('GET', '/api/auth/factors')).json().error, 'second_factor_required');
    const strong = await federatedLogin('franceconnect', { subject: 'fc-bruno', acr: 'eidas2' });
    assert.equal(strong.res.statusCode, 303, strong.res.body);
    assert.equal((await strong.b.rempart('GET', '/api/auth/factors')).statusCode, 200);
  });

  it('refuses an identity nobody linked, tells how to link it, and creates nothing', async () => {
    const before = await counts();
    const { res, b } = await federatedLogin('franceconnect', { subject: 'fc-stranger', acr: 'eidas2' });
    assert.equal(res.statusCode, 403, res.body);
    assert.equal(res.json().error, 'federated_identity_unknown');
    assert.match(res.json().message, /mot de passe Rempart/);
    assert.match(res.json().message, /liez/);
    assert.equal(b.rempartCookies.get(SESSION_COOKIE), undefined);
    assert.deepEqual(await counts(), before);
    const rejected = await events('federated_login_rejected');
    assert.ok(rejected.some((e) => e.details.reason === 'identity_unknown'));
  });

  it('ProConnect: a staff account signed in at eidas2 gets a full session, at eidas1 a session awaiting the second factor', async () => {
    await staff('chloe.staff');
    const b = browser();
    const csrf = await staffWithSecondFactor(b, 'chloe.staff');
    proConnect.next = { subject: 'pc-chloe', acr: 'eidas2' };
    const linked = await link(b, 'proconnect', csrf);
    assert.equal(linked.statusCode, 303, linked.body);

    const strong = await federatedLogin('proconnect', { subject: 'pc-chloe', acr: 'eidas2' });
    assert.equal(strong.res.statusCode, 303, strong.res.body);
    const full = await strong.b.rempart('GET', '/api/auth/factors');
    assert.equal(full.statusCode, 200, full.body);
    assert.notEqual((await strong.b.rempart('GET', '/api/auth/session')).json().session.secondFactorAt, null);

    const weak = await federatedLogin('proconnect', { subject: 'pc-chloe', acr: 'eidas1' });
    assert.equal(weak.res.statusCode, 303, weak.res.body);
    const blocked = await weak.b.rempart('GET', '/api/auth/factors');
    assert.equal(blocked.statusCode, 403);
    assert.equal(blocked.json().error, 'second_factor_required');
    assert.equal(
      (await weak.b.rempart('GET', '/api/auth/session')).statusCode,
      200,
      'the session exists, waiting for its factor',
    );
    const handoff = weak.b.rempartCookies.get(CSRF_HANDOFF_COOKIE)!;
    assert.equal(
      (await weak.b.rempart('POST', '/api/auth/factors/totp', { csrf: handoff })).statusCode,
      403,
      'an account with a factor may not enrol another one instead',
    );
  });

  it('ProConnect at eidas1 for a staff account without a factor: the session may only enrol one', async () => {
    const accountId = await staff('damien.staff');
    const b = browser();
    const csrf = await staffWithSecondFactor(b, 'damien.staff');
    proConnect.next = { subject: 'pc-damien', acr: 'eidas2' };
    assert.equal((await link(b, 'proconnect', csrf)).statusCode, 303);
    // The phone is lost, the factor revoked: ProConnect at eidas1 must not stand in for it.
    await runtime.database.db
      .updateTable('account_factors')
      .set({ revoked_at: new Date().toISOString() })
      .where('account_id', '=', accountId)
      .execute();
    const weak = await federatedLogin('proconnect', { subject: 'pc-damien', acr: 'eidas1' });
    assert.equal(weak.res.statusCode, 303, weak.res.body);
    assert.equal((await weak.b.rempart('GET', '/api/auth/factors')).json().error, 'second_factor_required');
    const enrol = await weak.b.rempart('POST', '/api/auth/factors/totp', {
      csrf: weak.b.rempartCookies.get(CSRF_HANDOFF_COOKIE)!,
    });
    assert.equal(enrol.statusCode, 200, enrol.body);
  });

  it('refuses a tampered state, and the request it belonged to is spent', async () => {
    await linkJobSeeker('emma@demo.rempart.example', 'fc-emma');
    franceConnect.next = { subject: 'fc-emma', acr: 'eidas1' };
    const b = browser();
    const { callbackUrl } = await b.startLogin('franceconnect');
    const cookie = b.rempartCookies.get(TRANSACTION_COOKIE)!;
    const before = await counts();
    const tampered = new URL(callbackUrl);
    tampered.searchParams.set('state', 'x'.repeat(43));
    const res = await b.callback(tampered.toString());
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error, 'federation_state_mismatch');
    assert.match(res.json().message, /state/);
    b.rempartCookies.set(TRANSACTION_COOKIE, cookie);
    const genuine = await b.callback(callbackUrl);
    assert.equal(genuine.statusCode, 400, 'one try per request');
    assert.equal(genuine.json().error, 'federation_transaction_unknown');
    const missingState = new URL(callbackUrl);
    missingState.searchParams.delete('state');
    b.rempartCookies.set(TRANSACTION_COOKIE, cookie);
    assert.equal((await b.callback(missingState.toString())).statusCode, 400);
    assert.deepEqual(await counts(), before);
    assert.equal(b.rempartCookies.get(SESSION_COOKIE), undefined);
  });

  it('refuses a replayed callback: the transaction is single-use and the code too', async () => {
    await linkJobSeeker('farid@demo.rempart.example', 'fc-farid');
    franceConnect.next = { subject: 'fc-farid', acr: 'eidas1' };
    const b = browser();
    const { callbackUrl } = await b.startLogin('franceconnect');
    const cookie = b.rempartCookies.get(TRANSACTION_COOKIE)!;
    assert.equal((await b.callback(callbackUrl)).statusCode, 303);
    assert.equal(b.rempartCookies.get(TRANSACTION_COOKIE), undefined, 'the callback clears the transaction cookie');
    const before = await counts();
    // The same cookie and URL again, as an attacker holding both would send them.
    const attacker = browser();
    attacker.rempartCookies.set(TRANSACTION_COOKIE, cookie);
    const replay = await attacker.callback(callbackUrl);
    assert.equal(replay.statusCode, 400);
    assert.equal(replay.json().error, 'federation_transaction_unknown');
    // The code with a fresh transaction of the attacker's: the state differs.
    const fresh = await attacker.rempart('GET', '/api/auth/oidc/franceconnect/start');
    assert.equal(fresh.statusCode, 302);
    const withOldCode = await attacker.callback(callbackUrl);
    assert.equal(withOldCode.statusCode, 400);
    assert.equal(withOldCode.json().error, 'federation_state_mismatch');
    assert.deepEqual(await counts(), before);
  });

  it('refuses an ID token whose nonce is not the one sent', async () => {
    await linkJobSeeker('gaelle@demo.rempart.example', 'fc-gaelle');
    franceConnect.next = { subject: 'fc-gaelle', acr: 'eidas1' };
    const b = browser();
    const { start, callbackUrl } = await b.startLogin('franceconnect');
    const state = new URL(String(start.headers.location)).searchParams.get('state')!;
    // The provider signed the nonce of the request; Rempart now expects another one.
    await runtime.database.db
      .updateTable('federation_transactions')
      .set({ nonce: 'n'.repeat(43) })
      .where('state', '=', state)
      .execute();
    const before = await counts();
    const res = await b.callback(callbackUrl);
    assert.equal(res.statusCode, 403, res.body);
    assert.equal(res.json().error, 'federation_response_invalid');
    assert.deepEqual(await counts(), before);
    const rejected = (await events('federated_login_rejected')).map((e) => e.details);
    assert.ok(rejected.some((d) => d.reason === 'response_invalid' && d.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED'));
  });

  it('refuses an error answer from the provider, a callback without its cookie, and providers it does not know', async () => {
    const before = await counts();
    const b = browser();
    const start = await b.rempart('GET', '/api/auth/oidc/franceconnect/start');
    const state = new URL(String(start.headers.location)).searchParams.get('state')!;
    const denied = await b.callback(
      `/api/auth/oidc/franceconnect/callback?error=access_denied&state=${state}&iss=${encodeURIComponent(franceConnect.issuer)}`,
    );
    assert.equal(denied.statusCode, 403, denied.body);
    assert.equal(denied.json().error, 'federation_refused_by_provider');

    const noCookie = await browser().callback(`/api/auth/oidc/franceconnect/callback?code=abc&state=${state}`);
    assert.equal(noCookie.statusCode, 400);
    assert.equal(noCookie.json().error, 'federation_transaction_unknown');

    // A transaction started for FranceConnect is no good at ProConnect's callback.
    const crossed = browser();
    const fc = await crossed.rempart('GET', '/api/auth/oidc/franceconnect/start');
    const fcState = new URL(String(fc.headers.location)).searchParams.get('state')!;
    assert.equal(
      (await crossed.callback(`/api/auth/oidc/proconnect/callback?code=abc&state=${fcState}`)).json().error,
      'federation_transaction_unknown',
    );

    const unknown = await browser().rempart('GET', '/api/auth/oidc/google/start');
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().issues[0].field, 'params.provider');
    assert.equal((await browser().rempart('GET', '/api/auth/oidc/google/callback?code=x&state=y')).statusCode, 400);
    assert.deepEqual(await counts(), before);
  });

  it('answers 404 for a provider this deployment did not configure', async () => {
    const bare = await openTestServer();
    try {
      const res = await bare.app.inject({ method: 'GET', url: '/api/auth/oidc/franceconnect/start' });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().error, 'federation_provider_not_configured');
    } finally {
      await bare.close();
    }
  });

  it('refuses to link an identity already linked to another account (409), and a second identity to one account', async () => {
    await linkJobSeeker('hugo@demo.rempart.example', 'fc-hugo');
    await jobSeeker('ines@demo.rempart.example');
    const b = browser();
    const csrf = await passwordLogin(b, 'ines@demo.rempart.example');
    const before = await counts();
    franceConnect.next = { subject: 'fc-hugo', acr: 'eidas1' };
    const taken = await link(b, 'franceconnect', csrf);
    assert.equal(taken.statusCode, 409, taken.body);
    assert.equal(taken.json().error, 'federated_identity_linked_elsewhere');
    assert.deepEqual(await counts(), before);

    franceConnect.next = { subject: 'fc-ines', acr: 'eidas1' };
    assert.equal((await link(b, 'franceconnect', csrf)).statusCode, 303);
    franceConnect.next = { subject: 'fc-ines-bis', acr: 'eidas1' };
    const second = await link(b, 'franceconnect', csrf);
    assert.equal(second.statusCode, 409);
    assert.equal(second.json().error, 'federated_account_already_linked');
  });

  it('FranceConnect links job seekers only, ProConnect staff only', async () => {
    await staff('jules.staff');
    const staffBrowser = browser();
    const staffCsrf = await staffWithSecondFactor(staffBrowser, 'jules.staff');
    await jobSeeker('karim@demo.rempart.example');
    const seekerBrowser = browser();
    const seekerCsrf = await passwordLogin(seekerBrowser, 'karim@demo.rempart.example');
    const before = await counts();
    const transactions = await countRows(runtime, 'federation_transactions');
    const fc = await staffBrowser.rempart('POST', '/api/auth/oidc/franceconnect/link', { csrf: staffCsrf });
    assert.equal(fc.statusCode, 403, fc.body);
    assert.equal(fc.json().error, 'federation_account_kind_mismatch');
    assert.match(fc.json().message, /demandeur d’emploi/);

    const pc = await seekerBrowser.rempart('POST', '/api/auth/oidc/proconnect/link', { csrf: seekerCsrf });
    assert.equal(pc.statusCode, 403);
    assert.match(pc.json().message, /professionnel/);
    assert.deepEqual(await counts(), before);
    assert.equal(await countRows(runtime, 'federation_transactions'), transactions, 'no request was started');
  });

  it('asks for a recent second factor before linking, and tells every verified channel when a link is made or removed', async () => {
    const accountId = await staff('liaison.etapes');
    await addChannel(runtime.database.db, runtime.keyring, accountId, 'email', 'liaison.etapes@agents.test.example', {
      verified: true,
    });
    const b = browser();
    const csrf = await staffWithSecondFactor(b, 'liaison.etapes');
    // Ten minutes later (a session left open, or lifted from the browser): no link without a fresh factor.
    await runtime.database.db
      .updateTable('sessions')
      .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
      .where('account_id', '=', accountId)
      .execute();
    const transactions = await countRows(runtime, 'federation_transactions');
    const stale = await b.rempart('POST', '/api/auth/oidc/proconnect/link', { csrf });
    assert.equal(stale.statusCode, 403, stale.body);
    assert.equal(stale.json().error, 'step_up_required');
    assert.equal(await countRows(runtime, 'federation_transactions'), transactions, 'no link started');
    await runtime.database.db
      .updateTable('sessions')
      .set({ second_factor_at: new Date().toISOString() })
      .where('account_id', '=', accountId)
      .execute();
    proConnect.next = { subject: 'pc-liaison', acr: 'eidas2' };
    assert.equal((await link(b, 'proconnect', csrf)).statusCode, 303);
    assert.equal((await b.rempart('DELETE', '/api/auth/oidc/proconnect/link', { csrf })).statusCode, 204);
    const told = messagesTo(server.env.dir, 'liaison.etapes@agents.test.example').map((m) => m.subject);
    assert.deepEqual(
      told.filter((subject) => /ProConnect/.test(subject)),
      ['Rempart : identité ProConnect liée à votre compte', 'Rempart : identité ProConnect retirée de votre compte'],
    );
  });

  it('links only from a session that passed its second factor, with its CSRF token', async () => {
    await staff('lea.staff');
    const b = browser();
    const csrf = await passwordLogin(b, 'lea.staff');
    const awaiting = await b.rempart('POST', '/api/auth/oidc/proconnect/link', { csrf });
    assert.equal(awaiting.statusCode, 403);
    assert.equal(awaiting.json().error, 'second_factor_required');
    await jobSeeker('marc@demo.rempart.example');
    const seeker = browser();
    await passwordLogin(seeker, 'marc@demo.rempart.example');
    assert.equal((await seeker.rempart('POST', '/api/auth/oidc/franceconnect/link')).json().error, 'csrf_failed');
    assert.equal((await browser().rempart('POST', '/api/auth/oidc/franceconnect/link')).statusCode, 401);
  });

  it('drops a link whose session was closed while the user was at the provider', async () => {
    await jobSeeker('nina@demo.rempart.example');
    const b = browser();
    const csrf = await passwordLogin(b, 'nina@demo.rempart.example');
    const started = await b.rempart('POST', '/api/auth/oidc/franceconnect/link', { csrf });
    franceConnect.next = { subject: 'fc-nina', acr: 'eidas1' };
    const callbackUrl = await b.authorizeAtProvider(started.json().authorizationUrl);
    assert.equal((await b.rempart('POST', '/api/auth/logout', { csrf })).statusCode, 204);
    const before = await counts();
    const res = await b.callback(callbackUrl);
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'federation_link_session_ended');
    assert.deepEqual(await counts(), before);
  });

  it('refuses a disabled account, and unlinking closes the federated way in', async () => {
    const accountId = await linkJobSeeker('olga@demo.rempart.example', 'fc-olga');
    const db = runtime.database.db;
    await db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', accountId).execute();
    const before = await counts();
    const disabled = await federatedLogin('franceconnect', { subject: 'fc-olga', acr: 'eidas2' });
    assert.equal(disabled.res.statusCode, 403);
    assert.equal(disabled.res.json().error, 'account_disabled');
    assert.deepEqual(await counts(), before);
    await db.updateTable('accounts').set({ status: 'active' }).where('id', '=', accountId).execute();

    const b = browser();
    const csrf = await passwordLogin(b, 'olga@demo.rempart.example');
    assert.equal(
      (await b.rempart('DELETE', '/api/auth/oidc/franceconnect/link')).statusCode,
      403,
      'CSRF token required',
    );
    assert.equal((await b.rempart('DELETE', '/api/auth/oidc/franceconnect/link', { csrf })).statusCode, 204);
    assert.equal((await b.rempart('DELETE', '/api/auth/oidc/franceconnect/link', { csrf })).statusCode, 404);
    assert.equal((await events('federated_identity_unlinked')).filter((e) => e.account_id === accountId).length, 1);
    const after = await federatedLogin('franceconnect', { subject: 'fc-olga', acr: 'eidas2' });
    assert.equal(after.res.json().error, 'federated_identity_unknown');
  });

  it('never writes an authorization code, a state, a nonce or a session token to the logs or the events', async () => {
    await linkJobSeeker('paul@demo.rempart.example', 'fc-paul');
    const { callbackUrl, start, b } = await federatedLogin('franceconnect', { subject: 'fc-paul', acr: 'eidas1' });
    const params = new URL(callbackUrl).searchParams;
    const request = new URL(String(start.headers.location)).searchParams;
    const secrets = [
      params.get('code')!,
      params.get('state')!,
      request.get('nonce')!,
      b.rempartCookies.get(SESSION_COOKIE)!,
      b.rempartCookies.get(CSRF_HANDOFF_COOKIE)!,
    ];
    const logs = server.logLines.join('');
    assert.ok(logs.includes('/api/auth/oidc/franceconnect/callback'), 'the callback is logged, by its path');
    const stored = await ledgerText(runtime.database.db);
    for (const secret of secrets) {
      assert.ok(secret && secret.length >= 20);
      assert.equal(logs.includes(secret), false, 'logs');
      assert.equal(stored.includes(secret), false, 'events');
    }
  });
});
