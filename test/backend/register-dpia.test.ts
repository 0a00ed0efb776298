/**
 * Issue 24, sections 3 and 4: the Art. 30 register generated from the agreements in force
 * (JSON, CSV in the CNIL's columns, versioned at each agreement version), the DPIA of each
 * processing (measures with evidence), and the security gate that holds an agreement back
 * until its DPIA's measures are implemented and its organisation attested the baseline.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import type { FieldClass } from '../../src/domain/index.ts';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import {
  decide,
  findAgreementVersion,
  loadActor,
  loadOrganisation,
  type AgreementFile,
  type Decision,
  type DpiaDocument,
} from '../../src/policy/index.ts';
import { CNIL_REGISTER_COLUMNS, type RegisterEntry } from '../../src/privacy/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { seedDatabase, seededDpia } from '../../src/seed/index.ts';
import { BACKEND, countRows } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const DAY = 86_400_000;

describe(`Art. 30 register, DPIA and the security gate (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const organisations: Record<string, string> = {};
  const actors: Record<string, string> = {};
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  let host = 0;
  const db = () => runtime.database.db;
  const events = (kind: string) => ledgerEvents(db(), kind);

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
        remoteAddress: `198.18.2.${++host}`,
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      sessions[login] = await signIn(app, clients[login], login, PASSWORD);
    }
  });
  after(() => server.close());

  const request = (login: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    app.inject({
      method,
      url,
      remoteAddress: clients[login]!.remoteAddress,
      headers: { ...clients[login]!.headers, cookie: sessions[login]!.cookie, 'x-csrf-token': sessions[login]!.csrf },
      ...(payload ? { payload } : {}),
    });

  async function register(
    query = '',
  ): Promise<{ version: number; processings: RegisterEntry[]; [k: string]: unknown }> {
    const res = await request('dpo.na', 'GET', `/api/security/register${query}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }

  async function nextVersionOf(reference: string, change: (file: AgreementFile) => void = () => undefined) {
    const { file } = await findAgreementVersion(db(), reference);
    const next = structuredClone(file);
    next.version += 1;
    change(next);
    return next;
  }

  async function decision(login: string, purpose: string, classes: FieldClass[]): Promise<Decision> {
    const now = new Date();
    const actor = (await loadActor(db(), actors[login]!))!;
    const organisation = (await loadOrganisation(db(), actor.organisationId, now))!;
    return decide({
      actor,
      organisation,
      purpose,
      caseReference: 'DOSSIER-2026-0042',
      operation: 'read',
      classes,
      facts: {
        caseload: false,
        agency: false,
        referral: true,
        verifiedCaller: false,
        heldBankChange: false,
        employment: false,
        ageYears: 22,
      },
      now,
    });
  }

  /** A complete DPIA for a processing, as the seed writes them. */
  const completeDpia = (purpose: string): DpiaDocument =>
    seededDpia(
      {
        purpose,
        label: 'Formation continue',
        roles: ['partner_staff'],
        read: ['identity', 'career'],
        write: [],
        relationship: 'referral',
        dailyCeiling: 10,
        retentionDays: 365,
      },
      'Code du travail',
    );

  /** A new organisation, with no attestation, no agreement. */
  async function newOrganisation(kind: string, name: string): Promise<string> {
    const id = randomUUID();
    const today = new Date().toISOString().slice(0, 10);
    await db()
      .insertInto('organisations')
      .values({
        id,
        kind,
        name,
        siret: null,
        departement: '33',
        security_posture: JSON.stringify({ mfa: 'required', lastAudit: today, networks: ['10.0.0.0/8'] }),
        status: 'active',
        created_at: new Date().toISOString(),
      })
      .execute();
    return id;
  }

  const agreementFor = (organisation: string, reference: string, purpose: string, label: string): AgreementFile => ({
    format: 'rempart.agreement/v1',
    organisation,
    reference,
    version: 1,
    legalBasis: 'Code du travail, art. L. 5311-7',
    purposes: [
      {
        purpose,
        label,
        roles: ['partner_staff'],
        read: ['identity', 'registration'],
        write: [],
        relationship: 'referral',
        dailyCeiling: 10,
        retentionDays: 365,
      },
    ],
    dpoContact: 'dpo@partenaire.example.org',
    securityContact: 'securite@partenaire.example.org',
    validFrom: new Date(Date.now() - DAY).toISOString().slice(0, 10),
    validUntil: new Date(Date.now() + 365 * DAY).toISOString().slice(0, 10),
  });

  const ATTESTATION = {
    attestedBy: { name: 'Camille Martin', role: 'Responsable de la sécurité' },
    secondFactor: true,
    scopedAuthorisations: true,
    anomalyDetection: true,
  };

  it('generates one entry per processing from the seeded agreements: parties, persons, data, special categories, no transfer outside the EU', async () => {
    const body = await register();
    const byId = new Map(body.processings.map((p) => [p.id, p]));
    assert.deepEqual(
      [...byId.keys()],
      [
        'accompagnement',
        'accompagnement_handicap',
        'accompagnement_jeunes',
        'aidant_actualisation',
        'aidant_documents',
        'aidant_inscription',
        'attestation_employeur',
        'controle_rib',
        'entree_formation',
        'formation',
        'indemnisation',
        'insertion_rsa',
        'relation_usager',
        'verification_droits',
      ],
    );
    // One processing across the three agencies' agreements: France Travail's own services.
    const accompagnement = byId.get('accompagnement')!;
    assert.equal(accompagnement.agreements.length, 3);
    assert.deepEqual(accompagnement.jointControllers, []);
    assert.ok(accompagnement.recipients.every((r) => r.role === 'service'));
    assert.equal(accompagnement.controller.name, 'France Travail');
    assert.deepEqual(accompagnement.controller.dpo, ['dpo@rempart.example']);

    // Health is a special category (Art. 9), flagged where it is read.
    const handicap = byId.get('accompagnement_handicap')!;
    assert.deepEqual(handicap.specialCategories, [{ class: 'health', article: 'RGPD art. 9' }]);
    assert.equal(handicap.dataCategories.find((d) => d.class === 'health')!.special, 'art9');
    assert.ok(handicap.personCategories.some((c) => /handicap/.test(c)));
    assert.equal(handicap.jointControllers.length, 1);
    assert.equal(handicap.jointControllers[0]!.reference, 'CAPE-33');
    assert.match(handicap.jointControllers[0]!.arrangement, /art\. 26.*CAPE-33 version 1/);
    for (const entry of body.processings.filter((p) => p.id !== 'accompagnement_handicap'))
      assert.ok(!entry.specialCategories.some((s) => s.class === 'health'), entry.id);

    // The NIR is flagged as the identifier French law regulates (loi 78-17 art. 30, décret-cadre
    // NIR), where it is read; not as an Art. 9 category.
    for (const id of ['indemnisation', 'verification_droits']) {
      const entry = byId.get(id)!;
      assert.equal(entry.dataCategories.find((d) => d.class === 'nir')!.special, 'nir', id);
      assert.equal(entry.regulatedIdentifiers.length, 1, id);
      assert.equal(entry.regulatedIdentifiers[0]!.class, 'nir');
      assert.match(
        entry.regulatedIdentifiers[0]!.reference,
        /Loi n° 78-17 du 6 janvier 1978, art\. 30 ; décret n° 2019-341 du 19 avril 2019 \(« décret-cadre NIR »\)/,
      );
      assert.ok(!entry.specialCategories.some((s) => s.class === 'nir'), id);
    }
    for (const entry of body.processings.filter((p) => !p.dataCategories.some((d) => d.class === 'nir'))) {
      assert.deepEqual(entry.regulatedIdentifiers, [], entry.id);
      assert.ok(
        entry.dataCategories.every((d) => d.special !== 'nir'),
        entry.id,
      );
    }

    // Young people: from the purpose's age condition.
    assert.ok(byId.get('accompagnement_jeunes')!.personCategories.includes('Jeunes de 16 à 25 ans'));

    // The call centre is a processor, with its own Art. 30(2) record.
    const calls = byId.get('relation_usager')!;
    assert.equal(calls.processors.length, 1);
    assert.match(calls.processors[0]!.contract, /art\. 28.*ST-33-RCA/);
    assert.deepEqual(calls.jointControllers, []);
    const records = body.processorRecords as Array<{ processor: { name: string }; processings: Array<{ id: string }> }>;
    assert.equal(records.length, 1);
    assert.match(records[0]!.processor.name, /Relais Contact Atlantique/);
    assert.deepEqual(
      records[0]!.processings.map((p) => p.id),
      ['relation_usager'],
    );

    for (const entry of body.processings) {
      assert.equal(entry.transfers.outsideEu, false, entry.id);
      assert.match(entry.transfers.statement, /Aucun transfert hors de l’Union européenne/);
      assert.ok(entry.retention.length > 0 && entry.retention.every((r) => r.days > 0), entry.id);
      assert.ok(entry.security.platform.some((c) => c.control === 'field_encryption'));
      assert.ok(entry.security.organisations.every((o) => o.baselineAttestedAt !== null));
      assert.ok(entry.legalBases.length > 0);
    }
    // The register read is a stored version, in the ledger.
    assert.ok((await events('register_versioned')).length >= 1);
    assert.equal((await register()).version, body.version, 'the same data: the same version');
  });

  it('exports CSV with the CNIL columns; an unknown processing is a 404 naming it, a bad query a 400 naming the field', async () => {
    const res = await request('dpo.na', 'GET', '/api/security/register?format=csv');
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^text\/csv/);
    const lines = res.body.replace(/^\uFEFF/, '').split('\r\n');
    assert.deepEqual(lines[0]!.split(','), [...CNIL_REGISTER_COLUMNS]);
    assert.equal(lines.filter((l) => l.length > 0).length, 1 + 14);
    // The CNIL model's order: the sheet's identification, its actors, its purposes, then the data.
    assert.deepEqual(CNIL_REGISTER_COLUMNS.slice(0, 4), [
      'Nom du traitement',
      'N° / RÉF',
      'Date de création de la fiche',
      'Dernière mise à jour de la fiche',
    ]);
    const rows = parse(res.body.replace(/^\uFEFF/, ''), { columns: true }) as Array<Record<string, string>>;
    const byRef = new Map(rows.map((r) => [r['N° / RÉF']!, r]));
    const indemnisation = byRef.get('indemnisation')!;
    assert.match(
      indemnisation['Catégories de données personnelles concernées']!,
      /Numéro de sécurité sociale \(NIR\) \(lecture\) — identifiant encadré : Loi n° 78-17 du 6 janvier 1978, art\. 30 ; décret n° 2019-341/,
    );
    assert.equal(indemnisation['Données sensibles'], 'Non', 'the NIR is regulated, not an Art. 9 category');
    assert.match(byRef.get('accompagnement_handicap')!['Données sensibles']!, /^Oui : Santé .*RGPD art\. 9/);
    assert.ok(!byRef.get('accompagnement')!['Catégories de données personnelles concernées']!.includes('NIR'));
    assert.match(indemnisation['Représentant']!, /art\. 27/);
    assert.match(indemnisation['Transferts hors UE']!, /Aucun transfert hors de l’Union européenne/);

    const one = await request('dpo.na', 'GET', '/api/security/register?format=csv&processing=accompagnement_handicap');
    assert.equal(one.statusCode, 200, one.body);
    assert.match(one.body, /RGPD art\. 9/);
    assert.equal(
      one.body
        .replace(/^\uFEFF/, '')
        .split('\r\n')
        .filter((l) => l.length > 0).length,
      2,
    );

    const unknown = await request('dpo.na', 'GET', '/api/security/register?format=csv&processing=chasse_aux_tresors');
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().message, /chasse_aux_tresors/);
    const unknownJson = await request('dpo.na', 'GET', '/api/security/register?processing=chasse_aux_tresors');
    assert.equal(unknownJson.statusCode, 404);

    const badFormat = await request('dpo.na', 'GET', '/api/security/register?format=pdf');
    assert.equal(badFormat.statusCode, 400);
    assert.deepEqual(
      badFormat.json().issues.map((i: { field: string }) => i.field),
      ['query.format'],
    );
    const badVersion = await request('dpo.na', 'GET', '/api/security/register?version=zero');
    assert.equal(badVersion.statusCode, 400);
    assert.equal(badVersion.json().issues[0].field, 'query.version');
    const badId = await request('dpo.na', 'GET', '/api/security/register?processing=Pas-Un-Id');
    assert.equal(badId.statusCode, 400);
    assert.equal(badId.json().issues[0].field, 'query.processing');
    const noVersion = await request('dpo.na', 'GET', '/api/security/register?version=9999');
    assert.equal(noVersion.statusCode, 404);
  });

  it('a new agreement version regenerates the register and records a new version in the ledger', async () => {
    const before = await register();
    const versioned = (await events('register_versioned')).length;
    const next = await nextVersionOf('OF-33-IAFP', (f) => (f.purposes[0]!.retentionDays = 200));
    const res = await request('rssi.na', 'POST', '/api/security/agreements', next);
    assert.equal(res.statusCode, 201, res.body);
    const recorded = await events('register_versioned');
    assert.equal(recorded.length, versioned + 1);
    assert.equal(recorded.at(-1)!.details.cause, `agreement:OF-33-IAFP:v${next.version}`);
    assert.equal(recorded.at(-1)!.details.version, before.version + 1);

    const after = await register();
    assert.equal(after.version, before.version + 1);
    const entry = after.processings.find((p) => p.id === 'entree_formation')!;
    assert.equal(entry.agreements[0]!.version, next.version);
    assert.equal(entry.retention[0]!.days, 200);
    const versions = await request('dpo.na', 'GET', '/api/security/register/versions');
    assert.equal(versions.json().versions[0].version, after.version);
    // The previous version stays readable as it was.
    const old = await register(`?version=${before.version}`);
    assert.equal(old.processings.find((p) => p.id === 'entree_formation')!.retention[0]!.days, 365);
  });

  it('refuses a DPIA measure marked implemented without evidence, naming the field, writing nothing', async () => {
    const doc = completeDpia('entree_formation');
    const bad = structuredClone(doc);
    delete (bad.measures[2] as { evidence?: unknown }).evidence;
    const rows = await countRows(runtime, 'dpias');
    const updates = (await events('dpia_updated')).length;
    const res = await request('dpo.na', 'PUT', '/api/security/dpia/entree_formation', bad);
    assert.equal(res.statusCode, 400, res.body);
    assert.deepEqual(
      res.json().issues.map((i: { field: string; rule: string }) => [i.field, i.rule]),
      [['body.measures.2.evidence', 'required_when_implemented']],
    );
    const badReference = structuredClone(doc);
    badReference.measures[0]!.evidence = { kind: 'test', reference: 'rm -rf /' };
    const res2 = await request('dpo.na', 'PUT', '/api/security/dpia/entree_formation', badReference);
    assert.equal(res2.statusCode, 400);
    assert.equal(res2.json().issues[0].field, 'body.measures.0.evidence.reference');
    const missingRisk = structuredClone(doc);
    missingRisk.risks = missingRisk.risks.filter((r) => r.kind !== 'disappearance');
    const res3 = await request('dpo.na', 'PUT', '/api/security/dpia/entree_formation', missingRisk);
    assert.equal(res3.statusCode, 400);
    assert.deepEqual(
      res3.json().issues.map((i: { field: string; rule: string }) => [i.field, i.rule]),
      [['body.risks', 'complete:disappearance']],
    );
    assert.equal(await countRows(runtime, 'dpias'), rows);
    assert.equal((await events('dpia_updated')).length, updates);
  });

  it('holds a new agreement at the gate until every DPIA measure is implemented with evidence', async () => {
    const file = agreementFor(organisations['OF-33-IAFP']!, 'OF-33-FC', 'formation_continue', 'Formation continue');
    const agreements = await countRows(runtime, 'agreements');

    // No DPIA at all for the new processing.
    const none = await request('rssi.na', 'POST', '/api/security/agreements', file);
    assert.equal(none.statusCode, 409, none.body);
    assert.equal(none.json().error, 'gate_unmet');
    assert.match(none.json().message, /dpia_measures_implemented.*formation_continue/);
    assert.doesNotMatch(none.json().message, /security_baseline_attested/);

    // A DPIA with one measure still planned: the gate still holds.
    const planned = completeDpia('formation_continue');
    planned.measures[1] = { ...planned.measures[1]!, status: 'planned' };
    delete (planned.measures[1] as { evidence?: unknown }).evidence;
    planned.actionPlan = [{ measure: planned.measures[1]!.id, owner: 'RSSI', due: '2027-01-31' }];
    const saved = await request('dpo.na', 'PUT', '/api/security/dpia/formation_continue', planned);
    assert.equal(saved.statusCode, 200, saved.body);
    assert.equal(saved.json().complete, false);
    assert.deepEqual(saved.json().pending, [planned.measures[1]!.id]);
    assert.equal(saved.json().version, 1);
    const still = await request('rssi.na', 'POST', '/api/security/agreements', file);
    assert.equal(still.statusCode, 409);
    assert.match(still.json().message, /dpia_measures_implemented/);
    assert.equal(await countRows(runtime, 'agreements'), agreements, 'nothing written');

    // Every measure implemented, with evidence: the agreement comes into force.
    const done = await request(
      'dpo.na',
      'PUT',
      '/api/security/dpia/formation_continue',
      completeDpia('formation_continue'),
    );
    assert.equal(done.statusCode, 200, done.body);
    assert.equal(done.json().complete, true);
    assert.equal(done.json().version, 2);
    const event = (await events('dpia_updated')).at(-1)!;
    assert.equal(event.details.processing, 'formation_continue');
    assert.equal(event.details.complete, true);
    // The same document again is no change: no version, no event.
    const again = await request(
      'dpo.na',
      'PUT',
      '/api/security/dpia/formation_continue',
      completeDpia('formation_continue'),
    );
    assert.equal(again.json().version, 2);
    assert.equal(again.json().changed, false);

    const accepted = await request('rssi.na', 'POST', '/api/security/agreements', file);
    assert.equal(accepted.statusCode, 201, accepted.body);
    const read = await request('dpo.na', 'GET', '/api/security/dpia/formation_continue?version=1');
    assert.equal(read.json().complete, false);
    assert.ok((await register()).processings.some((p) => p.id === 'formation_continue'));
  });

  it('a DPIA measure set back to planned suspends the processing’s organisations at the next decision', async () => {
    assert.ok((await decision('capemploi.gironde.1', 'accompagnement_handicap', ['identity'])).allowed);
    const doc = completeDpia('accompagnement_handicap');
    doc.measures[0] = { ...doc.measures[0]!, status: 'in_progress' };
    const res = await request('dpo.na', 'PUT', '/api/security/dpia/accompagnement_handicap', doc);
    assert.equal(res.statusCode, 200, res.body);
    const denied = await decision('capemploi.gironde.1', 'accompagnement_handicap', ['identity']);
    assert.equal(denied.allowed, false);
    const compliance = await request('dpo.na', 'GET', '/api/security/compliance');
    const cap = compliance.json().organisations.find((o: { id: string }) => o.id === organisations['CAPE-33']);
    assert.deepEqual(cap.unmet, ['dpia_measures_implemented']);
    const restored = await request(
      'dpo.na',
      'PUT',
      '/api/security/dpia/accompagnement_handicap',
      completeDpia('accompagnement_handicap'),
    );
    assert.equal(restored.statusCode, 200);
    assert.ok((await decision('capemploi.gironde.1', 'accompagnement_handicap', ['identity'])).allowed);
  });

  it('holds an agreement until its organisation attested the security baseline; the attestation is recorded and in the ledger', async () => {
    const msa = await newOrganisation('msa', 'MSA de la Gironde');
    const file = agreementFor(msa, 'MSA-33', 'verification_droits', 'Vérification des droits');
    const held = await request('rssi.na', 'POST', '/api/security/agreements', file);
    assert.equal(held.statusCode, 409, held.body);
    assert.match(held.json().message, /security_baseline_attested/);
    assert.doesNotMatch(held.json().message, /dpia_measures_implemented/);

    // A bad attestation writes nothing.
    const rows = await countRows(runtime, 'baseline_attestations');
    const partial = await request('rssi.na', 'POST', `/api/security/organisations/${msa}/baseline-attestations`, {
      ...ATTESTATION,
      anomalyDetection: false,
    });
    assert.equal(partial.statusCode, 400);
    assert.equal(partial.json().issues[0].field, 'body.anomalyDetection');
    assert.equal(await countRows(runtime, 'baseline_attestations'), rows);

    const attested = await request(
      'rssi.na',
      'POST',
      `/api/security/organisations/${msa}/baseline-attestations`,
      ATTESTATION,
    );
    assert.equal(attested.statusCode, 201, attested.body);
    assert.equal(attested.json().attestedBy.name, 'Camille Martin');
    const event = (await events('baseline_attested')).at(-1)!;
    assert.equal(event.details.organisation, msa);
    assert.doesNotMatch(JSON.stringify(event.body), /Camille/, 'no name in the ledger');
    const listed = await request('dpo.na', 'GET', `/api/security/organisations/${msa}/baseline-attestations`);
    assert.equal(listed.json().attestations.length, 1);

    const accepted = await request('rssi.na', 'POST', '/api/security/agreements', file);
    assert.equal(accepted.statusCode, 201, accepted.body);
    const entry = (await register()).processings.find((p) => p.id === 'verification_droits')!;
    assert.ok(entry.jointControllers.some((j) => j.reference === 'MSA-33'));
  });

  it('a derogation works as before: it covers one requirement (the new ones too) until it ends, never the agreement itself', async () => {
    const commune = await newOrganisation('commune', 'Commune de Pessac');
    const file = agreementFor(commune, 'COM-PESSAC', 'insertion_rsa', 'Insertion');
    assert.equal((await request('rssi.na', 'POST', '/api/security/agreements', file)).statusCode, 409);
    const expiresAt = new Date(Date.now() + 30 * DAY).toISOString();
    const granted = await request('rssi.na', 'POST', '/api/security/derogations', {
      organisationId: commune,
      requirement: 'security_baseline_attested',
      justification: 'Attestation signée attendue du maire, transmise la semaine prochaine.',
      expiresAt,
    });
    assert.equal(granted.statusCode, 201, granted.body);
    const accepted = await request('rssi.na', 'POST', '/api/security/agreements', file);
    assert.equal(accepted.statusCode, 201, accepted.body);
    let compliance = (await request('dpo.na', 'GET', '/api/security/compliance')).json();
    let row = compliance.organisations.find((o: { id: string }) => o.id === commune);
    assert.deepEqual(row.unmet, []);
    assert.deepEqual(row.derogated, ['security_baseline_attested']);

    // Revoked: the requirement applies at once.
    const revoked = await request('rssi.na', 'DELETE', `/api/security/derogations/${granted.json().id}`);
    assert.equal(revoked.statusCode, 200, revoked.body);
    compliance = (await request('dpo.na', 'GET', '/api/security/compliance')).json();
    row = compliance.organisations.find((o: { id: string }) => o.id === commune);
    assert.deepEqual(row.unmet, ['security_baseline_attested']);

    // The valid agreement is never derogated; the limits are those of every derogation.
    const never = await request('rssi.na', 'POST', '/api/security/derogations', {
      organisationId: commune,
      requirement: 'agreement_valid',
      justification: 'Convention en cours de signature, pas encore revenue du contrôle de légalité.',
      expiresAt,
    });
    assert.equal(never.statusCode, 400);
    assert.equal(never.json().issues[0].field, 'body.requirement');
    const tooLong = await request('rssi.na', 'POST', '/api/security/derogations', {
      organisationId: commune,
      requirement: 'dpia_measures_implemented',
      justification: 'Mesure de chiffrement en cours de déploiement chez le prestataire.',
      expiresAt: new Date(Date.now() + 91 * DAY).toISOString(),
    });
    assert.equal(tooLong.statusCode, 400);
    assert.equal(tooLong.json().issues[0].field, 'body.expiresAt');
  });

  it('keeps the DPO routes to the DPO (and the desk): a counsellor is refused, the officer cannot write a DPIA', async () => {
    for (const [method, url] of [
      ['GET', '/api/security/register'],
      ['GET', '/api/security/register?format=csv'],
      ['GET', '/api/security/register/versions'],
      ['GET', '/api/security/dpia'],
      ['GET', '/api/security/dpia/accompagnement'],
    ] as const) {
      const res = await request('conseiller.bastide.1', method, url);
      assert.equal(res.statusCode, 403, `${method} ${url}`);
    }
    const doc = completeDpia('accompagnement');
    const rows = await countRows(runtime, 'dpias');
    assert.equal(
      (await request('conseiller.bastide.1', 'PUT', '/api/security/dpia/accompagnement', doc)).statusCode,
      403,
    );
    assert.equal((await request('rssi.na', 'PUT', '/api/security/dpia/accompagnement', doc)).statusCode, 403);
    assert.equal(await countRows(runtime, 'dpias'), rows);
    const attest = await request(
      'conseiller.bastide.1',
      'POST',
      `/api/security/organisations/${organisations['CAF-33']}/baseline-attestations`,
      ATTESTATION,
    );
    assert.equal(attest.statusCode, 403);
    const dpoAttest = await request(
      'dpo.na',
      'POST',
      `/api/security/organisations/${organisations['CAF-33']}/baseline-attestations`,
      ATTESTATION,
    );
    assert.equal(dpoAttest.statusCode, 403);
    // The officer and the DPO read.
    assert.equal((await request('rssi.na', 'GET', '/api/security/register')).statusCode, 200);
    assert.equal((await request('rssi.na', 'GET', '/api/security/dpia/accompagnement')).statusCode, 200);
    assert.equal((await request('dpo.na', 'GET', '/api/security/dpia/inconnu_ici')).statusCode, 404);
  });
});
