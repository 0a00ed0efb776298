import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ValidationError, type FieldClass } from '../../src/domain/index.ts';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import {
  complianceReport,
  decide,
  exportAgreement,
  findAgreementVersion,
  grantDerogation,
  importAgreement,
  listDerogations,
  loadActor,
  loadOrganisation,
  revokeDerogation,
  updatePosture,
  validateAgreementFile,
  type AgreementFile,
  type Decision,
  type RelationshipFacts,
} from '../../src/policy/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { BACKEND, childEnv, countRows, testEnvironment } from '../helpers/backend.ts';
import { runCli } from '../helpers/cli.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { messagesTo } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const REFERRED: RelationshipFacts = {
  caseload: false,
  agency: false,
  referral: true,
  verifiedCaller: false,
  heldBankChange: false,
  employment: false,
  mandate: false,
  ageYears: 22,
};

/** The ValidationError's fields, or a failure if `work` did not throw one. */
async function refusedFields(work: () => Promise<unknown>): Promise<string[]> {
  try {
    await work();
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    return error.issues.map((i) => i.field);
  }
  assert.fail('expected a ValidationError');
}

describe(`agreements, postures and derogations administered (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const organisations: Record<string, string> = {};
  const actors: Record<string, string> = {};
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  let host = 0;
  const db = () => runtime.database.db;
  const events = (kind?: string) => ledgerEvents(db(), kind);
  const messenger = () => ({ db: runtime.database.db, keyring: runtime.keyring, notifier: runtime.notifier });

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, { persons: 0, seed: 1 });
    for (const a of await db().selectFrom('agreements').select(['reference', 'organisation_id']).execute())
      organisations[a.reference] = a.organisation_id;
    for (const a of await db().selectFrom('actors').select(['id', 'login']).execute()) actors[a.login] = a.id;
    for (const login of ['rssi.na', 'dpo.na', 'conseiller.bastide.1']) {
      const id = await createAccount(db(), { kind: 'staff', login, password: PASSWORD, actorId: actors[login]! });
      await addChannel(db(), runtime.keyring, id, 'email', `${login}@agents.test.example`, { verified: true });
      clients[login] = {
        remoteAddress: `198.18.1.${++host}`,
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      sessions[login] = await signIn(app, clients[login], login, PASSWORD);
    }
  });
  after(() => server.close());

  async function decision(
    login: string,
    purpose: string,
    classes: FieldClass[],
    now = new Date(),
    facts: RelationshipFacts = REFERRED,
  ): Promise<Decision> {
    const actor = (await loadActor(db(), actors[login]!))!;
    const organisation = (await loadOrganisation(db(), actor.organisationId, now))!;
    return decide({
      actor,
      organisation,
      purpose,
      caseReference: 'DOSSIER-2026-0042',
      operation: 'read',
      classes,
      facts,
      now,
    });
  }

  async function nextVersionOf(
    reference: string,
    change: (file: AgreementFile) => void = () => undefined,
  ): Promise<AgreementFile> {
    const { file } = await findAgreementVersion(db(), reference);
    const next = structuredClone(file);
    next.version += 1;
    change(next);
    return next;
  }

  const call = (login: string) => as(app, clients[login]!, sessions[login]!);
  const put = (login: string, url: string, payload: object) =>
    app.inject({
      method: 'PUT',
      url,
      remoteAddress: clients[login]!.remoteAddress,
      headers: { ...clients[login]!.headers, cookie: sessions[login]!.cookie, 'x-csrf-token': sessions[login]!.csrf },
      payload,
    });

  it('every seeded agreement round-trips: export, validate, import as version 2, export again', async () => {
    const rows = await db().selectFrom('agreements').selectAll().orderBy('reference').execute();
    assert.equal(rows.length, 13);
    const eventsBefore = await events('agreement_imported');
    for (const row of rows) {
      const exported = await exportAgreement(db(), row.id);
      const file = validateAgreementFile(JSON.parse(JSON.stringify(exported)));
      const imported = await importAgreement(db(), { ...file, version: 2 }, { by: 'test' });
      assert.deepEqual({ version: imported.version, replaced: imported.replaced }, { version: 2, replaced: 1 });
      assert.deepEqual(await exportAgreement(db(), imported.id), { ...exported, version: 2 }, row.reference);
      const statuses = await db()
        .selectFrom('agreements')
        .select(['version', 'status'])
        .where('reference', '=', row.reference)
        .orderBy('version')
        .execute();
      assert.deepEqual(statuses, [
        { version: 1, status: 'ended' },
        { version: 2, status: 'active' },
      ]);
    }
    const imports = await events('agreement_imported');
    assert.equal(imports.length - eventsBefore.length, rows.length, 'every import is an event');
    const details = imports.at(-1)!.body.details;
    assert.deepEqual(Object.keys(details).sort(), [
      'agreement',
      'by',
      'organisation',
      'reference',
      'replaced',
      'version',
    ]);
  });

  it('a new version is exactly the previous plus one, for the same organisation; a refused import writes nothing', async () => {
    const agreementsBefore = await countRows(runtime, 'agreements');
    const eventsBefore = await countRows(runtime, 'ledger_events');
    const skip = await nextVersionOf('CAPE-33', (f) => (f.version += 1));
    assert.deepEqual(await refusedFields(() => importAgreement(db(), skip, { by: 'test' })), ['version']);
    const again = await nextVersionOf('CAPE-33', (f) => (f.version -= 1));
    assert.deepEqual(await refusedFields(() => importAgreement(db(), again, { by: 'test' })), ['version']);
    const stolen = await nextVersionOf('CAPE-33', (f) => (f.organisation = organisations['ML-33-BDX']!));
    assert.deepEqual(await refusedFields(() => importAgreement(db(), stolen, { by: 'test' })), ['reference']);
    const nowhere = await nextVersionOf(
      'CAPE-33',
      (f) => (
        (f.organisation = '00000000-0000-4000-8000-000000000000'),
        (f.reference = 'NOUVELLE-REF'),
        (f.version = 1)
      ),
    );
    assert.deepEqual(await refusedFields(() => importAgreement(db(), nowhere, { by: 'test' })), ['organisation']);
    const fresh = await nextVersionOf('CAPE-33', (f) => ((f.reference = 'CAPE-33-BIS'), (f.version = 2)));
    assert.deepEqual(
      await refusedFields(() => importAgreement(db(), fresh, { by: 'test' })),
      ['version'],
      'a new reference starts at 1',
    );
    assert.equal(await countRows(runtime, 'agreements'), agreementsBefore);
    assert.equal(await countRows(runtime, 'ledger_events'), eventsBefore);
    assert.equal((await findAgreementVersion(db(), 'CAPE-33')).file.version, 2);
  });

  it('the previous version ends, and decisions then follow the new version’s grants', async () => {
    const before = await decision('capemploi.gironde.1', 'accompagnement_handicap', ['identity', 'health']);
    assert.ok(before.allowed, JSON.stringify(before));
    assert.equal(before.agreement.version, 2);

    const v3 = await nextVersionOf(
      'CAPE-33',
      (f) => (f.purposes[0]!.read = f.purposes[0]!.read.filter((c) => c !== 'health')),
    );
    const imported = await importAgreement(db(), v3, { by: 'rssi.na' });
    assert.equal(imported.replaced, 2);
    const v2 = await findAgreementVersion(db(), 'CAPE-33', 2);
    assert.equal(v2.status, 'ended');

    const health = await decision('capemploi.gironde.1', 'accompagnement_handicap', ['health']);
    assert.deepEqual(health, { allowed: false, reason: 'field_class_not_granted', detail: 'health' });
    const identity = await decision('capemploi.gironde.1', 'accompagnement_handicap', ['identity']);
    assert.ok(identity.allowed);
    assert.equal(identity.agreement.version, 3);
  });

  it('an agreement past its validity denies with agreement_expired', async () => {
    const { file } = await findAgreementVersion(db(), 'CAF-33');
    const afterEnd = new Date(Date.parse(`${file.validUntil}T12:00:00Z`) + DAY);
    assert.ok((await decision('caf33.agent.1', 'verification_droits', ['nir'])).allowed);
    assert.deepEqual(await decision('caf33.agent.1', 'verification_droits', ['nir'], afterEnd), {
      allowed: false,
      reason: 'agreement_expired',
    });
  });

  it('a derogation is refused for more than 90 days, in the past, for the agreement itself, or without a real justification; nothing is written', async () => {
    const organisationId = organisations['ML-33-BDX']!;
    const base = {
      organisationId,
      requirement: 'security_audit',
      justification: 'Audit annuel reporté : prestataire retenu, restitution prévue en mars.',
      approvedBy: actors['rssi.na']!,
    };
    const now = Date.now();
    const rows = await countRows(runtime, 'derogations');
    assert.deepEqual(
      await refusedFields(() => grantDerogation(db(), { ...base, expiresAt: new Date(now + 91 * DAY).toISOString() })),
      ['expiresAt'],
    );
    assert.deepEqual(
      await refusedFields(() => grantDerogation(db(), { ...base, expiresAt: new Date(now - DAY).toISOString() })),
      ['expiresAt'],
    );
    assert.deepEqual(
      await refusedFields(() =>
        grantDerogation(db(), {
          ...base,
          requirement: 'agreement_valid',
          expiresAt: new Date(now + 10 * DAY).toISOString(),
        }),
      ),
      ['requirement'],
    );
    assert.deepEqual(
      await refusedFields(() =>
        grantDerogation(db(), {
          ...base,
          requirement: 'everything',
          expiresAt: new Date(now + 10 * DAY).toISOString(),
        }),
      ),
      ['requirement'],
    );
    assert.deepEqual(
      await refusedFields(() =>
        grantDerogation(db(), {
          ...base,
          justification: 'parce que',
          expiresAt: new Date(now + 10 * DAY).toISOString(),
        }),
      ),
      ['justification'],
    );
    assert.deepEqual(
      await refusedFields(() =>
        grantDerogation(db(), {
          ...base,
          justification: `${' '.repeat(20)}trop court${' '.repeat(20)}`,
          expiresAt: new Date(now + 10 * DAY).toISOString(),
        }),
      ),
      ['justification'],
    );
    assert.deepEqual(
      await refusedFields(() =>
        grantDerogation(db(), {
          ...base,
          organisationId: '00000000-0000-4000-8000-000000000000',
          expiresAt: new Date(now + 10 * DAY).toISOString(),
        }),
      ),
      ['organisationId'],
    );
    assert.equal(await countRows(runtime, 'derogations'), rows);
  });

  it('an audit older than 12 months closes the gate at once; a derogation covers exactly its requirement and lapses by itself', async () => {
    const organisationId = organisations['ML-33-BDX']!;
    const now = new Date();
    const young = () => decision('ml.bordeaux.1', 'accompagnement_jeunes', ['identity'], now);
    assert.ok((await young()).allowed);

    const stale = await updatePosture(
      messenger(),
      organisationId,
      { lastAudit: day(now.getTime() - 400 * DAY) },
      actors['rssi.na']!,
    );
    assert.deepEqual(stale.gate, { compliant: false, unmet: ['security_audit'], derogated: [] });
    assert.deepEqual(await young(), { allowed: false, reason: 'posture_non_compliant', detail: 'security_audit' });
    assert.match(
      messagesTo(server.env.dir, 'securite.mission-locale@rempart.example').at(-1)!.body,
      /n’est plus conforme/,
    );

    const granted = await grantDerogation(messenger(), {
      organisationId,
      requirement: 'security_audit',
      justification: 'Audit annuel reporté : prestataire retenu, restitution prévue dans six semaines.',
      expiresAt: new Date(now.getTime() + 30 * DAY).toISOString(),
      approvedBy: actors['rssi.na']!,
    });
    assert.equal(granted.state, 'in_force');
    assert.ok((await young()).allowed, 'the derogation covers the audit');
    assert.match(
      messagesTo(server.env.dir, 'securite.mission-locale@rempart.example').at(-1)!.subject,
      /dérogation accordée/,
    );

    await updatePosture(db(), organisationId, { mfa: 'optional' }, actors['rssi.na']!);
    assert.deepEqual(
      await young(),
      { allowed: false, reason: 'posture_non_compliant', detail: 'mfa_enforced' },
      'and nothing else',
    );
    await updatePosture(db(), organisationId, { mfa: 'required' }, actors['rssi.na']!);
    assert.ok((await young()).allowed);

    const lapsed = new Date(now.getTime() + 30 * DAY + 1000);
    assert.deepEqual(await decision('ml.bordeaux.1', 'accompagnement_jeunes', ['identity'], lapsed), {
      allowed: false,
      reason: 'posture_non_compliant',
      detail: 'security_audit',
    });
    assert.deepEqual(
      (await listDerogations(db(), { activeOnly: true, now: lapsed })).map((d) => d.id),
      [],
    );
    assert.deepEqual((await listDerogations(db(), { now: lapsed })).find((d) => d.id === granted.id)?.state, 'expired');
    assert.equal(
      (await revokeDerogation(db(), granted.id, actors['rssi.na']!, { now: lapsed })).revoked,
      false,
      'a lapsed derogation has nothing left to revoke',
    );
  });

  it('an audit that turns 12 months old tomorrow is enough today and not the day after', async () => {
    const organisationId = organisations['FT-33-LIBOURNE']!;
    const now = new Date();
    const updated = await updatePosture(
      db(),
      organisationId,
      { lastAudit: day(now.getTime() - 364 * DAY) },
      actors['rssi.na']!,
    );
    assert.equal(updated.gate.compliant, true);
    assert.ok(
      (await decision('indemnisation.libourne', 'indemnisation', ['bank'], now, { ...REFERRED, agency: true })).allowed,
    );
    const later = new Date(now.getTime() + 2 * DAY);
    const gate = (await loadOrganisation(db(), organisationId, later))!.gate;
    assert.deepEqual([gate.compliant, gate.unmet], [false, ['security_audit']]);
    assert.deepEqual(
      await decision('indemnisation.libourne', 'indemnisation', ['bank'], later, { ...REFERRED, agency: true }),
      { allowed: false, reason: 'posture_non_compliant', detail: 'security_audit' },
    );
  });

  it('a posture update names a bad field and writes nothing', async () => {
    const organisationId = organisations['REG-NA-FORM']!;
    const before = await db()
      .selectFrom('organisations')
      .select('security_posture')
      .where('id', '=', organisationId)
      .executeTakeFirstOrThrow();
    const eventCount = await countRows(runtime, 'ledger_events');
    assert.deepEqual(
      await refusedFields(() =>
        updatePosture(db(), organisationId, { networks: ['10.0.0.0/8', '10.0.0.0/33', 'intranet'] }, 'x'),
      ),
      ['networks.1', 'networks.2'],
    );
    assert.deepEqual(
      await refusedFields(() => updatePosture(db(), organisationId, { lastAudit: day(Date.now() + 5 * DAY) }, 'x')),
      ['lastAudit'],
    );
    assert.deepEqual(await refusedFields(() => updatePosture(db(), organisationId, { lastAudit: '2026-13-01' }, 'x')), [
      'lastAudit',
    ]);
    assert.deepEqual(await refusedFields(() => updatePosture(db(), organisationId, { mfa: 'sometimes' }, 'x')), [
      'mfa',
    ]);
    assert.deepEqual(await refusedFields(() => updatePosture(db(), organisationId, {}, 'x')), ['(racine)']);
    assert.deepEqual(
      await refusedFields(() =>
        updatePosture(
          db(),
          organisationId,
          { emailDomains: ['region.example.fr', 'gmail.com', 'Region.Example.FR', 'intranet'] },
          'x',
        ),
      ),
      ['emailDomains.1', 'emailDomains.2', 'emailDomains.3'],
    );
    const after = await db()
      .selectFrom('organisations')
      .select('security_posture')
      .where('id', '=', organisationId)
      .executeTakeFirstOrThrow();
    assert.equal(after.security_posture, before.security_posture);
    assert.equal(await countRows(runtime, 'ledger_events'), eventCount);
    const ok = await updatePosture(db(), organisationId, { networks: ['10.0.0.0/8', '2001:db8::/32'] }, 'x');
    assert.deepEqual(ok.posture.networks, ['10.0.0.0/8', '2001:db8::/32']);
    assert.equal(ok.gate.compliant, true);
    assert.deepEqual(
      ok.posture.emailDomains,
      ['agents.rempart.example'],
      'the demo network declares its staff mail domain, kept when something else changes',
    );
    const domains = await updatePosture(db(), organisationId, { emailDomains: ['formation.region.example.fr'] }, 'x');
    assert.deepEqual(domains.posture.emailDomains, ['formation.region.example.fr']);
  });

  it('the compliance report shows every organisation, what it lacks, and the derogations in force', async () => {
    const now = new Date();
    const organisationId = organisations['CD-33-RSA']!;
    await updatePosture(db(), organisationId, { networks: [] }, actors['rssi.na']!);
    const report = await complianceReport(db(), now);
    assert.equal(report.total, 13);
    const byId = new Map(report.organisations.map((o) => [o.id, o]));
    const departement = byId.get(organisationId)!;
    assert.deepEqual(
      [departement.compliant, departement.unmet, departement.derogated],
      [false, ['network_ranges'], []],
    );
    const missionLocale = byId.get(organisations['ML-33-BDX']!)!;
    assert.equal(missionLocale.compliant, true, 'covered by its derogation');
    assert.deepEqual(missionLocale.derogated, ['security_audit']);
    assert.deepEqual(
      missionLocale.derogations.map((d) => d.requirement),
      ['security_audit'],
    );
    assert.match(missionLocale.derogations[0]!.justification, /Audit annuel reporté/);
    const cap = byId.get(organisations['CAPE-33']!)!;
    assert.deepEqual(
      cap.agreements.map((a) => [a.reference, a.version, a.inForce]),
      [['CAPE-33', 3, true]],
      'only the active version',
    );
    assert.equal(cap.compliant, true);
    assert.equal(report.compliant, report.organisations.filter((o) => o.compliant).length);
    assert.equal(report.compliant, 12, 'all but the département, whose ranges were just removed');
    await updatePosture(db(), organisationId, { networks: ['10.0.0.0/8'] }, actors['rssi.na']!);
  });

  it('API: the DPO reads the report and the derogations but cannot write; a counsellor gets 403 everywhere', async () => {
    const report = await call('dpo.na')('GET', '/api/security/compliance');
    assert.equal(report.statusCode, 200, report.body);
    assert.equal(report.json().total, 13);
    const derogations = await call('dpo.na')('GET', '/api/security/derogations?active=true');
    assert.equal(derogations.statusCode, 200, derogations.body);
    assert.ok(derogations.json().derogations.every((d: { state: string }) => d.state === 'in_force'));
    const file = await call('dpo.na')('GET', '/api/security/agreements/CAPE-33?version=1');
    assert.equal(file.statusCode, 200, file.body);
    assert.equal(file.json().file.version, 1);
    assert.equal(file.json().status, 'ended');
    assert.deepEqual(
      file.json().history.map((h: { version: number; status: string }) => [h.version, h.status]),
      [
        [1, 'ended'],
        [2, 'ended'],
        [3, 'active'],
      ],
    );

    const rows = await countRows(runtime, 'derogations');
    const expiresAt = new Date(Date.now() + 10 * DAY).toISOString();
    const derogation = {
      organisationId: organisations['OF-33-IAFP']!,
      requirement: 'security_audit',
      justification: 'Audit reporté, prestataire retenu et calendrier fixé.',
      expiresAt,
    };
    const dpoWrite = await call('dpo.na')('POST', '/api/security/derogations', derogation);
    assert.equal(dpoWrite.statusCode, 403);
    assert.equal(dpoWrite.json().error, 'role_required');
    const dpoPosture = await put('dpo.na', `/api/security/organisations/${organisations['OF-33-IAFP']!}/posture`, {
      mfa: 'optional',
    });
    assert.equal(dpoPosture.statusCode, 403);
    const dpoImport = await call('dpo.na')('POST', '/api/security/agreements', await nextVersionOf('OF-33-IAFP'));
    assert.equal(dpoImport.statusCode, 403);

    for (const [method, url] of [
      ['GET', '/api/security/compliance'],
      ['GET', '/api/security/derogations'],
      ['GET', '/api/security/agreements/CAPE-33'],
      ['POST', '/api/security/derogations'],
      ['DELETE', `/api/security/derogations/${derogations.json().derogations[0].id as string}`],
    ] as const) {
      const res = await call('conseiller.bastide.1')(method, url, method === 'POST' ? { nonsense: true } : undefined);
      assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().error, 'role_required');
    }
    assert.equal(await countRows(runtime, 'derogations'), rows);
    const unauthenticated = await app.inject({ method: 'GET', url: '/api/security/compliance' });
    assert.equal(unauthenticated.statusCode, 401);
  });

  it('API: the security officer changes postures and grants and revokes derogations; bad input is a 400 naming the field and writes nothing', async () => {
    const rssi = call('rssi.na');
    const organisationId = organisations['OF-33-IAFP']!;
    const contact = 'securite.training-body@rempart.example';
    const rows = await countRows(runtime, 'derogations');
    const postureBefore = await db()
      .selectFrom('organisations')
      .select('security_posture')
      .where('id', '=', organisationId)
      .executeTakeFirstOrThrow();
    const badCidr = await put('rssi.na', `/api/security/organisations/${organisationId}/posture`, {
      networks: ['10.0.0.0/8', '300.1.2.3/8'],
    });
    assert.equal(badCidr.statusCode, 400, badCidr.body);
    assert.deepEqual(
      badCidr.json().issues.map((i: { field: string }) => i.field),
      ['body.networks.1'],
    );
    const unknown = await put('rssi.na', `/api/security/organisations/${organisationId}/posture`, {
      lastAudit: '2026-01-01',
      firewall: true,
    });
    assert.equal(unknown.statusCode, 400);
    assert.deepEqual(
      unknown.json().issues.map((i: { field: string }) => i.field),
      ['body.firewall'],
    );
    assert.equal(
      (
        await db()
          .selectFrom('organisations')
          .select('security_posture')
          .where('id', '=', organisationId)
          .executeTakeFirstOrThrow()
      ).security_posture,
      postureBefore.security_posture,
    );
    const noOrg = await put('rssi.na', '/api/security/organisations/00000000-0000-4000-8000-000000000000/posture', {
      mfa: 'required',
    });
    assert.equal(noOrg.statusCode, 404);

    const stale = await put('rssi.na', `/api/security/organisations/${organisationId}/posture`, {
      lastAudit: day(Date.now() - 500 * DAY),
    });
    assert.equal(stale.statusCode, 200, stale.body);
    assert.deepEqual(stale.json().gate, { compliant: false, unmet: ['security_audit'], derogated: [] });
    assert.ok(!(await decision('iafp.formateur.1', 'entree_formation', ['identity'])).allowed);

    const base = {
      organisationId,
      requirement: 'security_audit',
      justification: 'Audit reporté : prestataire retenu, restitution prévue sous six semaines.',
    };
    const tooLong = await rssi('POST', '/api/security/derogations', {
      ...base,
      expiresAt: new Date(Date.now() + 120 * DAY).toISOString(),
    });
    assert.equal(tooLong.statusCode, 400);
    assert.deepEqual(
      tooLong.json().issues.map((i: { field: string }) => i.field),
      ['body.expiresAt'],
    );
    const agreement = await rssi('POST', '/api/security/derogations', {
      ...base,
      requirement: 'agreement_valid',
      expiresAt: new Date(Date.now() + 10 * DAY).toISOString(),
    });
    assert.equal(agreement.statusCode, 400);
    assert.deepEqual(
      agreement.json().issues.map((i: { field: string }) => i.field),
      ['body.requirement'],
    );
    const short = await rssi('POST', '/api/security/derogations', {
      ...base,
      justification: 'urgent',
      expiresAt: 'demain',
    });
    assert.equal(short.statusCode, 400);
    assert.deepEqual(
      short
        .json()
        .issues.map((i: { field: string }) => i.field)
        .sort(),
      ['body.expiresAt', 'body.justification'],
    );
    assert.equal(await countRows(runtime, 'derogations'), rows);

    const alerts = messagesTo(server.env.dir, contact).length;
    const granted = await rssi('POST', '/api/security/derogations', {
      ...base,
      expiresAt: new Date(Date.now() + 20 * DAY).toISOString(),
    });
    assert.equal(granted.statusCode, 201, granted.body);
    assert.equal(
      granted.json().approvedBy,
      (await db().selectFrom('accounts').select('id').where('login', '=', 'rssi.na').executeTakeFirstOrThrow()).id,
    );
    assert.ok((await decision('iafp.formateur.1', 'entree_formation', ['identity'])).allowed);
    assert.equal(messagesTo(server.env.dir, contact).length, alerts + 1, 'the organisation’s security contact is told');

    const listed = await call('dpo.na')('GET', '/api/security/derogations');
    assert.ok(
      listed
        .json()
        .derogations.some(
          (d: { id: string; justification: string }) =>
            d.id === granted.json().id && /Audit reporté/.test(d.justification),
        ),
      'shown to the DPO',
    );

    const revoked = await rssi('DELETE', `/api/security/derogations/${granted.json().id as string}`);
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.deepEqual([revoked.json().revoked, revoked.json().derogation.state], [true, 'revoked']);
    assert.ok(
      !(await decision('iafp.formateur.1', 'entree_formation', ['identity'])).allowed,
      'revoked: the gate closes again',
    );
    const twice = await rssi('DELETE', `/api/security/derogations/${granted.json().id as string}`);
    assert.equal(twice.json().revoked, false);
    const missing = await rssi('DELETE', '/api/security/derogations/00000000-0000-4000-8000-000000000000');
    assert.equal(missing.statusCode, 404);

    const kinds = (await events())
      .map((e) => e.kind)
      .filter((kind) => ['posture_changed', 'derogation_granted', 'derogation_revoked'].includes(kind));
    for (const kind of ['posture_changed', 'derogation_granted', 'derogation_revoked'])
      assert.ok(kinds.includes(kind), kind);
    await put('rssi.na', `/api/security/organisations/${organisationId}/posture`, {
      lastAudit: day(Date.now() - 30 * DAY),
    });
  });

  it('API: the security officer imports an agreement file; a bad file is a 400 naming the field', async () => {
    const rssi = call('rssi.na');
    const count = await countRows(runtime, 'agreements');
    const bad = await nextVersionOf('OF-33-IAFP', (f) => ((f.purposes[0]!.read as string[])[2] = 'salaire'));
    const refused = await rssi('POST', '/api/security/agreements', bad);
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(
      refused.json().issues.map((i: { field: string }) => i.field),
      ['body.purposes.0.read.2'],
    );
    const skipped = await rssi(
      'POST',
      '/api/security/agreements',
      await nextVersionOf('OF-33-IAFP', (f) => (f.version += 5)),
    );
    assert.equal(skipped.statusCode, 400);
    assert.deepEqual(
      skipped.json().issues.map((i: { field: string }) => i.field),
      ['body.version'],
    );
    assert.equal(await countRows(runtime, 'agreements'), count);

    const next = await nextVersionOf('OF-33-IAFP', (f) => (f.purposes[0]!.dailyCeiling = 20));
    const imported = await rssi('POST', '/api/security/agreements', next);
    assert.equal(imported.statusCode, 201, imported.body);
    assert.deepEqual([imported.json().version, imported.json().replaced], [3, 2]);
    const read = await rssi('GET', '/api/security/agreements/OF-33-IAFP');
    assert.deepEqual(read.json().file, next);
    const event = (await events('agreement_imported')).at(-1)!;
    assert.equal(event.details.by, 'rssi.na');
    assert.ok(event.account_id);
    const unknown = await rssi('GET', '/api/security/agreements/NOPE-00');
    assert.equal(unknown.statusCode, 404);
    const badVersion = await rssi('GET', '/api/security/agreements/OF-33-IAFP?version=zero');
    assert.equal(badVersion.statusCode, 400);
    assert.equal(badVersion.json().issues[0].field, 'query.version');
  });
});

describe(`rempart agreements import / export (${BACKEND})`, () => {
  const env = testEnvironment();
  before(async () => {
    const runtime = await env.open();
    await seedDatabase(runtime.database.db, runtime.persons, runtime.keyring, { persons: 0, seed: 1 });
    await runtime.close();
  });
  after(() => env.cleanup());

  it('exports a version to a file, imports the next version, and exports it back the same', async () => {
    const v1Path = join(env.dir, 'cape-v1.json');
    const exported = await runCli(['agreements', 'export', 'CAPE-33', '--output', v1Path], childEnv(env));
    assert.equal(exported.code, 0, exported.stderr);
    const v1 = JSON.parse(readFileSync(v1Path, 'utf8')) as AgreementFile;
    assert.equal(v1.version, 1);
    const v2 = { ...v1, version: 2, purposes: v1.purposes.map((p) => ({ ...p, dailyCeiling: 45 })) };
    const v2Path = join(env.dir, 'cape-v2.json');
    writeFileSync(v2Path, JSON.stringify(v2));
    const imported = await runCli(['agreements', 'import', v2Path], childEnv(env));
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /CAPE-33 version 2 importée .* la version 1 prend fin/);
    const back = await runCli(['agreements', 'export', 'CAPE-33'], childEnv(env));
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(JSON.parse(back.stdout), v2);
    const old = await runCli(['agreements', 'export', 'CAPE-33', '--version', '1'], childEnv(env));
    assert.deepEqual(JSON.parse(old.stdout), v1);
  });

  it('bad input exits 2 naming the field; an unknown reference exits 1', async () => {
    const badPath = join(env.dir, 'bad.json');
    const v2 = JSON.parse((await runCli(['agreements', 'export', 'CAPE-33'], childEnv(env))).stdout) as AgreementFile;
    writeFileSync(
      badPath,
      JSON.stringify({
        ...v2,
        version: 3,
        purposes: [{ ...v2.purposes[0]!, read: ['identity', 'contact', 'salaire'] }],
      }),
    );
    const bad = await runCli(['agreements', 'import', badPath], childEnv(env));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /purposes\.0\.read\.2/);
    writeFileSync(badPath, JSON.stringify({ ...v2, version: 2 }));
    const replay = await runCli(['agreements', 'import', badPath], childEnv(env));
    assert.equal(replay.code, 2);
    assert.match(replay.stderr, /version : version 3 attendue/);
    const missing = await runCli(['agreements', 'import', join(env.dir, 'absent.json')], childEnv(env));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /file/);
    writeFileSync(badPath, '{ pas du json');
    const garbled = await runCli(['agreements', 'import', badPath], childEnv(env));
    assert.equal(garbled.code, 2);
    const version = await runCli(['agreements', 'export', 'CAPE-33', '--version', 'deux'], childEnv(env));
    assert.equal(version.code, 2);
    assert.match(version.stderr, /version/);
    const unknown = await runCli(['agreements', 'export', 'NOPE-00'], childEnv(env));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Convention introuvable/);
  });
});
