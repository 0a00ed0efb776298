import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer, createLogger } from '../../src/api/index.ts';
import { ensureBootstrapAdmin, issueApiToken, revokeApiTokens } from '../../src/identity/index.ts';
import { BOOTSTRAP_LOGIN } from '../../src/identity/bootstrap.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { BACKEND, testEnvironment } from '../helpers/backend.ts';
import { nirFor, samplePerson } from '../helpers/fixtures.ts';
import { ledgerEvents } from '../helpers/ledger.ts';

describe(`agency API (${BACKEND})`, () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let token: string;
  let otherToken: string;
  let logLines: string[] = [];

  let server: TestServer;
  let adminActorId: string;

  before(async () => {
    server = await openTestServer();
    ({ runtime, app, logLines } = server);
    const admin = await ensureBootstrapAdmin(runtime.database.db);
    token = admin.token!;
    adminActorId = admin.actorId;
    // An active actor of the same organisation, without the bootstrap role.
    const org = await runtime.database.db
      .selectFrom('actors')
      .select('organisation_id')
      .where('id', '=', admin.actorId)
      .executeTakeFirstOrThrow();
    await runtime.database.db
      .insertInto('actors')
      .values({
        id: '33333333-3333-4333-8333-333333333333',
        organisation_id: org.organisation_id,
        kind: 'human',
        login: 'conseiller.test',
        display_name: 'Conseiller',
        roles: '["counsellor"]',
        status: 'active',
        created_at: new Date().toISOString(),
      })
      .execute();
    otherToken = await issueApiToken(runtime.database.db, '33333333-3333-4333-8333-333333333333', 'test');
  });
  after(() => server.close());

  const auth = (t: string) => ({ authorization: `Bearer ${t}` });
  const personCount = async () =>
    Number(
      (
        await runtime.database.db
          .selectFrom('persons')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('health answers 200 when store and keyring are usable', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok', store: 'ok', keyring: 'ok', flavour: BACKEND, ledger: 'ok' });
    assert.match(res.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
    const ready = await app.inject({ method: 'GET', url: '/api/ready' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', reasons: [], ledger: 'ok', ledgerVerification: 'off' });
  });

  it('serves an OpenAPI 3.1 document generated from the routes, and a browsable page', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    for (const path of ['/api/health', '/api/agency/persons', '/api/agency/persons/{id}', '/api/agency/persons/lookup'])
      assert.ok(doc.paths[path], path);
    assert.ok(doc.paths['/api/agency/persons'].post.requestBody);
    const page = await app.inject({ method: 'GET', url: '/api/docs' });
    assert.ok([200, 302].includes(page.statusCode));
  });

  it('refuses callers without a token, with a bad token, or without the bootstrap role', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const headers of [{}, auth('rpt_notatoken'), { authorization: 'Basic abc' }]) {
      const res = await app.inject({ method: 'GET', url: `/api/agency/persons/${id}`, headers });
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="rempart"');
    }
    for (const [method, url] of [
      ['GET', `/api/agency/persons/${id}`],
      ['POST', '/api/agency/persons'],
      ['PATCH', `/api/agency/persons/${id}`],
      ['POST', '/api/agency/persons/lookup'],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        headers: auth(otherToken),
        payload: method === 'GET' ? undefined : samplePerson(1),
      });
      assert.equal(res.statusCode, 403, `${method} ${url}`);
    }
    assert.equal(await personCount(), 0);
  });

  it('a revoked token gets 401', async () => {
    const other = await runtime.database.db
      .selectFrom('actors')
      .select(['organisation_id'])
      .where('login', '=', 'conseiller.test')
      .executeTakeFirstOrThrow();
    const actorId = '77777777-7777-4777-8777-777777777777';
    await runtime.database.db
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: other.organisation_id,
        kind: 'machine',
        login: 'si.partenaire.test',
        display_name: 'SI partenaire',
        roles: '["partner_system"]',
        status: 'active',
        created_at: new Date().toISOString(),
      })
      .execute();
    const spare = await issueApiToken(runtime.database.db, actorId, 'spare');
    assert.equal(
      (
        await app.inject({
          method: 'GET',
          url: '/api/agency/persons/00000000-0000-4000-8000-000000000000',
          headers: auth(spare),
        })
      ).statusCode,
      403,
      'valid token, wrong role',
    );
    await revokeApiTokens(runtime.database.db, actorId);
    assert.equal(
      (
        await app.inject({
          method: 'GET',
          url: '/api/agency/persons/00000000-0000-4000-8000-000000000000',
          headers: auth(spare),
        })
      ).statusCode,
      401,
    );
  });

  it('a revoked or suspended actor gets 401', async () => {
    await runtime.database.db
      .updateTable('actors')
      .set({ status: 'suspended' })
      .where('login', '=', 'conseiller.test')
      .execute();
    const res = await app.inject({
      method: 'GET',
      url: '/api/agency/persons/00000000-0000-4000-8000-000000000000',
      headers: auth(otherToken),
    });
    assert.equal(res.statusCode, 401);
  });

  let personId = '';

  it('creates, reads and updates a file', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/agency/persons',
      headers: auth(token),
      payload: samplePerson(1),
    });
    assert.equal(created.statusCode, 201, created.body);
    personId = created.json().id;
    const read = await app.inject({ method: 'GET', url: `/api/agency/persons/${personId}`, headers: auth(token) });
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json().fields.nir, { nir: nirFor(1) });
    assert.equal(read.json().fields.health.rqth, true);
    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/agency/persons/${personId}`,
      headers: auth(token),
      payload: { health: null, contact: { phone: '06 39 98 01 24' } },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(patched.json().fields.health, undefined);
    assert.equal(patched.json().fields.contact.phone, '+33639980124');
    const lookup = await app.inject({
      method: 'POST',
      url: '/api/agency/persons/lookup',
      headers: auth(token),
      payload: { kind: 'nir', value: nirFor(1) },
    });
    assert.deepEqual(lookup.json(), { personIds: [personId] });

    // The bootstrap administrator is recorded like anyone else: each call an event, naming its actor.
    const mine = (await ledgerEvents(runtime.database.db)).filter(
      (e) => e.details.personId === personId || (e.kind === 'person_search' && e.details.via === 'bootstrap'),
    );
    assert.deepEqual(
      mine.map((e) => `${e.kind}:${String(e.details.operation)}`),
      // The phone rewritten is announced on the channels known before it (the system's event, issue 19).
      [
        'person_created:create',
        'access_granted:read',
        'access_granted:update',
        'access_granted:read',
        'contact_change_announced:contact_change',
        'person_search:lookup',
      ],
    );
    assert.ok(
      mine
        .filter((e) => e.kind !== 'contact_change_announced')
        .every((e) => e.details.actorId === adminActorId && e.details.via === 'bootstrap'),
    );
    assert.equal(mine[2]!.details.classes, 'contact,health', 'the classes written, in their canonical order');
  });

  it('records before it serves: with the ledger unwritable, a bootstrap create answers 503 and creates nothing', async () => {
    const before = await personCount();
    await sql`ALTER TABLE ledger_events RENAME TO ledger_events_off`.execute(runtime.database.db);
    try {
      const created = await app.inject({
        method: 'POST',
        url: '/api/agency/persons',
        headers: auth(token),
        payload: samplePerson(7),
      });
      assert.equal(created.statusCode, 503);
      assert.equal(created.json().error, 'ledger_unavailable');
      const read = await app.inject({ method: 'GET', url: `/api/agency/persons/${personId}`, headers: auth(token) });
      assert.equal(read.statusCode, 503);
      assert.equal(read.json().fields, undefined);
    } finally {
      await sql`ALTER TABLE ledger_events_off RENAME TO ledger_events`.execute(runtime.database.db);
    }
    assert.equal(await personCount(), before);
  });

  it('bad input gets a 400 naming the field and the rule, and writes nothing', async () => {
    const before = await personCount();
    const bad = samplePerson(2) as any;
    bad.nir.nir = '290033306300100';
    bad.bank.iban = 'FR7630006000011234567890188';
    const res = await app.inject({ method: 'POST', url: '/api/agency/persons', headers: auth(token), payload: bad });
    assert.equal(res.statusCode, 400);
    const body = res.json();
    assert.equal(body.error, 'validation_failed');
    const fields = body.issues.map((i: { field: string; rule: string }) => `${i.field} ${i.rule}`).sort();
    assert.deepEqual(fields, ['body.bank.iban format:iban', 'body.nir.nir format:nir']);
    assert.equal(JSON.stringify(body).includes('290033306300100'), false, 'the bad value is not echoed back');

    const cross = { ...samplePerson(3), nir: { nir: nirFor(3, '1') } };
    const crossRes = await app.inject({
      method: 'POST',
      url: '/api/agency/persons',
      headers: auth(token),
      payload: cross,
    });
    assert.equal(crossRes.statusCode, 400);
    assert.equal(crossRes.json().issues[0].field, 'body.nir.nir');
    assert.equal(crossRes.json().issues[0].rule, 'nir.identity_sex');

    const patch = await app.inject({
      method: 'PATCH',
      url: `/api/agency/persons/${personId}`,
      headers: auth(token),
      payload: { contact: { email: 'pas-un-courriel' }, bank: null },
    });
    assert.equal(patch.statusCode, 400);
    assert.equal(patch.json().issues[0].field, 'body.contact.email');
    const after = await app.inject({ method: 'GET', url: `/api/agency/persons/${personId}`, headers: auth(token) });
    assert.ok(after.json().fields.bank, 'the valid half of a failed patch was not applied');

    const malformed = await app.inject({
      method: 'POST',
      url: '/api/agency/persons',
      headers: { ...auth(token), 'content-type': 'application/json' },
      payload: '{"identity": ',
    });
    assert.equal(malformed.statusCode, 400);
    const badId = await app.inject({ method: 'GET', url: '/api/agency/persons/not-a-uuid', headers: auth(token) });
    assert.equal(badId.statusCode, 400);
    assert.equal(badId.json().issues[0].field, 'params.id');
    assert.equal(await personCount(), before);
  });

  it('answers 404 for an unknown file, 409 for a duplicate NIR, 410 for an erased one', async () => {
    const unknown = await app.inject({
      method: 'GET',
      url: '/api/agency/persons/00000000-0000-4000-8000-000000000000',
      headers: auth(token),
    });
    assert.equal(unknown.statusCode, 404);
    const duplicate = await app.inject({
      method: 'POST',
      url: '/api/agency/persons',
      headers: auth(token),
      payload: { ...samplePerson(4), nir: { nir: nirFor(1) }, identity: samplePerson(1).identity },
    });
    assert.equal(duplicate.statusCode, 409);
    await runtime.persons.erase(personId);
    const gone = await app.inject({ method: 'GET', url: `/api/agency/persons/${personId}`, headers: auth(token) });
    assert.equal(gone.statusCode, 410);
  });

  it('an altered ciphertext is reported as an integrity failure, never returned', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/agency/persons',
      headers: auth(token),
      payload: samplePerson(5),
    });
    const id = created.json().id;
    const row = await runtime.database.db
      .selectFrom('person_fields')
      .select('ciphertext')
      .where('person_id', '=', id)
      .where('field_class', '=', 'identity')
      .executeTakeFirstOrThrow();
    const altered = Buffer.from(row.ciphertext);
    altered[20] = altered[20]! ^ 1;
    await runtime.database.db
      .updateTable('person_fields')
      .set({ ciphertext: altered })
      .where('person_id', '=', id)
      .where('field_class', '=', 'identity')
      .execute();
    const res = await app.inject({ method: 'GET', url: `/api/agency/persons/${id}`, headers: auth(token) });
    assert.equal(res.statusCode, 500);
    assert.equal(res.json().error, 'integrity_failure');
    assert.equal(res.body.includes('MARCHAND5'), false);
  });

  it('health answers 503 when the keyring no longer matches the store', async () => {
    await runtime.database.db
      .updateTable('key_checks')
      .set({ fingerprint: '0'.repeat(32) })
      .where('purpose', '=', 'kek:nir')
      .execute();
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().keyring, 'mismatch');
    const ready = await app.inject({ method: 'GET', url: '/api/ready' });
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(ready.json().reasons, ['keyring_mismatch']);
  });

  it('logs are JSON with request ids and hold no value, token or key', async () => {
    assert.ok(logLines.length > 10);
    const text = logLines.join('');
    for (const line of logLines) JSON.parse(line);
    assert.ok(logLines.some((l) => JSON.parse(l).reqId));
    const secrets = [
      token,
      otherToken,
      nirFor(1),
      nirFor(5),
      'MARCHAND1',
      'elodie.marchand1',
      'FR1420041010050500013M02606',
      '290033306300100',
      runtime.keyring.kek('nir', 1).toString('base64'),
    ];
    for (const secret of secrets) assert.equal(text.includes(secret), false, `log leaks ${secret.slice(0, 8)}…`);
  });
});

describe(`health when the store is gone (${BACKEND})`, () => {
  it('answers 503 and names the store', async () => {
    const env = testEnvironment();
    const runtime = await env.open();
    const app = await buildServer(runtime, createLogger('silent'));
    try {
      await runtime.database.close();
      const res = await app.inject({ method: 'GET', url: '/api/health' });
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), {
        status: 'unavailable',
        store: 'unavailable',
        keyring: 'unknown',
        flavour: BACKEND,
        ledger: 'ok',
      });
      const ready = await app.inject({ method: 'GET', url: '/api/ready' });
      assert.equal(ready.statusCode, 503);
      assert.deepEqual(ready.json().reasons, ['store_unavailable']);
    } finally {
      await app.close();
      await env.cleanup();
    }
  });
});

describe(
  `the bootstrap administrator (${BACKEND})`,
  { skip: BACKEND !== 'postgres' && 'PostgreSQL only: SQLite writes one at a time' },
  () => {
    it('is created once when processes start together on a fresh store, and none of them fails', async () => {
      const env = testEnvironment();
      const [one, other] = [await env.open(), await env.open()];
      try {
        // One process has inserted the administrator and not committed yet; the other looks, finds
        // nobody, inserts too and waits on the unique index until the first commits.
        let inserted!: () => void;
        let commit!: () => void;
        const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
        const committing = new Promise<void>((resolve) => (commit = resolve));
        const first = one.database.db.transaction().execute(async (trx) => {
          const made = await ensureBootstrapAdmin(trx);
          inserted();
          await committing;
          return made;
        });
        await insertedYet;
        const second = ensureBootstrapAdmin(other.database.db);
        for (let waited = 0; ; waited += 20) {
          const blocked = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
          where wait_event_type = 'Lock' and application_name = ${`rempart:${env.pgSchema}`}`.execute(one.database.db);
          if (Number(blocked.rows[0]?.n) > 0) break;
          assert.ok(waited < 10_000, 'the second insert waits on the first');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        commit();
        const [a, b] = await Promise.all([first, second]);
        assert.equal(a.actorId, b.actorId, 'one administrator');
        assert.ok(a.token);
        assert.equal(b.token, undefined, 'one token, issued by the process that created it');
        const actors = await one.database.db
          .selectFrom('actors')
          .select('id')
          .where('login', '=', BOOTSTRAP_LOGIN)
          .execute();
        assert.equal(actors.length, 1);
      } finally {
        await one.close();
        await other.close();
        await env.cleanup();
      }
    });
  },
);
