import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const COUNSELLOR = 'conseiller.merignac.1';

/**
 * Issue 20, item 6: text that is not text (bytes that are not UTF-8, half a UTF-16 pair) is
 * refused naming the field, and nothing is stored; a NIR or France Travail id that cannot exist
 * is refused before any lookup, and the guard counts no miss for it.
 */
describe(`bad text and impossible identifiers: 400, nothing stored (${BACKEND})`, () => {
  let server: TestServer;
  let app: FastifyInstance;
  let client: Client;
  let session: SignedIn;
  let personId = '';
  let actorId = '';
  const db = () => server.runtime.database.db;

  const raw = (method: 'POST', url: string, payload: string | Buffer) =>
    app.inject({
      method,
      url,
      remoteAddress: client.remoteAddress,
      headers: {
        ...client.headers,
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        'content-type': 'application/json',
        'rempart-purpose': 'accompagnement',
        'rempart-case-reference': 'DOSSIER-2026-2006',
      },
      payload,
    });
  const actions = async () =>
    (await server.runtime.persons.read(personId, ['follow_up'])).fields.follow_up?.actions.length ?? 0;
  const writes = async () =>
    (
      await db()
        .selectFrom('ledger_events')
        .select('body')
        .where('person_id', '=', personId)
        .where('kind', '=', 'access_granted')
        .execute()
    ).filter((e) => e.body.includes('"operation":"write"')).length;
  const misses = async () =>
    (await db().selectFrom('guard_searches').select('id').where('actor_id', '=', actorId).execute()).length;

  before(async () => {
    server = await openTestServer();
    app = server.app;
    await seedDatabase(db(), server.runtime.persons, server.runtime.keyring, {
      persons: 120,
      seed: 21,
      batchSize: 120,
      parallel: false,
    });
    await ensureDemoAccounts(server.runtime, 21);
    client = {
      remoteAddress: '10.20.6.7',
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    session = await signIn(app, client, COUNSELLOR, DEMO_PASSWORD);
    actorId = (await db().selectFrom('actors').select('id').where('login', '=', COUNSELLOR).executeTakeFirstOrThrow())
      .id;
    const decoys = new Set(
      (await db().selectFrom('guard_decoys').select('person_id').execute()).map((r) => r.person_id),
    );
    personId = (
      await db()
        .selectFrom('caseloads')
        .select('person_id')
        .where('actor_id', '=', actorId)
        .orderBy('person_id')
        .execute()
    )
      .map((r) => r.person_id)
      .find((id) => !decoys.has(id))!;
    assert.ok(personId);
  });
  after(async () => {
    await server?.close();
  });

  it('refuses a lone surrogate and bytes that are not UTF-8, naming the field; a real emoji is fine', async () => {
    const url = `/api/staff/persons/${personId}/follow-up/actions`;
    const [before, writesBefore] = [await actions(), await writes()];
    const surrogate = await raw(
      'POST',
      url,
      '{"date":"2026-12-02","kind":"entretien","label":"Rappel \\ud800 demain"}',
    );
    assert.equal(surrogate.statusCode, 400, surrogate.body);
    assert.deepEqual(
      surrogate.json().issues.map((i: { field: string }) => i.field),
      ['body.label'],
    );
    const invalid = await raw(
      'POST',
      url,
      Buffer.concat([
        Buffer.from('{"date":"2026-12-02","kind":"entretien","label":"Rappel '),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}'),
      ]),
    );
    assert.equal(invalid.statusCode, 400, invalid.body);
    assert.equal(invalid.json().issues[0].rule, 'utf8');
    const lowHalf = await raw('POST', url, '{"date":"2026-12-02","kind":"entretien\\udc00","label":"x"}');
    assert.deepEqual(
      lowHalf.json().issues.map((i: { field: string }) => i.field),
      ['body.kind'],
    );
    assert.equal(await actions(), before, 'nothing stored');
    assert.equal(await writes(), writesBefore, 'nothing recorded as written');
    const emoji = await raw(
      'POST',
      url,
      JSON.stringify({ date: '2026-12-02', kind: 'entretien', label: 'Entretien réussi 😀 — « bravo »' }),
    );
    assert.equal(emoji.statusCode, 201, emoji.body);
    assert.equal(await actions(), before + 1);
    const stored = (await server.runtime.persons.read(personId, ['follow_up'])).fields.follow_up!.actions.at(-1)!;
    assert.equal(stored.label, 'Entretien réussi 😀 — « bravo »');
  });

  it('refuses a NIR or a France Travail id that cannot exist before any lookup, and counts no miss', async () => {
    const url = '/api/staff/persons/search';
    const missesBefore = await misses();
    for (const nir of ['ABCDEFGHIJKLM', '1 99 01 33 123 456', '1234567890123', '199013312345699']) {
      const res = await raw('POST', url, JSON.stringify({ nir }));
      assert.equal(res.statusCode, 400, `${nir}: ${res.body}`);
      assert.deepEqual(
        res.json().issues.map((i: { field: string }) => i.field),
        ['body.nir'],
        nir,
      );
    }
    for (const franceTravailId of ['ABC', '123456', '1234567-A']) {
      const res = await raw('POST', url, JSON.stringify({ franceTravailId }));
      assert.equal(res.statusCode, 400, `${franceTravailId}: ${res.body}`);
      assert.deepEqual(
        res.json().issues.map((i: { field: string }) => i.field),
        ['body.franceTravailId'],
      );
    }
    assert.equal(await misses(), missesBefore, 'the guard counted no search');
    // A well-formed NIR of the person, key included, is found.
    const nir = (await server.runtime.persons.read(personId, ['nir'])).fields.nir!.nir;
    const found = await raw('POST', url, JSON.stringify({ nir }));
    assert.equal(found.statusCode, 200, found.body);
    assert.deepEqual(
      found.json().results.map((r: { id: string }) => r.id),
      [personId],
    );
  });
});
