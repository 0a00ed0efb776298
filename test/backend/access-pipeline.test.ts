import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/index.ts';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { groupCommitOf } from '../../src/store/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { capturingLogger } from '../helpers/logs.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';
import { countStatements } from '../helpers/statements.ts';

const PURPOSE = 'accompagnement';
const CASE = 'DOSSIER-2026-0900';

/**
 * The access pipeline's caches across server processes: two runtimes on one store, each with
 * its own caches (as two processes have), one warmed by reads, then the other (or a hand edit)
 * changes what a decision rests on. The change must be in force at the very next request.
 */
describe(`the access pipeline: caches that never outlive a change, and the steady-state read's round trips (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let other: Runtime;
  let otherApp: FastifyInstance;
  const db = () => runtime.database.db;

  let login = '';
  let actorId = '';
  let organisationId = '';
  let persons: string[] = [];
  let client: Client;
  let session: SignedIn;

  const read = (via: FastifyInstance, personId: string, classes = 'identity,contact') =>
    via.inject({
      method: 'GET',
      url: `/api/staff/persons/${personId}?classes=${classes}`,
      remoteAddress: client.remoteAddress,
      headers: {
        ...client.headers,
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        'rempart-purpose': PURPOSE,
        'rempart-case-reference': CASE,
      },
    });

  /** Both processes have read (their caches are warm): the same person, 200 on each. */
  async function warm(personId: string) {
    for (const via of [app, otherApp]) assert.equal((await read(via, personId)).statusCode, 200);
  }

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 80,
      seed: 11,
      batchSize: 80,
      parallel: false,
    });
    await ensureDemoAccounts(runtime, 11);
    const counsellor = await db()
      .selectFrom('caseloads')
      .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
      .select(['actors.id', 'actors.login', 'actors.organisation_id'])
      .where('actors.roles', 'like', '%"counsellor"%')
      .groupBy(['actors.id', 'actors.login', 'actors.organisation_id'])
      .having((eb) => eb.fn.countAll(), '>=', 3)
      .orderBy('actors.login')
      .executeTakeFirstOrThrow();
    ({ login, id: actorId, organisation_id: organisationId } = counsellor);
    persons = (
      await db()
        .selectFrom('caseloads')
        .select('person_id')
        .where('actor_id', '=', actorId)
        .orderBy('person_id')
        .execute()
    ).map((r) => r.person_id);
    client = {
      remoteAddress: '10.40.1.7',
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    session = await signIn(app, client, login, DEMO_PASSWORD);
    other = await server.env.open();
    otherApp = await buildServer(other, capturingLogger().logger);
  });
  after(async () => {
    await otherApp?.close();
    await other?.close();
    await server.close();
  });

  it('an organisation suspended by one process is refused by the other at its next request, and served again once restored', async () => {
    await warm(persons[0]!);
    await db().updateTable('organisations').set({ status: 'suspended' }).where('id', '=', organisationId).execute();
    try {
      const refused = await read(otherApp, persons[0]!);
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().error, 'organisation_suspended');
      assert.equal(refused.json().fields, undefined);
    } finally {
      await db().updateTable('organisations').set({ status: 'active' }).where('id', '=', organisationId).execute();
    }
    assert.equal((await read(otherApp, persons[0]!)).statusCode, 200);
  });

  it('an agreement changed by hand (a class withdrawn from the purpose) is in force in both processes at once', async () => {
    await warm(persons[0]!);
    const agreements = await db()
      .selectFrom('agreements')
      .select(['id', 'purposes'])
      .where('organisation_id', '=', organisationId)
      .execute();
    const withdrawn = agreements.map((a) => ({
      id: a.id,
      before: a.purposes,
      after: JSON.stringify(
        (JSON.parse(a.purposes) as Array<{ purpose: string; read: string[] }>).map((p) =>
          p.purpose === PURPOSE ? { ...p, read: p.read.filter((c) => c !== 'contact') } : p,
        ),
      ),
    }));
    for (const a of withdrawn)
      await db().updateTable('agreements').set({ purposes: a.after }).where('id', '=', a.id).execute();
    try {
      for (const via of [otherApp, app]) {
        const refused = await read(via, persons[0]!);
        assert.equal(refused.statusCode, 403, refused.body);
        assert.equal(refused.json().error, 'field_class_not_granted');
        const identityOnly = await read(via, persons[0]!, 'identity');
        assert.equal(identityOnly.statusCode, 200, identityOnly.body);
        assert.deepEqual(Object.keys(identityOnly.json().fields), ['identity']);
      }
    } finally {
      for (const a of withdrawn)
        await db().updateTable('agreements').set({ purposes: a.before }).where('id', '=', a.id).execute();
    }
    assert.equal((await read(otherApp, persons[0]!)).statusCode, 200);
  });

  it('a contained actor is refused by the other process at its next request, even for a file it read a second ago (no steady-state shortcut)', async () => {
    await warm(persons[1]!);
    await db().updateTable('actors').set({ status: 'suspended' }).where('id', '=', actorId).execute();
    try {
      const refused = await read(otherApp, persons[1]!);
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().error, 'actor_contained');
      assert.equal(refused.json().fields, undefined);
    } finally {
      await db().updateTable('actors').set({ status: 'active' }).where('id', '=', actorId).execute();
    }
    assert.equal((await read(otherApp, persons[1]!)).statusCode, 200);
  });

  it('a steady-state read is at most four statements and one share of a group commit; each read is one access event naming the classes released', async () => {
    await warm(persons[2]!);
    const before = (await ledgerEvents(db(), 'access_granted')).filter((e) => e.details.personId === persons[2]).length;
    const group = groupCommitOf(runtime.database.db);
    const commitsBefore = group.commits;
    const { result, statements } = await countStatements(runtime, () => read(app, persons[2]!));
    assert.equal(result.statusCode, 200, result.body);
    assert.equal(group.commits, commitsBefore + 1, 'the read waited for exactly one group commit');
    // The group commit: on PostgreSQL one statement (WITH … INSERT …); on SQLite BEGIN IMMEDIATE, the counters,
    // the event and COMMIT on the writer thread, whose connection the statement counter does not watch.
    const commit = statements.filter(
      (s) =>
        /^(begin|commit)\b/i.test(s.trim()) ||
        /^\s*insert into "?(ledger_events|guard_seen)\b/i.test(s) ||
        /^\s*with "?w0"? as \(insert/i.test(s),
    );
    const reads = statements.filter((s) => !commit.includes(s));
    assert.ok(
      reads.length >= 3 && reads.length <= 4,
      `four statements before the commit (the drivers were watched), got ${reads.length}:\n${reads.join('\n')}`,
    );
    if (runtime.database.flavour === 'postgres')
      assert.equal(commit.length, 1, 'on PostgreSQL the group commit is one statement');
    else
      assert.deepEqual(
        commit,
        [],
        'on SQLite the group commit runs on the writer thread, not on the thread that serves requests',
      );
    const events = (await ledgerEvents(db(), 'access_granted')).filter((e) => e.details.personId === persons[2]);
    assert.equal(events.length, before + 1, 'exactly one access event');
    assert.deepEqual([...events.at(-1)!.body.classes].sort(), Object.keys(result.json().fields).sort());
  });

  it('a session revoked through one process is refused by the other', async () => {
    await warm(persons[0]!);
    const out = await app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      remoteAddress: client.remoteAddress,
      headers: { ...client.headers, cookie: session.cookie, 'x-csrf-token': session.csrf },
    });
    assert.ok(out.statusCode < 300, out.body);
    const refused = await read(otherApp, persons[0]!);
    assert.equal(refused.statusCode, 401, refused.body);
    assert.equal(refused.json().fields, undefined);
  });
});
