import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { registerMachineClient } from '../../src/identity/index.ts';
import type { PurposeRule } from '../../src/policy/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { insertAssurance, seedDatabase } from '../../src/seed/index.ts';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import { openField } from '../../src/crypto/index.ts';
import { countStaleDataKeys, recordKeyring, rewrapDataKeys } from '../../src/store/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { nirFor } from '../helpers/fixtures.ts';
import { followedDemoSeeker } from '../helpers/followed-seeker.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { clientCredentialsForm, registerCapEmploiSystem, type TestMachineClient } from '../helpers/machine-client.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 25;
const EMPLOYER_ADDRESS = '10.25.0.7';
const PURPOSE = 'attestation_employeur';
/** A small ceiling, so that a burst is contained within a few certificates: 12 a day, so 3 in an hour for the machine. */
const DAILY_CEILING = 12;

describe(`employers' end-of-contract certificates (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let employer: TestMachineClient;
  let employerActor = '';
  const db = () => runtime.database.db;

  /** The followed demo job seeker (an espace account), their NIR and birth date. */
  let seeker = '';
  let seekerPerson = '';
  let nir = '';
  let birthDate = '';
  let agencyId = '';
  /** Another person, for the wrong-birth-date case. */
  let other = { id: '', nir: '', birthDate: '' };
  const seekerClient: Client = {
    remoteAddress: '10.30.40.61',
    headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
  };
  let seekerSession: SignedIn;
  const toldKinds = async () =>
    (
      await db()
        .selectFrom('notifications')
        .innerJoin('accounts', 'accounts.id', 'notifications.account_id')
        .select('notifications.kind')
        .where('accounts.person_id', '=', seekerPerson)
        .where('notifications.kind', 'like', 'employer_certificate_%')
        .execute()
    )
      .map((n) => n.kind)
      .filter((k, i, all) => all.indexOf(k) === i);
  const letterKinds = async () =>
    (
      await db()
        .selectFrom('paper_letters')
        .select('kind')
        .where('person_id', '=', seekerPerson)
        .where('kind', 'like', 'employer_certificate_%')
        .execute()
    ).map((l) => l.kind);
  let firstCertificate = '';

  async function token(client: TestMachineClient, scope: string): Promise<string> {
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/oauth/token',
      remoteAddress: EMPLOYER_ADDRESS,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: await clientCredentialsForm(client, runtime.config.publicUrl, scope),
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().access_token as string;
  }

  const post = (accessToken: string, body: unknown, purpose = PURPOSE) =>
    server.app.inject({
      method: 'POST',
      url: '/api/employer/certificates',
      remoteAddress: EMPLOYER_ADDRESS,
      headers: {
        authorization: `Bearer ${accessToken}`,
        'rempart-purpose': purpose,
        'rempart-case-reference': 'PAIE-2026-AE-001',
      },
      payload: body as object,
    });

  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
  const monthOf = (date: string) => date.slice(0, 7);

  /** A valid certificate for the person: three months of work ended a few days ago. */
  function certificate(person: { nir: string; birthDate: string }, extra: Record<string, unknown> = {}) {
    const from = daysAgo(95);
    const to = daysAgo(5);
    const months = [...new Set([monthOf(from), monthOf(daysAgo(50)), monthOf(to)])];
    return {
      person: { nir: person.nir, birthDate: person.birthDate },
      employerReference: 'AE-2026-0042',
      employment: { from, to, contractKind: 'cdd', jobTitle: 'Préparateur de commandes' },
      endReason: 'fin_cdd',
      salaries: months.map((month) => ({ month, grossCents: 212_345 })),
      indemnities: [{ kind: 'indemnite_fin_contrat', amountCents: 63_703 }],
      ...extra,
    };
  }

  const certificateRows = async () =>
    Number(
      (
        await db()
          .selectFrom('employer_certificates')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const eventCount = async () =>
    Number(
      (
        await db()
          .selectFrom('ledger_events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  before(async () => {
    server = await openTestServer();
    runtime = server.runtime;
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 60,
      seed: SEED,
      batchSize: 60,
      parallel: false,
    });
    const shown = new Set((await ensureDemoAccounts(runtime, SEED)).map((s) => s.login));
    const followed = await followedDemoSeeker(runtime, SEED, shown);
    assert.ok(followed, 'a demo job seeker followed by a counsellor');
    ({ seeker, personId: seekerPerson, agencyId } = followed);
    const file = await runtime.persons.read(seekerPerson, ['identity', 'nir']);
    nir = file.fields.nir!.nir;
    birthDate = file.fields.identity!.birthDate;
    const otherId = (
      await db()
        .selectFrom('persons')
        .select('id')
        .where('id', '!=', seekerPerson)
        .orderBy('id')
        .executeTakeFirstOrThrow()
    ).id;
    const otherFile = await runtime.persons.read(otherId, ['identity', 'nir']);
    other = { id: otherId, nir: otherFile.fields.nir!.nir, birthDate: otherFile.fields.identity!.birthDate };

    // An employer of the network: its payroll system sends certificates under its agreement.
    const now = new Date().toISOString();
    const organisationId = randomUUID();
    const organisation = {
      id: organisationId,
      kind: 'employer',
      name: 'Logistique Garonne SAS',
      siret: '55210055400013',
      departement: '33',
      security_posture: JSON.stringify({
        mfa: 'required',
        lastAudit: daysAgo(30),
        networks: ['10.0.0.0/8'],
        emailDomains: ['logistique-garonne.example'],
      }),
      status: 'active' as const,
      created_at: now,
    };
    await db().insertInto('organisations').values(organisation).execute();
    const purposes: PurposeRule[] = [
      {
        purpose: PURPOSE,
        label: 'Attestation employeur destinée à France Travail',
        roles: ['partner_system'],
        read: [],
        write: ['benefits'],
        relationship: 'employment',
        dailyCeiling: DAILY_CEILING,
        retentionDays: 365 * 10,
      },
    ];
    const agreement = {
      id: randomUUID(),
      organisation_id: organisationId,
      reference: 'EMP-33-LOGIGAR',
      version: 1,
      legal_basis: 'Code du travail, art. R. 1234-9 (attestation employeur)',
      purposes: JSON.stringify(purposes),
      dpo_contact: 'dpo@logistique-garonne.example',
      security_contact: 'securite@logistique-garonne.example',
      valid_from: '2026-01-01',
      valid_until: '2028-12-31',
      status: 'active' as const,
      created_at: now,
    };
    await db().insertInto('agreements').values(agreement).execute();
    await insertAssurance(db(), { organisations: [organisation], agreements: [agreement] });
    const keys = await generateKeyPair('ES256');
    const kid = randomUUID();
    const { clientId } = await registerMachineClient(db(), {
      organisationId,
      name: 'Paie Logistique Garonne',
      jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), kid }] },
    });
    employer = { organisationId, clientId, kid, privateKey: keys.privateKey };
    employerActor = (
      await db().selectFrom('machine_clients').select('actor_id').where('id', '=', clientId).executeTakeFirstOrThrow()
    ).actor_id;
    seekerSession = await signIn(server.app, seekerClient, seeker, DEMO_PASSWORD);
  });
  after(() => server.close());

  it('writes a valid certificate sealed, the employer recorded as its source, one event naming the person and the class, never a value', async () => {
    const accessToken = await token(employer, PURPOSE);
    const rowsBefore = await certificateRows();
    // The person chose paper for all correspondence: what they are told goes as a letter too.
    await db()
      .insertInto('correspondence_preferences')
      .values({
        person_id: seekerPerson,
        paper: 1,
        set_at: new Date().toISOString(),
        set_by_account: null,
        set_by: 'agent',
      })
      .execute();
    const res = await post(accessToken, certificate({ nir, birthDate }));
    assert.equal(res.statusCode, 201, res.body);
    firstCertificate = res.json().id;
    // The person is told a certificate was filed in their name (a stolen NIR would file some), and by letter.
    assert.deepEqual(await toldKinds(), ['employer_certificate_received']);
    assert.deepEqual(await letterKinds(), ['employer_certificate_received']);
    assert.equal(res.json().status, 'received');
    assert.deepEqual(res.json().decision.classes, ['benefits']);
    assert.equal(await certificateRows(), rowsBefore + 1);
    const row = await db()
      .selectFrom('employer_certificates')
      .selectAll()
      .where('id', '=', firstCertificate)
      .executeTakeFirstOrThrow();
    assert.equal(row.person_id, seekerPerson);
    assert.equal(row.organisation_id, employer.organisationId);
    assert.equal(row.client_id, employer.clientId);
    assert.equal(row.actor_id, employerActor);
    assert.equal(row.status, 'received');
    const sealed = Buffer.from(row.ciphertext).toString('latin1');
    assert.ok(!sealed.includes('212345') && !sealed.includes('fin_cdd'), 'the values are sealed');
    const events = (await ledgerEvents(db(), 'access_granted')).filter(
      (e) => e.details.operation === 'employer_certificate',
    );
    assert.equal(events.length, 1);
    assert.equal(events[0]!.details.personId, seekerPerson);
    assert.equal(events[0]!.details.actorId, employerActor);
    assert.equal(events[0]!.details.purpose, PURPOSE);
    assert.equal(events[0]!.details.classes, 'benefits');
    const text = JSON.stringify(events[0]);
    assert.ok(!text.includes('212345') && !text.includes(nir) && !text.includes('63703'), 'never a value');
    // The person's journal shows the employer's write.
    const journal = await server.app.inject({
      method: 'GET',
      url: '/api/me/journal',
      remoteAddress: seekerClient.remoteAddress,
      headers: { ...seekerClient.headers, cookie: seekerSession.cookie },
    });
    assert.equal(journal.statusCode, 200, journal.body);
    assert.ok(
      journal.json().entries.some((e: any) => e.event.operation === 'employer_certificate'),
      'the certificate is in « Qui a consulté mon dossier »',
    );
  });

  it('refuses each bad field with a French message naming it, and writes nothing', async () => {
    const accessToken = await token(employer, PURPOSE);
    const good = certificate({ nir, birthDate });
    const badNir = nir.slice(0, 13) + String((Number(nir.slice(13)) % 97) + 1).padStart(2, '0');
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['a NIR whose key is wrong', { person: { nir: badNir, birthDate } }, 'body.person.nir'],
      ['a birth date that is not a date', { person: { nir, birthDate: '1990-02-30' } }, 'body.person.birthDate'],
      [
        'an end in the future',
        { employment: { ...good.employment, to: new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10) } },
        'body.employment.to',
      ],
      [
        'an end before the start',
        { employment: { ...good.employment, from: daysAgo(5), to: daysAgo(20) } },
        'body.employment.to',
      ],
      [
        'an unknown contract kind',
        { employment: { ...good.employment, contractKind: 'freelance' } },
        'body.employment.contractKind',
      ],
      ['an unknown reason for the end', { endReason: 'vacances' }, 'body.endReason'],
      [
        'thirteen months of salaries',
        {
          salaries: Array.from({ length: 13 }, (_, i) => ({
            month: `2025-${String((i % 12) + 1).padStart(2, '0')}`,
            grossCents: 1000,
          })),
        },
        'body.salaries',
      ],
      [
        'a negative salary',
        { salaries: [{ month: good.salaries[0]!.month, grossCents: -5 }] },
        'body.salaries.0.grossCents',
      ],
      [
        'a salary in euros with cents',
        { salaries: [{ month: good.salaries[0]!.month, grossCents: 2123.45 }] },
        'body.salaries.0.grossCents',
      ],
      ['a month outside the period', { salaries: [{ month: '2019-01', grossCents: 1000 }] }, 'body.salaries.0.month'],
      ['a month declared twice', { salaries: [good.salaries[0], { ...good.salaries[0] }] }, 'body.salaries.1.month'],
      ['an unknown indemnity', { indemnities: [{ kind: 'prime', amountCents: 100 }] }, 'body.indemnities.0.kind'],
      ['a negative indemnity', { indemnities: [{ kind: 'autre', amountCents: -1 }] }, 'body.indemnities.0.amountCents'],
      ['a field nobody asked for', { iban: 'FR7630004000031234567890143' }, 'body.iban'],
    ];
    const rowsBefore = await certificateRows();
    const eventsBefore = await eventCount();
    for (const [what, change, field] of cases) {
      const res = await post(accessToken, { ...good, ...change });
      assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
      const issues = res.json().issues as Array<{ field: string; message: string }>;
      const issue = issues.find((i) => i.field === field);
      assert.ok(issue, `${what}: ${field} named (${JSON.stringify(issues)})`);
      assert.match(issue.message, /[A-ZÀ-Ü«].*[a-zé]/u, `${what}: a sentence`);
      assert.doesNotMatch(issue.message, /\b(must|should|expected)\b/i, `${what}: in French`);
    }
    assert.equal(await certificateRows(), rowsBefore, 'no certificate written');
    assert.equal(await eventCount(), eventsBefore, 'nothing recorded either: a bad body is refused before any lookup');
  });

  it('answers an unknown NIR exactly as a known NIR with another birth date, and writes nothing', async () => {
    const accessToken = await token(employer, PURPOSE);
    const rowsBefore = await certificateRows();
    const unknown = await post(accessToken, certificate({ nir: nirFor(987, '1', '6507'), birthDate: '1965-07-02' }));
    const mismatch = await post(accessToken, certificate({ nir: other.nir, birthDate: '1950-01-01' }));
    assert.equal(unknown.statusCode, 422, unknown.body);
    assert.equal(mismatch.statusCode, 422, mismatch.body);
    assert.equal(unknown.json().error, 'person_not_identified');
    assert.deepEqual(
      { ...(unknown.json() as object), requestId: '' },
      { ...(mismatch.json() as object), requestId: '' },
    );
    assert.equal(await certificateRows(), rowsBefore);
    const granted = (await ledgerEvents(db(), 'access_granted')).filter((e) => e.details.personId === other.id);
    assert.equal(granted.length, 0, 'no event names the person whose NIR was tried');
  });

  it('refuses a client without the purpose in its agreement or its token (403), and writes nothing', async () => {
    const cap = await registerCapEmploiSystem(db());
    const capToken = await token(cap, 'accompagnement_handicap');
    const rowsBefore = await certificateRows();
    const withOwnPurpose = await post(capToken, certificate({ nir, birthDate }), 'accompagnement_handicap');
    assert.equal(withOwnPurpose.statusCode, 403, withOwnPurpose.body);
    assert.equal(withOwnPurpose.json().error, 'field_class_not_granted');
    const withEmployerPurpose = await post(capToken, certificate({ nir, birthDate }), PURPOSE);
    assert.equal(withEmployerPurpose.statusCode, 403, withEmployerPurpose.body);
    // The employer's token cannot be asked for another organisation's purpose either.
    const refused = await server.app.inject({
      method: 'POST',
      url: '/api/oauth/token',
      remoteAddress: EMPLOYER_ADDRESS,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: await clientCredentialsForm(employer, runtime.config.publicUrl, 'accompagnement_handicap'),
    });
    assert.notEqual(refused.statusCode, 200);
    assert.equal(await certificateRows(), rowsBefore);
  });

  it('routes a dispute back to the employer, whose correction supersedes the certificate; the person sees it all in their espace', async () => {
    const me = as(server.app, seekerClient, seekerSession);
    const mine = await me('GET', '/api/me/employer-certificates');
    assert.equal(mine.statusCode, 200, mine.body);
    const shown = mine.json().certificates.find((c: any) => c.id === firstCertificate);
    assert.ok(shown, 'the person sees the certificate');
    assert.equal(shown.employer.name, 'Logistique Garonne SAS');
    assert.equal(shown.status, 'received');
    assert.equal(shown.content.salaries[0].grossCents, 212_345);
    assert.equal(shown.labels.endReason, 'Fin de contrat à durée déterminée');
    assert.ok(
      (await ledgerEvents(db(), 'subject_access')).some(
        (e) => e.details.personId === seekerPerson && e.details.operation === 'read_certificates',
      ),
      'the reading is recorded',
    );

    const badDispute = await me('POST', `/api/me/employer-certificates/${firstCertificate}/dispute`, { reason: 'bof' });
    assert.equal(badDispute.statusCode, 400);
    assert.equal(badDispute.json().issues[0].field, 'body.reason');
    const disputed = await me('POST', `/api/me/employer-certificates/${firstCertificate}/dispute`, {
      reason: 'salaires_inexacts',
      comment: 'Il manque les heures supplémentaires du dernier mois.',
    });
    assert.equal(disputed.statusCode, 200, disputed.body);
    const again = await me('POST', `/api/me/employer-certificates/${firstCertificate}/dispute`, {
      reason: 'autre',
    });
    assert.equal(again.statusCode, 409, again.body);
    const event = (await ledgerEvents(db(), 'employer_certificate_disputed')).find(
      (e) => (e.details as Record<string, unknown>).certificate === firstCertificate,
    );
    assert.ok(event, 'the dispute is recorded');
    assert.equal(event.details.personId, seekerPerson);
    assert.ok(!JSON.stringify(event).includes('heures supplémentaires'), 'the comment stays out of the log');

    // The employer's system finds the dispute, and corrects it.
    const accessToken = await token(employer, PURPOSE);
    const queue = await server.app.inject({
      method: 'GET',
      url: '/api/employer/certificates?status=disputed',
      remoteAddress: EMPLOYER_ADDRESS,
      headers: {
        authorization: `Bearer ${accessToken}`,
        'rempart-purpose': PURPOSE,
        'rempart-case-reference': 'PAIE-2026-AE-001',
      },
    });
    assert.equal(queue.statusCode, 200, queue.body);
    const item = queue.json().certificates.find((c: any) => c.id === firstCertificate);
    assert.ok(item, 'the disputed certificate is routed back to its employer');
    assert.equal(item.reason, 'salaires_inexacts');
    assert.equal(item.comment, 'Il manque les heures supplémentaires du dernier mois.');
    assert.equal(item.employerReference, 'AE-2026-0042');
    assert.ok(!('content' in item) && !queue.body.includes(nir), 'nothing of the person but the dispute');
    assert.ok(
      (await ledgerEvents(db(), 'access_granted')).some(
        (e) => e.details.operation === 'employer_dispute_read' && e.details.personId === seekerPerson,
      ),
      'the dispute leaves as a recorded access',
    );

    const corrected = certificate(
      { nir, birthDate },
      { employerReference: 'AE-2026-0042-R1', supersedes: firstCertificate },
    );
    corrected.salaries = corrected.salaries.map((s, i, all) =>
      i === all.length - 1 ? { ...s, grossCents: 231_000 } : s,
    );
    const correction = await post(accessToken, corrected);
    assert.equal(correction.statusCode, 201, correction.body);
    const correctionId = correction.json().id as string;
    assert.equal(correction.json().supersedes, firstCertificate);
    const twice = await post(accessToken, { ...corrected, employerReference: 'AE-2026-0042-R2' });
    assert.equal(twice.statusCode, 409, 'a certificate already superseded is not corrected twice');
    const unrelated = await post(accessToken, { ...corrected, supersedes: randomUUID() });
    assert.equal(unrelated.statusCode, 404);

    const download = await me('GET', '/api/me/export');
    assert.equal(download.statusCode, 200, download.body);
    assert.ok(
      (JSON.parse(download.body).employerCertificates as any[]).some((c) => c.id === firstCertificate),
      'the certificates are in « Télécharger mes données »',
    );
    const after = await me('GET', '/api/me/employer-certificates');
    const byId = new Map(after.json().certificates.map((c: any) => [c.id, c]));
    assert.equal((byId.get(firstCertificate) as any).status, 'superseded');
    assert.equal((byId.get(firstCertificate) as any).supersededBy, correctionId);
    assert.equal((byId.get(firstCertificate) as any).dispute.reasonLabel, 'Les salaires déclarés sont inexacts');
    assert.equal((byId.get(correctionId) as any).status, 'received');
    assert.equal((byId.get(correctionId) as any).supersedes, firstCertificate);

    const emptied = await server.app.inject({
      method: 'GET',
      url: '/api/employer/certificates?status=disputed',
      remoteAddress: EMPLOYER_ADDRESS,
      headers: {
        authorization: `Bearer ${accessToken}`,
        'rempart-purpose': PURPOSE,
        'rempart-case-reference': 'PAIE-2026-AE-001',
      },
    });
    assert.equal(emptied.statusCode, 200);
    assert.equal(
      emptied.json().certificates.filter((c: any) => c.id === firstCertificate).length,
      0,
      'a corrected dispute leaves the queue',
    );

    // An agent of the person's agency (indemnisation) reads the certificates and disputes the correction for them.
    const agent = await db()
      .selectFrom('actors')
      .select(['id', 'login', 'roles'])
      .where('organisation_id', '=', agencyId)
      .execute();
    const indemnisation = agent.find((a) => (JSON.parse(a.roles) as string[]).includes('indemnisation_agent'))!;
    if (!(await db().selectFrom('accounts').select('id').where('login', '=', indemnisation.login).executeTakeFirst())) {
      const accountId = await createAccount(db(), {
        kind: 'staff',
        login: indemnisation.login,
        password: DEMO_PASSWORD,
        actorId: indemnisation.id,
      });
      await addChannel(db(), runtime.keyring, accountId, 'email', `${indemnisation.login}@agents.test.example`, {
        verified: true,
      });
    }
    const agentClient: Client = { remoteAddress: '10.0.3.9', headers: seekerClient.headers };
    const agentSession = await signIn(server.app, agentClient, indemnisation.login, DEMO_PASSWORD);
    const staff = (method: 'GET' | 'POST', url: string, payload?: object) =>
      server.app.inject({
        method,
        url,
        remoteAddress: agentClient.remoteAddress,
        headers: {
          ...agentClient.headers,
          cookie: agentSession.cookie,
          'x-csrf-token': agentSession.csrf,
          'rempart-purpose': 'indemnisation',
          'rempart-case-reference': 'IND-2026-0042',
        },
        ...(payload ? { payload } : {}),
      });
    const read = await staff('GET', `/api/staff/persons/${seekerPerson}/employer-certificates`);
    assert.equal(read.statusCode, 200, read.body);
    assert.equal(read.json().certificates.length, 2);
    const byAgent = await staff(
      'POST',
      `/api/staff/persons/${seekerPerson}/employer-certificates/${correctionId}/dispute`,
      {
        reason: 'indemnites_inexactes',
      },
    );
    assert.equal(byAgent.statusCode, 200, byAgent.body);
    assert.deepEqual(byAgent.json().decision.classes, ['benefits']);
    const status = await db()
      .selectFrom('employer_certificates')
      .select(['status', 'disputed_by_actor'])
      .where('id', '=', correctionId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(status, { status: 'disputed', disputed_by_actor: indemnisation.id });
    // Told of the employer's correction and of the agent's dispute (their own needs no notice), on paper too.
    const told = ['employer_certificate_corrected', 'employer_certificate_disputed', 'employer_certificate_received'];
    assert.deepEqual((await toldKinds()).sort(), told);
    assert.deepEqual((await letterKinds()).sort(), told);
  });

  it('contains a burst of certificates for many persons from one employer, like a mass read', async () => {
    const accessToken = await token(employer, PURPOSE);
    const persons = await db()
      .selectFrom('persons')
      .select('id')
      .where('id', 'not in', [seekerPerson, other.id])
      .where('status', '=', 'active')
      .orderBy('id', 'desc')
      .limit(10)
      .execute();
    const rowsBefore = await certificateRows();
    let refused;
    let written = 0;
    for (const { id } of persons) {
      const file = await runtime.persons.read(id, ['identity', 'nir']);
      if (!file.fields.nir || !file.fields.identity) continue;
      const res = await post(
        accessToken,
        certificate({ nir: file.fields.nir.nir, birthDate: file.fields.identity.birthDate }),
      );
      if (res.statusCode !== 201) {
        refused = res;
        break;
      }
      written += 1;
    }
    assert.ok(refused, 'refused before ten certificates');
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal(refused.json().error, 'guard_limit_reached');
    // Its hourly budget is a quarter of the agreement's ceiling: three persons, the seeker already one of them.
    assert.equal(written, Math.ceil(DAILY_CEILING / 4) - 1);
    assert.equal(await certificateRows(), rowsBefore + written, 'the refused certificate is not written');
    const containment = await db()
      .selectFrom('guard_containments')
      .select(['id'])
      .where('actor_id', '=', employerActor)
      .executeTakeFirst();
    assert.ok(containment, 'the employer’s system is contained');
    const afterwards = await post(accessToken, certificate({ nir, birthDate }));
    assert.equal(afterwards.statusCode, 401, 'its tokens are revoked');
  });

  it('contains a payroll system trying NIRs it does not hold, as a sweep of searches is', async () => {
    // A second system of the same employer (the first is contained above).
    const keys = await generateKeyPair('ES256');
    const kid = randomUUID();
    const { clientId } = await registerMachineClient(db(), {
      organisationId: employer.organisationId,
      name: 'Paie Logistique Garonne (secours)',
      jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), kid }] },
    });
    const second: TestMachineClient = {
      organisationId: employer.organisationId,
      clientId,
      kid,
      privateKey: keys.privateKey,
    };
    const accessToken = await token(second, PURPOSE);
    const rowsBefore = await certificateRows();
    const answers: number[] = [];
    let contained;
    for (let i = 0; i < 20; i++) {
      // Each NIR in another block (another birth year): no sequential sweep, only misses.
      const year = String(50 + i).padStart(2, '0');
      const res = await post(
        accessToken,
        certificate({ nir: nirFor(100 + i, '1', `${year}04`), birthDate: `19${year}-04-12` }),
      );
      answers.push(res.statusCode);
      if (res.statusCode !== 422) {
        contained = res;
        break;
      }
    }
    assert.ok(contained, `contained before twenty misses (${answers.join(',')})`);
    assert.equal(contained.statusCode, 403, contained.body);
    assert.equal(contained.json().error, 'actor_contained');
    assert.ok(answers.length <= 16, `within the guard's fifteen misses (${answers.length})`);
    assert.equal(await certificateRows(), rowsBefore, 'nothing written');
  });

  it('has a key rotation rewrap the certificates without re-encrypting them, and erasing the person destroy them', async () => {
    const rotated = runtime.keyring.withNewVersion('benefits');
    await recordKeyring(db(), rotated);
    const before = await db().selectFrom('employer_certificates').selectAll().execute();
    assert.ok(before.length >= 2);
    assert.ok(
      (await countStaleDataKeys(db(), rotated, 'benefits')) >= before.length,
      'the certificates count as stale keys',
    );
    await rewrapDataKeys(db(), rotated, 'benefits', { batchSize: 50 });
    assert.equal(await countStaleDataKeys(db(), rotated, 'benefits'), 0);
    const row = await db()
      .selectFrom('employer_certificates')
      .selectAll()
      .where('id', '=', firstCertificate)
      .executeTakeFirstOrThrow();
    const was = before.find((r) => r.id === firstCertificate)!;
    assert.equal(row.kek_version, rotated.activeVersion('benefits'));
    assert.deepEqual(Buffer.from(row.ciphertext), Buffer.from(was.ciphertext), 'the value is not re-encrypted');
    const opened = JSON.parse(
      openField(rotated, `employer-certificate:${row.id}`, 'benefits', {
        kekVersion: row.kek_version,
        wrappedKey: row.wrapped_key,
        ciphertext: row.ciphertext,
      }).toString('utf8'),
    ) as { content: { endReason: string } };
    assert.equal(opened.content.endReason, 'fin_cdd');

    await runtime.persons.erase(seekerPerson);
    const left = await db()
      .selectFrom('employer_certificates')
      .select('id')
      .where('person_id', '=', seekerPerson)
      .execute();
    assert.deepEqual(left, [], 'crypto-shredded with the person');
  });
});
