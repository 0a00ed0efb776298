import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { foreignSource } from '../../src/api/origin.ts';
import { createAccount, ensureBootstrapAdmin } from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { cookieOf } from '../helpers/sign-in.ts';

/**
 * Issue 19, item 9: the anti-forgery token is not the only check on a state-changing request.
 * One whose Origin (or, without it, Sec-Fetch-Site or Referer) names another site is refused
 * before its handler runs, and recorded; Rempart's own pages and clients that name no origin
 * (machine clients, scripts) go through.
 */
describe(`state-changing requests from another site (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let own: string;
  const login = 'origine.test';
  const password = 'Correct-Cheval-Batterie-Agrafe-2026';
  const client = {
    remoteAddress: '10.9.8.7',
    headers: { 'user-agent': 'Mozilla/5.0 Firefox/140.0', 'accept-language': 'fr-FR' },
  };
  const db = () => runtime.database.db;

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    own = new URL(runtime.config.publicUrl).origin;
    const admin = await ensureBootstrapAdmin(db());
    const org = await db()
      .selectFrom('actors')
      .select('organisation_id')
      .where('id', '=', admin.actorId)
      .executeTakeFirstOrThrow();
    const actorId = randomUUID();
    await db()
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: org.organisation_id,
        kind: 'human',
        login,
        display_name: 'Agent origine',
        roles: '["counsellor"]',
        status: 'active',
        created_at: new Date().toISOString(),
      })
      .execute();
    await createAccount(db(), { kind: 'staff', login, password, actorId });
  });
  after(() => server.close());

  const signIn = (headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: client.remoteAddress,
      headers: { ...client.headers, ...headers },
      payload: { login, password },
    });
  const sessionsOpen = async () =>
    (
      await db()
        .selectFrom('sessions')
        .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
        .select('sessions.public_id')
        .where('accounts.login', '=', login)
        .where('sessions.revoked_at', 'is', null)
        .execute()
    ).length;

  it('refuses a sign-in posted from another site before the password is even checked, and records it', async () => {
    const before = await sessionsOpen();
    const failuresBefore = (await ledgerEvents(db(), 'login_failed')).length;
    const forged: Array<Record<string, string>> = [
      { origin: 'https://hameconnage.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { referer: 'https://hameconnage.example/faux-portail' },
    ];
    for (const headers of forged) {
      const res = await signIn(headers);
      assert.equal(res.statusCode, 403, `${JSON.stringify(headers)}: ${res.body}`);
      assert.equal(res.json().error, 'origin_refused');
      assert.equal(res.headers['set-cookie'], undefined, 'no session cookie');
    }
    assert.equal(await sessionsOpen(), before, 'no session opened');
    assert.equal((await ledgerEvents(db(), 'login_failed')).length, failuresBefore, 'the password was never tried');
    const refused = await ledgerEvents(db(), 'cross_origin_refused');
    assert.equal(refused.length, 4);
    assert.deepEqual(
      refused.map((e) => e.details.origin),
      ['https://hameconnage.example', 'null', 'sec-fetch-site: cross-site', 'https://hameconnage.example'],
    );
    assert.ok(refused.every((e) => e.details.route === '/api/auth/login'));
  });

  it('keeps a session whose logout is forged from another site, even with the right anti-forgery token', async () => {
    const res = await signIn({ origin: own, 'sec-fetch-site': 'same-origin' });
    assert.equal(res.statusCode, 200, res.body);
    const session = { cookie: cookieOf(res), csrf: res.json().csrfToken as string };
    const open = await sessionsOpen();
    const forged = await app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      remoteAddress: client.remoteAddress,
      headers: {
        ...client.headers,
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        origin: 'https://hameconnage.example',
      },
    });
    assert.equal(forged.statusCode, 403, forged.body);
    assert.equal(forged.json().error, 'origin_refused');
    assert.equal(await sessionsOpen(), open, 'the session is still open');
    const mine = await app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      remoteAddress: client.remoteAddress,
      headers: {
        ...client.headers,
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        origin: own,
        referer: `${own}/console`,
      },
    });
    assert.equal(mine.statusCode, 204, mine.body);
    assert.equal(await sessionsOpen(), open - 1, 'the session is closed by its own page');
  });

  it('lets clients that name no origin through (machine clients, scripts), and never checks reads', async () => {
    assert.equal(
      (await signIn({})).statusCode,
      200,
      'no Origin, no Referer, no Sec-Fetch-Site: the token and the session binding protect',
    );
    const read = await app.inject({
      method: 'GET',
      url: '/api/health',
      headers: { origin: 'https://ailleurs.example' },
    });
    assert.equal(read.statusCode, 200);
  });

  it('tells a foreign source from its own by origin, not by prefix', () => {
    const allowed = new Set([own]);
    assert.equal(foreignSource({ origin: own }, allowed), undefined);
    assert.equal(foreignSource({ origin: `${own}.hameconnage.example` }, allowed), `${own}.hameconnage.example`);
    assert.equal(foreignSource({ referer: `${own}/mon-espace?x=1` }, allowed), undefined);
    // Our origin as the user part of another host's address: the origin is the other host's.
    assert.equal(
      foreignSource({ referer: `${own}@hameconnage.example/` }, allowed),
      `${new URL(own).protocol}//hameconnage.example`,
    );
    assert.equal(foreignSource({ referer: 'pas une adresse' }, allowed), 'referer');
    assert.equal(foreignSource({ 'sec-fetch-site': 'same-site' }, allowed), 'sec-fetch-site: same-site');
    assert.equal(foreignSource({ 'sec-fetch-site': 'same-origin' }, allowed), undefined);
    assert.equal(foreignSource({}, allowed), undefined);
  });
});
