import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { followedDemoSeeker } from '../helpers/followed-seeker.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 7;
const DPO = 'dpo.na';
const RSSI = 'rssi.na';
const PURPOSE = 'accompagnement';

/**
 * Restriction of processing (GDPR Art. 18): the DPO withholds classes of a person from every
 * purpose; the counsellor who follows the person no longer reads, writes or lists them; the
 * person's own access is untouched; lifting gives everything back; each step is in the person's
 * chain, and bad input or the wrong role changes nothing.
 */
describe(`restriction of processing (GDPR Art. 18) (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const db = () => runtime.database.db;
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  let host = 30;
  let seeker = '';
  let personId = '';
  let counsellor = '';
  let franceTravailId = '';

  const call = (login: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    as(app, clients[login]!, sessions[login]!)(method, url, payload);
  const restrict = (login: string, body: object, id = personId) =>
    call(login, 'POST', `/api/security/persons/${id}/restrictions`, body);
  const lift = (classes: string[]) =>
    call(DPO, 'POST', `/api/security/persons/${personId}/restrictions/lift`, { classes });
  /** A request of the counsellor under their purpose and a case reference. */
  const asCounsellor = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    app.inject({
      method,
      url,
      remoteAddress: clients[counsellor]!.remoteAddress,
      headers: {
        ...clients[counsellor]!.headers,
        cookie: sessions[counsellor]!.cookie,
        'x-csrf-token': sessions[counsellor]!.csrf,
        'rempart-purpose': PURPOSE,
        'rempart-case-reference': 'DOSSIER-2026-0042',
      },
      ...(payload ? { payload } : {}),
    });
  const restrictions = async () =>
    (await db().selectFrom('person_restrictions').selectAll().where('person_id', '=', personId).execute()).map(
      (r) => r.class,
    );
  const chainEvents = async (kind: 'processing_restricted' | 'restriction_lifted') =>
    (
      await db()
        .selectFrom('ledger_events')
        .select(['person_id', 'body'])
        .where('kind', '=', kind)
        .where('person_id', '=', personId)
        .execute()
    ).map((e) => JSON.parse(e.body) as { classes?: string[]; actorId?: string });

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 40,
      seed: SEED,
      batchSize: 40,
      parallel: false,
    });
    const shown = new Set((await ensureDemoAccounts(runtime, SEED)).map((s) => s.login));
    const found = await followedDemoSeeker(runtime, SEED, shown);
    assert.ok(found, 'a demo job seeker followed by a demo counsellor');
    ({ seeker, personId, counsellor } = found);
    for (const login of [seeker, counsellor, DPO, RSSI]) {
      clients[login] = {
        remoteAddress: `10.60.70.${++host}`,
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      sessions[login] = await signIn(app, clients[login], login, DEMO_PASSWORD);
    }
    const file = await runtime.persons.read(personId, ['registration']);
    franceTravailId = file.fields.registration!.franceTravailId;
  });

  after(async () => {
    await server?.close();
  });

  it('refuses bad input and the wrong roles, naming the field, and writes nothing', async () => {
    const cases: Array<[object, string]> = [
      [{ classes: [], reason: 'La personne conteste l’exactitude de ses coordonnées.' }, 'body.classes'],
      [{ classes: ['adresse'], reason: 'La personne conteste l’exactitude de ses coordonnées.' }, 'body.classes'],
      [{ classes: ['contact'], reason: 'court' }, 'body.reason'],
      [{ classes: ['contact'] }, 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await restrict(DPO, body);
      assert.equal(res.statusCode, 400, res.body);
      assert.ok(
        (res.json().issues as Array<{ field: string }>).some((i) => i.field.startsWith(field)),
        `${JSON.stringify(body)} → ${res.body}`,
      );
    }
    const unknown = await restrict(
      DPO,
      { classes: ['contact'], reason: 'Demande de limitation reçue par courrier.' },
      randomUUID(),
    );
    assert.equal(unknown.statusCode, 404);
    for (const login of [RSSI, counsellor]) {
      const refused = await restrict(login, {
        classes: ['contact'],
        reason: 'Demande de limitation reçue par courrier.',
      });
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().error, 'not_dpo');
    }
    // A contained DPO (the guard suspended the actor) restricts nothing, whatever the role.
    await db().updateTable('actors').set({ status: 'suspended' }).where('login', '=', DPO).execute();
    try {
      const contained = await restrict(DPO, {
        classes: ['contact'],
        reason: 'Demande de limitation reçue par courrier.',
      });
      assert.equal(contained.statusCode, 403, contained.body);
      assert.equal(contained.json().error, 'actor_inactive');
    } finally {
      await db().updateTable('actors').set({ status: 'active' }).where('login', '=', DPO).execute();
    }
    assert.deepEqual(await restrictions(), []);
    assert.deepEqual(await chainEvents('processing_restricted'), [], 'nothing recorded');
  });

  it('withholds a restricted class from the counsellor who follows the person: left out of the file, refused by name, refused in writing', async () => {
    const whole = await asCounsellor('GET', `/api/staff/persons/${personId}`);
    assert.equal(whole.statusCode, 200, whole.body);
    const contact = whole.json().fields.contact;
    assert.ok(contact, 'the contact is read before the restriction');

    const set = await restrict(DPO, {
      classes: ['contact'],
      reason: 'La personne conteste l’exactitude de ses coordonnées (demande du 3 décembre).',
    });
    assert.equal(set.statusCode, 201, set.body);
    assert.deepEqual(set.json().added, ['contact']);
    const again = await restrict(DPO, { classes: ['contact'], reason: 'La même demande, reçue une seconde fois.' });
    assert.deepEqual(again.json().added, [], 'a class already restricted is not restricted twice');
    assert.deepEqual(await restrictions(), ['contact']);

    const restrictedFile = await asCounsellor('GET', `/api/staff/persons/${personId}`);
    assert.equal(restrictedFile.statusCode, 200, restrictedFile.body);
    assert.equal(restrictedFile.json().fields.contact, undefined, 'the restricted class does not leave');
    assert.ok(restrictedFile.json().fields.identity, 'the rest of the file does');
    assert.deepEqual(restrictedFile.json().decision.restricted, ['contact']);
    assert.ok(!restrictedFile.json().decision.classes.includes('contact'));

    const byName = await asCounsellor('GET', `/api/staff/persons/${personId}?classes=contact`);
    assert.equal(byName.statusCode, 403, byName.body);
    assert.equal(byName.json().error, 'processing_restricted');
    assert.match(byName.json().message, /art\. 18/);

    const write = await asCounsellor('PATCH', `/api/staff/persons/${personId}`, { contact });
    assert.equal(write.statusCode, 403, write.body);
    assert.equal(write.json().error, 'processing_restricted');

    // The person's own access (Art. 15) is not restricted.
    const own = await call(seeker, 'GET', '/api/me/file');
    assert.equal(own.statusCode, 200, own.body);
    assert.ok(own.json().fields.contact, 'the person still sees their own contact');

    const [event] = await chainEvents('processing_restricted');
    assert.deepEqual(event?.classes, ['contact']);
    assert.ok(!JSON.stringify(event).includes('conteste'), 'the DPO’s words stay out of the log');
    const listed = await call(DPO, 'GET', `/api/security/persons/${personId}/restrictions`);
    assert.equal(listed.statusCode, 200);
    assert.equal(listed.json().restrictions[0].class, 'contact');
  });

  it('takes a person whose identity is restricted out of the caseload list and the search, and gives everything back when lifted', async () => {
    const page = async () => {
      const res = await asCounsellor('GET', '/api/staff/caseload?pageSize=200');
      assert.equal(res.statusCode, 200, res.body);
      return (res.json().items as Array<{ id: string }>).map((i) => i.id);
    };
    const search = async () => {
      const res = await asCounsellor('POST', '/api/staff/persons/search', { franceTravailId });
      assert.equal(res.statusCode, 200, res.body);
      return (res.json().results as Array<{ id: string }>).map((r) => r.id);
    };
    assert.ok((await page()).includes(personId));
    assert.deepEqual(await search(), [personId]);

    const set = await restrict(DPO, {
      classes: ['identity'],
      reason: 'La personne s’oppose au traitement : examen en cours.',
    });
    assert.equal(set.statusCode, 201, set.body);
    assert.ok(!(await page()).includes(personId), 'not in the caseload list');
    assert.deepEqual(await search(), [], 'not found by a search');
    const whole = await asCounsellor('GET', `/api/staff/persons/${personId}`);
    assert.deepEqual(whole.json().decision.restricted?.sort(), ['contact', 'identity']);

    const lifted = await lift(['contact', 'identity', 'bank']);
    assert.equal(lifted.statusCode, 200, lifted.body);
    assert.deepEqual(lifted.json().lifted.sort(), ['contact', 'identity'], 'only what was restricted is lifted');
    assert.deepEqual(await restrictions(), []);
    assert.ok((await page()).includes(personId));
    const back = await asCounsellor('GET', `/api/staff/persons/${personId}`);
    assert.ok(back.json().fields.contact && back.json().fields.identity);
    assert.equal(back.json().decision.restricted, undefined);
    const [event] = await chainEvents('restriction_lifted');
    assert.deepEqual(event?.classes?.sort(), ['contact', 'identity']);
    // Art. 18.3: the person is told with the lift, on their espace account's channels.
    assert.ok(lifted.json().told > 0, 'the person is told');
    const account = await db()
      .selectFrom('accounts')
      .select('id')
      .where('login', '=', seeker)
      .executeTakeFirstOrThrow();
    const told = await db()
      .selectFrom('notifications')
      .select(['kind', 'subject'])
      .where('account_id', '=', account.id)
      .where('kind', '=', 'restriction_lifted')
      .execute();
    assert.equal(told.length, lifted.json().told);
    assert.equal(told[0]!.subject, 'La limitation du traitement de vos données est levée');
    const nothing = await lift(['contact']);
    assert.deepEqual(nothing.json(), { lifted: [], told: 0, letter: false }, 'nothing lifted, nobody told');
  });

  it('a restriction request granted sets the restriction by itself: the counsellor is withheld the classes, each step in the chain', async () => {
    const requests = (path: string, payload?: object, login = DPO) =>
      call(login, 'POST', `/api/security/rights-requests${path}`, payload);
    const filed = await requests('', {
      personId,
      kind: 'restriction',
      channel: 'letter',
      details: 'Je conteste mon adresse : ne l’utilisez plus le temps de la vérifier.',
      verification: { method: 'identity_document_copy' },
    });
    assert.equal(filed.statusCode, 201, filed.body);
    const id = filed.json().id as string;
    assert.equal((await requests(`/${id}/start`)).statusCode, 200);
    const before = (await chainEvents('processing_restricted')).length;

    // Only the DPO answers; without the classes, or with an unknown one, nothing is restricted.
    const officer = await requests(
      `/${id}/answer`,
      { outcome: 'granted', channel: 'espace', restrictedClasses: ['contact'] },
      RSSI,
    );
    assert.equal(officer.statusCode, 403, officer.body);
    const unnamed = await requests(`/${id}/answer`, { outcome: 'granted', channel: 'espace' });
    assert.equal(unnamed.statusCode, 400, unnamed.body);
    assert.equal(unnamed.json().issues[0].field, 'body.restrictedClasses');
    const unknown = await requests(`/${id}/answer`, {
      outcome: 'granted',
      channel: 'espace',
      restrictedClasses: ['adresse'],
    });
    assert.equal(unknown.statusCode, 400, unknown.body);
    assert.match(unknown.json().issues[0].field, /^body\.restrictedClasses/);
    assert.deepEqual(await restrictions(), []);
    assert.equal((await chainEvents('processing_restricted')).length, before);
    assert.equal((await asCounsellor('GET', `/api/staff/persons/${personId}?classes=contact`)).statusCode, 200);

    const granted = await requests(`/${id}/answer`, {
      outcome: 'granted',
      channel: 'espace',
      restrictedClasses: ['contact'],
    });
    assert.equal(granted.statusCode, 200, granted.body);
    assert.equal(granted.json().status, 'answered');
    const rows = await db().selectFrom('person_restrictions').selectAll().where('person_id', '=', personId).execute();
    assert.deepEqual(
      rows.map((r) => [r.class, r.rights_request_id]),
      [['contact', id]],
    );
    const dpoActor = (
      await db().selectFrom('accounts').select('actor_id').where('login', '=', DPO).executeTakeFirstOrThrow()
    ).actor_id;
    assert.equal(rows[0]!.set_by, dpoActor, 'set by the DPO who answered');
    const events = await chainEvents('processing_restricted');
    assert.equal(events.length, before + 1);
    assert.deepEqual(events.at(-1)!.classes, ['contact']);

    const byName = await asCounsellor('GET', `/api/staff/persons/${personId}?classes=contact`);
    assert.equal(byName.statusCode, 403, byName.body);
    assert.equal(byName.json().error, 'processing_restricted');
    const listed = await call(DPO, 'GET', `/api/security/persons/${personId}/restrictions`);
    assert.equal(listed.json().restrictions[0].rightsRequestId, id);
    // The person reads, in their answer, what is restricted.
    const mine = await call(seeker, 'GET', `/api/me/rights-requests/${id}`);
    assert.match(mine.json().answer.text, /Coordonnées/);
    assert.equal((await lift(['contact'])).statusCode, 200);
  });
});
