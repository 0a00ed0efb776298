import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { FastifyInstance } from 'fastify';
import { Secret, TOTP } from 'otpauth';
import {
  beginTotpEnrolment,
  createAccount,
  hasRecentSecondFactor,
  issueRecoveryCodes,
  LOGIN_MAX_FAILURES,
  type PasskeyData,
} from '../../src/identity/index.ts';
import type { Executor } from '../../src/store/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { SoftwareAuthenticator } from '../helpers/webauthn-authenticator.ts';
import { attestationRoot, batchCertificate, certificate } from '../helpers/x509.ts';

const PASSWORD = 'cheval agrafe pile correcte';
/** The test configuration's public URL: the relying party is `localhost`. */
const ORIGIN = 'http://localhost:3000';
const AGENCY = 'aaaaaaaa-0000-4000-8000-000000000001';
const CALL_CENTRE = 'aaaaaaaa-0000-4000-8000-000000000002';

interface Session {
  cookie: string;
  csrf: string;
}
interface Client {
  remoteAddress: string;
  headers: Record<string, string>;
}
type Response = Awaited<ReturnType<FastifyInstance['inject']>>;

const cookieOf = (res: Response) => String(res.headers['set-cookie']).split(';')[0]!;
const sessionFrom = (res: Response): Session => ({ cookie: cookieOf(res), csrf: res.json().csrfToken as string });

const aaguidText = (bytes: Buffer) =>
  bytes.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
/** The manufacturer of the one security-key model the call centre may use, and that model. */
const MANUFACTURER = attestationRoot('Fabricant homologué');
const ALLOWED_MODEL = randomBytes(16);
const ALLOWED_NAME = 'Clé de sécurité homologuée (test)';
/** A key of the allowed model: 'packed' attestation by a batch certificate of its manufacturer. */
const allowedKey = () =>
  new SoftwareAuthenticator(ORIGIN, {
    aaguid: ALLOWED_MODEL,
    attestation: { chain: [batchCertificate(MANUFACTURER, { aaguid: ALLOWED_MODEL })] },
  });

describe(`passkeys (${BACKEND})`, () => {
  let server: TestServer;
  let app: FastifyInstance;
  let db: Executor;
  let clients = 0;

  before(async () => {
    server = await openTestServer({
      config: {
        passkeyAuthenticators: [{ aaguid: aaguidText(ALLOWED_MODEL), name: ALLOWED_NAME, roots: [MANUFACTURER.pem] }],
      },
    });
    app = server.app;
    db = server.runtime.database.db;
    const organisation = (id: string, kind: string, posture: object) =>
      db
        .insertInto('organisations')
        .values({
          id,
          kind,
          name: kind,
          siret: null,
          departement: '33',
          security_posture: JSON.stringify(posture),
          status: 'active',
          created_at: new Date().toISOString(),
        })
        .execute();
    await organisation(AGENCY, 'agency', { mfa: 'required', passkeyOnly: false });
    await organisation(CALL_CENTRE, 'subcontractor', { mfa: 'required', passkeyOnly: true, lastAudit: null });
  });
  after(() => server.close());

  /** A person at their own computer: one address, one browser, for all their requests. */
  interface User {
    login: string;
    accountId: string;
    client: Client;
  }

  async function user(login: string, organisationId?: string): Promise<User> {
    let actorId: string | undefined;
    if (organisationId) {
      actorId = randomUUID();
      await db
        .insertInto('actors')
        .values({
          id: actorId,
          organisation_id: organisationId,
          kind: 'human',
          login,
          display_name: login,
          roles: '["counsellor"]',
          status: 'active',
          created_at: new Date().toISOString(),
        })
        .execute();
    }
    const accountId = await createAccount(db, {
      kind: actorId ? 'staff' : 'job_seeker',
      login,
      password: PASSWORD,
      ...(actorId ? { actorId } : {}),
    });
    clients += 1;
    return {
      login,
      accountId,
      client: {
        remoteAddress: `192.0.2.${clients}`,
        headers: { 'user-agent': `Mozilla/5.0 Chromium/${clients}`, 'accept-language': 'fr-FR' },
      },
    };
  }

  const call = (who: User, session: Session, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({
      method,
      url,
      remoteAddress: who.client.remoteAddress,
      headers: { ...who.client.headers, cookie: session.cookie, 'x-csrf-token': session.csrf },
      ...(payload ? { payload } : {}),
    });

  async function passwordLogin(who: User): Promise<{ secondFactor: string; session: Session }> {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: who.client.remoteAddress,
      headers: who.client.headers,
      payload: { login: who.login, password: PASSWORD },
    });
    assert.equal(res.statusCode, 200, res.body);
    return { secondFactor: res.json().secondFactor, session: sessionFrom(res) };
  }

  async function registrationOptions(who: User, session: Session): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const res = await call(who, session, 'POST', '/api/auth/passkeys/registration/options');
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }

  async function authenticationOptions(who: User, session: Session): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const res = await call(who, session, 'POST', '/api/auth/passkeys/authentication/options');
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }

  /** Sign in and register a first passkey; returns the upgraded session. */
  async function enrol(
    who: User,
    authenticator: SoftwareAuthenticator,
  ): Promise<{ session: Session; body: { factorId: string; recoveryCodes?: string[]; csrfToken?: string } }> {
    const { session } = await passwordLogin(who);
    const options = await registrationOptions(who, session);
    const res = await call(who, session, 'POST', '/api/auth/passkeys/registration', {
      response: authenticator.create(options),
    });
    assert.equal(res.statusCode, 200, res.body);
    return { session: sessionFrom(res), body: res.json() };
  }

  /** Sign in and pass the second factor with the passkey; returns the upgraded session. */
  async function signInWithPasskey(who: User, authenticator: SoftwareAuthenticator): Promise<Session> {
    const { session } = await passwordLogin(who);
    const res = await call(who, session, 'POST', '/api/auth/passkeys/authentication', {
      response: authenticator.get(await authenticationOptions(who, session)),
    });
    assert.equal(res.statusCode, 200, res.body);
    return sessionFrom(res);
  }

  const passkeyRows = (accountId: string) =>
    db
      .selectFrom('account_factors')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('kind', '=', 'passkey')
      .orderBy('created_at')
      .execute();
  const dataOf = (row: { data: string }) => JSON.parse(row.data) as PasskeyData;

  /** Everything a refused request must leave as it was: factors, sessions, registered credentials. */
  async function snapshot(accountId: string): Promise<string> {
    const factors = await db
      .selectFrom('account_factors')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute();
    const sessions = await db
      .selectFrom('sessions')
      .select(['id_hash', 'second_factor_at', 'revoked_at'])
      .where('account_id', '=', accountId)
      .orderBy('id_hash')
      .execute();
    const credentials = await db
      .selectFrom('passkey_credentials')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('credential_id')
      .execute();
    return JSON.stringify({ factors, sessions, credentials });
  }

  const eventsOf = async (accountId: string, kind: string) =>
    (await ledgerEvents(db, kind))
      .filter((e) => e.account_id === accountId)
      .map((e) => e.body.details as Record<string, unknown>);

  const awaitingSecondFactor = async (who: User, session: Session) =>
    (await call(who, session, 'GET', '/api/auth/sessions')).json().error === 'second_factor_required';

  function assertRefused(res: Response, field: string, rule: string) {
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error, 'passkey_refused');
    assert.deepEqual(
      res.json().issues.map((i: { field: string; rule: string }) => `${i.field}:${i.rule}`),
      [`${field}:${rule}`],
    );
  }

  it('registers a first passkey for a staff account: public material only, recovery codes, a new session id', async () => {
    const nora = await user('nora.agence', AGENCY);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const { secondFactor, session } = await passwordLogin(nora);
    assert.equal(secondFactor, 'enrolment_required');

    const first = await registrationOptions(nora, session);
    assert.deepEqual(first.rp, { name: 'Rempart', id: 'localhost' });
    assert.equal(first.user.name, 'nora.agence');
    assert.equal(first.attestation, 'none');
    assert.equal(first.authenticatorSelection?.userVerification, 'required');
    assert.equal(first.authenticatorSelection?.residentKey, 'preferred');
    assert.deepEqual(first.excludeCredentials, []);
    assert.equal(first.timeout, 5 * 60_000);
    const userHandle = Buffer.from(first.user.id, 'base64url');
    assert.equal(userHandle.length, 32, 'a random user handle, not the account id or the login');
    assert.equal(userHandle.toString('latin1').includes(nora.accountId), false);

    const options = await registrationOptions(nora, session);
    assert.equal(options.user.id, first.user.id, 'the user handle is stable for the account');
    assert.notEqual(options.challenge, first.challenge);
    const waiting = await db
      .selectFrom('passkey_challenges')
      .select('challenge')
      .where('account_id', '=', nora.accountId)
      .execute();
    assert.deepEqual(waiting, [{ challenge: options.challenge }], 'asking again replaces the challenge waiting');

    const response = authenticator.create(options);
    const res = await call(nora, session, 'POST', '/api/auth/passkeys/registration', {
      response,
      label: 'Ordinateur du bureau',
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.recoveryCodes.length, 10);
    const upgraded = sessionFrom(res);
    assert.notEqual(upgraded.cookie, session.cookie, 'the session id changes with the privilege');
    assert.equal((await call(nora, session, 'GET', '/api/auth/session')).statusCode, 401, 'the old cookie is dead');
    assert.equal((await call(nora, upgraded, 'GET', '/api/auth/sessions')).statusCode, 200);

    const [row, ...others] = await passkeyRows(nora.accountId);
    assert.equal(others.length, 0);
    assert.equal(row!.id, body.factorId);
    assert.equal(row!.status, 'active');
    assert.equal(row!.label, 'Ordinateur du bureau');
    assert.equal(row!.secret, null, 'nothing secret is kept for a passkey');
    const data = dataOf(row!);
    assert.equal(data.credentialId, response.id);
    assert.equal(data.counter, 0);
    assert.deepEqual(data.transports, ['internal']);
    assert.equal(data.aaguid, authenticator.aaguidText);
    assert.match(data.publicKey, /^[A-Za-z0-9_-]+$/);
    const kinds = (
      await db
        .selectFrom('account_factors')
        .select('kind')
        .where('account_id', '=', nora.accountId)
        .where('revoked_at', 'is', null)
        .execute()
    )
      .map((f) => f.kind)
      .sort();
    assert.deepEqual(kinds, ['passkey', 'recovery_codes']);
    assert.deepEqual(
      await db
        .selectFrom('passkey_credentials')
        .select(['credential_id', 'factor_id'])
        .where('account_id', '=', nora.accountId)
        .execute(),
      [{ credential_id: response.id, factor_id: row!.id }],
    );
    assert.equal(
      (await db.selectFrom('passkey_challenges').select('id').where('account_id', '=', nora.accountId).execute())
        .length,
      0,
      'the challenge is spent',
    );
    const newest = await db
      .selectFrom('sessions')
      .select('second_factor_at')
      .where('account_id', '=', nora.accountId)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    assert.ok(hasRecentSecondFactor(newest.second_factor_at));

    assert.deepEqual(
      (await eventsOf(nora.accountId, 'passkey_registered')).map((e) => e.first),
      [true],
    );
    const events = JSON.stringify((await ledgerEvents(db)).filter((e) => e.account_id === nora.accountId));
    for (const value of [data.publicKey, options.challenge, ...body.recoveryCodes])
      assert.equal(events.includes(value), false, 'events hold no key, challenge or code');
  });

  it('passes the second factor with the passkey: new session id, second_factor_at set, counter moved forward', async () => {
    const lina = await user('lina.agence', AGENCY);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await enrol(lina, authenticator);

    const { secondFactor, session } = await passwordLogin(lina);
    assert.equal(secondFactor, 'required');
    assert.ok(await awaitingSecondFactor(lina, session));
    const options = await authenticationOptions(lina, session);
    assert.equal(options.rpId, 'localhost');
    assert.equal(options.userVerification, 'required');
    assert.deepEqual(
      options.allowCredentials?.map((c) => c.id),
      authenticator.credentialIds,
    );
    const res = await call(lina, session, 'POST', '/api/auth/passkeys/authentication', {
      response: authenticator.get(options),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().method, 'passkey');
    const upgraded = sessionFrom(res);
    assert.equal((await call(lina, session, 'GET', '/api/auth/session')).statusCode, 401, 'the old cookie is dead');
    assert.equal((await call(lina, upgraded, 'GET', '/api/auth/sessions')).statusCode, 200);
    const current = await db
      .selectFrom('sessions')
      .select('second_factor_at')
      .where('account_id', '=', lina.accountId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    assert.ok(hasRecentSecondFactor(current.second_factor_at), 'step-up checks see the passkey');

    const [row] = await passkeyRows(lina.accountId);
    assert.equal(dataOf(row!).counter, 1);
    assert.ok(row!.last_used_at);
    const succeeded = await eventsOf(lina.accountId, 'second_factor_succeeded');
    assert.equal(succeeded.at(-1)?.method, 'passkey');
  });

  it('a challenge answers once: a tampered, a replayed and a stale assertion are refused and change nothing', async () => {
    const omar = await user('omar.agence', AGENCY);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await enrol(omar, authenticator);

    const { session } = await passwordLogin(omar);
    const before = await snapshot(omar.accountId);
    const assertion = authenticator.get(await authenticationOptions(omar, session));
    const tampered = {
      ...assertion,
      response: {
        ...assertion.response,
        signature: Buffer.from(assertion.response.signature, 'base64url').reverse().toString('base64url'),
      },
    };
    assertRefused(
      await call(omar, session, 'POST', '/api/auth/passkeys/authentication', { response: tampered }),
      'body.response',
      'webauthn',
    );
    // The genuine assertion now comes too late: its challenge was spent by the failed try.
    assertRefused(
      await call(omar, session, 'POST', '/api/auth/passkeys/authentication', { response: assertion }),
      'body.response.response.clientDataJSON',
      'challenge',
    );
    assert.equal(await snapshot(omar.accountId), before);
    assert.ok(await awaitingSecondFactor(omar, session));

    // A good assertion opens one session, and only one.
    const options = await authenticationOptions(omar, session);
    const good = authenticator.get(options);
    assert.equal(
      (await call(omar, session, 'POST', '/api/auth/passkeys/authentication', { response: good })).statusCode,
      200,
    );
    const { session: other } = await passwordLogin(omar);
    const afterSuccess = await snapshot(omar.accountId);
    assertRefused(
      await call(omar, other, 'POST', '/api/auth/passkeys/authentication', { response: good }),
      'body.response.response.clientDataJSON',
      'challenge',
    );
    await authenticationOptions(omar, other);
    const stale = authenticator.get(options);
    assertRefused(
      await call(omar, other, 'POST', '/api/auth/passkeys/authentication', { response: stale }),
      'body.response.response.clientDataJSON',
      'challenge',
    );
    assert.equal(await snapshot(omar.accountId), afterSuccess);
    assert.ok(await awaitingSecondFactor(omar, other));
  });

  it('a challenge expires after five minutes, for registration and sign-in alike', async () => {
    const ines = await user('ines@demo.rempart.example');
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const expire = (accountId: string) =>
      db
        .updateTable('passkey_challenges')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('account_id', '=', accountId)
        .execute();

    const { secondFactor, session } = await passwordLogin(ines);
    assert.equal(secondFactor, 'not_required');
    const options = await registrationOptions(ines, session);
    const challenge = await db
      .selectFrom('passkey_challenges')
      .select(['created_at', 'expires_at'])
      .where('account_id', '=', ines.accountId)
      .executeTakeFirstOrThrow();
    assert.equal(Date.parse(challenge.expires_at) - Date.parse(challenge.created_at), 5 * 60_000);
    await expire(ines.accountId);
    const before = await snapshot(ines.accountId);
    assertRefused(
      await call(ines, session, 'POST', '/api/auth/passkeys/registration', { response: authenticator.create(options) }),
      'body.response.response.clientDataJSON',
      'challenge',
    );
    assert.equal(await snapshot(ines.accountId), before, 'no passkey is kept');

    // A registration answer is single-use too.
    const fresh = await registrationOptions(ines, session);
    const response = authenticator.create(fresh);
    const ok = await call(ines, session, 'POST', '/api/auth/passkeys/registration', { response });
    assert.equal(ok.statusCode, 200, ok.body);
    const upgraded = sessionFrom(ok);
    const registered = await snapshot(ines.accountId);
    assertRefused(
      await call(ines, upgraded, 'POST', '/api/auth/passkeys/registration', { response }),
      'body.response.response.clientDataJSON',
      'challenge',
    );
    assert.equal(await snapshot(ines.accountId), registered);

    const signIn = await passwordLogin(ines);
    assert.equal(signIn.secondFactor, 'required', 'a job seeker with a passkey must present it');
    const requestOptions = await authenticationOptions(ines, signIn.session);
    await expire(ines.accountId);
    const beforeSignIn = await snapshot(ines.accountId);
    assertRefused(
      await call(ines, signIn.session, 'POST', '/api/auth/passkeys/authentication', {
        response: authenticator.get(requestOptions),
      }),
      'body.response.response.clientDataJSON',
      'challenge',
    );
    assert.equal(
      await snapshot(ines.accountId),
      beforeSignIn,
      'the counter did not move, the session was not upgraded',
    );
    assert.ok(await awaitingSecondFactor(ines, signIn.session));
  });

  it('refuses a ceremony run on another origin, for another RP ID, or without user verification', async () => {
    const paul = await user('paul.agence', AGENCY);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const { session } = await passwordLogin(paul);
    const before = await snapshot(paul.accountId);
    for (const [overrides, detail] of [
      [{ origin: 'https://rempart.example.phishing.test' }, /origin/i],
      [{ rpId: 'phishing.test' }, /RP ID/i],
      [{ userVerified: false }, /verif/i],
    ] as const) {
      const res = await call(paul, session, 'POST', '/api/auth/passkeys/registration', {
        response: authenticator.create(await registrationOptions(paul, session), overrides),
      });
      assertRefused(res, 'body.response', 'webauthn');
      assert.match(String((await eventsOf(paul.accountId, 'passkey_rejected')).at(-1)?.detail), detail);
    }
    assert.equal(await snapshot(paul.accountId), before, 'no passkey is kept');

    const good = new SoftwareAuthenticator(ORIGIN);
    const registered = await call(paul, session, 'POST', '/api/auth/passkeys/registration', {
      response: good.create(await registrationOptions(paul, session)),
    });
    assert.equal(registered.statusCode, 200, registered.body);

    const { session: signIn } = await passwordLogin(paul);
    const beforeSignIn = await snapshot(paul.accountId);
    for (const overrides of [
      { origin: 'https://rempart.example.phishing.test' },
      { rpId: 'phishing.test' },
      { userVerified: false },
    ]) {
      const options = await authenticationOptions(paul, signIn);
      assertRefused(
        await call(paul, signIn, 'POST', '/api/auth/passkeys/authentication', {
          response: good.get(options, overrides),
        }),
        'body.response',
        'webauthn',
      );
    }
    assert.equal(await snapshot(paul.accountId), beforeSignIn, 'counter, sessions and factors untouched');
    assert.ok(await awaitingSecondFactor(paul, signIn));
    assert.deepEqual(
      (await eventsOf(paul.accountId, 'second_factor_failed')).map((e) => `${e.method}:${e.reason}`),
      ['passkey:verification', 'passkey:verification', 'passkey:verification'],
    );
  });

  it('refuses the passkey of another account, even correctly signed over this session’s challenge', async () => {
    const hugo = await user('hugo.agence', AGENCY);
    const emma = await user('emma@demo.rempart.example');
    const hugoKey = new SoftwareAuthenticator(ORIGIN);
    const emmaKey = new SoftwareAuthenticator(ORIGIN);
    await enrol(hugo, hugoKey);
    const emmaSession = (await enrol(emma, emmaKey)).session;

    const { session } = await passwordLogin(hugo);
    const options = await authenticationOptions(hugo, session);
    assert.deepEqual(
      options.allowCredentials?.map((c) => c.id),
      hugoKey.credentialIds,
      'only the account’s own passkeys are offered',
    );
    const before = [await snapshot(hugo.accountId), await snapshot(emma.accountId)];
    const foreign = emmaKey.get(options, { credentialId: emmaKey.credentialIds[0]! });
    assertRefused(
      await call(hugo, session, 'POST', '/api/auth/passkeys/authentication', { response: foreign }),
      'body.response.id',
      'credential',
    );
    assert.deepEqual([await snapshot(hugo.accountId), await snapshot(emma.accountId)], before);
    assert.ok(await awaitingSecondFactor(hugo, session));
    assert.deepEqual((await eventsOf(hugo.accountId, 'passkey_rejected')).at(-1), {
      during: 'authentication',
      reason: 'unknown_credential',
      foreign: true,
    });

    // Nor can one account revoke another's passkey.
    const [hugoPasskey] = await passkeyRows(hugo.accountId);
    const revoke = await call(emma, emmaSession, 'DELETE', `/api/auth/passkeys/${hugoPasskey!.id}`);
    assert.equal(revoke.statusCode, 404);
    assert.deepEqual([await snapshot(hugo.accountId), await snapshot(emma.accountId)], before);
  });

  it('refuses a signature counter that does not grow (a cloned authenticator), then accepts the real one', async () => {
    const zoe = await user('zoe.agence', AGENCY);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await enrol(zoe, authenticator);
    await signInWithPasskey(zoe, authenticator);
    const stored = dataOf((await passkeyRows(zoe.accountId))[0]!).counter;
    assert.equal(stored, 1);

    const { session } = await passwordLogin(zoe);
    const before = await snapshot(zoe.accountId);
    for (const counter of [stored, 0]) {
      const res = await call(zoe, session, 'POST', '/api/auth/passkeys/authentication', {
        response: authenticator.get(await authenticationOptions(zoe, session), { counter }),
      });
      assertRefused(res, 'body.response.response.authenticatorData', 'counter');
    }
    assert.equal(await snapshot(zoe.accountId), before, 'the stored counter did not move');
    assert.deepEqual(
      (await eventsOf(zoe.accountId, 'passkey_rejected')).map((e) => `${e.reason}:${e.counter}:${e.stored}`),
      ['counter:1:1', 'counter:0:1'],
    );
    const res = await call(zoe, session, 'POST', '/api/auth/passkeys/authentication', {
      response: authenticator.get(await authenticationOptions(zoe, session), { counter: 7 }),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(dataOf((await passkeyRows(zoe.accountId))[0]!).counter, 7);
  });

  it('passkey-only organisation: codes neither enrol nor pass, only a passkey does, and it cannot be removed', async () => {
    const samir = await user('samir.appels', CALL_CENTRE);
    const { secondFactor, session } = await passwordLogin(samir);
    assert.equal(secondFactor, 'enrolment_required');
    const before = await snapshot(samir.accountId);
    const totp = await call(samir, session, 'POST', '/api/auth/factors/totp');
    assert.equal(totp.statusCode, 403, totp.body);
    assert.equal(totp.json().error, 'passkey_required');
    assert.match(totp.json().message, /clé d’accès/);
    const confirm = await call(samir, session, 'POST', '/api/auth/factors/totp/confirm', {
      factorId: randomUUID(),
      code: '123456',
    });
    assert.equal(confirm.statusCode, 403);
    assert.equal(confirm.json().error, 'passkey_required');
    assert.equal(await snapshot(samir.accountId), before, 'no TOTP factor was created');

    const authenticator = allowedKey();
    const registration = await call(samir, session, 'POST', '/api/auth/passkeys/registration', {
      response: authenticator.create(await registrationOptions(samir, session)),
    });
    assert.equal(registration.statusCode, 200, registration.body);
    assert.equal(registration.json().recoveryCodes, undefined, 'no codes to get around the passkey');
    assert.ok(registration.json().csrfToken);
    const kinds = (
      await db.selectFrom('account_factors').select('kind').where('account_id', '=', samir.accountId).execute()
    ).map((f) => f.kind);
    assert.deepEqual(kinds, ['passkey']);

    // Codes from before the organisation went passkey-only: a valid TOTP code and a valid
    // recovery code are both refused, and neither is spent.
    const enrolment = await beginTotpEnrolment(db, server.runtime.keyring, samir.accountId, samir.login);
    await db.updateTable('account_factors').set({ status: 'active' }).where('id', '=', enrolment.factorId).execute();
    const [recoveryCode] = await issueRecoveryCodes(db, samir.accountId);
    const code = new TOTP({
      secret: Secret.fromBase32(enrolment.secret),
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
    }).generate();

    const { secondFactor: then, session: signIn } = await passwordLogin(samir);
    assert.equal(then, 'required');
    const beforeCodes = await snapshot(samir.accountId);
    for (const attempt of [code, recoveryCode!]) {
      const res = await call(samir, signIn, 'POST', '/api/auth/second-factor', { code: attempt });
      assert.equal(res.statusCode, 403, res.body);
      assert.equal(res.json().error, 'passkey_required');
    }
    assert.equal(await snapshot(samir.accountId), beforeCodes, 'neither code was spent, the session was not upgraded');
    assert.ok(await awaitingSecondFactor(samir, signIn));

    const ok = await call(samir, signIn, 'POST', '/api/auth/passkeys/authentication', {
      response: authenticator.get(await authenticationOptions(samir, signIn)),
    });
    assert.equal(ok.statusCode, 200, ok.body);

    // The TOTP app cannot pass here, so the passkey is the last usable factor.
    const [passkey] = await passkeyRows(samir.accountId);
    const beforeRevoke = await snapshot(samir.accountId);
    const revoke = await call(samir, sessionFrom(ok), 'DELETE', `/api/auth/passkeys/${passkey!.id}`);
    assert.equal(revoke.statusCode, 409, revoke.body);
    assert.equal(revoke.json().error, 'last_factor');
    assert.equal(await snapshot(samir.accountId), beforeRevoke);
  });

  it('passkey-only organisation: an agent holding only a TOTP app from before is not stuck: sign-in asks for a passkey enrolment', async () => {
    const nadia = await user('nadia.appels', CALL_CENTRE);
    const enrolment = await beginTotpEnrolment(db, server.runtime.keyring, nadia.accountId, nadia.login);
    await db.updateTable('account_factors').set({ status: 'active' }).where('id', '=', enrolment.factorId).execute();
    const { secondFactor, session } = await passwordLogin(nadia);
    assert.equal(secondFactor, 'enrolment_required', 'the TOTP app is no factor in a passkey-only organisation');
    assert.ok(await awaitingSecondFactor(nadia, session));
    const authenticator = allowedKey();
    const registration = await call(nadia, session, 'POST', '/api/auth/passkeys/registration', {
      response: authenticator.create(await registrationOptions(nadia, session)),
    });
    assert.equal(registration.statusCode, 200, registration.body);
    const upgraded = sessionFrom(registration);
    assert.equal(await awaitingSecondFactor(nadia, upgraded), false, 'the first usable factor upgrades the session');
    const again = await passwordLogin(nadia);
    assert.equal(again.secondFactor, 'required');
    const second = await call(nadia, again.session, 'POST', '/api/auth/passkeys/registration/options');
    assert.equal(second.statusCode, 403, 'now that a passkey exists, a password alone cannot add another');
  });

  /** A passkey-only organisation's refusal of the authenticator: its rule, and the French reason returned. */
  function assertAttestationRefused(res: Response, rule: string): string {
    assert.equal(res.statusCode, 400, res.body);
    const body = res.json();
    assert.equal(body.error, 'passkey_refused');
    assert.match(body.message, /n’accepte que les clés de sécurité d’un modèle autorisé/);
    assert.deepEqual(
      body.issues.map((i: { field: string; rule: string }) => `${i.field}:${i.rule}`),
      [`body.response.response.attestationObject:${rule}`],
    );
    return body.issues[0].message as string;
  }

  it('passkey-only organisation: attestation is asked for, and only a key of an allowed model, proven by its manufacturer’s chain, registers', async () => {
    const lea = await user('lea.appels', CALL_CENTRE);
    const { session } = await passwordLogin(lea);
    const options = await registrationOptions(lea, session);
    assert.equal(options.attestation, 'direct', 'the model must be proven, so it is asked for');
    const before = await snapshot(lea.accountId);

    const forger = attestationRoot('Faussaire');
    const otherModel = randomBytes(16);
    const intermediate = certificate({
      subject: { C: 'FR', O: 'Fabricant homologué', CN: 'Fabricant homologué FIDO Issuing CA' },
      issuer: MANUFACTURER,
      ca: true,
    });
    const expiredIntermediate = certificate({
      subject: { C: 'FR', O: 'Fabricant homologué', CN: 'Fabricant homologué FIDO Issuing CA 2019' },
      issuer: MANUFACTURER,
      ca: true,
      notBefore: new Date('2019-01-01'),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const cases: [string, SoftwareAuthenticator, RegExp][] = [
      // A software key (or a phone, a password manager) answering with no attestation, whatever model it claims.
      [
        'attestation_none',
        new SoftwareAuthenticator(ORIGIN, { aaguid: ALLOWED_MODEL }),
        /aucune attestation de son fabricant/,
      ],
      // Self attestation: the key signs for itself, anyone can claim the allowed model so.
      [
        'attestation_self',
        new SoftwareAuthenticator(ORIGIN, { aaguid: ALLOWED_MODEL, attestation: 'self' }),
        /s’atteste elle-même/,
      ],
      // A genuine key of the same manufacturer, but of a model not on the list.
      [
        'authenticator_not_allowed',
        new SoftwareAuthenticator(ORIGIN, {
          aaguid: otherModel,
          attestation: { chain: [batchCertificate(MANUFACTURER, { aaguid: otherModel })] },
        }),
        new RegExp(`AAGUID ${aaguidText(otherModel)}`),
      ],
      // The allowed model claimed, the chain made by someone else's authority.
      [
        'attestation_untrusted',
        new SoftwareAuthenticator(ORIGIN, {
          aaguid: ALLOWED_MODEL,
          attestation: { chain: [batchCertificate(forger, { aaguid: ALLOWED_MODEL })] },
        }),
        /ne remonte pas/,
      ],
      // The right authority, through an intermediate that has expired.
      [
        'attestation_untrusted',
        new SoftwareAuthenticator(ORIGIN, {
          aaguid: ALLOWED_MODEL,
          attestation: {
            chain: [batchCertificate(expiredIntermediate, { aaguid: ALLOWED_MODEL }), expiredIntermediate],
          },
        }),
        /ne remonte pas/,
      ],
    ];
    for (const [rule, key, reason] of cases) {
      const res = await call(lea, session, 'POST', '/api/auth/passkeys/registration', {
        response: key.create(await registrationOptions(lea, session)),
      });
      assert.match(assertAttestationRefused(res, rule), reason);
    }
    // A batch certificate speaks for one model: a key of another model borrowing it is caught
    // by the library's check of the certificate's AAGUID extension.
    const borrowed = new SoftwareAuthenticator(ORIGIN, {
      aaguid: ALLOWED_MODEL,
      attestation: { chain: [batchCertificate(MANUFACTURER, { aaguid: otherModel })] },
    });
    assertRefused(
      await call(lea, session, 'POST', '/api/auth/passkeys/registration', {
        response: borrowed.create(await registrationOptions(lea, session)),
      }),
      'body.response',
      'webauthn',
    );

    assert.equal(await snapshot(lea.accountId), before, 'no factor, no credential, no session upgrade');
    assert.ok(await awaitingSecondFactor(lea, session));
    const rejected = await eventsOf(lea.accountId, 'passkey_rejected');
    assert.deepEqual(
      rejected.map((e) => `${e.reason}:${e.refusal ?? ''}:${e.fmt ?? ''}`),
      [
        'attestation:attestation_none:none',
        'attestation:attestation_self:packed',
        'attestation:authenticator_not_allowed:packed',
        'attestation:attestation_untrusted:packed',
        'attestation:attestation_untrusted:packed',
        'verification::',
      ],
    );
    assert.equal(rejected[2]!.aaguid, aaguidText(otherModel));
    assert.match(String(rejected[4]!.detail), /validity|expired|out of validity/i);

    // A key of the allowed model, its batch certificate issued by the manufacturer's intermediate authority.
    const key = new SoftwareAuthenticator(ORIGIN, {
      aaguid: ALLOWED_MODEL,
      attestation: { chain: [batchCertificate(intermediate, { aaguid: ALLOWED_MODEL }), intermediate] },
    });
    const ok = await call(lea, session, 'POST', '/api/auth/passkeys/registration', {
      response: key.create(await registrationOptions(lea, session)),
      label: 'Clé du poste 12',
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().recoveryCodes, undefined);
    const [row, ...others] = await passkeyRows(lea.accountId);
    assert.equal(others.length, 0);
    assert.equal(dataOf(row!).aaguid, aaguidText(ALLOWED_MODEL));
    assert.equal(dataOf(row!).model, ALLOWED_NAME);
    assert.deepEqual(await eventsOf(lea.accountId, 'passkey_registered'), [
      { factor: row!.id, aaguid: aaguidText(ALLOWED_MODEL), first: true, model: ALLOWED_NAME },
    ]);
    // And it passes the second factor like any passkey.
    await signInWithPasskey(lea, key);
  });

  it('passkey-only organisation with no model declared: no passkey registers, however well attested', async () => {
    const max = await user('max.appels', CALL_CENTRE);
    const { session } = await passwordLogin(max);
    const declared = server.runtime.config.passkeyAuthenticators;
    server.runtime.config.passkeyAuthenticators = [];
    try {
      const before = await snapshot(max.accountId);
      const res = await call(max, session, 'POST', '/api/auth/passkeys/registration', {
        response: allowedKey().create(await registrationOptions(max, session)),
      });
      assert.match(
        assertAttestationRefused(res, 'no_authenticator_allowed'),
        /aucun modèle de clé de sécurité n’est encore autorisé/,
      );
      assert.equal(await snapshot(max.accountId), before);
      assert.ok(await awaitingSecondFactor(max, session));
    } finally {
      server.runtime.config.passkeyAuthenticators = declared;
    }
  });

  it('other organisations keep today’s rules: no attestation asked, a software key or a self-attested one of any model registers', async () => {
    const ana = await user('ana.agence', AGENCY);
    const { session } = await passwordLogin(ana);
    const options = await registrationOptions(ana, session);
    assert.equal(options.attestation, 'none');
    const software = await call(ana, session, 'POST', '/api/auth/passkeys/registration', {
      response: new SoftwareAuthenticator(ORIGIN).create(options),
    });
    assert.equal(software.statusCode, 200, software.body);
    assert.equal(software.json().recoveryCodes.length, 10);
    assert.equal(
      dataOf((await passkeyRows(ana.accountId))[0]!).model,
      undefined,
      'no model is claimed where none is checked',
    );

    const jo = await user('jo@demo.rempart.example');
    const { session: joSession } = await passwordLogin(jo);
    const joOptions = await registrationOptions(jo, joSession);
    assert.equal(joOptions.attestation, 'none');
    const selfAttested = await call(jo, joSession, 'POST', '/api/auth/passkeys/registration', {
      response: new SoftwareAuthenticator(ORIGIN, { attestation: 'self' }).create(joOptions),
    });
    assert.equal(selfAttested.statusCode, 200, selfAttested.body);
    assert.equal((await passkeyRows(jo.accountId)).length, 1);
    assert.deepEqual(await eventsOf(jo.accountId, 'passkey_rejected'), []);
  });

  it('revocation: a staff account keeps its last second factor; a revoked passkey no longer passes', async () => {
    const yann = await user('yann.agence', AGENCY);
    const laptop = new SoftwareAuthenticator(ORIGIN);
    const phone = new SoftwareAuthenticator(ORIGIN);
    const { session } = await enrol(yann, laptop);
    const [first] = await passkeyRows(yann.accountId);

    const before = await snapshot(yann.accountId);
    const refused = await call(yann, session, 'DELETE', `/api/auth/passkeys/${first!.id}`);
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().error, 'last_factor');
    assert.equal(await snapshot(yann.accountId), before);

    // A second passkey: the first is excluded from creation, no new codes, no new session.
    const options = await registrationOptions(yann, session);
    assert.deepEqual(
      options.excludeCredentials?.map((c) => c.id),
      laptop.credentialIds,
    );
    assert.throws(() => laptop.create(options), /InvalidStateError/);
    const added = await call(yann, session, 'POST', '/api/auth/passkeys/registration', {
      response: phone.create(options),
    });
    assert.equal(added.statusCode, 200, added.body);
    assert.deepEqual(Object.keys(added.json()), ['factorId']);
    assert.equal((await call(yann, session, 'GET', '/api/auth/sessions')).statusCode, 200, 'the session goes on');
    assert.deepEqual(
      (await eventsOf(yann.accountId, 'passkey_registered')).map((e) => e.first),
      [true, false],
    );

    const removed = await call(yann, session, 'DELETE', `/api/auth/passkeys/${first!.id}`);
    assert.equal(removed.statusCode, 204, removed.body);
    assert.ok(
      (
        await db
          .selectFrom('account_factors')
          .select('revoked_at')
          .where('id', '=', first!.id)
          .executeTakeFirstOrThrow()
      ).revoked_at,
    );
    assert.deepEqual((await eventsOf(yann.accountId, 'factor_revoked')).at(-1), {
      kind: 'passkey',
      factor: first!.id,
      recoveryCodesRevoked: false,
    });
    assert.equal(
      (await call(yann, session, 'DELETE', `/api/auth/passkeys/${first!.id}`)).statusCode,
      404,
      'already revoked',
    );
    const second = (await passkeyRows(yann.accountId)).find((r) => r.revoked_at === null)!;
    assert.equal((await call(yann, session, 'DELETE', `/api/auth/passkeys/${second.id}`)).statusCode, 409);

    const { session: signIn } = await passwordLogin(yann);
    const requestOptions = await authenticationOptions(yann, signIn);
    assert.deepEqual(
      requestOptions.allowCredentials?.map((c) => c.id),
      phone.credentialIds,
    );
    const beforeRevoked = await snapshot(yann.accountId);
    assertRefused(
      await call(yann, signIn, 'POST', '/api/auth/passkeys/authentication', {
        response: laptop.get(requestOptions, { credentialId: laptop.credentialIds[0]! }),
      }),
      'body.response.id',
      'credential',
    );
    assert.equal(await snapshot(yann.accountId), beforeRevoked);

    // Nor can the revoked credential be registered again, by this account or any other.
    const passed = await signInWithPasskey(yann, phone);
    const again = await registrationOptions(yann, passed);
    const beforeReuse = await snapshot(yann.accountId);
    assertRefused(
      await call(yann, passed, 'POST', '/api/auth/passkeys/registration', {
        response: laptop.create({ ...again, excludeCredentials: [] }, { reuse: laptop.credentialIds[0]! }),
      }),
      'body.response.id',
      'unique',
    );
    assert.equal(await snapshot(yann.accountId), beforeReuse);
    const kim = await user('kim@demo.rempart.example');
    const { session: kimSession } = await passwordLogin(kim);
    const claim = laptop.create(await registrationOptions(kim, kimSession), { reuse: laptop.credentialIds[0]! });
    assertRefused(
      await call(kim, kimSession, 'POST', '/api/auth/passkeys/registration', { response: claim }),
      'body.response.id',
      'unique',
    );
    assert.equal((await passkeyRows(kim.accountId)).length, 0);
  });

  it('a job seeker may remove their only passkey: the recovery codes go with it', async () => {
    const lucie = await user('lucie@demo.rempart.example');
    const { session, body } = await enrol(lucie, new SoftwareAuthenticator(ORIGIN));
    assert.equal(body.recoveryCodes?.length, 10);
    const res = await call(lucie, session, 'DELETE', `/api/auth/passkeys/${body.factorId}`);
    assert.equal(res.statusCode, 204, res.body);
    const live = await db
      .selectFrom('account_factors')
      .select('kind')
      .where('account_id', '=', lucie.accountId)
      .where('revoked_at', 'is', null)
      .execute();
    assert.deepEqual(live, []);
    assert.equal((await passwordLogin(lucie)).secondFactor, 'not_required');
    const options = await call(lucie, session, 'POST', '/api/auth/passkeys/authentication/options');
    assert.equal(options.statusCode, 409);
    assert.equal(options.json().error, 'no_passkey');
  });

  it('adding a passkey next to a factor, or removing one, needs a second factor passed in the last five minutes', async () => {
    const remi = await user('remi.agence', AGENCY);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const { session: enrolled } = await enrol(remi, authenticator);

    // An answer to options never issued: whatever it says, the gates must stop it first.
    const unissued = {
      challenge: Buffer.from('jamais émis').toString('base64url'),
      rp: { name: 'Rempart', id: 'localhost' },
      user: { id: 'AAAA', name: remi.login, displayName: remi.login },
      pubKeyCredParams: [{ alg: -7, type: 'public-key' as const }],
    };
    const answer = { response: new SoftwareAuthenticator(ORIGIN).create(unissued) };

    // Password only: the gate lets a session waiting for its factor enrol only the first one.
    const { session } = await passwordLogin(remi);
    const before = await snapshot(remi.accountId);
    for (const [url, payload] of [
      ['/api/auth/passkeys/registration/options', undefined],
      ['/api/auth/passkeys/registration', answer],
    ] as const) {
      const res = await call(remi, session, 'POST', url, payload);
      assert.equal(res.statusCode, 403, res.body);
      assert.equal(res.json().error, 'second_factor_required');
    }

    assert.equal(await snapshot(remi.accountId), before);

    // The factor passed, but long ago: options are refused, and so is the answer to options
    // asked while the factor was still fresh.
    const issued = await registrationOptions(remi, enrolled);
    const waiting = await db
      .selectFrom('passkey_challenges')
      .selectAll()
      .where('account_id', '=', remi.accountId)
      .execute();
    await db
      .updateTable('sessions')
      .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
      .where('account_id', '=', remi.accountId)
      .where('revoked_at', 'is', null)
      .execute();
    const beforeStale = await snapshot(remi.accountId);
    const stale = await call(remi, enrolled, 'POST', '/api/auth/passkeys/registration/options');
    assert.equal(stale.statusCode, 403, stale.body);
    assert.equal(stale.json().error, 'step_up_required');
    const staleFinish = await call(remi, enrolled, 'POST', '/api/auth/passkeys/registration', {
      response: new SoftwareAuthenticator(ORIGIN).create(issued),
    });
    assert.equal(staleFinish.statusCode, 403, staleFinish.body);
    assert.equal(staleFinish.json().error, 'step_up_required');
    // A handler that went on after answering would write after the response: give it the time to.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await snapshot(remi.accountId), beforeStale, 'no factor added');
    assert.deepEqual(
      await db.selectFrom('passkey_challenges').selectAll().where('account_id', '=', remi.accountId).execute(),
      waiting,
      'no challenge handed out or spent',
    );

    // Removing a passkey asks the same (before even looking whether it is the last one).
    const [passkey] = await passkeyRows(remi.accountId);
    const revoke = await call(remi, enrolled, 'DELETE', `/api/auth/passkeys/${passkey!.id}`);
    assert.equal(revoke.statusCode, 403, revoke.body);
    assert.equal(revoke.json().error, 'step_up_required');
    assert.equal(await snapshot(remi.accountId), beforeStale);
    assert.deepEqual(
      (await eventsOf(remi.accountId, 'step_up_required')).map((e) => e.operation),
      ['passkey_registration', 'passkey_registration', 'passkey_revocation'],
    );

    // Without the anti-forgery header, nothing.
    const noCsrf = await app.inject({
      method: 'POST',
      url: '/api/auth/passkeys/registration/options',
      remoteAddress: remi.client.remoteAddress,
      headers: { ...remi.client.headers, cookie: enrolled.cookie },
    });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(noCsrf.json().error, 'csrf_failed');
  });

  it('bad input gets a 400 naming the field and changes nothing, not even the challenge waiting', async () => {
    const marc = await user('marc.agence', AGENCY);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await enrol(marc, authenticator);
    const { session } = await passwordLogin(marc);
    const options = await authenticationOptions(marc, session);
    const good = authenticator.get(options);
    const before = await snapshot(marc.accountId);
    const throttleBefore = await db
      .selectFrom('login_throttle')
      .selectAll()
      .where('scope', '=', `second-factor:${marc.accountId}`)
      .execute();
    const cases: [object, string][] = [
      [{}, 'body.response'],
      [{ response: good, extra: 1 }, 'body.extra'],
      [{ response: { ...good, id: 'a+b/c=' } }, 'body.response.id'],
      [{ response: { ...good, type: 'password' } }, 'body.response.type'],
      [
        { response: { ...good, response: { ...good.response, signature: undefined } } },
        'body.response.response.signature',
      ],
      [
        { response: { ...good, response: { ...good.response, clientDataJSON: 'x'.repeat(9000) } } },
        'body.response.response.clientDataJSON',
      ],
    ];
    for (const [payload, field] of cases) {
      const res = await call(marc, session, 'POST', '/api/auth/passkeys/authentication', payload);
      assert.equal(res.statusCode, 400, res.body);
      assert.ok(
        res.json().issues.some((i: { field: string }) => i.field === field),
        `${field} in ${res.body}`,
      );
    }

    assert.equal(await snapshot(marc.accountId), before);
    assert.deepEqual(
      await db
        .selectFrom('login_throttle')
        .selectAll()
        .where('scope', '=', `second-factor:${marc.accountId}`)
        .execute(),
      throttleBefore,
      'no failure counted',
    );
    // The challenge is still there: the good assertion goes through.
    const ok = await call(marc, session, 'POST', '/api/auth/passkeys/authentication', { response: good });
    assert.equal(ok.statusCode, 200, ok.body);
    const upgraded = sessionFrom(ok);
    const labelled = await call(marc, upgraded, 'POST', '/api/auth/passkeys/registration', {
      response: new SoftwareAuthenticator(ORIGIN).create(await registrationOptions(marc, upgraded)),
      label: 'x'.repeat(65),
    });
    assert.equal(labelled.statusCode, 400);
    assert.deepEqual(
      labelled.json().issues.map((i: { field: string }) => i.field),
      ['body.label'],
    );
    const badParam = await call(marc, upgraded, 'DELETE', '/api/auth/passkeys/pas-un-identifiant');
    assert.equal(badParam.statusCode, 400);
    assert.deepEqual(
      badParam.json().issues.map((i: { field: string }) => i.field),
      ['params.id'],
    );
    assert.equal((await passkeyRows(marc.accountId)).length, 1);
  });

  it(`${LOGIN_MAX_FAILURES} refused assertions lock the second factor, like wrong codes do`, async () => {
    const theo = await user('theo.agence', AGENCY);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await enrol(theo, authenticator);
    const { session } = await passwordLogin(theo);
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      const options = await authenticationOptions(theo, session);
      statuses.push(
        (
          await call(theo, session, 'POST', '/api/auth/passkeys/authentication', {
            response: authenticator.get(options, { origin: 'https://phishing.test' }),
          })
        ).statusCode,
      );
    }
    assert.deepEqual(statuses, Array(LOGIN_MAX_FAILURES).fill(400));
    const before = await snapshot(theo.accountId);
    const options = await call(theo, session, 'POST', '/api/auth/passkeys/authentication/options');
    assert.equal(options.statusCode, 429);
    const locked = await call(theo, session, 'POST', '/api/auth/passkeys/authentication', {
      response: authenticator.get(
        { challenge: 'x', allowCredentials: [] },
        { credentialId: authenticator.credentialIds[0]! },
      ),
    });
    assert.equal(locked.statusCode, 429);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    const code = await call(theo, session, 'POST', '/api/auth/second-factor', { code: '123456' });
    assert.equal(code.statusCode, 429, 'codes and passkeys share the count');
    assert.equal(await snapshot(theo.accountId), before);
  });
});
