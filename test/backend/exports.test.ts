import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import { liftRestriction, restrictProcessing } from '../../src/policy/index.ts';
import { openExportFile } from '../../src/guard/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { plantDecoys, seedDatabase } from '../../src/seed/index.ts';
import { lookupDigest } from '../../src/store/person-rows.ts';
import { BACKEND, childEnv, countRows } from '../helpers/backend.ts';
import { runCli } from '../helpers/cli.ts';
import { ledgerEvents, ledgerText } from '../helpers/ledger.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const SEED = 11;
const POPULATION = 150;

const RSSI = 'rssi.na';
const DPO = 'dpo.na';
const CAF = 'caf33.agent.1';
const CAP = 'capemploi.gironde.1';
const CD33 = 'cd33.insertion.1';
const IAFP = 'iafp.formateur.1';
const IDENTIFIER_COLUMNS = ['id', 'nir.nir', 'contact.email', 'registration.franceTravailId'];

interface Opened {
  id: string;
  passphrase: string;
  csv: string;
  header: string[];
  rows: Array<Record<string, string>>;
}

describe(`bulk exports: four eyes, the agreement's classes, capped, canaries, sealed and expiring (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const orgs: Record<string, string> = {};
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  let host = 0;
  let decoys: string[] = [];
  /** Values read from decrypted files: none may appear in an event or a log line. */
  const values = new Set<string>();

  const db = () => runtime.database.db;

  async function staffAccount(login: string): Promise<void> {
    const actor = await db().selectFrom('actors').select(['id']).where('login', '=', login).executeTakeFirstOrThrow();
    const accountId = await createAccount(db(), { kind: 'staff', login, password: PASSWORD, actorId: actor.id });
    await addChannel(db(), runtime.keyring, accountId, 'email', `${login}@agents.test.example`, { verified: true });
    clients[login] = {
      remoteAddress: `10.0.1.${++host}`,
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    sessions[login] = await signIn(app, clients[login], login, PASSWORD);
  }

  function call(login: string, method: 'GET' | 'POST', url: string, payload?: object) {
    return app.inject({
      method,
      url,
      remoteAddress: clients[login]!.remoteAddress,
      headers: { ...clients[login]!.headers, cookie: sessions[login]!.cookie, 'x-csrf-token': sessions[login]!.csrf },
      ...(payload ? { payload } : {}),
    });
  }

  async function request(login: string, organisation: string, purpose: string, extra: object = {}) {
    const res = await call(login, 'POST', '/api/security/exports', {
      recipientOrganisationId: orgs[organisation],
      purpose,
      reason: 'Campagne de rappel des personnes orientées (test)',
      ...extra,
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  }

  async function approve(id: string, login = DPO) {
    const res = await call(login, 'POST', `/api/security/exports/${id}/approve`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as {
      export: {
        rowCount: number;
        scopeCount: number;
        capped: boolean;
        classes: string[];
        canaryRows: number;
        fileSha256: string;
      };
      passphrase: string;
    };
  }

  async function download(login: string, id: string) {
    return call(login, 'GET', `/api/staff/exports/${id}/file`);
  }

  async function exportFor(organisation: string, purpose: string, staff: string): Promise<Opened> {
    const id = await request(RSSI, organisation, purpose);
    const { passphrase } = await approve(id);
    const res = await download(staff, id);
    assert.equal(res.statusCode, 200, res.body);
    const csv = await openExportFile(res.body, passphrase);
    const records = parse(csv, { columns: true }) as Array<Record<string, string>>;
    const header = (parse(csv, { to_line: 1 }) as string[][])[0]!;
    for (const row of records)
      for (const column of [
        'nir.nir',
        'contact.email',
        'registration.franceTravailId',
        'identity.lastName',
        'contact.phone',
      ])
        if (row[column]) values.add(row[column]);
    return { id, passphrase, csv, header, rows: records };
  }

  async function personIds(): Promise<Set<string>> {
    return new Set((await db().selectFrom('persons').select('id').execute()).map((r) => r.id));
  }

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: POPULATION,
      seed: SEED,
      batchSize: POPULATION,
      parallel: false,
    });
    await plantDecoys(db(), runtime.persons, { seed: SEED, population: POPULATION });
    decoys = (await db().selectFrom('guard_decoys').select('person_id').execute()).map((r) => r.person_id);
    for (const o of await db().selectFrom('organisations').select(['id', 'kind']).execute()) orgs[o.kind] = o.id;
    for (const login of [RSSI, DPO, CAF, CAP, CD33, IAFP]) await staffAccount(login);
  });
  after(() => server.close());

  it('refuses bad input with 400 naming the field, and writes nothing', async () => {
    const eventsBefore = await countRows(runtime, 'ledger_events');
    const cases: Array<[object, string]> = [
      [{ recipientOrganisationId: orgs.caf, purpose: 'verification_droits', reason: 'court' }, 'body.reason'],
      [
        {
          recipientOrganisationId: orgs.caf,
          purpose: 'verification_droits',
          reason: 'Une raison suffisante',
          days: 31,
        },
        'body.days',
      ],
      [
        { recipientOrganisationId: 'pas-un-uuid', purpose: 'verification_droits', reason: 'Une raison suffisante' },
        'body.recipientOrganisationId',
      ],
      [
        {
          recipientOrganisationId: '00000000-0000-4000-8000-000000000000',
          purpose: 'verification_droits',
          reason: 'Une raison suffisante',
        },
        'body.recipientOrganisationId',
      ],
      [
        { recipientOrganisationId: orgs.caf, purpose: 'insertion_rsa', reason: 'Une raison suffisante' },
        'body.purpose',
      ],
      // The call centre's purpose rests on a verified caller, not on a list: no export.
      [
        { recipientOrganisationId: orgs.subcontractor, purpose: 'relation_usager', reason: 'Une raison suffisante' },
        'body.purpose',
      ],
      [
        {
          recipientOrganisationId: orgs.caf,
          purpose: 'verification_droits',
          reason: 'Une raison suffisante',
          classes: ['bank'],
        },
        'body',
      ],
    ];
    for (const [payload, field] of cases) {
      const res = await call(RSSI, 'POST', '/api/security/exports', payload);
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)} → ${res.body}`);
      const issues = res.json().issues as Array<{ field: string; rule: string }>;
      assert.ok(
        issues.some((i) => i.field.startsWith(field)),
        `${field} named in ${res.body}`,
      );
    }
    const relationship = await call(RSSI, 'POST', '/api/security/exports', {
      recipientOrganisationId: orgs.subcontractor,
      purpose: 'relation_usager',
      reason: 'Une raison suffisante',
    });
    assert.equal(relationship.json().issues[0].rule, 'relationship');
    assert.equal(await countRows(runtime, 'exports'), 0);
    assert.equal(await countRows(runtime, 'ledger_events'), eventsBefore);
  });

  it('is decided as a read is: a recipient whose security posture fails its gate gets no export, asked or approved, and nothing is written', async () => {
    const posture = (
      await db()
        .selectFrom('organisations')
        .select('security_posture')
        .where('id', '=', orgs.caf!)
        .executeTakeFirstOrThrow()
    ).security_posture;
    const pending = await request(RSSI, 'caf', 'verification_droits');
    const eventsBefore = await countRows(runtime, 'ledger_events');
    const exportsBefore = await countRows(runtime, 'exports');
    // The posture falls out of compliance (multi-factor authentication no longer enforced).
    await db()
      .updateTable('organisations')
      .set({ security_posture: JSON.stringify({ ...JSON.parse(posture), mfa: 'optional' }) })
      .where('id', '=', orgs.caf!)
      .execute();
    try {
      const asked = await call(RSSI, 'POST', '/api/security/exports', {
        recipientOrganisationId: orgs.caf,
        purpose: 'verification_droits',
        reason: 'Campagne de rappel des personnes orientées (test)',
      });
      assert.equal(asked.statusCode, 403, asked.body);
      assert.equal(asked.json().error, 'posture_non_compliant');
      assert.match(asked.json().message, /mfa_enforced/);
      const approved = await call(DPO, 'POST', `/api/security/exports/${pending}/approve`);
      assert.equal(approved.statusCode, 403, approved.body);
      assert.equal(approved.json().error, 'posture_non_compliant');
      assert.equal(approved.json().passphrase, undefined);
      assert.equal(await countRows(runtime, 'exports'), exportsBefore, 'no export asked');
      assert.equal(await countRows(runtime, 'ledger_events'), eventsBefore, 'no event: nothing was read for anyone');
      const row = await db()
        .selectFrom('exports')
        .select(['status', 'file'])
        .where('id', '=', pending)
        .executeTakeFirstOrThrow();
      assert.equal(row.status, 'requested');
      assert.equal(row.file, null);
    } finally {
      await db().updateTable('organisations').set({ security_posture: posture }).where('id', '=', orgs.caf!).execute();
    }
    assert.equal(
      (await call(DPO, 'POST', `/api/security/exports/${pending}/refuse`, { note: 'Essai de conformité terminé' }))
        .statusCode,
      200,
    );
  });

  it('is not for staff of a partner, nor for the requester to approve', async () => {
    const partner = await call(CAF, 'POST', '/api/security/exports', {
      recipientOrganisationId: orgs.caf,
      purpose: 'verification_droits',
      reason: 'Je voudrais tout le fichier',
    });
    assert.equal(partner.statusCode, 403);
    const id = await request(RSSI, 'caf', 'verification_droits');
    const self = await call(RSSI, 'POST', `/api/security/exports/${id}/approve`);
    assert.equal(self.statusCode, 403, self.body);
    assert.equal(self.json().error, 'four_eyes');
    const row = await db().selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'requested');
    assert.equal(row.file, null);
    assert.equal((await ledgerEvents(db(), 'access_granted')).filter((e) => e.details.export === id).length, 0);
    // The recipient cannot take what is not approved.
    assert.equal((await download(CAF, id)).statusCode, 409);
    const refused = await call(DPO, 'POST', `/api/security/exports/${id}/refuse`, {
      note: 'Pas de besoin établi pour un fichier complet',
    });
    assert.equal(refused.statusCode, 200, refused.body);
    assert.equal(refused.json().status, 'refused');
    assert.equal((await call(DPO, 'POST', `/api/security/exports/${id}/approve`)).statusCode, 409);
  });

  it('exports exactly the purpose’s classes, the decoys in scope and three canary rows, sealed under a passphrase given once', async () => {
    const cap = await exportFor('cap_emploi', 'accompagnement_handicap', CAP);
    // Cap emploi's purpose reads identity, contact, registration, career, follow-up and health: no NIR, no bank, no benefits.
    assert.equal(cap.header[0], 'id');
    for (const column of cap.header.slice(1))
      assert.match(column, /^(identity|contact|registration|career|follow_up|health)\./, column);
    assert.ok(!cap.header.some((c) => /^(nir|bank|benefits|judicial|id_document)\./.test(c)));
    assert.ok(cap.header.includes('health.rqth') && cap.header.includes('contact.address.postalCode'));

    const caf = await exportFor('caf', 'verification_droits', CAF);
    assert.ok(caf.header.includes('nir.nir') && caf.header.includes('benefits.allowance'));
    assert.ok(!caf.header.some((c) => /^(bank|contact|health|career)\./.test(c)), caf.header.join(','));

    const known = await personIds();
    for (const opened of [cap, caf]) {
      const view = (await call(RSSI, 'GET', '/api/security/exports'))
        .json()
        .exports.find((e: { id: string }) => e.id === opened.id);
      const real = opened.rows.filter((r) => known.has(r.id!));
      const canaries = opened.rows.filter((r) => !known.has(r.id!));
      assert.equal(canaries.length, 3, 'three canary rows');
      assert.equal(real.length, view.rowCount);
      assert.equal(view.canaryRows, 3);
      // The persons are those referred to the recipient, and no one else.
      const referred = new Set(
        (
          await db()
            .selectFrom('referrals')
            .select('person_id')
            .where('organisation_id', '=', view.recipientOrganisationId)
            .where('status', '=', 'active')
            .execute()
        ).map((r) => r.person_id),
      );
      // Every partner holds decoys in its scope (each decoy is referred to two partners): all of them are in its export.
      const inScope = decoys.filter((d) => referred.has(d));
      assert.ok(inScope.length >= 1, 'decoys in the recipient’s scope');
      for (const decoy of inScope)
        assert.ok(
          real.some((r) => r.id === decoy),
          'decoy included',
        );
      for (const r of real) assert.ok(referred.has(r.id!), 'referred');
      assert.equal(real.length, referred.size);
      // Canary rows look like persons and are none: not in the persons table, their identifiers nobody's.
      for (const c of canaries) {
        assert.match(c['identity.lastName']!, /\S/);
        if (c['nir.nir']) {
          assert.match(c['nir.nir'], /^[12]\d{4}[0-9AB]{2}\d{8}$/);
          const key = 97n - (BigInt(c['nir.nir'].slice(0, 13).replace('2A', '19').replace('2B', '18')) % 97n);
          assert.equal(Number(c['nir.nir'].slice(13)), Number(key));
          assert.equal(
            await db()
              .selectFrom('person_lookups')
              .select('person_id')
              .where('kind', '=', 'nir')
              .where('digest', '=', lookupDigest(runtime.keyring, 'nir', c['nir.nir']))
              .executeTakeFirst(),
            undefined,
          );
        }
        if (c['contact.email']) assert.match(c['contact.email'], /@demo\.rempart\.example$/);
        assert.match(c['registration.franceTravailId'] ?? '1234567A', /^\d{7}[A-Z]$/);
      }
    }
    // The passphrase is the only way in; it is nowhere in the store, the ledger or the logs.
    const envelope = (await download(CAF, caf.id)).body;
    await assert.rejects(
      openExportFile(envelope, caf.passphrase.slice(0, -1) + (caf.passphrase.endsWith('A') ? 'B' : 'A')),
      /passphrase/,
    );
    await assert.rejects(openExportFile(envelope, cap.passphrase), /passphrase/);
    const tampered = JSON.parse(envelope) as { export: string };
    tampered.export = cap.id;
    await assert.rejects(openExportFile(JSON.stringify(tampered), caf.passphrase), /passphrase/);
    const stored = JSON.stringify(await db().selectFrom('exports').selectAll().execute(), (_k, v: unknown) =>
      v && typeof v === 'object' && 'type' in v && (v as { type: string }).type === 'Buffer'
        ? Buffer.from((v as unknown as { data: number[] }).data).toString('utf8')
        : v,
    );
    assert.ok(!stored.includes(caf.passphrase) && !stored.includes(cap.passphrase));
    const ledger = await ledgerText(db());
    assert.ok(!ledger.includes(caf.passphrase) && !server.logLines.join('\n').includes(caf.passphrase));
    // Another organisation's staff does not see the file.
    assert.equal((await download(CAP, caf.id)).statusCode, 404);
    const listed = await call(CAF, 'GET', '/api/staff/exports');
    assert.deepEqual(
      listed.json().exports.map((e: { id: string }) => e.id),
      [caf.id],
    );
  });

  it('writes one access_granted event per exported person before reading their file for it, and no value in any event', async () => {
    const readWithoutEvent: string[] = [];
    const readForFile: string[] = [];
    const original = runtime.persons.read.bind(runtime.persons);
    runtime.persons.read = async (id, classes, executor) => {
      if (executor && classes.length > 1) {
        readForFile.push(id);
        const events = await executor
          .selectFrom('ledger_events')
          .select('body')
          .where('kind', '=', 'access_granted')
          .where('person_id', '=', id)
          .execute();
        if (!events.some((e) => e.body.includes('"operation":"export"'))) readWithoutEvent.push(id);
      }
      return original(id, classes, executor);
    };
    const known = await personIds();
    let opened: Opened;
    try {
      opened = await exportFor('departement', 'insertion_rsa', CD33);
    } finally {
      runtime.persons.read = original;
    }
    assert.deepEqual(readWithoutEvent, []);
    assert.deepEqual(
      [...readForFile].sort(),
      opened.rows
        .filter((r) => known.has(r.id!))
        .map((r) => r.id!)
        .sort(),
    );
    const granted = (await ledgerEvents(db(), 'access_granted')).filter((e) => e.details.export === opened.id);
    const exported = opened.rows.filter((r) => known.has(r.id!)).map((r) => r.id!);
    assert.deepEqual(granted.map((e) => e.details.personId).sort(), [...exported].sort());
    for (const e of granted) {
      assert.equal(e.details.operation, 'export');
      assert.equal(e.details.organisationId, orgs.departement);
      assert.equal(e.details.purpose, 'insertion_rsa');
      assert.equal(e.details.classes, 'identity,contact,registration,follow_up');
    }
    const approved = (await ledgerEvents(db(), 'export_approved')).find((e) => e.details.export === opened.id)!;
    assert.ok(granted.every((e) => e.at <= approved.at));
    const downloaded = (await ledgerEvents(db(), 'export_downloaded')).filter((e) => e.details.export === opened.id);
    assert.equal(downloaded.length, 1);

    const ledger = await ledgerText(db());
    assert.ok(values.size > 20);
    for (const value of values) assert.ok(!ledger.includes(value), 'no value read in the ledger');
    const logs = server.logLines.join('\n');
    for (const value of values) assert.ok(!logs.includes(value), 'no value read in the logs');
  });

  it('leaves out a person with an exported class under a restriction of processing (Art. 18), as a read does', async () => {
    const before = await approve(await request(RSSI, 'departement', 'insertion_rsa'));
    const referred = (
      await db()
        .selectFrom('referrals')
        .select('person_id')
        .where('organisation_id', '=', orgs.departement!)
        .where('status', '=', 'active')
        .execute()
    ).map((r) => r.person_id);
    const dpoActor = (await db().selectFrom('actors').select('id').where('login', '=', DPO).executeTakeFirstOrThrow())
      .id;
    const restricted = referred[0]!;
    await restrictProcessing(db(), {
      personId: restricted,
      classes: ['contact'],
      reason: 'La personne conteste ses coordonnées (test).',
      actorId: dpoActor,
    });
    try {
      const id = await request(RSSI, 'departement', 'insertion_rsa');
      const { export: view } = await approve(id);
      assert.equal(view.scopeCount, before.export.scopeCount - 1, 'one person fewer in scope');
      const granted = (await ledgerEvents(db(), 'access_granted')).filter((e) => e.details.export === id);
      assert.ok(granted.length > 0);
      assert.ok(!granted.some((e) => e.details.personId === restricted), 'no event, no row for the restricted person');
    } finally {
      await liftRestriction(db(), { personId: restricted, classes: ['contact'], actorId: dpoActor });
    }
  });

  it('caps the rows at the purpose’s daily ceiling, keeping the decoys', async () => {
    const agreement = await db()
      .selectFrom('agreements')
      .select(['id', 'purposes'])
      .where('organisation_id', '=', orgs.region!)
      .executeTakeFirstOrThrow();
    const purposes = JSON.parse(agreement.purposes) as Array<{ dailyCeiling: number }>;
    await db()
      .updateTable('agreements')
      .set({ purposes: JSON.stringify(purposes.map((p) => ({ ...p, dailyCeiling: 5 }))) })
      .where('id', '=', agreement.id)
      .execute();
    try {
      const id = await request(RSSI, 'region', 'formation');
      const { export: view, passphrase } = await approve(id);
      assert.ok(view.scopeCount > 5, `scope ${view.scopeCount}`);
      assert.equal(view.rowCount, 5);
      assert.equal(view.capped, true);
      assert.deepEqual(view.classes, ['identity', 'registration', 'career']);
      // Opened with the passphrase through the command line, as the recipient would.
      const env = { ...process.env, LOG_LEVEL: 'silent' };
      const row = await db().selectFrom('exports').select('file').where('id', '=', id).executeTakeFirstOrThrow();
      const file = join(server.env.dir, 'export.json');
      writeFileSync(file, row.file!);
      const opened = await runCli(['exports', 'open', '--file', file, '--passphrase', passphrase], env);
      assert.equal(opened.code, 0, opened.stderr);
      const rows = parse(opened.stdout, { columns: true }) as Array<Record<string, string>>;
      assert.equal(rows.length, 5 + 3);
      const regionDecoys = (
        await db()
          .selectFrom('referrals')
          .select('person_id')
          .where('organisation_id', '=', orgs.region!)
          .where('person_id', 'in', decoys)
          .execute()
      ).map((r) => r.person_id);
      assert.ok(regionDecoys.length >= 1 && regionDecoys.length < 5);
      for (const decoy of regionDecoys)
        assert.ok(
          rows.some((r) => r.id === decoy),
          'decoys kept under the cap',
        );
      const wrong = await runCli(['exports', 'open', '--file', file, '--passphrase', 'pas-la-bonne-phrase'], env);
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /--passphrase/);
    } finally {
      await db()
        .updateTable('agreements')
        .set({ purposes: agreement.purposes })
        .where('id', '=', agreement.id)
        .execute();
    }
  });

  it('traces a leaked file to its export, from the whole file or from a single canary row', async () => {
    const opened = await exportFor('training_body', 'entree_formation', IAFP);
    const known = await personIds();
    const trace = async (text: string) => {
      const res = await call(DPO, 'POST', '/api/security/exports/trace', { text });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().exports as Array<{
        exportId: string;
        recipientName: string;
        purpose: string;
        requestedBy: string;
        approvedBy: string;
        canaryRows: number;
      }>;
    };
    const whole = await trace(opened.csv);
    assert.equal(whole.length, 1);
    assert.equal(whole[0]!.exportId, opened.id);
    assert.equal(whole[0]!.purpose, 'entree_formation');
    assert.equal(whole[0]!.requestedBy, RSSI);
    assert.equal(whole[0]!.approvedBy, DPO);
    assert.equal(whole[0]!.canaryRows, 3);

    // Someone kept one row of it, reordered the columns and pasted it with semicolons.
    const canary = opened.rows.find((r) => !known.has(r.id!))!;
    const columns = Object.keys(canary).reverse();
    const one = `${columns.join(';')}\n${columns.map((c) => canary[c]).join(';')}\n`;
    const single = await trace(one);
    assert.deepEqual(
      single.map((t) => [t.exportId, t.canaryRows]),
      [[opened.id, 1]],
    );
    // Only the email address, upper-cased in a sentence-free list.
    const email = canary['contact.email'];
    if (email) assert.equal((await trace(`contact\n${email.toUpperCase()}\n`))[0]?.exportId, opened.id);

    // The same from the command line, on the file found.
    const found = join(server.env.dir, 'found.csv');
    writeFileSync(found, one);
    const cli = await runCli(['exports', 'trace', '--file', found], childEnv(server.env));
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`Export ${opened.id}`));
    assert.match(cli.stdout, /Institut aquitain de formation professionnelle/);
    assert.match(cli.stdout, /approuvé par dpo\.na/);

    // Without its canary rows, a file names nothing (the real rows are in other exports too).
    const realOnly = [
      Object.keys(opened.rows[0]!).join(','),
      ...opened.rows.filter((r) => known.has(r.id!)).map((r) => Object.values(r).join(',')),
    ].join('\n');
    assert.deepEqual(await trace(realOnly), []);
    // Nothing of the text is kept: the event says how many exports matched.
    const traced = await ledgerEvents(db(), 'export_traced');
    assert.ok(traced.length >= 3);
    for (const c of IDENTIFIER_COLUMNS.slice(1))
      if (canary[c]) assert.ok(!(await ledgerText(db())).includes(canary[c]!));
  });

  it('expires: the file is deleted and a download answers 410', async () => {
    const id = await request(RSSI, 'caf', 'verification_droits', { days: 2 });
    const { export: view } = await approve(id);
    assert.equal((await download(CAF, id)).statusCode, 200);
    const approvedAt = await db()
      .selectFrom('exports')
      .select(['decided_at', 'expires_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(Date.parse(approvedAt.expires_at!) - Date.parse(approvedAt.decided_at!), 2 * 86_400_000);
    assert.ok(view.fileSha256);
    await db()
      .updateTable('exports')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', id)
      .execute();
    const expire = await runCli(['exports', 'expire'], childEnv(server.env));
    assert.equal(expire.code, 0, expire.stderr);
    assert.match(expire.stdout, /^1 export\(s\) expiré\(s\)/);
    const gone = await download(CAF, id);
    assert.equal(gone.statusCode, 410, gone.body);
    const row = await db()
      .selectFrom('exports')
      .select(['status', 'file'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'expired');
    assert.equal(row.file, null);
    assert.equal((await ledgerEvents(db(), 'export_expired')).filter((e) => e.details.export === id).length, 1);
    const listed = (await call(RSSI, 'GET', '/api/security/exports?status=expired')).json().exports;
    assert.ok(listed.some((e: { id: string; fileAvailable: boolean }) => e.id === id && !e.fileAvailable));
    assert.ok(!(await call(CAF, 'GET', '/api/staff/exports')).json().exports.some((e: { id: string }) => e.id === id));
  });
});
