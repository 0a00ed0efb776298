import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { messengerOf } from '../../src/api/messenger.ts';
import {
  addChannel,
  ADDRESS_MAX_FAILURES,
  createAccount,
  ensureBootstrapAdmin,
  LOGIN_DAILY_MAX_FAILURES,
  loginWithPassword,
} from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { messagesTo } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const BROWSER = { 'user-agent': 'Mozilla/5.0 Firefox/140.0', 'accept-language': 'fr-FR' };
const client = (address: string) => ({
  address,
  userAgent: BROWSER['user-agent'],
  acceptLanguage: BROWSER['accept-language'],
});

/**
 * Issue 19, item 6: failures count per login over a day too, per network and for the whole
 * service, not only per exact address; and a place under a spray is stepped up (a slower
 * answer, the second factor required), never closed to the colleague who has one.
 */
describe(`sign-in throttling: paced guessing, networks, the whole service, and colleagues behind one NAT (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const db = () => runtime.database.db;

  async function jobSeeker(login: string): Promise<string> {
    const id = await createAccount(db(), { kind: 'job_seeker', login, password: PASSWORD });
    await addChannel(db(), runtime.keyring, id, 'email', login, { verified: true });
    return id;
  }

  async function staff(login: string): Promise<string> {
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
        display_name: login,
        roles: '["counsellor"]',
        status: 'active',
        created_at: new Date().toISOString(),
      })
      .execute();
    return createAccount(db(), { kind: 'staff', login, password: PASSWORD, actorId });
  }

  const post = (address: string, login: string, password: string) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: address,
      headers: BROWSER,
      payload: { login, password },
    });

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
  });
  after(() => server.close());

  it('a machine behind an agency’s NAT failing again and again does not lock out the colleague who has a second factor: slower, then the factor', async () => {
    const NAT = '198.51.100.7';
    await staff('collegue.nat');
    await signIn(app, { remoteAddress: '198.51.101.20', headers: BROWSER }, 'collegue.nat', PASSWORD); // enrols the app
    await jobSeeker('voisin.sans.facteur@exemple.fr');
    for (let i = 0; i < ADDRESS_MAX_FAILURES; i++)
      assert.equal((await post(NAT, `poste.infecte.${i}@exemple.fr`, 'Printemps2026!')).statusCode, 401);
    const locked = (await ledgerEvents(db(), 'login_locked')).filter((e) => e.details.scope === 'address');
    assert.equal(locked.length, 1, 'the address is blocked');

    const started = Date.now();
    const colleague = await post(NAT, 'collegue.nat', PASSWORD);
    assert.equal(colleague.statusCode, 200, colleague.body);
    assert.equal(colleague.json().secondFactor, 'required', 'the factor comes next');
    assert.ok(Date.now() - started >= 900, 'a slower answer from a blocked place');
    const stepped = (await ledgerEvents(db(), 'login_succeeded')).at(-1)!;
    assert.equal(stepped.details.steppedUp, true);

    const noFactor = await post(NAT, 'voisin.sans.facteur@exemple.fr', PASSWORD);
    assert.equal(noFactor.statusCode, 429, 'without a second factor nothing tells the holder from the sprayer');
    assert.equal(
      (await post(NAT, 'collegue.nat', 'mauvais mot de passe')).statusCode,
      429,
      'a wrong password from the blocked place is answered as the block',
    );
    assert.equal(
      (await post('198.51.102.9', 'voisin.sans.facteur@exemple.fr', PASSWORD)).statusCode,
      200,
      'elsewhere, nothing changes',
    );
  });

  it('a guesser pacing itself under the 15-minute count (4 tries every quarter of an hour, from changing addresses) is locked within a day, and the holder told', async () => {
    const login = 'paul.lent@exemple.fr';
    await jobSeeker(login);
    const m = messengerOf(runtime);
    const start = Date.parse('2026-11-02T08:00:00Z');
    let failures = 0;
    let lockedAt: number | undefined;
    for (let quarter = 0; quarter < 12 && lockedAt === undefined; quarter++) {
      for (let i = 0; i < 4; i++) {
        // 16 minutes apart: each quarter starts a new 15-minute window, whose 4 stay under 5.
        const now = new Date(start + quarter * 16 * 60_000 + i * 10_000);
        const outcome = await loginWithPassword(
          db(),
          { login, password: `essai ${quarter}-${i}` },
          client(`198.18.50.${quarter * 4 + i + 1}`),
          now,
          { messenger: m },
        );
        if (!outcome.ok && outcome.reason === 'throttled') {
          lockedAt = now.getTime();
          break;
        }
        assert.deepEqual(outcome, { ok: false, reason: 'invalid_credentials' });
        failures++;
      }
    }
    assert.equal(failures, LOGIN_DAILY_MAX_FAILURES, 'twenty wrong passwords in a day, then no more tries');
    const right = await loginWithPassword(
      db(),
      { login, password: PASSWORD },
      client('198.18.51.1'),
      new Date(lockedAt! + 3_600_000),
      { messenger: m },
    );
    assert.equal(right.ok, false, 'even the right password waits out the day');
    assert.ok(!right.ok && right.reason === 'throttled' && right.retryAfterSeconds > 20 * 3600, 'about a day');
    const dayLock = (await ledgerEvents(db(), 'login_locked')).filter((e) => e.details.scope === 'login_day');
    assert.equal(dayLock.length, 1);
    const told = messagesTo(server.env.dir, login).filter((msg) => /connexions bloquées/.test(msg.subject));
    assert.equal(told.length, 1, 'the holder is told on the verified channel');
    const later = await loginWithPassword(
      db(),
      { login, password: PASSWORD },
      client('198.18.51.1'),
      new Date(lockedAt! + 25 * 3_600_000),
      { messenger: m },
    );
    assert.equal(later.ok, true, 'a day later the holder signs in');
  });

  it('a spray spread over the addresses of one network blocks that network, not the others', async () => {
    await jobSeeker('reseau.voisin@exemple.fr');
    const options = { networkMaxFailures: 10, stepUpDelayMs: 0 };
    const now = new Date();
    for (let i = 1; i <= 10; i++) {
      const outcome = await loginWithPassword(
        db(),
        { login: `cible.${i}@exemple.fr`, password: 'Automne2026!' },
        client(`203.0.114.${i}`),
        now,
        options,
      );
      assert.equal(outcome.ok, false);
    }
    assert.equal((await ledgerEvents(db(), 'login_locked')).filter((e) => e.details.scope === 'network').length, 1);
    const sameNetwork = await loginWithPassword(
      db(),
      { login: 'reseau.voisin@exemple.fr', password: PASSWORD },
      client('203.0.114.200'),
      now,
      options,
    );
    assert.ok(
      !sameNetwork.ok && sameNetwork.reason === 'throttled',
      'an address of that network never used before is stepped up like the rest',
    );
    const otherNetwork = await loginWithPassword(
      db(),
      { login: 'reseau.voisin@exemple.fr', password: PASSWORD },
      client('203.0.115.5'),
      now,
      options,
    );
    assert.equal(otherNetwork.ok, true);
  });

  it('a spray from everywhere is recorded and slows every sign-in, but refuses nobody', async () => {
    await jobSeeker('partout@exemple.fr');
    const options = { globalMaxFailures: 12, stepUpDelayMs: 300 };
    try {
      for (let i = 1; i <= 12; i++)
        await loginWithPassword(
          db(),
          { login: `botnet.${i}@exemple.fr`, password: 'Hiver2026!' },
          client(`100.${64 + i}.7.9`),
          new Date(),
          options,
        );
      assert.ok(
        (await ledgerEvents(db(), 'login_locked')).some((e) => e.details.scope === 'global'),
        'the spray is in the ledger',
      );
      const started = Date.now();
      const fine = await loginWithPassword(
        db(),
        { login: 'partout@exemple.fr', password: PASSWORD },
        client('100.99.1.1'),
        new Date(),
        options,
      );
      assert.equal(fine.ok, true, 'nobody is refused for the whole service’s failures');
      assert.ok(Date.now() - started >= 280, 'but every answer is slower');
    } finally {
      await db().deleteFrom('login_throttle').where('scope', '=', 'global').execute();
    }
  });
});

describe(`sign-in throttling against guesses sent all at once (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;

  before(async () => {
    server = await openTestServer();
    ({ runtime } = server);
  });
  after(() => server.close());

  it('thirty wrong passwords sent at once for one login name get at most five answers, then the lock', async () => {
    const login = 'parallele@exemple.fr';
    const id = await createAccount(runtime.database.db, { kind: 'job_seeker', login, password: PASSWORD });
    await addChannel(runtime.database.db, runtime.keyring, id, 'email', login, { verified: true });
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        server.app.inject({
          method: 'POST',
          url: '/api/auth/login',
          remoteAddress: `203.0.${i}.7`,
          headers: BROWSER,
          payload: { login, password: `mauvais mot de passe ${i}` },
        }),
      ),
    );
    const codes = answers.map((a) => a.statusCode);
    const checked = codes.filter((c) => c !== 429).length;
    assert.ok(checked <= 5, `passwords checked: ${checked} (${codes.join(',')})`);
  });
});
