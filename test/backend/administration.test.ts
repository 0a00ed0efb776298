import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { addChannel, createAccount, runRecertificationSchedule } from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND, countRows } from '../helpers/backend.ts';
import { ledgerEvents, ledgerText } from '../helpers/ledger.ts';
import { messagesTo, outbox } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const NEW_PASSWORD = 'lanterne rivière boussole tardive';
const SECURITY_CONTACT = 'securite@agence-test.example';
const ACTIVATION = /Code d’activation[^:]*: ([0-9A-Z]{20})\nIdentifiant de la demande : ([0-9a-f-]{36})/;

describe(`account administration under four eyes (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let orgId = '';
  let otherOrgId = '';
  const accounts: Record<string, string> = {};
  const sessions: Record<string, SignedIn> = {};
  let host = 0;
  const client = (): Client => ({
    remoteAddress: `198.18.0.${++host}`,
    headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
  });
  const clients: Record<string, Client> = {};

  async function organisation(kind: string, name: string, contact: string, emailDomains: string[]): Promise<string> {
    const id = randomUUID();
    const db = runtime.database.db;
    await db
      .insertInto('organisations')
      .values({
        id,
        kind,
        name,
        siret: null,
        departement: '33',
        security_posture: JSON.stringify({ emailDomains }),
        status: 'active',
        created_at: new Date().toISOString(),
      })
      .execute();
    await db
      .insertInto('agreements')
      .values({
        id: randomUUID(),
        organisation_id: id,
        reference: `REF-${id.slice(0, 8)}`,
        version: 1,
        legal_basis: 'test',
        purposes: JSON.stringify([
          {
            purpose: 'accompagnement',
            label: 'Accompagnement',
            read: ['identity'],
            write: [],
            relationship: 'caseload',
            dailyCeiling: 10,
            retentionDays: 30,
          },
        ]),
        dpo_contact: 'dpo@test.example',
        security_contact: contact,
        valid_from: '2026-01-01',
        valid_until: '2028-12-31',
        status: 'active',
        created_at: '',
      })
      .execute();
    return id;
  }

  async function staff(login: string, organisationId: string, roles: string[]): Promise<string> {
    const db = runtime.database.db;
    const actorId = randomUUID();
    await db
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: organisationId,
        kind: 'human',
        login,
        display_name: login,
        roles: JSON.stringify(roles),
        status: 'active',
        created_at: '',
      })
      .execute();
    const id = await createAccount(db, { kind: 'staff', login, password: PASSWORD, actorId });
    await addChannel(db, runtime.keyring, id, 'email', `${login}@agents.test.example`, { verified: true });
    accounts[login] = id;
    return id;
  }

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    orgId = await organisation('agency', 'Agence test', SECURITY_CONTACT, ['agents.test.example']);
    otherOrgId = await organisation('cap_emploi', 'Cap emploi test', 'securite@cap.example', ['cap.test.example']);
    await staff('admin.alpha', orgId, ['org_admin']);
    await staff('admin.beta', orgId, ['org_admin']);
    await staff('conseiller.gamma', orgId, ['counsellor']);
    await staff('admin.autre', otherOrgId, ['org_admin']);
    for (const login of ['admin.alpha', 'admin.beta', 'conseiller.gamma', 'admin.autre']) {
      clients[login] = client();
      sessions[login] = await signIn(app, clients[login]!, login, PASSWORD);
    }
  });
  after(() => server.close());

  const call = (login: string) => as(app, clients[login]!, sessions[login]!);
  const newAccountRequest = (login: string, roles = ['counsellor']) => ({
    kind: 'create_staff_account',
    login,
    displayName: 'Nouvel agent',
    roles,
    email: `${login}@agents.test.example`,
  });

  it('an administrator alone cannot create an account: the request waits, and approving one’s own is refused', async () => {
    const before = { accounts: await countRows(runtime, 'accounts'), actors: await countRows(runtime, 'actors') };
    const alertsBefore = messagesTo(server.env.dir, SECURITY_CONTACT).length;
    const asked = await call('admin.alpha')('POST', '/api/admin/requests', newAccountRequest('agent.delta'));
    assert.equal(asked.statusCode, 202, asked.body);
    assert.equal(asked.json().status, 'pending');
    assert.equal(await countRows(runtime, 'accounts'), before.accounts, 'nothing is created by one administrator');
    assert.equal(await countRows(runtime, 'actors'), before.actors);
    const alerts = messagesTo(server.env.dir, SECURITY_CONTACT);
    assert.equal(alerts.length, alertsBefore + 1, 'the security contact hears of the request');
    assert.match(
      alerts.at(-1)!.body,
      /admin\.alpha demande : création d’un compte professionnel — compte « agent\.delta »/,
    );

    const self = await call('admin.alpha')('POST', `/api/admin/requests/${asked.json().id}/approve`);
    assert.equal(self.statusCode, 403);
    assert.equal(self.json().error, 'four_eyes_required');
    assert.equal(await countRows(runtime, 'accounts'), before.accounts);

    const outsider = await call('admin.autre')('POST', `/api/admin/requests/${asked.json().id}/approve`);
    assert.equal(outsider.statusCode, 404, 'an administrator of another organisation does not even see it');
    const counsellor = await call('conseiller.gamma')('POST', `/api/admin/requests/${asked.json().id}/approve`);
    assert.equal(counsellor.statusCode, 403);
    assert.equal(counsellor.json().error, 'not_org_admin');
    assert.equal(await countRows(runtime, 'accounts'), before.accounts);
  });

  it('a second administrator approves; the activation code goes out of band to the new agent, who sets a password and must enrol a factor', async () => {
    const asked = await call('admin.alpha')('POST', '/api/admin/requests', newAccountRequest('agent.epsilon'));
    assert.equal(asked.statusCode, 202, asked.body);
    const approved = await call('admin.beta')('POST', `/api/admin/requests/${asked.json().id}/approve`);
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().status, 'approved');
    const newId = approved.json().outcome.accountId as string;
    const created = await runtime.database.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', newId)
      .executeTakeFirstOrThrow();
    assert.equal(created.login, 'agent.epsilon');
    assert.equal(created.password_hash, null, 'no password exists until the agent sets one');

    const mail = messagesTo(server.env.dir, 'agent.epsilon@agents.test.example').at(-1)!;
    const [, code, activationId] = ACTIVATION.exec(mail.body) ?? [];
    assert.ok(code && activationId, 'the activation code went to the agent’s professional address');
    assert.ok(!approved.body.includes(code) && !asked.body.includes(code), 'neither administrator ever sees the code');
    assert.ok(!messagesTo(server.env.dir, SECURITY_CONTACT).some((m) => m.body.includes(code)));

    const wrongLogin = await app.inject({
      method: 'POST',
      url: '/api/auth/recovery/activation',
      payload: { activationId, login: 'admin.alpha', code, password: NEW_PASSWORD },
    });
    assert.equal(wrongLogin.statusCode, 400, 'the code is bound to its account');
    const weak = await app.inject({
      method: 'POST',
      url: '/api/auth/recovery/activation',
      payload: { activationId, login: 'agent.epsilon', code, password: 'azerty123456' },
    });
    assert.equal(weak.statusCode, 400);
    assert.equal(weak.json().issues[0].field, 'body.password');
    const activated = await app.inject({
      method: 'POST',
      url: '/api/auth/recovery/activation',
      payload: { activationId, login: 'agent.epsilon', code, password: NEW_PASSWORD },
    });
    assert.equal(activated.statusCode, 204, activated.body);
    const again = await app.inject({
      method: 'POST',
      url: '/api/auth/recovery/activation',
      payload: { activationId, login: 'agent.epsilon', code, password: NEW_PASSWORD },
    });
    assert.equal(again.statusCode, 400, 'an activation code works once');

    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { login: 'agent.epsilon', password: NEW_PASSWORD },
    });
    assert.equal(login.statusCode, 200);
    assert.equal(login.json().secondFactor, 'enrolment_required');
    assert.equal(login.json().activationCodeRequired, true);
  });

  /** An agent created, approved and activated; returns its activation code and its password-only session. */
  async function activatedAgent(login: string): Promise<{ code: string; accountId: string }> {
    const asked = await call('admin.alpha')('POST', '/api/admin/requests', newAccountRequest(login));
    const approved = await call('admin.beta')('POST', `/api/admin/requests/${asked.json().id}/approve`);
    assert.equal(approved.statusCode, 200, approved.body);
    const [, code, activationId] =
      ACTIVATION.exec(messagesTo(server.env.dir, `${login}@agents.test.example`).at(-1)!.body) ?? [];
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/api/auth/recovery/activation',
          payload: { activationId, login, code, password: NEW_PASSWORD },
        })
      ).statusCode,
      204,
    );
    return { code: code!, accountId: approved.json().outcome.accountId as string };
  }

  async function passwordOnly(login: string, from: Client) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: from.remoteAddress,
      headers: from.headers,
      payload: { login, password: NEW_PASSWORD },
    });
    assert.equal(res.statusCode, 200, res.body);
    return as(app, from, {
      cookie: String(res.headers['set-cookie']).split(';')[0]!,
      csrf: res.json().csrfToken as string,
    });
  }

  it('binds the first second factor to the activation: the password alone enrols no app and no key, the activation code does, once', async () => {
    const { code, accountId } = await activatedAgent('agent.nu');
    const thief = await passwordOnly('agent.nu', client());
    const begun = await thief('POST', '/api/auth/factors/totp');
    assert.equal(begun.statusCode, 200, begun.body);
    const totp = () =>
      new TOTP({
        secret: Secret.fromBase32(begun.json().secret as string),
        algorithm: 'SHA1',
        digits: 6,
        period: 30,
      }).generate();
    const bare = await thief('POST', '/api/auth/factors/totp/confirm', {
      factorId: begun.json().factorId,
      code: totp(),
    });
    assert.equal(bare.statusCode, 403, bare.body);
    assert.equal(bare.json().error, 'activation_code_required');
    assert.equal(bare.json().issues[0].field, 'body.activationCode');
    const guessed = await thief('POST', '/api/auth/factors/totp/confirm', {
      factorId: begun.json().factorId,
      code: totp(),
      activationCode: 'ABCDEFGHJKMNPQRSTVWX',
    });
    assert.equal(guessed.statusCode, 400, guessed.body);
    assert.equal(guessed.json().error, 'activation_code_invalid');
    const passkey = await thief('POST', '/api/auth/passkeys/registration', {
      response: {
        id: 'x',
        rawId: 'x',
        type: 'public-key',
        response: { clientDataJSON: 'e30', attestationObject: 'o2M' },
        clientExtensionResults: {},
      },
    });
    assert.equal(passkey.statusCode, 403, `no key either: ${passkey.body}`);
    const active = async () =>
      (
        await runtime.database.db
          .selectFrom('account_factors')
          .select('id')
          .where('account_id', '=', accountId)
          .where('kind', '!=', 'recovery_codes')
          .where('status', '=', 'active')
          .execute()
      ).length;
    assert.equal(await active(), 0, 'nothing enrolled');
    const refusals = (
      await runtime.database.db
        .selectFrom('ledger_events')
        .select('body')
        .where('account_id', '=', accountId)
        .where('kind', '=', 'second_factor_failed')
        .execute()
    ).map((e) => (JSON.parse(e.body) as { details: { reason: string } }).details.reason);
    assert.deepEqual(refusals.sort(), [
      'activation_code_invalid',
      'activation_code_required',
      'activation_code_required',
    ]);

    const agent = await passwordOnly('agent.nu', client());
    const own = await agent('POST', '/api/auth/factors/totp');
    const ownCode = new TOTP({
      secret: Secret.fromBase32(own.json().secret as string),
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
    }).generate();
    const confirmed = await agent('POST', '/api/auth/factors/totp/confirm', {
      factorId: own.json().factorId,
      code: ownCode,
      activationCode: code.toLowerCase(),
    });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    assert.equal(await active(), 1);
    const spent = await runtime.database.db
      .selectFrom('credential_codes')
      .select('used_at')
      .where('account_id', '=', accountId)
      .where('purpose', '=', 'enrolment')
      .executeTakeFirstOrThrow();
    assert.notEqual(spent.used_at, null, 'the activation code served once');
  });

  it('an activation whose code lapsed before any factor was enrolled opens no enrolment: a new activation is needed', async () => {
    const { code, accountId } = await activatedAgent('agent.mu');
    await runtime.database.db
      .updateTable('credential_codes')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('account_id', '=', accountId)
      .where('purpose', '=', 'enrolment')
      .execute();
    const agent = await passwordOnly('agent.mu', client());
    const begun = await agent('POST', '/api/auth/factors/totp');
    const totp = new TOTP({
      secret: Secret.fromBase32(begun.json().secret as string),
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
    }).generate();
    const late = await agent('POST', '/api/auth/factors/totp/confirm', {
      factorId: begun.json().factorId,
      code: totp,
      activationCode: code,
    });
    assert.equal(late.statusCode, 403, late.body);
    assert.equal(late.json().error, 'activation_lapsed');
  });

  it('bad requests are refused at once, naming the field, and leave no request behind', async () => {
    const before = await countRows(runtime, 'admin_requests');
    const cases: Array<[object, string]> = [
      [newAccountRequest('agent.zeta', ['security_officer']), 'body.roles'],
      [newAccountRequest('agent.zeta', ['bootstrap_admin']), 'body.roles'],
      [{ ...newAccountRequest('agent.zeta'), email: 'pas-une-adresse' }, 'body.email'],
      [{ ...newAccountRequest('Agent Zeta!') }, 'body.login'],
      [{ ...newAccountRequest('agent.zeta'), password: 'je-choisis-pour-lui' }, 'body'],
    ];
    for (const [payload, field] of cases) {
      const res = await call('admin.alpha')('POST', '/api/admin/requests', payload);
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)} → ${res.body}`);
      assert.ok(
        (res.json().issues as Array<{ field: string }>).some((i) => i.field.startsWith(field)),
        `${field} in ${res.body}`,
      );
    }
    // The activation code goes to this address: only the organisation's declared domains (and their subdomains).
    const before2 = await countRows(runtime, 'admin_requests');
    for (const email of [
      'agent.zeta@gmail.com',
      'agent.zeta@cap.test.example',
      'agent.zeta@agents.test.example.attaquant.example',
      'agent.zeta@faux-agents.test.example',
    ]) {
      const res = await call('admin.alpha')('POST', '/api/admin/requests', {
        ...newAccountRequest('agent.zeta'),
        email,
      });
      assert.equal(res.statusCode, 400, `${email} → ${res.body}`);
      assert.deepEqual(
        (res.json().issues as Array<{ field: string; rule: string }>).map((i) => [i.field, i.rule]),
        [['body.email', 'email_domain']],
        email,
      );
      assert.match(res.json().issues[0].message, /agents\.test\.example/, 'the message names the declared domains');
    }
    assert.equal(await countRows(runtime, 'admin_requests'), before2, 'no request for an outside address');
    const subdomain = await call('admin.alpha')('POST', '/api/admin/requests', {
      ...newAccountRequest('agent.theta'),
      email: 'agent.theta@bordeaux.agents.test.example',
    });
    assert.equal(subdomain.statusCode, 202, subdomain.body);
    await runtime.database.db.deleteFrom('admin_requests').where('id', '=', subdomain.json().id).execute();
    const taken = await call('admin.alpha')('POST', '/api/admin/requests', newAccountRequest('conseiller.gamma'));
    assert.equal(taken.statusCode, 409);
    const foreign = await call('admin.alpha')('POST', '/api/admin/requests', {
      kind: 'grant_roles',
      accountId: accounts['admin.autre'],
      roles: ['counsellor'],
    });
    assert.equal(foreign.statusCode, 404, 'accounts of other organisations are out of reach');
    const notAdmin = await call('conseiller.gamma')('POST', '/api/admin/requests', newAccountRequest('agent.eta'));
    assert.equal(notAdmin.statusCode, 403);
    assert.equal(await countRows(runtime, 'admin_requests'), before);
  });

  it('an organisation that declared no mail domain creates no account, and a request whose domain was withdrawn is not carried out', async () => {
    const db = runtime.database.db;
    const pending = await call('admin.alpha')('POST', '/api/admin/requests', newAccountRequest('agent.iota'));
    assert.equal(pending.statusCode, 202, pending.body);
    await db
      .updateTable('organisations')
      .set({ security_posture: JSON.stringify({ emailDomains: [] }) })
      .where('id', '=', orgId)
      .execute();
    try {
      const none = await call('admin.alpha')('POST', '/api/admin/requests', newAccountRequest('agent.kappa'));
      assert.equal(none.statusCode, 400, none.body);
      assert.match(none.json().issues[0].message, /aucun domaine/);
      const approval = await call('admin.beta')('POST', `/api/admin/requests/${pending.json().id}/approve`);
      assert.equal(approval.statusCode, 400, approval.body);
      assert.equal(approval.json().issues[0].rule, 'email_domain');
      assert.equal(
        await db.selectFrom('accounts').select('id').where('login', '=', 'agent.iota').executeTakeFirst(),
        undefined,
        'no account',
      );
      assert.equal(
        (
          await db
            .selectFrom('admin_requests')
            .select('status')
            .where('id', '=', pending.json().id)
            .executeTakeFirstOrThrow()
        ).status,
        'pending',
      );
    } finally {
      await db
        .updateTable('organisations')
        .set({ security_posture: JSON.stringify({ emailDomains: ['agents.test.example'] }) })
        .where('id', '=', orgId)
        .execute();
    }
    await db.deleteFrom('admin_requests').where('id', '=', pending.json().id).execute();
  });

  it('sensitive administration needs a second factor from the last five minutes (step-up)', async () => {
    const before = await countRows(runtime, 'admin_requests');
    const stale = new Date(Date.now() - 6 * 60_000).toISOString();
    await runtime.database.db
      .updateTable('sessions')
      .set({ second_factor_at: stale })
      .where('account_id', '=', accounts['admin.alpha']!)
      .where('revoked_at', 'is', null)
      .execute();
    const res = await call('admin.alpha')('POST', '/api/admin/requests', newAccountRequest('agent.theta'));
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'step_up_required');
    assert.equal(await countRows(runtime, 'admin_requests'), before);
    const listing = await call('admin.alpha')('GET', '/api/admin/requests?status=pending');
    assert.equal(listing.statusCode, 200, 'reading needs no step-up');
    await runtime.database.db
      .updateTable('sessions')
      .set({ second_factor_at: new Date().toISOString() })
      .where('account_id', '=', accounts['admin.alpha']!)
      .where('revoked_at', 'is', null)
      .execute();
  });

  it('granting a role needs the second administrator and closes the holder’s sessions', async () => {
    const gamma = accounts['conseiller.gamma']!;
    const asked = await call('admin.beta')('POST', '/api/admin/requests', {
      kind: 'grant_roles',
      accountId: gamma,
      roles: ['indemnisation_agent'],
    });
    assert.equal(asked.statusCode, 202, asked.body);
    const actorRoles = async () =>
      JSON.parse(
        (
          await runtime.database.db
            .selectFrom('actors')
            .innerJoin('accounts', 'accounts.actor_id', 'actors.id')
            .select('actors.roles')
            .where('accounts.id', '=', gamma)
            .executeTakeFirstOrThrow()
        ).roles,
      ) as string[];
    assert.deepEqual(await actorRoles(), ['counsellor']);
    const targetApproves = await call('conseiller.gamma')('POST', `/api/admin/requests/${asked.json().id}/approve`);
    assert.equal(targetApproves.statusCode, 403);
    const approved = await call('admin.alpha')('POST', `/api/admin/requests/${asked.json().id}/approve`);
    assert.equal(approved.statusCode, 200, approved.body);
    assert.deepEqual((await actorRoles()).sort(), ['counsellor', 'indemnisation_agent']);
    assert.equal(
      (await call('conseiller.gamma')('GET', '/api/auth/session')).statusCode,
      401,
      'the privilege change ends the old session',
    );
    const twice = await call('admin.alpha')('POST', `/api/admin/requests/${asked.json().id}/approve`);
    assert.equal(twice.statusCode, 409);
  });

  it('a staff reset is two administrators and a code to the agent’s own address, never a phone call', async () => {
    const gamma = accounts['conseiller.gamma']!;
    const asked = await call('admin.alpha')('POST', '/api/admin/requests', {
      kind: 'reset_staff_credentials',
      accountId: gamma,
      resetFactors: true,
    });
    assert.equal(asked.statusCode, 202, asked.body);
    const before = await runtime.database.db
      .selectFrom('accounts')
      .select('password_hash')
      .where('id', '=', gamma)
      .executeTakeFirstOrThrow();
    assert.ok(before.password_hash, 'nothing changes before approval');
    const approved = await call('admin.beta')('POST', `/api/admin/requests/${asked.json().id}/approve`);
    assert.equal(approved.statusCode, 200, approved.body);
    const after = await runtime.database.db
      .selectFrom('accounts')
      .select('password_hash')
      .where('id', '=', gamma)
      .executeTakeFirstOrThrow();
    assert.equal(after.password_hash, null);
    const factors = await runtime.database.db
      .selectFrom('account_factors')
      .select('id')
      .where('account_id', '=', gamma)
      .where('revoked_at', 'is', null)
      .execute();
    assert.equal(factors.length, 0, 'a lost phone means a new factor');
    const oldLogin = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { login: 'conseiller.gamma', password: PASSWORD },
    });
    assert.equal(oldLogin.statusCode, 401);
    const [, code, activationId] =
      ACTIVATION.exec(messagesTo(server.env.dir, 'conseiller.gamma@agents.test.example').at(-1)!.body) ?? [];
    assert.ok(code && !approved.body.includes(code));
    const activated = await app.inject({
      method: 'POST',
      url: '/api/auth/recovery/activation',
      payload: { activationId, login: 'conseiller.gamma', code, password: NEW_PASSWORD },
    });
    assert.equal(activated.statusCode, 204, activated.body);
    clients['conseiller.gamma'] = client();
    sessions['conseiller.gamma'] = await signIn(app, clients['conseiller.gamma'], 'conseiller.gamma', NEW_PASSWORD, {
      activationCode: code,
    });
    assert.ok(sessions['conseiller.gamma'].totpSecret, 'the agent enrolled a new factor');
  });

  it('a request left unapproved lapses after two days', async () => {
    const asked = await call('admin.alpha')('POST', '/api/admin/requests', newAccountRequest('agent.iota'));
    await runtime.database.db
      .updateTable('admin_requests')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', asked.json().id)
      .execute();
    const late = await call('admin.beta')('POST', `/api/admin/requests/${asked.json().id}/approve`);
    assert.equal(late.statusCode, 409);
    assert.equal(late.json().error, 'request_expired');
    assert.equal(
      await runtime.database.db
        .selectFrom('accounts')
        .select('id')
        .where('login', '=', 'agent.iota')
        .executeTakeFirst(),
      undefined,
    );
  });

  it('a refused request changes nothing', async () => {
    const asked = await call('admin.alpha')(
      'POST',
      '/api/admin/requests',
      newAccountRequest('agent.kappa', ['org_admin']),
    );
    const refused = await call('admin.beta')('POST', `/api/admin/requests/${asked.json().id}/refuse`);
    assert.equal(refused.statusCode, 200);
    assert.equal(refused.json().status, 'refused');
    assert.equal((await call('admin.beta')('POST', `/api/admin/requests/${asked.json().id}/approve`)).statusCode, 409);
    assert.equal(
      await runtime.database.db
        .selectFrom('accounts')
        .select('id')
        .where('login', '=', 'agent.kappa')
        .executeTakeFirst(),
      undefined,
    );
  });

  it('two refusals of one request at once: exactly one wins, the other hears 409, and one refusal is recorded', async () => {
    const asked = await call('admin.alpha')(
      'POST',
      '/api/admin/requests',
      newAccountRequest('agent.race', ['counsellor']),
    );
    const id = asked.json().id as string;
    const both = await Promise.all([
      call('admin.beta')('POST', `/api/admin/requests/${id}/refuse`),
      call('admin.beta')('POST', `/api/admin/requests/${id}/refuse`),
    ]);
    assert.deepEqual(both.map((r) => r.statusCode).sort(), [200, 409], both.map((r) => r.body).join('\n'));
    const refusals = (await ledgerEvents(runtime.database.db, 'admin_request_refused')).filter(
      (e) => e.details.request === id,
    );
    assert.equal(refusals.length, 1);
  });

  it('one administrator can take access away at once, and the security contact is told', async () => {
    const victim = await staff('agent.lambda', orgId, ['counsellor']);
    const alerts = messagesTo(server.env.dir, SECURITY_CONTACT).length;
    const res = await call('admin.alpha')('POST', `/api/admin/accounts/${victim}/disable`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(
      (
        await runtime.database.db
          .selectFrom('accounts')
          .select('status')
          .where('id', '=', victim)
          .executeTakeFirstOrThrow()
      ).status,
      'disabled',
    );
    assert.equal(messagesTo(server.env.dir, SECURITY_CONTACT).length, alerts + 1);
    const foreign = await call('admin.alpha')('POST', `/api/admin/accounts/${accounts['admin.autre']}/disable`);
    assert.equal(foreign.statusCode, 404);
  });

  it('connecting a partner information system is four-eyes too, and only public keys are accepted', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const before = await countRows(runtime, 'machine_clients');
    const leaked = await call('admin.alpha')('POST', '/api/admin/requests', {
      kind: 'register_machine_client',
      name: 'SI agence',
      jwks: { keys: [await exportJWK(privateKey)] },
    });
    assert.equal(leaked.statusCode, 400, leaked.body);
    assert.ok(
      (leaked.json().issues as Array<{ field: string }>).some((i) => i.field.startsWith('body.jwks.keys.0')),
      leaked.body,
    );
    assert.ok(!leaked.body.includes(String((await exportJWK(privateKey)).d)), 'a private value is never echoed back');

    const asked = await call('admin.alpha')('POST', '/api/admin/requests', {
      kind: 'register_machine_client',
      name: 'SI agence',
      jwks: { keys: [publicJwk] },
    });
    assert.equal(asked.statusCode, 202, asked.body);
    assert.equal(await countRows(runtime, 'machine_clients'), before, 'nothing is connected by one administrator');
    assert.equal((await call('admin.alpha')('POST', `/api/admin/requests/${asked.json().id}/approve`)).statusCode, 403);
    const approved = await call('admin.beta')('POST', `/api/admin/requests/${asked.json().id}/approve`);
    assert.equal(approved.statusCode, 200, approved.body);
    const clientId = approved.json().outcome.clientId as string;

    const now = Math.floor(Date.now() / 1000);
    const tokenFor = async () => {
      const jwt = await new SignJWT({
        iss: clientId,
        sub: clientId,
        aud: `${runtime.config.publicUrl}/api/oauth/token`,
        iat: now,
        exp: now + 60,
        jti: randomUUID(),
      })
        .setProtectedHeader({ alg: 'ES256', kid: String(approved.json().summary.jwks.keys[0].kid) })
        .sign(privateKey);
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: jwt,
      });
      return app.inject({
        method: 'POST',
        url: '/api/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: form.toString(),
      });
    };
    const token = await tokenFor();
    assert.equal(token.statusCode, 200, token.body);

    const listed = await call('admin.beta')('GET', '/api/admin/machine-clients');
    assert.deepEqual(
      (listed.json().clients as Array<{ clientId: string; status: string }>).map((c) => [c.clientId, c.status]),
      [[clientId, 'active']],
    );
    assert.equal(
      (await call('admin.autre')('POST', `/api/admin/machine-clients/${clientId}/revoke`)).statusCode,
      404,
      'another organisation cannot touch it',
    );
    const revoked = await call('admin.beta')('POST', `/api/admin/machine-clients/${clientId}/revoke`);
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal(revoked.json().revoked, true);
    const refused = await app.inject({
      method: 'GET',
      url: '/api/partner/agreements',
      headers: { authorization: `Bearer ${token.json().access_token}` },
    });
    assert.equal(refused.statusCode, 401, 'its tokens stop at once');
  });

  it('recertification: nobody confirms their own account, and accounts nobody confirmed are disabled at the due date', async () => {
    const started = await call('admin.alpha')('POST', '/api/admin/recertifications');
    assert.equal(started.statusCode, 201, started.body);
    const listed = started.json().accounts as Array<{ login: string; decision: string }>;
    assert.ok(
      listed.some((a) => a.login === 'admin.alpha') && !listed.some((a) => a.login === 'admin.autre'),
      'the organisation’s active accounts, and only them',
    );
    assert.equal(
      (await call('admin.beta')('POST', '/api/admin/recertifications')).statusCode,
      409,
      'one review at a time',
    );
    const own = await call('admin.alpha')(
      'POST',
      `/api/admin/recertifications/current/accounts/${accounts['admin.alpha']}`,
      { decision: 'kept' },
    );
    assert.equal(own.statusCode, 403);
    assert.equal(own.json().error, 'four_eyes_required');
    for (const [by, whom] of [
      ['admin.beta', 'admin.alpha'],
      ['admin.alpha', 'admin.beta'],
      ['admin.alpha', 'conseiller.gamma'],
    ] as const) {
      const kept = await call(by)('POST', `/api/admin/recertifications/current/accounts/${accounts[whom]}`, {
        decision: 'kept',
      });
      assert.equal(kept.statusCode, 200, kept.body);
    }
    const bad = await call('admin.alpha')(
      'POST',
      `/api/admin/recertifications/current/accounts/${accounts['admin.alpha']}`,
      { decision: 'peut-être' },
    );
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().issues[0].field, 'body.decision');

    const forgotten = listed
      .filter((a) => !['admin.alpha', 'admin.beta', 'conseiller.gamma'].includes(a.login))
      .map((a) => a.login);
    assert.ok(forgotten.includes('agent.epsilon'));
    const dueLater = new Date(Date.now() + 31 * 86_400_000);
    const sweep = await runRecertificationSchedule(
      { db: runtime.database.db, keyring: runtime.keyring, notifier: runtime.notifier },
      dueLater,
    );
    assert.ok(sweep.closed >= 1 && sweep.disabled === forgotten.length, JSON.stringify(sweep));
    const status = async (login: string) =>
      (
        await runtime.database.db
          .selectFrom('accounts')
          .select('status')
          .where('login', '=', login)
          .executeTakeFirstOrThrow()
      ).status;
    assert.equal(await status('agent.epsilon'), 'disabled');
    assert.equal(await status('admin.alpha'), 'active');
    assert.equal(await status('conseiller.gamma'), 'active');
  });

  it('the periodic schedule opens a review for organisations not reviewed for six months', async () => {
    const inAYear = new Date(Date.now() + 365 * 86_400_000);
    const sweep = await runRecertificationSchedule(
      { db: runtime.database.db, keyring: runtime.keyring, notifier: runtime.notifier },
      inAYear,
    );
    assert.equal(sweep.opened, 2, 'both organisations');
    const again = await runRecertificationSchedule(
      { db: runtime.database.db, keyring: runtime.keyring, notifier: runtime.notifier },
      inAYear,
    );
    assert.equal(again.opened, 0);
  });

  it('two sweeps at once (two processes) close each review once and open one per organisation', async () => {
    const inTwoYears = new Date(Date.now() + 730 * 86_400_000);
    const m = { db: runtime.database.db, keyring: runtime.keyring, notifier: runtime.notifier };
    const since = new Date().toISOString();
    const [a, b] = await Promise.all([
      runRecertificationSchedule(m, inTwoYears),
      runRecertificationSchedule(m, inTwoYears),
    ]);
    assert.equal(a.closed + b.closed, 2, `closed ${a.closed} + ${b.closed}: each due review once`);
    assert.equal(a.opened + b.opened, 2, `opened ${a.opened} + ${b.opened}: one per organisation`);
    const open = await runtime.database.db
      .selectFrom('recertification_campaigns')
      .select(['organisation_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('closed_at', 'is', null)
      .groupBy('organisation_id')
      .execute();
    assert.deepEqual(
      open.map((o) => Number(o.n)),
      [1, 1],
    );
    // Each closing and each opening announced once to each recipient.
    const notices = await runtime.database.db
      .selectFrom('notifications')
      .select(['organisation_id', 'recipient', 'subject', (eb) => eb.fn.countAll<number>().as('n')])
      .where('kind', '=', 'recertification_alert')
      .where('at', '>=', since)
      .groupBy(['organisation_id', 'recipient', 'subject'])
      .execute();
    assert.ok(notices.length >= 4, `${notices.length} announcements`);
    assert.deepEqual(
      notices.filter((n) => Number(n.n) !== 1),
      [],
    );
  });

  it('no message body reaches the database, and no code reaches the logs', async () => {
    const bodies = outbox(server.env.dir).map((m) => m.body);
    assert.ok(bodies.length > 0);
    const rows = await runtime.database.db.selectFrom('notifications').selectAll().execute();
    assert.ok(rows.length >= bodies.length);
    // The queue's rows too: the body sealed until sent, then wiped.
    const queued = await runtime.database.db.selectFrom('outgoing_messages').selectAll().execute();
    assert.ok(queued.length >= bodies.length);
    const codes = bodies.flatMap((b) => [...b.matchAll(/: ([0-9A-Z]{20})/g)].map((m) => m[1]!));
    assert.ok(codes.length > 0, 'activation codes were sent, to look for');
    const stored = JSON.stringify(rows) + JSON.stringify(queued) + (await ledgerText(runtime.database.db));
    for (const code of codes) {
      assert.ok(!stored.includes(code));
      assert.ok(!server.logLines.some((l) => l.includes(code)));
    }
  });
});
