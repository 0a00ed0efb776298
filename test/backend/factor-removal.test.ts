import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createAccount } from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, cookieOf, signIn, totpCode, type Client, type SignedIn } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';

describe(`removing an authenticator app (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let session: SignedIn;
  let accountId = '';
  const client: Client = {
    remoteAddress: '10.0.4.1',
    headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
  };
  const db = () => runtime.database.db;
  const activeTotp = async () =>
    (
      await db()
        .selectFrom('account_factors')
        .select('id')
        .where('account_id', '=', accountId)
        .where('kind', '=', 'totp')
        .where('revoked_at', 'is', null)
        .where('status', '=', 'active')
        .orderBy('created_at')
        .execute()
    ).map((f) => f.id);
  const remove = (id: string) => as(app, client, session)('DELETE', `/api/auth/factors/totp/${id}`);

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    const orgId = '77777777-7777-4777-8777-777777777777';
    const actorId = '88888888-8888-4888-8888-888888888888';
    await db()
      .insertInto('organisations')
      .values({
        id: orgId,
        kind: 'mission_locale',
        name: 'Mission locale test',
        siret: null,
        departement: '33',
        security_posture: '{}',
        status: 'active',
        created_at: '',
      })
      .execute();
    await db()
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: orgId,
        kind: 'human',
        login: 'nadia.ml',
        display_name: 'Nadia',
        roles: '["partner_staff"]',
        status: 'active',
        created_at: '',
      })
      .execute();
    accountId = await createAccount(db(), { kind: 'staff', login: 'nadia.ml', password: PASSWORD, actorId });
    // The sign-in enrols a first app; a second one is added while the factor is fresh.
    session = await signIn(app, client, 'nadia.ml', PASSWORD);
    const call = as(app, client, session);
    const begin = await call('POST', '/api/auth/factors/totp');
    assert.equal(begin.statusCode, 200, begin.body);
    const confirm = await call('POST', '/api/auth/factors/totp/confirm', {
      factorId: begin.json().factorId,
      code: totpCode(begin.json().secret),
    });
    assert.equal(confirm.statusCode, 200, confirm.body);
    session = { cookie: cookieOf(confirm), csrf: confirm.json().csrfToken };
    assert.equal((await activeTotp()).length, 2);
  });
  after(() => server.close());

  it('needs a second factor passed within five minutes; nothing is removed without it', async () => {
    const [first] = await activeTotp();
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .execute();
    const res = await remove(first!);
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'step_up_required');
    assert.equal((await activeTotp()).length, 2);
    assert.ok(
      (await ledgerEvents(db(), 'step_up_required')).some(
        (e) => e.account_id === accountId && e.details.operation === 'totp_revocation',
      ),
    );
    await db()
      .updateTable('sessions')
      .set({ second_factor_at: new Date().toISOString() })
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .execute();
  });

  it('removes one app, recorded; refuses to remove a staff account’s last factor', async () => {
    const [first, second] = await activeTotp();
    const res = await remove(first!);
    assert.equal(res.statusCode, 204, res.body);
    assert.deepEqual(await activeTotp(), [second]);
    const revoked = (await ledgerEvents(db(), 'factor_revoked')).filter((e) => e.account_id === accountId);
    assert.equal(revoked.length, 1);
    assert.equal(revoked[0]!.details.kind, 'totp');
    assert.equal(revoked[0]!.details.factor, first);

    const last = await remove(second!);
    assert.equal(last.statusCode, 409);
    assert.equal(last.json().error, 'last_factor');
    assert.deepEqual(await activeTotp(), [second], 'the last factor stays');
  });

  it('answers 404 for a factor already removed or not an app, and 400 naming the field for a malformed id', async () => {
    const [remaining] = await activeTotp();
    const gone = await db()
      .selectFrom('account_factors')
      .select('id')
      .where('account_id', '=', accountId)
      .where('kind', '=', 'totp')
      .where('revoked_at', 'is not', null)
      .executeTakeFirstOrThrow();
    assert.equal((await remove(gone.id)).statusCode, 404);
    const codes = await db()
      .selectFrom('account_factors')
      .select('id')
      .where('account_id', '=', accountId)
      .where('kind', '=', 'recovery_codes')
      .executeTakeFirstOrThrow();
    assert.equal((await remove(codes.id)).statusCode, 404, 'recovery codes are not an app');
    const bad = await remove('not-a-uuid');
    assert.equal(bad.statusCode, 400);
    assert.ok(
      bad.json().issues.some((i: { field: string }) => i.field === 'params.id'),
      bad.body,
    );
    assert.deepEqual(await activeTotp(), [remaining]);
  });
});
