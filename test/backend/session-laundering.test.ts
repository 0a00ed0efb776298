import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { demoPersons, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { messagesTo } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, cookieOf, signIn, totpCode, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 5;
const PURPOSE = 'accompagnement';
const CASE = 'DOSSIER-2026-1902';
const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', 'accept-language': 'fr-FR' };

/**
 * Issue 19, item 2: a stolen session laundered by adding the thief's authenticator. The thief
 * holds the victim's cookie, anti-forgery token and user agent (what an infostealer lifts) and
 * replays them from its own network.
 */
describe(`a session replayed from another network cannot be laundered (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const db = () => runtime.database.db;

  let seeker = '';
  let seekerPerson = '';
  let seekerAccount = '';
  let bareSeeker = '';
  let counsellor = '';
  let host = 10;
  /** The victim's home network, and the thief's. */
  const home = (): Client => ({ remoteAddress: `10.61.7.${++host}`, headers: BROWSER });
  const thiefNetwork = (): Client => ({ remoteAddress: `203.0.113.${++host}`, headers: BROWSER });

  let victim: Client;
  let victimSession: SignedIn;
  let victimTotp = '';
  let recoveryCodes: string[] = [];

  const announcements = (kind: 'ajouté' | 'retiré') =>
    messagesTo(server.env.dir, seeker).filter((m) => m.subject.includes(`second facteur a été ${kind}`));
  const stepUpsFromNewNetwork = async (accountId: string) =>
    (await ledgerEvents(db(), 'step_up_required')).filter(
      (e) => e.account_id === accountId && e.details.reason === 'new_network',
    );

  /** Pass a second factor with a code from `client`: the session is re-issued, bound to its network. */
  async function passSecondFactor(client: Client, session: SignedIn, code: string): Promise<SignedIn> {
    const res = await as(app, client, session)('POST', '/api/auth/second-factor', { code });
    assert.equal(res.statusCode, 200, res.body);
    return { cookie: cookieOf(res), csrf: res.json().csrfToken as string };
  }

  /** Make the session's last second factor older than the step-up window, as after a while of ordinary use. */
  async function ageSecondFactor(session: SignedIn): Promise<void> {
    const info = await as(app, victim, session)('GET', '/api/auth/session');
    assert.equal(info.statusCode, 200, info.body);
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
      .where('public_id', '=', info.json().session.id)
      .execute();
  }

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 60,
      seed: SEED,
      batchSize: 60,
      parallel: false,
    });
    const shown = new Set((await ensureDemoAccounts(runtime, SEED)).map((s) => s.login));
    for (const person of await demoPersons(db(), SEED, 8)) {
      if (!shown.has(person.email)) continue;
      const followed = await db()
        .selectFrom('caseloads')
        .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
        .select('actors.login')
        .where('caseloads.person_id', '=', person.id)
        .executeTakeFirst();
      if (followed && !seeker) {
        seeker = person.email;
        seekerPerson = person.id;
        counsellor = followed.login;
      } else if (!bareSeeker) bareSeeker = person.email;
    }
    assert.ok(seeker && bareSeeker && counsellor, 'two demo job seekers, one followed by a counsellor');
    seekerAccount = (
      await db().selectFrom('accounts').select('id').where('login', '=', seeker).executeTakeFirstOrThrow()
    ).id;

    // The victim protects the account with an authenticator app (the first factor needs no step-up).
    victim = home();
    const signedIn = await signIn(app, victim, seeker, DEMO_PASSWORD);
    const begin = await as(app, victim, signedIn)('POST', '/api/auth/factors/totp');
    assert.equal(begin.statusCode, 200, begin.body);
    victimTotp = begin.json().secret as string;
    const confirm = await as(app, victim, signedIn)('POST', '/api/auth/factors/totp/confirm', {
      factorId: begin.json().factorId,
      code: totpCode(victimTotp),
    });
    assert.equal(confirm.statusCode, 200, confirm.body);
    recoveryCodes = confirm.json().recoveryCodes as string[];
    victimSession = { cookie: cookieOf(confirm), csrf: confirm.json().csrfToken as string };
  });
  after(() => server?.close());

  it('announces the first factor on the account’s verified channel', () => {
    const added = announcements('ajouté');
    assert.equal(added.length, 1, 'one announcement of the app added');
    assert.equal(added[0]!.channel, 'email');
    assert.match(added[0]!.body, /application d’authentification a été ajoutée/);
    assert.ok(!added[0]!.body.includes(victim.remoteAddress), 'no address in the message');
  });

  it('refuses the thief everything sensitive from its network, enrolling its own app first, and records each refusal', async () => {
    const thief = as(app, thiefNetwork(), victimSession);
    const fileReadsBefore = (await ledgerEvents(db(), 'subject_access')).filter(
      (e) => e.details.personId === seekerPerson,
    ).length;
    const refusalsBefore = (await stepUpsFromNewNetwork(seekerAccount)).length;

    const attempts: Array<[method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object]> = [
      ['POST', '/api/auth/factors/totp'],
      ['POST', '/api/auth/passkeys/registration/options'],
      ['POST', '/api/auth/channels', { kind: 'email', address: 'voleur@exemple.fr' }],
      ['GET', '/api/me/file'],
      ['GET', '/api/me/export'],
      ['GET', '/api/me/bank-details'],
      ['GET', '/api/auth/factors'],
      ['POST', '/api/auth/sessions/revoke-all'],
    ];
    for (const [method, url, payload] of attempts) {
      const res = await thief(method, url, payload);
      assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().error, 'step_up_required', `${method} ${url}`);
      assert.equal(res.json().reason, 'new_network', `${method} ${url}`);
    }
    assert.equal(
      (await stepUpsFromNewNetwork(seekerAccount)).length,
      refusalsBefore + attempts.length,
      'every refusal is recorded',
    );
    const last = (await stepUpsFromNewNetwork(seekerAccount)).at(-1)!;
    assert.equal(last.details.boundTo, '10.61.7.0/24');
    assert.equal(last.details.seenFrom, '203.0.113.0/24');

    // The session says what it waits for; a wrong code lifts nothing.
    const session = await thief('GET', '/api/auth/session');
    assert.equal(session.statusCode, 200, session.body);
    assert.equal(session.json().awaitsSecondFactor, true);
    assert.equal(session.json().newNetwork, true);
    const guess = await thief('POST', '/api/auth/second-factor', {
      code: totpCode(victimTotp) === '123456' ? '654321' : '123456',
    });
    assert.equal(guess.statusCode, 400);
    assert.equal((await thief('GET', '/api/me/file')).statusCode, 403);

    assert.equal(
      (await ledgerEvents(db(), 'subject_access')).filter((e) => e.details.personId === seekerPerson).length,
      fileReadsBefore,
      'the file did not leave',
    );
    assert.equal(
      (await ledgerEvents(db(), 'factor_enrolled')).filter((e) => e.account_id === seekerAccount).length,
      1,
      'only the owner’s app',
    );
    assert.equal(
      (
        await db()
          .selectFrom('account_factors')
          .select('id')
          .where('account_id', '=', seekerAccount)
          .where('kind', '=', 'totp')
          .execute()
      ).length,
      1,
      'no pending app of the thief either',
    );
    assert.equal(
      (await db().selectFrom('account_channels').select('id').where('account_id', '=', seekerAccount).execute()).length,
      1,
      'no channel added',
    );
    assert.equal(announcements('ajouté').length, 1, 'nothing new to announce');

    // The owner, on the network the session belongs to, is not disturbed.
    const owner = await as(app, victim, victimSession)('GET', '/api/me/file');
    assert.equal(owner.statusCode, 200, owner.body);
  });

  it('asks even the owner’s own session for a recent existing factor before adding an app, and announces every change', async () => {
    const own = () => as(app, victim, victimSession);
    await ageSecondFactor(victimSession);
    const refused = await own()('POST', '/api/auth/factors/totp');
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal(refused.json().error, 'step_up_required');
    const operations = (await ledgerEvents(db(), 'step_up_required'))
      .filter((e) => e.account_id === seekerAccount)
      .map((e) => e.details.operation);
    assert.ok(operations.includes('totp_enrolment'), 'the refusal is recorded');
    assert.equal(
      (
        await db()
          .selectFrom('account_factors')
          .select('id')
          .where('account_id', '=', seekerAccount)
          .where('kind', '=', 'totp')
          .execute()
      ).length,
      1,
      'no pending app left behind',
    );

    // A step-up with the factor the account already has opens the enrolment.
    victimSession = await passSecondFactor(victim, victimSession, totpCode(victimTotp, 1));
    const begin = await own()('POST', '/api/auth/factors/totp');
    assert.equal(begin.statusCode, 200, begin.body);
    const second = begin.json().secret as string;
    const confirm = await own()('POST', '/api/auth/factors/totp/confirm', {
      factorId: begin.json().factorId,
      code: totpCode(second),
    });
    assert.equal(confirm.statusCode, 200, confirm.body);
    recoveryCodes = confirm.json().recoveryCodes as string[];
    victimSession = { cookie: cookieOf(confirm), csrf: confirm.json().csrfToken as string };
    assert.equal(announcements('ajouté').length, 2, 'the second app is announced');
    assert.equal((await ledgerEvents(db(), 'factor_enrolled')).filter((e) => e.account_id === seekerAccount).length, 2);

    // Removing it: a stale session is refused, a fresh one may, and the removal is announced too.
    await ageSecondFactor(victimSession);
    assert.equal(
      (await own()('DELETE', `/api/auth/factors/totp/${begin.json().factorId}`)).json().error,
      'step_up_required',
    );
    victimSession = await passSecondFactor(victim, victimSession, recoveryCodes.pop()!);
    const removed = await own()('DELETE', `/api/auth/factors/totp/${begin.json().factorId}`);
    assert.equal(removed.statusCode, 204, removed.body);
    const gone = announcements('retiré');
    assert.equal(gone.length, 1, 'the removal is announced');
    assert.match(gone[0]!.body, /application d’authentification a été retirée/);
    assert.equal((await ledgerEvents(db(), 'factor_revoked')).filter((e) => e.account_id === seekerAccount).length, 1);
  });

  it('lets the owner who changed network carry on after a second factor passed from there, bound to the new network', async () => {
    const mobile: Client = { remoteAddress: '198.51.100.23', headers: BROWSER };
    const moved = as(app, mobile, victimSession);
    assert.equal((await moved('GET', '/api/me/file')).json().reason, 'new_network');
    const rebound = await passSecondFactor(mobile, victimSession, recoveryCodes.pop()!);
    const read = await as(app, mobile, rebound)('GET', '/api/me/file');
    assert.equal(read.statusCode, 200, read.body);
    const info = await as(app, mobile, rebound)('GET', '/api/auth/session');
    assert.equal(info.json().session.network, '198.51.100.0/24');
    assert.equal(info.json().newNetwork, false);
    assert.equal(
      (await as(app, victim, victimSession)('GET', '/api/me/file')).statusCode,
      401,
      'the cookie it replaced is dead',
    );
    // From the first network, the new session is held in turn.
    assert.equal((await as(app, victim, rebound)('GET', '/api/me/file')).json().reason, 'new_network');
    victimSession = rebound;
    victim = mobile;
  });

  it('revokes a replayed session of an account with no second factor: nothing could lift the hold', async () => {
    const client = home();
    const session = await signIn(app, client, bareSeeker, DEMO_PASSWORD);
    assert.equal((await as(app, client, session)('GET', '/api/me/file')).statusCode, 200);
    const stolen = await as(app, thiefNetwork(), session)('POST', '/api/auth/factors/totp');
    assert.equal(stolen.statusCode, 401, stolen.body);
    assert.equal(stolen.json().error, 'session_moved');
    const accountId = (
      await db().selectFrom('accounts').select('id').where('login', '=', bareSeeker).executeTakeFirstOrThrow()
    ).id;
    assert.equal(
      (await db().selectFrom('account_factors').select('id').where('account_id', '=', accountId).execute()).length,
      0,
      'the thief enrolled nothing',
    );
    const rejected = (await ledgerEvents(db(), 'session_rejected')).filter((e) => e.account_id === accountId);
    assert.equal(rejected.at(-1)?.details.reason, 'moved');
    assert.equal((await as(app, client, session)('GET', '/api/me/file')).statusCode, 401, 'its holder signs in again');
  });

  it('holds a counsellor’s session replayed from another network before the guard or the file, and leaves the counsellor working', async () => {
    const office = home();
    const session = await signIn(app, office, counsellor, DEMO_PASSWORD);
    const read = (client: Client) =>
      app.inject({
        method: 'GET',
        url: `/api/staff/persons/${seekerPerson}?classes=identity`,
        remoteAddress: client.remoteAddress,
        headers: {
          ...client.headers,
          cookie: session.cookie,
          'rempart-purpose': PURPOSE,
          'rempart-case-reference': CASE,
        },
      });
    const actorId = (
      await db().selectFrom('actors').select('id').where('login', '=', counsellor).executeTakeFirstOrThrow()
    ).id;
    const granted = async () =>
      (
        await db()
          .selectFrom('ledger_events')
          .select('id')
          .where('actor_id', '=', actorId)
          .where('kind', '=', 'access_granted')
          .execute()
      ).length;
    const before = await granted();
    const stolen = await read(thiefNetwork());
    assert.equal(stolen.statusCode, 403, stolen.body);
    assert.equal(stolen.json().error, 'step_up_required');
    assert.equal(stolen.json().reason, 'new_network');
    assert.equal(await granted(), before, 'nothing read');
    assert.equal((await read(thiefNetwork())).statusCode, 403);
    const alerts = await db()
      .selectFrom('guard_signals')
      .select(['signal', 'severity', 'details'])
      .where('actor_id', '=', actorId)
      .where('signal', '=', 'session_moved')
      .execute();
    assert.equal(alerts.length, 1, 'the desk is alerted, once however often the cookie is replayed');
    assert.equal(alerts[0]!.severity, 'alert');
    assert.equal((JSON.parse(alerts[0]!.details) as { figures: { held: boolean } }).figures.held, true);
    const own = await read(office);
    assert.equal(own.statusCode, 200, own.body);
    assert.equal(await granted(), before + 1);
  });
});
