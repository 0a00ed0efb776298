import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { messengerOf } from '../../src/api/messenger.ts';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import { RECOVERY_CODES_PER_DAY, startRecovery } from '../../src/identity/recovery.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND, countRows } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { lastCodeSentTo, messagesTo, outbox } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, cookieOf, signIn, totpCode, type Client } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const NEW_PASSWORD = 'lanterne rivière boussole tardive';
const NIR = '185057800608491';

describe(`password recovery that a stolen NIR cannot open (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let host = 0;
  const client = (): Client => ({
    remoteAddress: `198.19.0.${++host}`,
    headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
  });

  async function jobSeeker(email: string, options: { verified?: boolean; phone?: string } = {}): Promise<string> {
    const id = await createAccount(runtime.database.db, { kind: 'job_seeker', login: email, password: PASSWORD });
    await addChannel(runtime.database.db, runtime.keyring, id, 'email', email, { verified: options.verified ?? true });
    if (options.phone)
      await addChannel(runtime.database.db, runtime.keyring, id, 'sms', options.phone, { verified: false });
    return id;
  }

  const post = (url: string, payload: object, from = client()) =>
    app.inject({ method: 'POST', url, payload, remoteAddress: from.remoteAddress, headers: from.headers });

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
  });
  after(() => server.close());

  it('identity data opens nothing: the routes refuse NIR, birth date and name, and send no code', async () => {
    await jobSeeker('camille.martin@exemple.fr');
    const before = await countRows(runtime, 'credential_codes');
    for (const payload of [
      { nir: NIR, birthDate: '1985-05-12', lastName: 'MARTIN' },
      { login: 'camille.martin@exemple.fr', nir: NIR },
      { login: 'camille.martin@exemple.fr', birthDate: '1985-05-12', firstName: 'Camille' },
    ]) {
      const res = await post('/api/auth/recovery/start', payload);
      assert.equal(res.statusCode, 400, res.body);
      assert.ok(res.json().issues.length > 0);
    }
    const byNir = await post('/api/auth/recovery/start', { login: NIR });
    assert.equal(byNir.statusCode, 202, 'a NIR is not a login: answered like any unknown name');
    const complete = await post('/api/auth/recovery/complete', {
      requestId: byNir.json().requestId,
      code: '00000000',
      newPassword: NEW_PASSWORD,
      nir: NIR,
    });
    assert.equal(complete.statusCode, 400);
    assert.equal(await countRows(runtime, 'credential_codes'), before);
    assert.equal(outbox(server.env.dir).length, 0);
  });

  it('the answer is the same whether the account exists or not', async () => {
    const known = await post('/api/auth/recovery/start', { login: 'camille.martin@exemple.fr' });
    const unknown = await post('/api/auth/recovery/start', { login: 'personne@exemple.fr' });
    assert.equal(known.statusCode, 202);
    assert.equal(unknown.statusCode, 202);
    assert.deepEqual(Object.keys(known.json()).sort(), Object.keys(unknown.json()).sort());
    assert.equal(known.json().message, unknown.json().message);
    assert.match(unknown.json().requestId, /^[0-9a-f-]{36}$/);
    assert.equal(messagesTo(server.env.dir, 'personne@exemple.fr').length, 0);
  });

  it('a code sent to the verified channel resets the password, closes every session and is announced on every channel', async () => {
    const id = await jobSeeker('lucas.bernard@exemple.fr', { phone: '06 39 98 12 34' });
    const browser = client();
    const session = await signIn(app, browser, 'lucas.bernard@exemple.fr', PASSWORD);
    const started = await post('/api/auth/recovery/start', { login: 'Lucas.Bernard@exemple.fr ' });
    assert.equal(started.statusCode, 202);
    const code = lastCodeSentTo(server.env.dir, 'lucas.bernard@exemple.fr');
    assert.equal(messagesTo(server.env.dir, '+33639981234').length, 0, 'codes go only to verified channels');

    const wrong = await post('/api/auth/recovery/complete', {
      requestId: started.json().requestId,
      code: code === '12345678' ? '87654321' : '12345678',
      newPassword: NEW_PASSWORD,
    });
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.json().issues[0].field, 'body.code');
    const weak = await post('/api/auth/recovery/complete', {
      requestId: started.json().requestId,
      code,
      newPassword: 'motdepasse',
    });
    assert.equal(weak.statusCode, 400);
    assert.equal(weak.json().issues[0].field, 'body.newPassword');
    const hashBefore = (
      await runtime.database.db
        .selectFrom('accounts')
        .select('password_hash')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).password_hash;

    const done = await post('/api/auth/recovery/complete', {
      requestId: started.json().requestId,
      code,
      newPassword: NEW_PASSWORD,
    });
    assert.equal(done.statusCode, 200, done.body);
    assert.equal(done.json().revokedSessions, 1);
    assert.equal(done.json().announced, 2, 'email and phone, verified or not');
    assert.notEqual(
      (
        await runtime.database.db
          .selectFrom('accounts')
          .select('password_hash')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).password_hash,
      hashBefore,
    );
    assert.equal(
      (await as(app, browser, session)('GET', '/api/auth/session')).statusCode,
      401,
      'the old session is closed',
    );
    assert.match(messagesTo(server.env.dir, '+33639981234').at(-1)!.subject, /mot de passe a été changé/);
    assert.equal(
      (await post('/api/auth/login', { login: 'lucas.bernard@exemple.fr', password: PASSWORD })).statusCode,
      401,
    );
    assert.equal(
      (await post('/api/auth/login', { login: 'lucas.bernard@exemple.fr', password: NEW_PASSWORD })).statusCode,
      200,
    );
    const replay = await post('/api/auth/recovery/complete', {
      requestId: started.json().requestId,
      code,
      newPassword: 'une autre phrase de passe solide',
    });
    assert.equal(replay.statusCode, 400, 'a code works once');
  });

  it('five wrong codes burn the request', async () => {
    await jobSeeker('ines.petit@exemple.fr');
    const started = await post('/api/auth/recovery/start', { login: 'ines.petit@exemple.fr' });
    const code = lastCodeSentTo(server.env.dir, 'ines.petit@exemple.fr');
    const wrongCode = code === '11111111' ? '22222222' : '11111111';
    for (let i = 0; i < 5; i++)
      await post('/api/auth/recovery/complete', {
        requestId: started.json().requestId,
        code: wrongCode,
        newPassword: NEW_PASSWORD,
      });
    const late = await post('/api/auth/recovery/complete', {
      requestId: started.json().requestId,
      code,
      newPassword: NEW_PASSWORD,
    });
    assert.equal(late.statusCode, 400);
    assert.equal(late.json().issues[0].rule, 'invalid_code', 'answered as any bad code');
    const refused = (await ledgerEvents(runtime.database.db, 'password_reset_refused')).at(-1)!;
    assert.equal(refused.details.reason, 'too_many_attempts', 'the ledger keeps the real reason');
  });

  it('a wrong code for a real request and any code for a request that does not exist get the same answer (no account oracle)', async () => {
    await jobSeeker('oracle.sonde@exemple.fr');
    const real = await post('/api/auth/recovery/start', { login: 'oracle.sonde@exemple.fr' });
    const ghost = await post('/api/auth/recovery/start', { login: 'personne.inconnue@exemple.fr' });
    const code = lastCodeSentTo(server.env.dir, 'oracle.sonde@exemple.fr');
    const wrongCode = code === '11111111' ? '22222222' : '11111111';
    const answers = [];
    for (const requestId of [real.json().requestId, ghost.json().requestId, randomUUID()]) {
      const res = await post('/api/auth/recovery/complete', { requestId, code: wrongCode, newPassword: NEW_PASSWORD });
      answers.push({
        status: res.statusCode,
        error: res.json().error,
        message: res.json().message,
        issues: res.json().issues,
      });
    }
    assert.deepEqual(answers[1], answers[0], 'an unknown account answers as a wrong code');
    assert.deepEqual(answers[2], answers[0], 'a made-up request answers as a wrong code');
    assert.equal(answers[0]!.status, 400);
    const reasons = (await ledgerEvents(runtime.database.db, 'password_reset_refused'))
      .slice(-3)
      .map((e) => e.details.reason);
    assert.deepEqual(reasons, ['wrong', 'unknown', 'unknown'], 'the ledger tells them apart');
  });

  it('sends a person at most five recovery codes a day, however the requests are spread', async () => {
    const id = await jobSeeker('codes.quotidiens@exemple.fr');
    const day = Date.parse('2026-03-02T06:00:00Z');
    for (let hour = 0; hour < 8; hour++) {
      const { requestId } = await startRecovery(
        messengerOf(runtime),
        { login: 'codes.quotidiens@exemple.fr' },
        '198.19.9.9',
        new Date(day + hour * 3_600_000 + 60_000),
      );
      assert.match(requestId, /^[0-9a-f-]{36}$/, 'an id every time: the answer never changes');
    }
    const codes = await runtime.database.db
      .selectFrom('credential_codes')
      .select('id')
      .where('account_id', '=', id)
      .where('purpose', '=', 'recovery')
      .execute();
    assert.equal(codes.length, RECOVERY_CODES_PER_DAY);
    const capped = (await ledgerEvents(runtime.database.db, 'password_reset_refused')).filter(
      (e) => e.account_id === id,
    );
    assert.deepEqual(
      capped.map((e) => e.details.reason),
      ['too_many_requests_today', 'too_many_requests_today', 'too_many_requests_today'],
    );
    const nextDay = await startRecovery(
      messengerOf(runtime),
      { login: 'codes.quotidiens@exemple.fr' },
      '198.19.9.9',
      new Date(day + 25 * 3_600_000),
    );
    assert.ok(
      await runtime.database.db
        .selectFrom('credential_codes')
        .select('id')
        .where('id', '=', nextDay.requestId)
        .executeTakeFirst(),
      'a new day, a new code',
    );
  });

  it('with a second factor, the mailbox alone is not enough', async () => {
    const id = await jobSeeker('hugo.durand@exemple.fr');
    const browser = client();
    const first = await signIn(app, browser, 'hugo.durand@exemple.fr', PASSWORD);
    const call = as(app, browser, first);
    const begin = await call('POST', '/api/auth/factors/totp');
    const secret = begin.json().secret as string;
    const confirm = await call('POST', '/api/auth/factors/totp/confirm', {
      factorId: begin.json().factorId,
      code: totpCode(secret),
    });
    assert.equal(confirm.statusCode, 200, confirm.body);
    const recoveryCode = (confirm.json().recoveryCodes as string[])[0]!;

    const started = await post('/api/auth/recovery/start', { login: 'hugo.durand@exemple.fr' });
    const code = lastCodeSentTo(server.env.dir, 'hugo.durand@exemple.fr');
    const hash = async () =>
      (
        await runtime.database.db
          .selectFrom('accounts')
          .select('password_hash')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).password_hash;
    const before = await hash();
    const without = await post('/api/auth/recovery/complete', {
      requestId: started.json().requestId,
      code,
      newPassword: NEW_PASSWORD,
    });
    assert.equal(without.statusCode, 400);
    assert.equal(without.json().issues[0].field, 'body.secondFactorCode');
    const wrongFactor = await post('/api/auth/recovery/complete', {
      requestId: started.json().requestId,
      code,
      newPassword: NEW_PASSWORD,
      secondFactorCode: 'AAAAA-AAAAA',
    });
    assert.equal(wrongFactor.statusCode, 400);
    assert.equal(await hash(), before, 'nothing changed');
    const withRecoveryCode = await post('/api/auth/recovery/complete', {
      requestId: started.json().requestId,
      code,
      newPassword: NEW_PASSWORD,
      secondFactorCode: recoveryCode,
    });
    assert.equal(withRecoveryCode.statusCode, 200, withRecoveryCode.body);
    assert.notEqual(await hash(), before);
  });

  it('staff accounts and accounts without a verified channel get no code', async () => {
    const orgId = randomUUID();
    await runtime.database.db
      .insertInto('organisations')
      .values({
        id: orgId,
        kind: 'caf',
        name: 'CAF test',
        siret: null,
        departement: '33',
        security_posture: '{}',
        status: 'active',
        created_at: '',
      })
      .execute();
    const actorId = randomUUID();
    await runtime.database.db
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: orgId,
        kind: 'human',
        login: 'agent.caf',
        display_name: 'Agent',
        roles: '["partner_staff"]',
        status: 'active',
        created_at: '',
      })
      .execute();
    const staffId = await createAccount(runtime.database.db, {
      kind: 'staff',
      login: 'agent.caf',
      password: PASSWORD,
      actorId,
    });
    await addChannel(runtime.database.db, runtime.keyring, staffId, 'email', 'agent.caf@caf.example', {
      verified: true,
    });
    await jobSeeker('nadia.roux@exemple.fr', { verified: false });
    const before = await countRows(runtime, 'credential_codes');
    for (const login of ['agent.caf', 'nadia.roux@exemple.fr'])
      assert.equal((await post('/api/auth/recovery/start', { login })).statusCode, 202);
    assert.equal(await countRows(runtime, 'credential_codes'), before);
    assert.equal(messagesTo(server.env.dir, 'agent.caf@caf.example').length, 0);
    assert.equal(messagesTo(server.env.dir, 'nadia.roux@exemple.fr').length, 0);
  });

  it('no more than three codes an hour reach a phone or a mailbox', async () => {
    await jobSeeker('paul.moreau@exemple.fr');
    for (let i = 0; i < 5; i++) await post('/api/auth/recovery/start', { login: 'paul.moreau@exemple.fr' });
    assert.equal(messagesTo(server.env.dir, 'paul.moreau@exemple.fr').length, 3);
  });

  it('a new channel is verified by a code sent to it, and the known channels hear of it', async () => {
    await jobSeeker('emma.leroy@exemple.fr');
    const browser = client();
    const session = await signIn(app, browser, 'emma.leroy@exemple.fr', PASSWORD);
    const call = as(app, browser, session);
    const before = await countRows(runtime, 'account_channels');
    for (const address of ['12', '01 02 03', '+44 20 7946 0958']) {
      const bad = await call('POST', '/api/auth/channels', { kind: 'sms', address });
      assert.equal(bad.statusCode, 400, address);
      assert.equal(bad.json().issues[0].field, 'body.address');
    }
    assert.equal(await countRows(runtime, 'account_channels'), before);
    const forged = await as(app, browser, { ...session, csrf: 'x'.repeat(43) })('POST', '/api/auth/channels', {
      kind: 'sms',
      address: '06 39 98 55 66',
    });
    assert.equal(forged.statusCode, 403, 'adding a channel needs the session’s CSRF token');
    assert.equal(forged.json().error, 'csrf_failed');
    assert.equal(await countRows(runtime, 'account_channels'), before);
    const added = await call('POST', '/api/auth/channels', { kind: 'sms', address: '06 39 98 55 66' });
    assert.equal(added.statusCode, 201, added.body);
    assert.match(messagesTo(server.env.dir, 'emma.leroy@exemple.fr').at(-1)!.subject, /moyen de contact a été ajouté/);
    const code = lastCodeSentTo(server.env.dir, '+33639985566');
    const other = await call('POST', `/api/auth/channels/${randomUUID()}/verify`, {
      verificationId: added.json().verificationId,
      code,
    });
    assert.equal(other.statusCode, 400, 'the code is bound to its channel');
    const verified = await call('POST', `/api/auth/channels/${added.json().channelId}/verify`, {
      verificationId: added.json().verificationId,
      code,
    });
    assert.equal(verified.statusCode, 204, verified.body);
    const listed = (await call('GET', '/api/auth/channels')).json().channels as Array<{
      kind: string;
      masked: string;
      verified: boolean;
    }>;
    assert.deepEqual(
      listed.map((c) => [c.kind, c.verified]),
      [
        ['email', true],
        ['sms', true],
      ],
    );
    assert.ok(
      listed.every((c) => c.masked.includes('*')),
      'addresses are shown masked',
    );
    const stored = await runtime.database.db.selectFrom('account_channels').select('address').execute();
    assert.ok(
      stored.every((r) => !Buffer.from(r.address).toString('latin1').includes('639985566')),
      'addresses are sealed at rest',
    );
  });

  it('an account with a second factor adds a channel only with a fresh one (an intruder’s first move)', async () => {
    const browser = client();
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: browser.remoteAddress,
      headers: browser.headers,
      payload: { login: 'hugo.durand@exemple.fr', password: NEW_PASSWORD },
    });
    assert.equal(login.json().secondFactor, 'required');
    const pending = { cookie: cookieOf(login), csrf: login.json().csrfToken as string };
    const before = await countRows(runtime, 'account_channels');
    const res = await as(app, browser, pending)('POST', '/api/auth/channels', {
      kind: 'email',
      address: 'intrus@exemple.fr',
    });
    assert.equal(res.statusCode, 403);
    assert.equal(await countRows(runtime, 'account_channels'), before);
  });
});
