import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import type { PersonFile } from '../../src/domain/index.ts';
import { SimulatedClock } from '../../src/simulate/clock.ts';
import { createAccount } from '../../src/identity/index.ts';
import { authorize } from '../../src/policy/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { frenchIban, seedDatabase } from '../../src/seed/index.ts';
import { openField } from '../../src/crypto/index.ts';
import { countStaleDataKeys, recordKeyring, rewrapDataKeys } from '../../src/store/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { outbox } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 19;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The demo network's regional control team: outside every agency. */
const CONTROLLER = 'controle.rib.na';
const CASE = 'DOSSIER-2026-1901';
const BANK_NOTICE = 'Modification de vos coordonnées bancaires';
const CONTACT_NOTICE = 'Modification de vos coordonnées';

let accounts = 0;
/** A French account with a valid RIB key and IBAN checksum, a different one each time. */
function freshAccount(): { iban: string; bic: string } {
  return { iban: frenchIban('30004', '00031', String(++accounts + 7_654_300).padStart(11, '0')), bic: 'BNPAFRPPXXX' };
}

/**
 * Issue 19, item 1: a counsellor rewrites a person's email and phone, then an indemnisation
 * agent of the same agency enters a bank change "on a letter". The change must not reach the
 * attacker's IBAN: the contact change is announced on the old channels, the bank notices reach
 * the old contacts and the postal address, the change waits for an agent of another team who
 * reached the person, and nothing is paid to the new account meanwhile.
 */
describe(`bank details: rewriting the contact before a bank change redirects nothing (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const db = () => runtime.database.db;
  const clock = new SimulatedClock(new Date());
  const dataDir = () => server.env.config.dataDir;

  let agencyX = '';
  let agencyY = '';
  let counsellor = '';
  let agentX = '';
  let colleagueX = '';
  let agentY = '';
  let counsellorYId = '';
  const staff: Record<string, { client: Client; session: SignedIn }> = {};
  const people: string[] = [];
  let host = 20;
  /** The IBAN of the change entered in the attack chain (the attacker's, or the person's once reached and confirmed). */
  let enteredIban = '';

  function staffCall(login: string, method: 'GET' | 'POST' | 'PATCH', url: string, purpose: string, payload?: object) {
    const { client, session } = staff[login]!;
    const headers: Record<string, string> = {
      ...client.headers,
      cookie: session.cookie,
      'x-csrf-token': session.csrf,
      'rempart-purpose': purpose,
      'rempart-case-reference': CASE,
    };
    return app.inject({ method, url, remoteAddress: client.remoteAddress, headers, ...(payload ? { payload } : {}) });
  }
  const indemnisation = (login: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    staffCall(login, method, url, 'indemnisation', payload);

  const read = async (personId: string) =>
    (await runtime.persons.read(personId, ['identity', 'contact', 'bank'])).fields;
  const holderOf = (f: PersonFile) => `${f.identity!.firstNames[0]} ${f.identity!.lastName}`;
  const fileIban = async (personId: string) => (await runtime.persons.read(personId, ['bank'])).fields.bank?.iban;
  const changeRow = (id: string) =>
    db().selectFrom('bank_changes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const sentTo = (to: string | undefined, subject: string) =>
    outbox(dataDir()).filter((m) => m.to === to && m.subject === subject);
  const lettersTo = (address: NonNullable<NonNullable<PersonFile['contact']>['address']>, subject: string) =>
    outbox(dataDir()).filter(
      (m) =>
        m.channel === 'letter' &&
        m.subject === subject &&
        m.to.includes(address.line1) &&
        m.to.includes(address.postalCode),
    );

  /** The counsellor rewrites the email and phone of a person they follow (the first step of the attack). */
  async function rewriteContact(personId: string, n: number) {
    const old = (await read(personId)).contact!;
    const res = await staffCall(counsellor, 'PATCH', `/api/staff/persons/${personId}`, 'accompagnement', {
      contact: { ...old, email: `fraude.${n}@boite-pirate.example`, phone: `06 98 76 54 ${String(10 + n).slice(-2)}` },
    });
    assert.equal(res.statusCode, 200, res.body);
    const now = (await read(personId)).contact!;
    assert.notEqual(now.email, old.email);
    return { old, now };
  }

  async function enterChange(login: string, personId: string, reference: string) {
    const f = await read(personId);
    const account = freshAccount();
    const res = await indemnisation(login, 'POST', `/api/staff/persons/${personId}/bank-details/changes`, {
      ...account,
      holder: holderOf(f),
      request: { kind: 'courrier', reference },
    });
    assert.equal(res.statusCode, 201, res.body);
    return { res, account };
  }

  /** What a refused verification must leave as it was. */
  async function snapshot(personId: string) {
    const changes = await db()
      .selectFrom('bank_changes')
      .select(['id', 'status', 'decided_by', 'contact_cleared'])
      .where('person_id', '=', personId)
      .orderBy('id')
      .execute();
    const events = (await ledgerEvents(db())).filter(
      (e) => e.details.personId === personId && e.kind.startsWith('bank_'),
    ).length;
    return JSON.stringify({ changes, events, iban: await fileIban(personId) });
  }

  before(async () => {
    server = await openTestServer({ clock });
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 200,
      seed: SEED,
      batchSize: 200,
      parallel: false,
    });
    await ensureDemoAccounts(runtime, SEED);
    const row = await db()
      .selectFrom('caseloads')
      .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
      .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
      .select(['actors.login', 'actors.id', 'organisations.id as org'])
      .where('organisations.kind', '=', 'agency')
      .orderBy('actors.login')
      .executeTakeFirstOrThrow();
    counsellor = row.login;
    agencyX = row.org;
    const actors = await db().selectFrom('actors').select(['id', 'login', 'roles', 'organisation_id']).execute();
    agentX = actors.find((a) => a.organisation_id === agencyX && a.roles.includes('indemnisation_agent'))!.login;
    const other = actors.find((a) => a.organisation_id !== agencyX && a.roles.includes('indemnisation_agent'))!;
    agentY = other.login;
    agencyY = other.organisation_id;
    counsellorYId = actors.find((a) => a.organisation_id === agencyY && a.roles.includes('counsellor'))!.id;
    // A second indemnisation agent of the same agency: the same team as the one who entered the change.
    colleagueX = 'indemnisation.collegue';
    const colleagueId = randomUUID();
    await db()
      .insertInto('actors')
      .values({
        id: colleagueId,
        organisation_id: agencyX,
        kind: 'human',
        login: colleagueX,
        display_name: 'Agent indemnisation 2',
        roles: JSON.stringify(['indemnisation_agent']),
        status: 'active',
        created_at: new Date().toISOString(),
      })
      .execute();
    await createAccount(db(), { kind: 'staff', login: colleagueX, password: DEMO_PASSWORD, actorId: colleagueId });
    for (const login of [counsellor, agentX, colleagueX, agentY, CONTROLLER]) {
      const client: Client = {
        remoteAddress: `10.41.${++host}.7`,
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      staff[login] = { client, session: await signIn(app, client, login, DEMO_PASSWORD) };
    }
    // Persons with an email, a phone, an address and bank details, followed by the counsellor and in agency X's indemnisation scope.
    const agentXId = actors.find((a) => a.login === agentX)!.id;
    const all = (
      await db()
        .selectFrom('caseloads')
        .select('person_id')
        .where('actor_id', '=', row.id)
        .orderBy('person_id')
        .execute()
    ).map((r) => r.person_id);
    for (const personId of all) {
      if (people.length >= 6) break;
      if (
        await db().selectFrom('guard_decoys').select('person_id').where('person_id', '=', personId).executeTakeFirst()
      )
        continue;
      const f = await read(personId);
      if (!f.contact?.email || !f.contact.phone || !f.contact.address || !f.bank || !f.identity) continue;
      const decision = await authorize(db(), {
        actorId: agentXId,
        personId,
        purpose: 'indemnisation',
        caseReference: CASE,
        operation: 'write',
        classes: ['bank'],
        clientAddress: '10.41.0.1',
        now: new Date(),
      });
      if (decision.allowed) people.push(personId);
    }
    assert.ok(
      people.length >= 5,
      `enough persons in the counsellor's caseload and agency X's scope (${people.length})`,
    );
  });
  after(() => server.close());

  it('the attack chain: contact rewritten, a change "on a letter" → held, told on the old channels and by letter, nothing paid after 72 h', async () => {
    const victim = people[0]!;
    const before = await read(victim);
    const { old, now } = await rewriteContact(victim, 1);

    // The previous contact is kept, sealed: neither the old email nor the old phone is in the clear anywhere in the row.
    const history = await db().selectFrom('contact_history').selectAll().where('person_id', '=', victim).execute();
    assert.equal(history.length, 1);
    assert.deepEqual(JSON.parse(history[0]!.changed), ['email', 'phone']);
    assert.ok(history[0]!.actor_id, 'the counsellor who changed it is remembered');
    const raw = JSON.stringify(history[0]) + Buffer.from(history[0]!.ciphertext!).toString('latin1');
    assert.ok(!raw.includes(old.email!) && !raw.includes(old.phone!.slice(-6)), 'never in clear');

    // The contact change is announced on the old email and phone, not on the new ones.
    assert.equal(sentTo(old.email, CONTACT_NOTICE).length, 1, 'announced on the previous email');
    assert.equal(sentTo(old.phone, CONTACT_NOTICE).length, 1, 'announced on the previous phone');
    assert.equal(sentTo(now.email, CONTACT_NOTICE).length, 0, 'not to the new email');
    assert.ok(
      !sentTo(old.email, CONTACT_NOTICE)[0]!.body.includes(now.email!),
      'the announcement does not carry the new email',
    );
    const announced = (await ledgerEvents(db())).filter(
      (e) => e.kind === 'contact_change_announced' && e.details.personId === victim,
    );
    assert.equal(announced.length, 1, 'recorded in the ledger');
    assert.ok(
      !JSON.stringify(announced[0]).includes(old.email!) && !JSON.stringify(announced[0]).includes(now.email!),
      'the event holds no address',
    );

    // The indemnisation agent of the same agency enters a change "on a letter".
    const { res, account } = await enterChange(agentX, victim, 'COURRIER-2026-19-001');
    enteredIban = account.iban;
    assert.equal(res.json().status, 'awaiting_verification');
    assert.ok(
      res.json().reasons.some((r: { code: string }) => r.code === 'recent_contact_change'),
      JSON.stringify(res.json().reasons),
    );
    assert.deepEqual(
      [...res.json().notices].sort(),
      ['email', 'email', 'letter', 'sms', 'sms'],
      'old and current email and phone, and a letter',
    );
    assert.equal(
      sentTo(old.email, BANK_NOTICE).length,
      1,
      'the bank notice reaches the email known before the contact change',
    );
    assert.equal(sentTo(old.phone, BANK_NOTICE).length, 1, 'and the phone known before');
    assert.equal(
      lettersTo(before.contact!.address!, BANK_NOTICE).length,
      1,
      'and a letter to the postal address on file',
    );
    assert.match(sentTo(old.email, BANK_NOTICE)[0]!.body, /ce-n-est-pas-moi\?code=/);
    // The security officers hear of a change held for a contact change (the agency's own accounts may be the thieves).
    assert.ok(
      outbox(dataDir()).some(
        (m) => m.to === 'rssi.na@agents.rempart.example' && /à vérifier/.test(m.subject) && m.body.includes(victim),
      ),
      'security officers alerted',
    );

    // 72 hours later: nothing moved, the payment service still reads the previous account.
    clock.advance(73 * HOUR);
    assert.equal(await runtime.bank.settleDue(victim), 0);
    assert.equal(await fileIban(victim), before.bank!.iban);
    const seen = await indemnisation(agentX, 'GET', `/api/staff/persons/${victim}`);
    assert.equal(seen.statusCode, 200, seen.body);
    assert.equal(seen.json().fields.bank.iban, before.bank!.iban);
    assert.notEqual(await fileIban(victim), account.iban);
    // What the verifying agent sees: what changed, when, by whom; never the values.
    const view = await indemnisation(agentX, 'GET', `/api/staff/persons/${victim}/bank-details`);
    assert.equal(view.statusCode, 200, view.body);
    assert.equal(view.json().contactChanges.length, 1);
    assert.deepEqual(view.json().contactChanges[0].changed, ['email', 'phone']);
    assert.equal(view.json().contactChanges[0].by, 'agent');
  });

  it('denials: the agent who entered it, a colleague of the same team, the counsellor, and another team without the attestation cannot release it', async () => {
    const victim = people[0]!;
    const change = (
      await db().selectFrom('bank_changes').select('id').where('person_id', '=', victim).executeTakeFirstOrThrow()
    ).id;
    const url = `/api/staff/persons/${victim}/bank-details/changes/${change}/verify`;
    const approve = {
      decision: 'approve',
      note: 'Personne jointe, demande confirmée.',
      reached: 'telephone_connu_avant',
    };
    const refused = async (
      call: () => Promise<{
        statusCode: number;
        body: string;
        json(): { error: string; issues?: Array<{ field: string }> };
      }>,
      status: number,
      error: string,
      field?: string,
    ) => {
      const snap = await snapshot(victim);
      const r = await call();
      assert.equal(r.statusCode, status, r.body);
      assert.equal(r.json().error, error);
      if (field)
        assert.ok(
          r.json().issues?.some((i) => i.field === field),
          r.body,
        );
      assert.equal(await snapshot(victim), snap, 'a refused verification changes nothing');
    };
    await refused(() => indemnisation(agentX, 'POST', url, approve), 403, 'four_eyes');
    await refused(() => indemnisation(colleagueX, 'POST', url, approve), 403, 'contact_change_other_team_required');
    await refused(() => staffCall(counsellor, 'POST', url, 'accompagnement', approve), 403, 'field_class_not_granted');
    // Agency Y's agent sees the person only once they are followed there too (a transfer): before that, out of scope.
    await refused(() => indemnisation(agentY, 'POST', url, approve), 403, 'person_out_of_scope');
    await db()
      .insertInto('caseloads')
      .values({
        person_id: victim,
        actor_id: counsellorYId,
        organisation_id: agencyY,
        since: '2026-01-05',
        until: null,
      })
      .execute();
    await refused(
      () =>
        indemnisation(agentY, 'POST', url, { decision: 'approve', note: 'Approuvée sans avoir joint la personne.' }),
      400,
      'validation_failed',
      'body.reached',
    );
    await refused(
      () => indemnisation(agentY, 'POST', url, { ...approve, reached: 'nouveau_numero' }),
      400,
      'validation_failed',
      'body.reached',
    );
    clock.advance(100 * HOUR);
    assert.equal(await runtime.bank.settleDue(), 0);
    assert.equal((await changeRow(change)).status, 'awaiting_verification');
  });

  it('an agent of another team who reached the person releases it: it then takes effect', async () => {
    const victim = people[0]!;
    const change = (
      await db().selectFrom('bank_changes').select('id').where('person_id', '=', victim).executeTakeFirstOrThrow()
    ).id;
    const ok = await indemnisation(
      agentY,
      'POST',
      `/api/staff/persons/${victim}/bank-details/changes/${change}/verify`,
      {
        decision: 'approve',
        note: 'Personne reçue à l’agence de Mérignac, pièce d’identité vérifiée, RIB confirmé.',
        reached: 'accueil_piece_identite',
      },
    );
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().status, 'cooling_off');
    const approved = (await ledgerEvents(db()))
      .filter((e) => e.kind === 'bank_change_approved' && e.details.personId === victim)
      .at(-1)!;
    assert.equal(approved.details.reached, 'accueil_piece_identite', 'how the person was reached is recorded');
    clock.advance(HOUR);
    assert.equal(await runtime.bank.settleDue(victim), 1);
    const row = await changeRow(change);
    assert.equal(row.status, 'effective');
    assert.ok(row.applied_at);
    assert.equal(await fileIban(victim), enteredIban, 'the confirmed account is now the one payments go to');
  });

  it('a contact change during the cooling-off holds a change already entered, whatever path wrote it', async () => {
    // Through the counsellor's update: held at once, announced on the old channels.
    const p = people[1]!;
    const before = await read(p);
    const { res } = await enterChange(agentX, p, 'COURRIER-2026-19-002');
    assert.equal(res.json().status, 'cooling_off', JSON.stringify(res.json().reasons));
    const { old } = await rewriteContact(p, 2);
    const row = await changeRow(res.json().changeId);
    assert.equal(row.status, 'awaiting_verification');
    assert.ok((JSON.parse(row.reasons) as string[]).includes('recent_contact_change'));
    assert.equal(sentTo(old.email, CONTACT_NOTICE).length, 1);
    clock.advance(80 * HOUR);
    assert.equal(await runtime.bank.settleDue(p), 0);
    assert.equal(await fileIban(p), before.bank!.iban);

    // Through the store directly (an import, a future path): nothing announced it yet, settlement still refuses.
    const q = people[2]!;
    const qBefore = await read(q);
    const second = await enterChange(agentX, q, 'COURRIER-2026-19-003');
    assert.equal(second.res.json().status, 'cooling_off');
    await runtime.persons.update(q, { contact: { ...qBefore.contact!, email: 'autre.pirate@boite-pirate.example' } });
    clock.advance(80 * HOUR);
    assert.equal(await runtime.bank.settleDue(q), 0, 'the last gate holds it');
    const held = await changeRow(second.res.json().changeId);
    assert.equal(held.status, 'awaiting_verification');
    assert.ok((JSON.parse(held.reasons) as string[]).includes('recent_contact_change'));
    assert.equal(await fileIban(q), qBefore.bank!.iban);
    // The scheduler's pass announces it on the old email once it has waited five minutes.
    await db()
      .updateTable('contact_history')
      .set({ changed_at: new Date(Date.now() - 10 * 60_000).toISOString() })
      .where('person_id', '=', q)
      .where('announced_at', 'is', null)
      .execute();
    assert.equal(await runtime.bank.announceContactChanges(), 1);
    assert.equal(sentTo(qBefore.contact!.email, CONTACT_NOTICE).length, 1);

    // Erasing the person erases their previous contacts with the rest.
    await runtime.persons.erase(q);
    assert.equal(
      (await db().selectFrom('contact_history').select('id').where('person_id', '=', q).execute()).length,
      0,
    );
  });

  it('without a recent contact change, a change behaves as before: no hold, no letter, effective after 72 h; a change older than 30 days holds nothing', async () => {
    const p = people[3]!;
    const before = await read(p);
    const { res, account } = await enterChange(agentX, p, 'COURRIER-2026-19-004');
    assert.equal(res.json().status, 'cooling_off');
    assert.deepEqual(res.json().reasons, []);
    assert.deepEqual([...res.json().notices].sort(), ['email', 'sms']);
    assert.equal(sentTo(before.contact!.email, BANK_NOTICE).length, 1);
    clock.advance(73 * HOUR);
    assert.equal(await runtime.bank.settleDue(p), 1);
    assert.equal(await fileIban(p), account.iban);

    // An address changed two months ago (a move) is history, not a reason to hold.
    const r = people[4]!;
    const rBefore = await read(r);
    await runtime.persons.update(r, {
      contact: {
        ...rBefore.contact!,
        address: { line1: '12 rue du Port', postalCode: '33300', communeCode: '33063', commune: 'Bordeaux' },
      },
    });
    await db()
      .updateTable('contact_history')
      .set({
        changed_at: new Date(clock.now().getTime() - 60 * DAY).toISOString(),
        announced_at: new Date(clock.now().getTime() - 60 * DAY).toISOString(),
      })
      .where('person_id', '=', r)
      .execute();
    // A patch that leaves email, phone and address as they are is not a contact change.
    const same = await staffCall(counsellor, 'PATCH', `/api/staff/persons/${r}`, 'accompagnement', {
      contact: { ...(await read(r)).contact! },
    });
    assert.equal(same.statusCode, 200, same.body);
    assert.equal(
      (await db().selectFrom('contact_history').select('id').where('person_id', '=', r).execute()).length,
      1,
    );
    const moved = await enterChange(agentX, r, 'COURRIER-2026-19-005');
    assert.equal(moved.res.json().status, 'cooling_off', JSON.stringify(moved.res.json().reasons));
    assert.deepEqual([...moved.res.json().notices].sort(), ['email', 'sms']);
    clock.advance(73 * HOUR);
    assert.equal(await runtime.bank.settleDue(r), 1);
    assert.equal(await fileIban(r), moved.account.iban);
  });

  it('the regional control team releases a held change after reaching the person, and reads only persons whose change is held', async () => {
    assert.ok(people.length >= 6, 'a sixth person for this test');
    const victim = people[5]!;
    const control = (method: 'GET' | 'POST', url: string, payload?: object) =>
      staffCall(CONTROLLER, method, url, 'controle_rib', payload);
    // Nothing held yet: the person is out of the control team's scope.
    const before = await control('GET', `/api/staff/persons/${victim}?classes=identity,contact`);
    assert.equal(before.statusCode, 403, before.body);
    assert.equal(before.json().error, 'person_out_of_scope');

    await rewriteContact(victim, 6);
    const { account } = await enterChange(agentX, victim, 'COURRIER-2026-19-006');
    const change = (
      await db()
        .selectFrom('bank_changes')
        .select('id')
        .where('person_id', '=', victim)
        .where('status', '=', 'awaiting_verification')
        .executeTakeFirstOrThrow()
    ).id;
    const file = await control('GET', `/api/staff/persons/${victim}?classes=identity,contact,bank`);
    assert.equal(file.statusCode, 200, file.body);
    assert.ok(file.json().fields.contact.email, 'the controller sees the contact to reach the person');
    // Another person, with no held change, stays out of scope.
    assert.equal(
      (await control('GET', `/api/staff/persons/${people[3]}?classes=identity`)).json().error,
      'person_out_of_scope',
    );
    // The controller must say how the person was reached, by a means known before the change.
    const unreached = await control('POST', `/api/staff/persons/${victim}/bank-details/changes/${change}/verify`, {
      decision: 'approve',
      note: 'Approuvée sans avoir joint la personne.',
    });
    assert.equal(unreached.statusCode, 400, unreached.body);
    const released = await control('POST', `/api/staff/persons/${victim}/bank-details/changes/${change}/verify`, {
      decision: 'approve',
      note: 'Personne rappelée au numéro connu avant le changement, RIB confirmé.',
      reached: 'telephone_connu_avant',
    });
    assert.equal(released.statusCode, 200, released.body);
    assert.equal(released.json().status, 'cooling_off');
    // The cooling-off still runs from the request: nothing before it ends.
    assert.equal(await runtime.bank.settleDue(victim), 0);
    clock.advance(73 * HOUR);
    assert.equal(await runtime.bank.settleDue(victim), 1);
    assert.equal(await fileIban(victim), account.iban);
    // Released, the person leaves the control team's scope again.
    assert.equal(
      (await control('GET', `/api/staff/persons/${victim}?classes=identity`)).json().error,
      'person_out_of_scope',
    );
  });

  it('a key rotation rewraps the previous contacts and the bank changes too, so that no old key version is still needed', async () => {
    const rotated = runtime.keyring.withNewVersion('contact').withNewVersion('bank');
    await recordKeyring(db(), rotated);
    const beforeRows = {
      history: await db()
        .selectFrom('contact_history')
        .select(['id', 'person_id', 'kek_version', 'wrapped_key', 'ciphertext'])
        .where('kek_version', 'is not', null)
        .execute(),
      changes: await db()
        .selectFrom('bank_changes')
        .select(['id', 'kek_version', 'wrapped_key', 'ciphertext'])
        .execute(),
    };
    assert.ok(
      beforeRows.history.length > 0 && beforeRows.changes.length > 0,
      'the earlier tests left previous contacts and bank changes',
    );
    const persons = await db()
      .selectFrom('person_fields')
      .select('person_id')
      .where('field_class', '=', 'bank')
      .execute();
    assert.equal(
      await countStaleDataKeys(db(), rotated, 'bank'),
      persons.length + beforeRows.changes.length,
      'bank changes are counted as stale keys',
    );
    await rewrapDataKeys(db(), rotated, 'contact', { batchSize: 2 });
    await rewrapDataKeys(db(), rotated, 'bank', { batchSize: 2 });
    assert.equal(await countStaleDataKeys(db(), rotated, 'contact'), 0);
    assert.equal(await countStaleDataKeys(db(), rotated, 'bank'), 0);
    for (const old of beforeRows.history) {
      const row = await db()
        .selectFrom('contact_history')
        .selectAll()
        .where('id', '=', old.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.kek_version, rotated.activeVersion('contact'));
      assert.deepEqual(row.ciphertext, old.ciphertext, 'the value is not re-encrypted');
      const opened = JSON.parse(
        openField(rotated, row.person_id, 'contact', {
          kekVersion: row.kek_version!,
          wrappedKey: row.wrapped_key!,
          ciphertext: row.ciphertext!,
        }).toString('utf8'),
      );
      assert.ok(opened.email || opened.address, 'the previous contact still opens under the new version');
    }
    for (const old of beforeRows.changes) {
      const row = await db().selectFrom('bank_changes').selectAll().where('id', '=', old.id).executeTakeFirstOrThrow();
      assert.equal(row.kek_version, rotated.activeVersion('bank'));
      assert.notDeepEqual(row.wrapped_key, old.wrapped_key);
      const opened = JSON.parse(
        openField(rotated, `bank-change:${row.id}`, 'bank', {
          kekVersion: row.kek_version,
          wrappedKey: row.wrapped_key,
          ciphertext: row.ciphertext,
        }).toString('utf8'),
      );
      assert.match(opened.iban, /^FR/);
    }
  });
});
