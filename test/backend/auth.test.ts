import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../src/domain/index.ts';
import { createAccount, disableInactiveStaffAccounts, LOGIN_MAX_FAILURES } from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { BACKEND, countRows } from '../helpers/backend.ts';
import { ledgerEvents, ledgerText } from '../helpers/ledger.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const HOME = {
  remoteAddress: '192.0.2.10',
  headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', 'accept-language': 'fr-FR' },
};
const ELSEWHERE = {
  remoteAddress: '198.51.100.7',
  headers: { 'user-agent': 'python-requests/2.31', 'accept-language': '' },
};

function cookieOf(res: { headers: Record<string, unknown> }): string {
  const header = res.headers['set-cookie'];
  const first = Array.isArray(header) ? header[0] : String(header);
  return first.split(';')[0]!;
}

describe(`authentication (${BACKEND})`, () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let logLines: string[] = [];
  let address = 0;
  /** Each test speaks from its own address, so per-address throttling does not leak across tests. */
  const from = (client = HOME) => ({
    ...client,
    remoteAddress: client === HOME ? `192.0.2.${++address}` : client.remoteAddress,
  });

  let server: TestServer;

  before(async () => {
    server = await openTestServer();
    ({ runtime, app, logLines } = server);
  });
  after(() => server.close());

  async function account(login: string, kind: 'job_seeker' | 'staff' = 'job_seeker') {
    let actorId: string | undefined;
    if (kind === 'staff') {
      const org = await runtime.database.db.selectFrom('organisations').select('id').executeTakeFirst();
      const orgId = org?.id ?? '44444444-4444-4444-8444-444444444444';
      if (!org)
        await runtime.database.db
          .insertInto('organisations')
          .values({
            id: orgId,
            kind: 'cap_emploi',
            name: 'Cap emploi test',
            siret: null,
            departement: '33',
            security_posture: '{}',
            status: 'active',
            created_at: '',
          })
          .execute();
      actorId = crypto.randomUUID();
      await runtime.database.db
        .insertInto('actors')
        .values({
          id: actorId,
          organisation_id: orgId,
          kind: 'human',
          login,
          display_name: login,
          roles: '["partner_staff"]',
          status: 'active',
          created_at: '',
        })
        .execute();
    }
    return createAccount(runtime.database.db, { kind, login, password: PASSWORD, ...(actorId ? { actorId } : {}) });
  }

  const login = (body: unknown, client: { remoteAddress: string; headers: Record<string, string> }) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: body as object,
      remoteAddress: client.remoteAddress,
      headers: client.headers,
    });

  it('opens a session in an httpOnly, Secure, SameSite=Strict cookie', async () => {
    await account('alice@demo.rempart.example');
    const client = from();
    const res = await login({ login: ' Alice@demo.rempart.example ', password: PASSWORD }, client);
    assert.equal(res.statusCode, 200, res.body);
    const setCookie = String(res.headers['set-cookie']);
    assert.match(setCookie, /^rempart_session=[A-Za-z0-9_-]{43};/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /Secure/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.equal(res.json().secondFactor, 'not_required');
    const me = await app.inject({
      method: 'GET',
      url: '/api/auth/session',
      remoteAddress: client.remoteAddress,
      headers: { ...client.headers, cookie: cookieOf(res) },
    });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().account.login, 'alice@demo.rempart.example');
  });

  it('answers an unknown account exactly like a wrong password', async () => {
    await account('bob@demo.rempart.example');
    const wrong = await login({ login: 'bob@demo.rempart.example', password: 'pas le bon mot de passe' }, from());
    const unknown = await login({ login: 'nobody@demo.rempart.example', password: 'pas le bon mot de passe' }, from());
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, 401);
    const strip = (b: string) => ({ ...JSON.parse(b), requestId: undefined });
    assert.deepEqual(strip(wrong.body), strip(unknown.body));
  });

  it('locks after 5 wrong passwords: the 6th try fails even with the right password, unknown names alike', async () => {
    await account('carole@demo.rempart.example');
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++)
      assert.equal(
        (await login({ login: 'carole@demo.rempart.example', password: `essai numéro ${i}` }, from())).statusCode,
        401,
      );
    const sixth = await login({ login: 'carole@demo.rempart.example', password: PASSWORD }, from());
    assert.equal(sixth.statusCode, 429);
    const retry = Number(sixth.headers['retry-after']);
    assert.ok(retry > 200 && retry <= 300, `retry-after ${retry}`);
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++)
      await login({ login: 'ghost@demo.rempart.example', password: `essai ${i}` }, from());
    assert.equal(
      (await login({ login: 'ghost@demo.rempart.example', password: PASSWORD }, from())).statusCode,
      429,
      'a lock does not reveal that an account exists',
    );
    const locked = await ledgerEvents(runtime.database.db, 'login_locked');
    assert.ok(locked.length >= 2);
  });

  it('slows password spraying: many accounts tried from one address block that address', async () => {
    await account('denis@demo.rempart.example');
    const sprayer = { remoteAddress: '203.0.113.66', headers: HOME.headers };
    let blockedAt = -1;
    for (let i = 0; i < 30 && blockedAt < 0; i++) {
      const res = await login({ login: `victime${i}@demo.rempart.example`, password: 'Printemps2024!' }, sprayer);
      if (res.statusCode === 429) blockedAt = i;
    }
    assert.ok(blockedAt > 0 && blockedAt <= 20, `blocked after ${blockedAt} accounts`);
    assert.equal((await login({ login: 'denis@demo.rempart.example', password: PASSWORD }, sprayer)).statusCode, 429);
    assert.equal(
      (await login({ login: 'denis@demo.rempart.example', password: PASSWORD }, from())).statusCode,
      200,
      'the same account from elsewhere is not blocked',
    );
  });

  it('refuses a stolen session cookie replayed from another network and browser, and kills the session', async () => {
    await account('emma@demo.rempart.example');
    const client = from();
    const res = await login({ login: 'emma@demo.rempart.example', password: PASSWORD }, client);
    const cookie = cookieOf(res);
    const sameNetworkNewBrowser = await app.inject({
      method: 'GET',
      url: '/api/auth/session',
      remoteAddress: client.remoteAddress.replace(/\d+$/, '250'),
      headers: { ...ELSEWHERE.headers, cookie },
    });
    assert.equal(
      sameNetworkNewBrowser.statusCode,
      200,
      'one of network or browser may change (mobile networks, browser updates)',
    );
    const stolen = await app.inject({
      method: 'GET',
      url: '/api/auth/session',
      remoteAddress: ELSEWHERE.remoteAddress,
      headers: { ...ELSEWHERE.headers, cookie },
    });
    assert.equal(stolen.statusCode, 401);
    assert.equal(stolen.json().error, 'session_client_changed');
    const owner = await app.inject({
      method: 'GET',
      url: '/api/auth/session',
      remoteAddress: client.remoteAddress,
      headers: { ...client.headers, cookie },
    });
    assert.equal(owner.statusCode, 401, 'the session is gone: its owner signs in again');
  });

  it('refuses forged, unknown and malformed cookies', async () => {
    for (const cookie of [
      'rempart_session=' + 'A'.repeat(43),
      'rempart_session=not-a-token',
      'rempart_session=',
      'other=1',
    ]) {
      const res = await app.inject({
        method: 'GET',
        url: '/api/auth/session',
        remoteAddress: HOME.remoteAddress,
        headers: { ...HOME.headers, cookie },
      });
      assert.equal(res.statusCode, 401, cookie);
    }
  });

  it('requires the CSRF token on every state-changing request', async () => {
    await account('farid@demo.rempart.example');
    const client = from();
    const res = await login({ login: 'farid@demo.rempart.example', password: PASSWORD }, client);
    const cookie = cookieOf(res);
    const csrf = res.json().csrfToken as string;
    const headers = { ...client.headers, cookie };
    assert.equal(
      (await app.inject({ method: 'POST', url: '/api/auth/logout', remoteAddress: client.remoteAddress, headers }))
        .statusCode,
      403,
    );
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/api/auth/logout',
          remoteAddress: client.remoteAddress,
          headers: { ...headers, 'x-csrf-token': 'x'.repeat(43) },
        })
      ).statusCode,
      403,
    );
    const current = await app.inject({
      method: 'GET',
      url: '/api/auth/session',
      remoteAddress: client.remoteAddress,
      headers,
    });
    assert.equal(current.statusCode, 200, 'a refused request changed nothing');
    // A reloaded page gets its session's token back from the same origin, and only that session's.
    assert.equal(current.json().csrfToken, csrf);
    const other = await login({ login: 'farid@demo.rempart.example', password: PASSWORD }, client);
    assert.notEqual(other.json().csrfToken, csrf);
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/api/auth/logout',
          remoteAddress: client.remoteAddress,
          headers: { ...headers, 'x-csrf-token': other.json().csrfToken },
        })
      ).statusCode,
      403,
      'another session’s token is refused',
    );
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/api/auth/logout',
          remoteAddress: client.remoteAddress,
          headers: { ...headers, 'x-csrf-token': csrf },
        })
      ).statusCode,
      204,
    );
    assert.equal(
      (await app.inject({ method: 'GET', url: '/api/auth/session', remoteAddress: client.remoteAddress, headers }))
        .statusCode,
      401,
    );
  });

  it('ends staff sessions after 15 idle minutes and everyone after the absolute timeout', async () => {
    await account('gaelle.staff', 'staff');
    const client = from();
    const res = await login({ login: 'gaelle.staff', password: PASSWORD }, client);
    assert.equal(res.json().secondFactor, 'enrolment_required');
    const cookie = cookieOf(res);
    const db = runtime.database.db;
    const sixteenMinutesAgo = new Date(Date.now() - 16 * 60_000).toISOString();
    await db
      .updateTable('sessions')
      .set({ last_seen_at: sixteenMinutesAgo })
      .where('account_id', '=', res.json().account.id)
      .execute();
    const idle = await app.inject({
      method: 'GET',
      url: '/api/auth/session',
      remoteAddress: client.remoteAddress,
      headers: { ...client.headers, cookie },
    });
    assert.equal(idle.json().error, 'session_idle');

    await account('hugo@demo.rempart.example');
    const again = await login({ login: 'hugo@demo.rempart.example', password: PASSWORD }, client);
    await db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('account_id', '=', again.json().account.id)
      .execute();
    const expired = await app.inject({
      method: 'GET',
      url: '/api/auth/session',
      remoteAddress: client.remoteAddress,
      headers: { ...client.headers, cookie: cookieOf(again) },
    });
    assert.equal(expired.json().error, 'session_expired');
  });

  it('lists sessions and revokes one or all the others', async () => {
    await account('ines@demo.rempart.example');
    const client = from();
    const sessions = [];
    for (let i = 0; i < 3; i++)
      sessions.push(await login({ login: 'ines@demo.rempart.example', password: PASSWORD }, client));
    const [a, b, c] = sessions.map((s) => ({ cookie: cookieOf(s), csrf: s.json().csrfToken as string }));
    const headers = (s: { cookie: string; csrf: string }) => ({
      ...client.headers,
      cookie: s.cookie,
      'x-csrf-token': s.csrf,
    });
    const list = await app.inject({
      method: 'GET',
      url: '/api/auth/sessions',
      remoteAddress: client.remoteAddress,
      headers: headers(a!),
    });
    assert.equal(list.json().sessions.length, 3);
    const bId = (
      await app.inject({
        method: 'GET',
        url: '/api/auth/session',
        remoteAddress: client.remoteAddress,
        headers: headers(b!),
      })
    ).json().session.id;
    assert.equal(
      (
        await app.inject({
          method: 'DELETE',
          url: `/api/auth/sessions/${bId}`,
          remoteAddress: client.remoteAddress,
          headers: headers(a!),
        })
      ).statusCode,
      204,
    );
    assert.equal(
      (
        await app.inject({
          method: 'GET',
          url: '/api/auth/session',
          remoteAddress: client.remoteAddress,
          headers: headers(b!),
        })
      ).statusCode,
      401,
    );
    const all = await app.inject({
      method: 'POST',
      url: '/api/auth/sessions/revoke-all',
      remoteAddress: client.remoteAddress,
      headers: headers(a!),
    });
    assert.deepEqual(all.json(), { revoked: 1 });
    assert.equal(
      (
        await app.inject({
          method: 'GET',
          url: '/api/auth/session',
          remoteAddress: client.remoteAddress,
          headers: headers(c!),
        })
      ).statusCode,
      401,
    );
    assert.equal(
      (
        await app.inject({
          method: 'GET',
          url: '/api/auth/session',
          remoteAddress: client.remoteAddress,
          headers: headers(a!),
        })
      ).statusCode,
      200,
    );
    const unknown = await app.inject({
      method: 'DELETE',
      url: '/api/auth/sessions/AAAAAAAAAAAAAAAA',
      remoteAddress: client.remoteAddress,
      headers: headers(a!),
    });
    assert.equal(unknown.statusCode, 404);
    // Someone else's session, named by its real id: not yours to close.
    await account('jules@demo.rempart.example');
    const theirs = await login({ login: 'jules@demo.rempart.example', password: PASSWORD }, client);
    const theirsSession = { cookie: cookieOf(theirs), csrf: theirs.json().csrfToken as string };
    const theirId = (
      await app.inject({
        method: 'GET',
        url: '/api/auth/session',
        remoteAddress: client.remoteAddress,
        headers: headers(theirsSession),
      })
    ).json().session.id;
    const foreign = await app.inject({
      method: 'DELETE',
      url: `/api/auth/sessions/${theirId}`,
      remoteAddress: client.remoteAddress,
      headers: headers(a!),
    });
    assert.equal(foreign.statusCode, 404);
    assert.equal(
      (
        await app.inject({
          method: 'GET',
          url: '/api/auth/session',
          remoteAddress: client.remoteAddress,
          headers: headers(theirsSession),
        })
      ).statusCode,
      200,
    );
  });

  it('bad input gets a 400 naming the field and counts nothing', async () => {
    const throttleRows = await countRows(runtime, 'login_throttle');
    const long = await login({ login: 'alice@demo.rempart.example', password: 'x'.repeat(129) }, from());
    assert.equal(long.statusCode, 400);
    assert.equal(long.json().issues[0].field, 'body.password');
    const missing = await login({ login: 'alice@demo.rempart.example' }, from());
    assert.equal(missing.json().issues[0].field, 'body.password');
    const extra = await login({ login: 'a', password: 'b', otp: '123456' }, from());
    assert.equal(extra.json().issues[0].field, 'body.otp');
    assert.equal(await countRows(runtime, 'login_throttle'), throttleRows);
  });

  it('refuses weak passwords at account creation, with the account holder’s own words', async () => {
    await assert.rejects(
      createAccount(runtime.database.db, {
        kind: 'job_seeker',
        login: 'julie@demo.rempart.example',
        password: 'motdepasse123',
      }),
      (e: unknown) => e instanceof ValidationError && e.issues[0]!.rule === 'password.weak',
    );
    await assert.rejects(
      createAccount(runtime.database.db, {
        kind: 'job_seeker',
        login: 'julie@demo.rempart.example',
        password: 'court',
      }),
      (e: unknown) => e instanceof ValidationError && e.issues[0]!.rule === 'password.length',
    );
    await assert.rejects(
      createAccount(runtime.database.db, {
        kind: 'job_seeker',
        login: 'x@demo.rempart.example',
        password: 'elodie.MARCHAND.1990!',
        personalWords: ['Élodie', 'Marchand', '1990'],
      }),
      (e: unknown) => e instanceof ValidationError && e.issues[0]!.rule === 'password.personal',
    );
    // The login counts word by word: its parts joined with a year are no password.
    await assert.rejects(
      createAccount(runtime.database.db, {
        kind: 'job_seeker',
        login: 'camille.martin@exemple.fr',
        password: 'camille.martin1990',
      }),
      (e: unknown) => e instanceof ValidationError && e.issues[0]!.rule === 'password.personal',
    );
    assert.equal(
      (
        await runtime.database.db
          .selectFrom('accounts')
          .select('id')
          .where('login', 'in', ['julie@demo.rempart.example', 'x@demo.rempart.example'])
          .execute()
      ).length,
      0,
    );
  });

  it('disables staff accounts unused for 90 days and closes their sessions; job seekers keep theirs', async () => {
    const db = runtime.database.db;
    const stale = await account('old.staff', 'staff');
    const fresh = await account('fresh.staff', 'staff');
    const seeker = await account('olga@demo.rempart.example');
    const client = from();
    const session = await login({ login: 'old.staff', password: PASSWORD }, client);
    const longAgo = new Date(Date.now() - 91 * 86_400_000).toISOString();
    await db.updateTable('accounts').set({ last_login_at: longAgo }).where('id', 'in', [stale, seeker]).execute();
    await db
      .updateTable('accounts')
      .set({ last_login_at: new Date(Date.now() - 89 * 86_400_000).toISOString() })
      .where('id', '=', fresh)
      .execute();
    const disabled = await disableInactiveStaffAccounts(db);
    assert.deepEqual(disabled, [stale]);
    assert.equal(
      (
        await app.inject({
          method: 'GET',
          url: '/api/auth/session',
          remoteAddress: client.remoteAddress,
          headers: { ...client.headers, cookie: cookieOf(session) },
        })
      ).statusCode,
      401,
    );
    const again = await login({ login: 'old.staff', password: PASSWORD }, from());
    assert.equal(again.statusCode, 401, 'a disabled account answers like a wrong password');
    assert.equal((await login({ login: 'fresh.staff', password: PASSWORD }, from())).statusCode, 200);
    // An account disabled while one of its sessions is still open: the session opens nothing.
    const open = await login({ login: 'olga@demo.rempart.example', password: PASSWORD }, client);
    await db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', seeker).execute();
    assert.equal(
      (
        await app.inject({
          method: 'GET',
          url: '/api/auth/session',
          remoteAddress: client.remoteAddress,
          headers: { ...client.headers, cookie: cookieOf(open) },
        })
      ).statusCode,
      401,
    );
    await db.updateTable('accounts').set({ status: 'active' }).where('id', '=', seeker).execute();
    assert.equal((await login({ login: 'olga@demo.rempart.example', password: PASSWORD }, from())).statusCode, 200);
  });

  it('never writes a password, a session token or a CSRF token to the logs or the events', async () => {
    await account('karim@demo.rempart.example');
    const client = from();
    const res = await login({ login: 'karim@demo.rempart.example', password: PASSWORD }, client);
    await login({ login: 'karim@demo.rempart.example', password: 'un secret mal tapé' }, client);
    const token = cookieOf(res).split('=')[1]!;
    const events = await ledgerText(runtime.database.db);
    const sessions = JSON.stringify(await runtime.database.db.selectFrom('sessions').selectAll().execute());
    const logs = logLines.join('');
    for (const secret of [PASSWORD, 'un secret mal tapé', token, res.json().csrfToken]) {
      assert.equal(logs.includes(secret), false, 'logs');
      assert.equal(events.includes(secret), false, 'events');
      assert.equal(sessions.includes(secret), false, 'sessions table holds hashes only');
    }
    const stored = await runtime.database.db
      .selectFrom('accounts')
      .select('password_hash')
      .where('login', '=', 'karim@demo.rempart.example')
      .executeTakeFirstOrThrow();
    assert.match(stored.password_hash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });
});
