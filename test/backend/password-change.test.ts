import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { addChannel, createAccount, LOGIN_MAX_FAILURES } from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents, ledgerText } from '../helpers/ledger.ts';
import { lastCodeSentTo, messagesTo } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, cookieOf, signIn, totpCode, type Client, type SignedIn } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const NEW_PASSWORD = 'lanterne rivière boussole tardive';
const SUBJECT = 'Rempart : votre mot de passe a été changé';

/**
 * Issue 23, item 6: a signed-in person changes their password (POST /api/auth/password) with the
 * current one and, when the account has one, a second factor; the other sessions close, this one
 * is kept under a new id, the verified channels are told. Every refusal names its field and
 * changes nothing.
 */
describe(`changing one's password, signed in (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let host = 0;
  const db = () => runtime.database.db;
  const client = (): Client => ({
    remoteAddress: `198.18.${Math.floor(++host / 250)}.${host % 250}`,
    headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
  });

  /** A job seeker with a verified address (and, if said, a phone never verified). */
  async function jobSeeker(login: string, options: { phone?: string } = {}): Promise<string> {
    const id = await createAccount(db(), { kind: 'job_seeker', login, password: PASSWORD });
    await addChannel(db(), runtime.keyring, id, 'email', login, { verified: true });
    if (options.phone) await addChannel(db(), runtime.keyring, id, 'sms', options.phone, { verified: false });
    return id;
  }

  /** What a refused request must leave as it was. */
  const credentials = async (id: string) =>
    db()
      .selectFrom('accounts')
      .select(['password_hash', 'password_changed_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const liveSessions = async (id: string) =>
    (
      await db()
        .selectFrom('sessions')
        .select('public_id')
        .where('account_id', '=', id)
        .where('revoked_at', 'is', null)
        .execute()
    ).length;
  const change = (from: Client, session: SignedIn, payload: object) =>
    as(app, from, session)('POST', '/api/auth/password', payload);

  /** An authenticator app enrolled through the API; the session comes back re-issued, its factor fresh. */
  async function enrolApp(from: Client, session: SignedIn): Promise<{ session: SignedIn; secret: string }> {
    const call = as(app, from, session);
    const begin = await call('POST', '/api/auth/factors/totp');
    assert.equal(begin.statusCode, 200, begin.body);
    const secret = begin.json().secret as string;
    const confirm = await call('POST', '/api/auth/factors/totp/confirm', {
      factorId: begin.json().factorId,
      code: totpCode(secret),
    });
    assert.equal(confirm.statusCode, 200, confirm.body);
    return { session: { cookie: cookieOf(confirm), csrf: confirm.json().csrfToken as string }, secret };
  }

  /** The session's second factor passed ten minutes ago: too old for a sensitive operation. */
  const ageSecondFactor = (id: string) =>
    db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
      .where('account_id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
  });
  after(() => server.close());

  it('changes the password, closes the other sessions, keeps this one under a new id, tells the verified channels and records it', async () => {
    const login = 'lucas.bernard@exemple.fr';
    const id = await jobSeeker(login, { phone: '06 39 98 12 34' });
    const here = client();
    const session = await signIn(app, here, login, PASSWORD);
    const phone = client();
    const laptop = client();
    const otherDevices = [await signIn(app, phone, login, PASSWORD), await signIn(app, laptop, login, PASSWORD)];
    const neighbour = client();
    await jobSeeker('voisine@exemple.fr');
    const neighbourSession = await signIn(app, neighbour, 'voisine@exemple.fr', PASSWORD);
    const before = await credentials(id);
    const startedAt = new Date().toISOString();

    const res = await change(here, session, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().revokedSessions, 2);
    assert.equal(res.json().announced, 1, 'the verified address only, not the unverified phone');
    const after = await credentials(id);
    assert.notEqual(after.password_hash, before.password_hash);
    assert.ok(after.password_changed_at! >= startedAt, 'password_changed_at is the change’s');

    // This session goes on, re-issued: a new cookie and anti-forgery token; the old cookie is dead.
    const renewed: SignedIn = { cookie: cookieOf(res), csrf: res.json().csrfToken as string };
    assert.notEqual(renewed.cookie, session.cookie);
    assert.notEqual(renewed.csrf, session.csrf);
    const mine = await as(app, here, renewed)('GET', '/api/auth/session');
    assert.equal(mine.statusCode, 200, mine.body);
    assert.equal(mine.json().session.secondFactorAt, null, 're-issuing the session passes no second factor');
    assert.equal((await as(app, here, session)('GET', '/api/auth/session')).statusCode, 401);
    assert.equal(await liveSessions(id), 1, 'only this one is left');
    for (const [i, other] of otherDevices.entries())
      assert.equal((await as(app, [phone, laptop][i]!, other)('GET', '/api/auth/session')).statusCode, 401);
    const reasons = await db()
      .selectFrom('sessions')
      .select('revoked_reason')
      .where('account_id', '=', id)
      .where('revoked_at', 'is not', null)
      .execute();
    assert.deepEqual(reasons.map((r) => r.revoked_reason).sort(), ['password_changed', 'password_changed', 'rotated']);
    assert.equal(
      (await as(app, neighbour, neighbourSession)('GET', '/api/auth/session')).statusCode,
      200,
      'another account’s sessions are untouched',
    );

    const notice = messagesTo(server.env.dir, login).at(-1)!;
    assert.equal(notice.subject, SUBJECT);
    assert.match(notice.body, /Ce n’est pas vous \?/);
    assert.ok(
      notice.body.includes(`${runtime.config.publicUrl}/mot-de-passe-oublie`),
      'the notice links to the page that takes the account back',
    );
    assert.ok(!notice.body.includes(NEW_PASSWORD) && !notice.body.includes(PASSWORD), 'no password in the notice');
    assert.equal(messagesTo(server.env.dir, '+33639981234').filter((m) => m.subject === SUBJECT).length, 0);

    const changed = (await ledgerEvents(db(), 'password_changed')).filter((e) => e.account_id === id);
    assert.equal(changed.length, 1);
    assert.equal(changed[0]!.details.via, 'change');
    assert.equal(changed[0]!.details.revokedSessions, 2);
    const ledger = await ledgerText(db());
    assert.ok(!ledger.includes(NEW_PASSWORD) && !ledger.includes(PASSWORD), 'no password in the ledger');

    const signInWith = (password: string) =>
      app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: here.remoteAddress,
        headers: here.headers,
        payload: { login, password },
      });
    assert.equal((await signInWith(PASSWORD)).statusCode, 401, 'the old password no longer opens the account');
    assert.equal((await signInWith(NEW_PASSWORD)).statusCode, 200);
  });

  it('refuses without a session, without the anti-forgery token or from another site, and changes nothing', async () => {
    const login = 'sans.session@exemple.fr';
    const id = await jobSeeker(login);
    const here = client();
    const session = await signIn(app, here, login, PASSWORD);
    const before = await credentials(id);
    const payload = { currentPassword: PASSWORD, newPassword: NEW_PASSWORD };

    const anonymous = await app.inject({
      method: 'POST',
      url: '/api/auth/password',
      remoteAddress: here.remoteAddress,
      headers: here.headers,
      payload,
    });
    assert.equal(anonymous.statusCode, 401);
    const noToken = await app.inject({
      method: 'POST',
      url: '/api/auth/password',
      remoteAddress: here.remoteAddress,
      headers: { ...here.headers, cookie: session.cookie },
      payload,
    });
    assert.equal(noToken.statusCode, 403);
    assert.equal(noToken.json().error, 'csrf_failed');
    const foreign = await app.inject({
      method: 'POST',
      url: '/api/auth/password',
      remoteAddress: here.remoteAddress,
      headers: {
        ...here.headers,
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        origin: 'https://evil.example',
      },
      payload,
    });
    assert.equal(foreign.statusCode, 403);
    assert.equal(foreign.json().error, 'origin_refused');

    assert.deepEqual(await credentials(id), before);
    assert.equal(await liveSessions(id), 1);
    assert.equal(messagesTo(server.env.dir, login).filter((m) => m.subject === SUBJECT).length, 0);
  });

  it('a wrong current password is named, counted as a failed sign-in, and changes nothing; five lock the account as at sign-in', async () => {
    const login = 'ines.petit@exemple.fr';
    const id = await jobSeeker(login);
    const here = client();
    const session = await signIn(app, here, login, PASSWORD);
    const other = client();
    await signIn(app, other, login, PASSWORD);
    const before = await credentials(id);

    const wrong = await change(here, session, {
      currentPassword: 'pas le bon mot de passe',
      newPassword: NEW_PASSWORD,
    });
    assert.equal(wrong.statusCode, 400, wrong.body);
    assert.equal(wrong.json().error, 'invalid_current_password');
    assert.equal(wrong.json().issues[0].field, 'body.currentPassword');
    assert.equal(wrong.json().message, 'Le mot de passe actuel est incorrect.');
    assert.deepEqual(await credentials(id), before, 'nothing written');
    assert.equal(await liveSessions(id), 2, 'no session closed');
    const failed = (await ledgerEvents(db(), 'login_failed')).filter((e) => e.account_id === id);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.details.operation, 'password_change');

    for (let i = 1; i < LOGIN_MAX_FAILURES; i++) {
      const again = await change(here, session, { currentPassword: `mauvais ${i}`, newPassword: NEW_PASSWORD });
      assert.equal(again.statusCode, 400);
    }
    const locked = (await ledgerEvents(db(), 'login_locked')).filter((e) => e.account_id === id);
    assert.equal(locked.length, 1, 'the fifth wrong password locks the login name, as at sign-in');
    assert.equal(locked[0]!.details.operation, 'password_change');
    // Locked: even the right password is refused, here and at sign-in, until the lock ends.
    const refused = await change(here, session, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    assert.equal(refused.statusCode, 429, refused.body);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    const signInNow = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: other.remoteAddress,
      headers: other.headers,
      payload: { login, password: PASSWORD },
    });
    assert.equal(signInNow.statusCode, 429);
    assert.deepEqual(await credentials(id), before);
    assert.equal(await liveSessions(id), 2);
    assert.equal(messagesTo(server.env.dir, login).filter((m) => m.subject === SUBJECT).length, 0);
  });

  it('a weak new password is named with the sentence recovery gives, as is the same password again or a missing field; nothing changes', async () => {
    const login = 'camille.martin@exemple.fr';
    const id = await jobSeeker(login);
    const here = client();
    const session = await signIn(app, here, login, PASSWORD);
    const before = await credentials(id);

    // Recovery's own answer to the same weak password, for comparison (refused before its code is spent).
    const started = await app.inject({
      method: 'POST',
      url: '/api/auth/recovery/start',
      remoteAddress: here.remoteAddress,
      headers: here.headers,
      payload: { login },
    });
    assert.equal(started.statusCode, 202);
    for (const weak of ['court', 'motdepasse123', 'camille.martin@exemple.fr2026']) {
      const recovery = await app.inject({
        method: 'POST',
        url: '/api/auth/recovery/complete',
        remoteAddress: here.remoteAddress,
        headers: here.headers,
        payload: {
          requestId: started.json().requestId,
          code: lastCodeSentTo(server.env.dir, login),
          newPassword: weak,
        },
      });
      assert.equal(recovery.statusCode, 400, recovery.body);
      const res = await change(here, session, { currentPassword: PASSWORD, newPassword: weak });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().issues.length, 1);
      assert.equal(res.json().issues[0].field, 'body.newPassword');
      assert.equal(res.json().issues[0].message, recovery.json().issues[0].message, `« ${weak} »: recovery's words`);
      assert.equal(res.json().message, recovery.json().message);
    }

    const same = await change(here, session, { currentPassword: PASSWORD, newPassword: PASSWORD });
    assert.equal(same.statusCode, 400);
    assert.equal(same.json().issues[0].field, 'body.newPassword');
    assert.equal(same.json().issues[0].rule, 'password.unchanged');

    const empty = await change(here, session, { currentPassword: '', newPassword: '' });
    assert.equal(empty.statusCode, 400);
    assert.deepEqual(
      Object.fromEntries(
        (empty.json().issues as Array<{ field: string; message: string }>).map((i) => [i.field, i.message]),
      ),
      {
        'body.currentPassword': 'Saisissez le mot de passe actuel.',
        'body.newPassword': 'Saisissez le nouveau mot de passe.',
      },
    );

    assert.deepEqual(await credentials(id), before);
    assert.equal(await liveSessions(id), 1);
    assert.equal(
      (await ledgerEvents(db(), 'login_failed')).filter((e) => e.account_id === id).length,
      0,
      'the right current password counts nothing against the account',
    );
    assert.equal(messagesTo(server.env.dir, login).filter((m) => m.subject === SUBJECT).length, 0);
  });

  it('with a second factor: none given and none passed lately, or a wrong code, is refused and named; a right code changes it', async () => {
    const login = 'lea.durand@exemple.fr';
    const id = await jobSeeker(login);
    const here = client();
    const enrolled = await enrolApp(here, await signIn(app, here, login, PASSWORD));
    const session = enrolled.session;
    await ageSecondFactor(id);
    const before = await credentials(id);
    const payload = { currentPassword: PASSWORD, newPassword: NEW_PASSWORD };

    const missing = await change(here, session, payload);
    assert.equal(missing.statusCode, 403, missing.body);
    assert.equal(missing.json().error, 'step_up_required');
    assert.equal(missing.json().issues[0].field, 'body.secondFactorCode');
    const current = totpCode(enrolled.secret, 1);
    const wrong = await change(here, session, {
      ...payload,
      secondFactorCode: current === '000000' ? '111111' : '000000',
    });
    assert.equal(wrong.statusCode, 400, wrong.body);
    assert.equal(wrong.json().error, 'invalid_code');
    assert.equal(wrong.json().issues[0].field, 'body.secondFactorCode');
    const malformed = await change(here, session, { ...payload, secondFactorCode: '12' });
    assert.equal(malformed.statusCode, 400);
    assert.match(malformed.json().issues[0].message, /^Le code de second facteur compte 6 chiffres/);
    assert.deepEqual(await credentials(id), before, 'nothing written');
    assert.equal(await liveSessions(id), 1);
    const failures = (await ledgerEvents(db(), 'second_factor_failed')).filter((e) => e.account_id === id);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.details.operation, 'password_change');
    const counted = await db()
      .selectFrom('login_throttle')
      .select('failures')
      .where('scope', '=', `second-factor:${id}`)
      .executeTakeFirstOrThrow();
    assert.equal(counted.failures, 1, 'the wrong code counts against the account’s codes');

    const done = await change(here, session, { ...payload, secondFactorCode: current });
    assert.equal(done.statusCode, 200, done.body);
    const renewed: SignedIn = { cookie: cookieOf(done), csrf: done.json().csrfToken as string };
    const mine = await as(app, here, renewed)('GET', '/api/auth/session');
    assert.equal(mine.statusCode, 200);
    assert.ok(mine.json().session.secondFactorAt, 'the code just passed is the new session’s second factor');
    assert.notEqual((await credentials(id)).password_hash, before.password_hash);
    assert.equal(messagesTo(server.env.dir, login).at(-1)!.subject, SUBJECT);
  });

  it('two changes at once: one is written, the other changes nothing (never a password over a password it did not check)', async () => {
    const login = 'jules.roux@exemple.fr';
    const id = await jobSeeker(login);
    const here = client();
    const there = client();
    const sessions = [await signIn(app, here, login, PASSWORD), await signIn(app, there, login, PASSWORD)];
    const candidates = ['première phrase de passe solide', 'seconde phrase de passe robuste'];
    const answers = await Promise.all(
      [here, there].map((from, i) =>
        change(from, sessions[i]!, { currentPassword: PASSWORD, newPassword: candidates[i]! }),
      ),
    );
    const statuses = answers.map((a) => a.statusCode);
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(', '));
    const loser = answers.find((a) => a.statusCode !== 200)!;
    assert.ok([401, 409].includes(loser.statusCode), loser.body);
    const winner = candidates[statuses.indexOf(200)]!;
    assert.equal((await ledgerEvents(db(), 'password_changed')).filter((e) => e.account_id === id).length, 1);
    assert.equal(await liveSessions(id), 1);
    const signInWith = (password: string) =>
      app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: here.remoteAddress,
        headers: here.headers,
        payload: { login, password },
      });
    assert.equal((await signInWith(winner)).statusCode, 200, 'the password is the one change written');
  });

  it('with a second factor passed within five minutes (step-up), no code is needed; staff change theirs the same way', async () => {
    const login = 'noe.garnier@exemple.fr';
    const id = await jobSeeker(login);
    const here = client();
    const { session } = await enrolApp(here, await signIn(app, here, login, PASSWORD));
    const res = await change(here, session, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    assert.equal(res.statusCode, 200, res.body);
    const mine = await as(app, here, { cookie: cookieOf(res), csrf: res.json().csrfToken })('GET', '/api/auth/session');
    assert.ok(mine.json().session.secondFactorAt, 'the step-up the session had is kept');

    // A counsellor: signed in with the factor enrolled on the way (a fresh second factor).
    const organisationId = randomUUID();
    const actorId = randomUUID();
    await db()
      .insertInto('organisations')
      .values({
        id: organisationId,
        kind: 'agency',
        name: 'Agence de test',
        siret: null,
        departement: '33',
        security_posture: '{}',
        status: 'active',
        created_at: new Date().toISOString(),
      })
      .execute();
    await db()
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: organisationId,
        kind: 'human',
        login: 'agent.test',
        display_name: 'Agent de test',
        roles: '["counsellor"]',
        status: 'active',
        created_at: new Date().toISOString(),
      })
      .execute();
    const staffId = await createAccount(db(), { kind: 'staff', login: 'agent.test', password: PASSWORD, actorId });
    await addChannel(db(), runtime.keyring, staffId, 'email', 'agent.test@agence.example', { verified: true });
    const desk = client();
    const staffSession = await signIn(app, desk, 'agent.test', PASSWORD);
    const staffChange = await change(desk, staffSession, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    assert.equal(staffChange.statusCode, 200, staffChange.body);
    const notice = messagesTo(server.env.dir, 'agent.test@agence.example').at(-1)!;
    assert.equal(notice.subject, SUBJECT);
    assert.match(notice.body, /référent sécurité de votre organisation/);
    assert.ok(!notice.body.includes('/mot-de-passe-oublie'), 'staff do not reset their own password');
    assert.equal(
      (await ledgerEvents(db(), 'password_changed')).filter((e) => [id, staffId].includes(e.account_id!)).length,
      2,
    );
  });
});
