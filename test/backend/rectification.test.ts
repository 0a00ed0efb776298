import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { organisationsGivenClassSince } from '../../src/ledger/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { openField } from '../../src/crypto/index.ts';
import {
  countStaleDataKeys,
  inTransaction,
  recordKeyring,
  rewrapDataKeys,
  shredClasses,
} from '../../src/store/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { followedDemoSeeker } from '../helpers/followed-seeker.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 7;
const DPO = 'dpo.na';
const RSSI = 'rssi.na';
/** A mission locale's staff member: another organisation, which read nothing of the person. */
const PARTNER = 'ml.bordeaux.1';
const PURPOSE = 'accompagnement';
const RIGHT_EMAIL = 'adresse.juste@exemple.fr';

/**
 * Rectification (GDPR Art. 16) and its notices (Art. 19): the DPO writes the right value answering
 * a rectification request; the replaced value is kept sealed for the DPO (each reading in the
 * person's journal) until retention destroys the class; each organisation that read the class
 * since the replaced value was recorded — from the ledger, not from a list kept aside — is told,
 * and says when its copies are corrected. Bad input, the wrong role or the wrong request change nothing.
 */
describe(`rectification and its notices to recipients (GDPR Art. 16 and 19) (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const db = () => runtime.database.db;
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  let host = 40;
  let seeker = '';
  let personId = '';
  let counsellor = '';
  let agencyId = '';
  let requestId = '';
  let accessRequestId = '';
  let oldEmail = '';
  let rectificationId = '';

  const call = (login: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    as(app, clients[login]!, sessions[login]!)(method, url, payload);
  const rectify = (body: object, id = requestId, login = DPO) =>
    call(login, 'POST', `/api/security/rights-requests/${id}/rectifications`, body);
  /** The counsellor reads classes of the file under their purpose (a grant in the ledger). */
  const counsellorReads = async (classes: string) => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/staff/persons/${personId}?classes=${classes}`,
      remoteAddress: clients[counsellor]!.remoteAddress,
      headers: {
        ...clients[counsellor]!.headers,
        cookie: sessions[counsellor]!.cookie,
        'rempart-purpose': PURPOSE,
        'rempart-case-reference': 'DOSSIER-2026-0077',
      },
    });
    assert.equal(res.statusCode, 200, res.body);
  };
  const counts = async () =>
    Promise.all(
      (['rectifications', 'rectification_notices', 'field_versions', 'ledger_events'] as const).map(async (table) =>
        Number(
          (
            await db()
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<string | number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
      ),
    );
  const eventsOf = async (kind: string) =>
    (
      await db()
        .selectFrom('ledger_events')
        .select(['person_id', 'organisation_id', 'body'])
        .where('kind', '=', kind as never)
        .execute()
    ).map((e) => ({
      personId: e.person_id,
      organisationId: e.organisation_id,
      ...(JSON.parse(e.body) as { classes: string[]; details: Record<string, unknown> }),
    }));
  const contactNow = async () => (await runtime.persons.read(personId, ['contact'])).fields.contact!;

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
    ({ seeker, personId, counsellor, agencyId } = found);
    for (const login of [seeker, counsellor, DPO, RSSI, PARTNER]) {
      clients[login] = {
        remoteAddress: `10.61.71.${++host}`,
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      sessions[login] = await signIn(app, clients[login], login, DEMO_PASSWORD);
    }
    // The counsellor read the contact before the value now held was recorded: they hold a copy of
    // an older value, which this rectification does not concern.
    await counsellorReads('contact');
    const contact = await contactNow();
    oldEmail = 'ancienne.adresse@exemple.fr';
    await runtime.persons.update(personId, { contact: { ...contact, email: oldEmail } });
    // Since then, the counsellor read the identity only: not a recipient of a contact's rectification yet.
    await counsellorReads('identity');

    const filed = await call(seeker, 'POST', '/api/me/rights-requests', {
      kind: 'rectification',
      details: 'Mon adresse électronique est fausse.',
    });
    assert.equal(filed.statusCode, 201, filed.body);
    requestId = filed.json().id;
    const access = await call(seeker, 'POST', '/api/me/rights-requests', { kind: 'access' });
    assert.equal(access.statusCode, 201, access.body);
    accessRequestId = access.json().id;
  });

  after(async () => {
    await server?.close();
  });

  it('refuses a request not yet in progress, and one that is not a rectification (409), writing nothing', async () => {
    assert.equal((await call(DPO, 'POST', `/api/security/rights-requests/${accessRequestId}/start`)).statusCode, 200);
    const before = await counts();
    const early = await rectify({ changes: { contact: { email: RIGHT_EMAIL } }, suppliedBy: { kind: 'person' } });
    assert.equal(early.statusCode, 409, early.body);
    assert.equal(early.json().error, 'invalid_transition');
    const access = await rectify(
      { changes: { contact: { email: RIGHT_EMAIL } }, suppliedBy: { kind: 'person' } },
      accessRequestId,
    );
    assert.equal(access.statusCode, 409, access.body);
    assert.equal(access.json().error, 'not_a_rectification');
    assert.deepEqual(await counts(), before);
    assert.equal((await contactNow()).email, oldEmail);
  });

  it('refuses bad input with a 400 naming the field, and writes nothing', async () => {
    const started = await call(DPO, 'POST', `/api/security/rights-requests/${requestId}/start`);
    assert.equal(started.statusCode, 200, started.body);
    const before = await counts();
    const cases: Array<[object, string]> = [
      [{ changes: {}, suppliedBy: { kind: 'person' } }, 'body.changes'],
      [
        { changes: { bank: { iban: 'FR7630006000011234567890189' } }, suppliedBy: { kind: 'person' } },
        'body.changes.bank',
      ],
      [{ changes: { contact: null }, suppliedBy: { kind: 'person' } }, 'body.changes.contact'],
      [
        { changes: { contact: { email: 'pas une adresse' } }, suppliedBy: { kind: 'person' } },
        'body.changes.contact.email',
      ],
      [{ changes: { adresse: { rue: 'x' } }, suppliedBy: { kind: 'person' } }, 'body.changes.adresse'],
      [{ changes: { contact: 'adresse.juste@exemple.fr' }, suppliedBy: { kind: 'person' } }, 'body.changes.contact'],
      [{ changes: { contact: { emial: RIGHT_EMAIL } }, suppliedBy: { kind: 'person' } }, 'body.changes.contact.emial'],
      [
        { changes: { identity: { firstNames: [] } }, suppliedBy: { kind: 'person' } },
        'body.changes.identity.firstNames',
      ],
      [
        {
          changes: { contact: { email: RIGHT_EMAIL } },
          suppliedBy: { kind: 'organisation', organisationId: '00000000-0000-4000-8000-000000000000' },
        },
        'body.suppliedBy.organisationId',
      ],
      [{ changes: { contact: { email: RIGHT_EMAIL } } }, 'body.suppliedBy'],
    ];
    for (const [body, field] of cases) {
      const res = await rectify(body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
      const fields = (res.json().issues as Array<{ field: string }>).map((i) => i.field);
      assert.ok(fields.includes(field), `${field} named in ${JSON.stringify(fields)}`);
    }
    assert.deepEqual(await counts(), before);
    assert.equal((await contactNow()).email, oldEmail);
  });

  it('is the DPO’s alone: the counsellor, the security officer and a partner are refused (403)', async () => {
    const before = await counts();
    for (const login of [counsellor, RSSI, PARTNER, seeker]) {
      const res = await rectify(
        { changes: { contact: { email: RIGHT_EMAIL } }, suppliedBy: { kind: 'person' } },
        requestId,
        login,
      );
      assert.equal(res.statusCode, 403, `${login}: ${res.body}`);
    }
    assert.deepEqual(await counts(), before);
  });

  it('rectifies, keeps the replaced value, and tells exactly the organisations that read the class since', async () => {
    // The ledger's answer before the agency read the value now held: its older read of the contact
    // came before the value was recorded, its later one was of the identity — nobody to tell yet.
    const recordedAt = (
      await db()
        .selectFrom('person_fields')
        .select('updated_at')
        .where('person_id', '=', personId)
        .where('field_class', '=', 'contact')
        .executeTakeFirstOrThrow()
    ).updated_at;
    assert.deepEqual(await organisationsGivenClassSince(db(), personId, 'contact', recordedAt), []);
    assert.deepEqual(
      (await organisationsGivenClassSince(db(), personId, 'contact', '2000-01-01T00:00:00.000Z')).map(
        (r) => r.organisationId,
      ),
      [agencyId],
    );
    assert.deepEqual(await organisationsGivenClassSince(db(), personId, 'judicial', recordedAt), []);
    // Now the counsellor reads the contact as it stands: their agency holds the wrong value.
    await counsellorReads('contact');
    const contact = await contactNow();
    assert.ok(contact.address, 'the demo file has a postal address');
    // Only the part to correct is sent: the rest of the class stays as it is.
    const res = await rectify({ changes: { contact: { email: RIGHT_EMAIL } }, suppliedBy: { kind: 'person' } });
    assert.equal(res.statusCode, 201, res.body);
    const [done] = res.json().rectifications as Array<{
      id: string;
      class: string;
      previousKept: boolean;
      suppliedBy: { kind: string; label: string };
      recipients: Array<{ organisationId: string; acknowledgedAt: string | null }>;
    }>;
    rectificationId = done!.id;
    assert.equal(done!.class, 'contact');
    assert.equal(done!.previousKept, true);
    assert.equal(done!.suppliedBy.kind, 'person');
    assert.deepEqual(
      done!.recipients.map((r) => r.organisationId),
      [agencyId],
      'the agency that read the contact since, and no one else',
    );
    assert.deepEqual(await contactNow(), { ...contact, email: RIGHT_EMAIL });

    const version = await db().selectFrom('field_versions').selectAll().where('person_id', '=', personId).execute();
    assert.equal(version.length, 1);
    assert.equal(version[0]!.field_class, 'contact');
    assert.ok(!version[0]!.ciphertext.toString('utf8').includes(oldEmail), 'the kept value is sealed');

    const rectified = await eventsOf('data_rectified');
    assert.equal(rectified.length, 1);
    assert.equal(rectified[0]!.personId, personId);
    assert.deepEqual(rectified[0]!.classes, ['contact']);
    assert.equal(rectified[0]!.details.recipients, 1);
    assert.ok(!JSON.stringify(rectified).includes(RIGHT_EMAIL) && !JSON.stringify(rectified).includes(oldEmail));
    const notified = await eventsOf('rectification_notified');
    assert.deepEqual(
      notified.map((e) => e.organisationId),
      [agencyId],
    );
    const mails = await db()
      .selectFrom('notifications')
      .selectAll()
      .where('kind', '=', 'rectification_notice')
      .execute();
    assert.deepEqual(
      mails.map((m) => m.organisation_id),
      [agencyId],
      'the agency’s DPO is mailed',
    );

    const listed = await call(DPO, 'GET', `/api/security/rights-requests/${requestId}/rectifications`);
    assert.equal(listed.statusCode, 200, listed.body);
    assert.equal(listed.json().rectifications[0].id, rectificationId);
  });

  it('lets the DPO read the replaced value, recorded in the person’s journal; nobody else', async () => {
    for (const login of [counsellor, RSSI]) {
      const res = await call(login, 'GET', `/api/security/rectifications/${rectificationId}/previous`);
      assert.equal(res.statusCode, 403, `${login}: ${res.body}`);
    }
    assert.equal((await eventsOf('previous_value_read')).length, 0);
    const res = await call(DPO, 'GET', `/api/security/rectifications/${rectificationId}/previous`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().class, 'contact');
    assert.equal(res.json().fields.contact.email, oldEmail);
    assert.equal(res.json().id, personId);
    const read = await eventsOf('previous_value_read');
    assert.equal(read.length, 1);
    assert.equal(read[0]!.personId, personId);
    const journal = await call(seeker, 'GET', '/api/me/journal?pageSize=100');
    assert.equal(journal.statusCode, 200, journal.body);
    const kinds = (journal.json().entries as Array<{ event: { kind: string } }>).map((e) => e.event.kind);
    assert.ok(kinds.includes('data_rectified'), `the rectification in the journal: ${kinds.join(',')}`);
    assert.ok(kinds.includes('previous_value_read'), 'the DPO’s reading in the journal');
    const unknown = await call(
      DPO,
      'GET',
      '/api/security/rectifications/00000000-0000-4000-8000-000000000000/previous',
    );
    assert.equal(unknown.statusCode, 404);
  });

  it('shows the notice to the agency, which acknowledges it once; another organisation neither sees nor acknowledges it', async () => {
    const partnerList = await call(PARTNER, 'GET', '/api/staff/rectification-notices');
    assert.equal(partnerList.statusCode, 200, partnerList.body);
    assert.deepEqual(partnerList.json().notices, []);
    const list = await call(counsellor, 'GET', '/api/staff/rectification-notices?pending=true');
    assert.equal(list.statusCode, 200, list.body);
    const notices = list.json().notices as Array<{ id: string; personId: string; class: string; acknowledgedAt: null }>;
    assert.equal(notices.length, 1);
    assert.equal(notices[0]!.personId, personId);
    assert.equal(notices[0]!.class, 'contact');
    const noticeId = notices[0]!.id;
    const stranger = await call(PARTNER, 'POST', `/api/staff/rectification-notices/${noticeId}/acknowledge`);
    assert.equal(stranger.statusCode, 404, stranger.body);
    const dpo = await call(DPO, 'GET', '/api/staff/rectification-notices');
    assert.equal(dpo.statusCode, 403, 'the DPO has no copies to correct');
    const ack = await call(counsellor, 'POST', `/api/staff/rectification-notices/${noticeId}/acknowledge`);
    assert.equal(ack.statusCode, 200, ack.body);
    assert.ok(ack.json().notice.acknowledgedAt);
    const again = await call(counsellor, 'POST', `/api/staff/rectification-notices/${noticeId}/acknowledge`);
    assert.equal(again.statusCode, 409);
    assert.equal((await eventsOf('rectification_acknowledged')).length, 1);
    const pending = await call(counsellor, 'GET', '/api/staff/rectification-notices?pending=true');
    assert.deepEqual(pending.json().notices, []);
    const listed = await call(DPO, 'GET', `/api/security/rights-requests/${requestId}/rectifications`);
    assert.ok(listed.json().rectifications[0].recipients[0].acknowledgedAt, 'the DPO sees it acknowledged');
  });

  it('tells the person what was rectified and to whom it was told, never a value', async () => {
    const own = await call(seeker, 'GET', `/api/me/rights-requests/${requestId}`);
    assert.equal(own.statusCode, 200, own.body);
    const [rectified] = own.json().rectifications as Array<{
      class: string;
      suppliedBy: string;
      recipients: Array<{ organisation: string; acknowledgedAt: string | null }>;
    }>;
    assert.equal(rectified!.class, 'contact');
    assert.equal(rectified!.suppliedBy, 'la personne concernée');
    const agency = await db()
      .selectFrom('organisations')
      .select('name')
      .where('id', '=', agencyId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      rectified!.recipients.map((r) => r.organisation),
      [agency.name],
    );
    assert.ok(rectified!.recipients[0]!.acknowledgedAt);
    assert.ok(!own.body.includes(oldEmail) && !own.body.includes(RIGHT_EMAIL), 'no value in the answer');
    const access = await call(seeker, 'GET', `/api/me/rights-requests/${accessRequestId}`);
    assert.deepEqual(access.json().rectifications, []);
  });

  it('has a key rotation rewrap the kept values of their own class only, so that retiring an old version loses none', async () => {
    const rotated = runtime.keyring.withNewVersion('contact').withNewVersion('health');
    await recordKeyring(db(), rotated);
    const kept = await db().selectFrom('field_versions').selectAll().where('field_class', '=', 'contact').execute();
    assert.equal(kept.length, 1);
    const stale = async (fieldClass: 'contact' | 'health') => countStaleDataKeys(db(), rotated, fieldClass);
    const contactRows = await db()
      .selectFrom('person_fields')
      .select('person_id')
      .where('field_class', '=', 'contact')
      .execute();
    const history = await db().selectFrom('contact_history').select('id').execute();
    assert.equal(
      await stale('contact'),
      contactRows.length + history.length + 1,
      'the kept value counts as a stale key',
    );
    await rewrapDataKeys(db(), rotated, 'health', { batchSize: 5 });
    const untouched = await db()
      .selectFrom('field_versions')
      .selectAll()
      .where('id', '=', kept[0]!.id)
      .executeTakeFirstOrThrow();
    assert.equal(untouched.kek_version, kept[0]!.kek_version, 'a health rotation leaves a contact version alone');
    await rewrapDataKeys(db(), rotated, 'contact', { batchSize: 5 });
    assert.equal(await stale('contact'), 0);
    const row = await db()
      .selectFrom('field_versions')
      .selectAll()
      .where('id', '=', kept[0]!.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.kek_version, rotated.activeVersion('contact'));
    assert.deepEqual(row.ciphertext, kept[0]!.ciphertext, 'the value is not re-encrypted');
    const opened = JSON.parse(
      openField(rotated, row.person_id, 'contact', {
        kekVersion: row.kek_version,
        wrappedKey: row.wrapped_key,
        ciphertext: row.ciphertext,
      }).toString('utf8'),
    ) as { email: string };
    assert.equal(opened.email, oldEmail);
  });

  it('tells nobody when the class was empty, and loses the replaced value with its class at the end of its retention', async () => {
    // A class the file did not hold: written, nothing replaced, nobody to tell.
    await runtime.persons.update(personId, { health: null });
    await counsellorReads('identity');
    const res = await rectify({
      changes: { health: { rqth: false, restrictions: [] } },
      suppliedBy: { kind: 'organisation', organisationId: agencyId },
    });
    assert.equal(res.statusCode, 201, res.body);
    const [done] = res.json().rectifications as Array<{
      previousKept: boolean;
      recipients: unknown[];
      suppliedBy: { kind: string; organisationId: string };
    }>;
    assert.equal(done!.previousKept, false);
    assert.deepEqual(done!.recipients, []);
    assert.deepEqual(done!.suppliedBy.kind, 'organisation');
    assert.equal(done!.suppliedBy.organisationId, agencyId, 'attributed to the body that supplied the value');
    // Retention destroys the contact class: the replaced value goes with it.
    await inTransaction(db(), (trx) => shredClasses(trx, ['contact'], [personId]));
    assert.equal(
      (await db().selectFrom('field_versions').select('id').where('field_class', '=', 'contact').execute()).length,
      0,
    );
    const gone = await call(DPO, 'GET', `/api/security/rectifications/${rectificationId}/previous`);
    assert.equal(gone.statusCode, 409, gone.body);
    assert.equal(gone.json().error, 'previous_value_gone');
    const listed = await call(DPO, 'GET', `/api/security/rights-requests/${requestId}/rectifications`);
    const contact = (listed.json().rectifications as Array<{ class: string; previousKept: boolean }>).find(
      (r) => r.class === 'contact',
    );
    assert.equal(contact!.previousKept, false);
  });
});
