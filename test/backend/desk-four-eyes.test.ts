import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { budgetFor, DESK_DOWNLOAD_DAILY_CEILING, DESK_DOWNLOAD_PROFILE } from '../../src/guard/index.ts';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import { ACTIONS, FOUR_EYES_ACTIONS } from '../../src/incidents/index.ts';
import { appendEvent } from '../../src/ledger/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { plantDecoys, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

/**
 * Issue 19, item 3: one security-desk account (or the DPO, described as read-only) declared an
 * incident over the whole network, sent the notices and downloaded the letters: the names and
 * postal addresses of everyone. Now each of those takes a second person of the desk, and the
 * downloads go through the guard with the desk's own budget.
 */
describe(`security desk: four eyes on what exposes people, the DPO reads, downloads within the desk's budget (${BACKEND})`, () => {
  const PASSWORD = 'cheval agrafe pile correcte';
  const RSSI = 'rssi.na';
  const RSSI2 = 'rssi2.na';
  const DPO = 'dpo.na';
  let server: TestServer;
  let runtime: Runtime;
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  const accounts: Record<string, string> = {};
  let host = 0;
  const db = () => runtime.database.db;
  /** Two partner staff of two organisations, whose accounts were in the wrong hands. */
  const thieves: Array<{ id: string; organisation_id: string; login: string }> = [];
  let exposed: string[] = [];
  let incidentId = '';

  function call(login: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) {
    return server.app.inject({
      method,
      url,
      remoteAddress: clients[login]!.remoteAddress,
      headers: { ...clients[login]!.headers, cookie: sessions[login]!.cookie, 'x-csrf-token': sessions[login]!.csrf },
      ...(payload ? { payload } : {}),
    });
  }
  const declaration = (
    compromised: { actors?: string[]; organisations?: string[] },
    title = 'Comptes de partenaires compromis',
  ) => {
    const now = Date.now();
    return {
      title,
      vector: 'account_takeover',
      description: 'Identifiants de deux partenaires obtenus par hameçonnage.',
      compromised,
      windowFrom: new Date(now - 3_600_000).toISOString(),
      windowTo: new Date(now).toISOString(),
      awareAt: new Date(now).toISOString(),
    };
  };
  const events = async (kind: string) =>
    (
      await db()
        .selectFrom('ledger_events')
        .select(['account_id', 'body'])
        .where('kind', '=', kind as never)
        .execute()
    ).map((e) => ({
      accountId: e.account_id,
      details: (JSON.parse(e.body) as { details: Record<string, unknown> }).details,
    }));
  const requestRow = (id: string) =>
    db().selectFrom('incident_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  before(async () => {
    server = await openTestServer();
    runtime = server.runtime;
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 120,
      seed: 19,
      batchSize: 120,
      parallel: false,
    });
    await plantDecoys(db(), runtime.persons, { seed: 19, population: 120 });
    // A second security officer at the regional direction, beside rssi.na and dpo.na.
    const officer = await db().selectFrom('actors').selectAll().where('login', '=', RSSI).executeTakeFirstOrThrow();
    await db()
      .insertInto('actors')
      .values({ ...officer, id: randomUUID(), login: RSSI2, display_name: 'Second responsable de la sécurité' })
      .execute();
    // Accounts of a month ago: a desk account created this week that downloads names is contained like any other (new_account_burst).
    const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString();
    for (const login of [RSSI, RSSI2, DPO]) {
      const actor = await db().selectFrom('actors').select('id').where('login', '=', login).executeTakeFirstOrThrow();
      accounts[login] = await createAccount(db(), { kind: 'staff', login, password: PASSWORD, actorId: actor.id });
      await db()
        .updateTable('accounts')
        .set({ created_at: monthAgo, password_changed_at: monthAgo })
        .where('id', '=', accounts[login])
        .execute();
      await addChannel(db(), runtime.keyring, accounts[login], 'email', `${login}@agents.test.example`, {
        verified: true,
      });
      clients[login] = {
        remoteAddress: `10.0.4.${++host}`,
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      sessions[login] = await signIn(server.app, clients[login], login, PASSWORD);
    }
    // The thieves read six files each, in two organisations; their own accounts exist (to be re-enrolled).
    for (const login of ['ml.bordeaux.1', 'caf33.agent.1']) {
      const actor = await db()
        .selectFrom('actors')
        .select(['id', 'organisation_id', 'login'])
        .where('login', '=', login)
        .executeTakeFirstOrThrow();
      await createAccount(db(), { kind: 'staff', login, password: PASSWORD, actorId: actor.id });
      thieves.push(actor);
    }
    const persons = (
      await db()
        .selectFrom('persons')
        .select('id')
        .where('id', 'not in', (eb) => eb.selectFrom('guard_decoys').select('person_id'))
        .orderBy('id')
        .limit(12)
        .execute()
    ).map((r) => r.id);
    for (const [i, personId] of persons.entries()) {
      const thief = thieves[i % 2]!;
      await appendEvent(db(), 'access_granted', {
        actorId: thief.id,
        organisationId: thief.organisation_id,
        personId,
        purpose: 'accompagnement_jeunes',
        operation: 'read',
        classes: ['identity', 'contact'],
      });
    }
    exposed = persons;
  });

  after(async () => {
    await server?.close();
  });

  it('one officer alone cannot declare an incident over several organisations: a request, which the requester cannot approve and the DPO cannot make', async () => {
    const wide = declaration({ organisations: thieves.map((t) => t.organisation_id) }, 'Tout le réseau');
    const byActors = declaration({ actors: thieves.map((t) => t.id) });
    assert.equal(
      (await call(DPO, 'POST', '/api/security/incidents', wide)).json().error,
      'role_required',
      'the DPO declares nothing',
    );
    const asked = await call(RSSI, 'POST', '/api/security/incidents', byActors);
    assert.equal(asked.statusCode, 202, asked.body);
    assert.equal(asked.json().request.status, 'pending');
    assert.equal(asked.json().request.kind, 'declare');
    assert.match(asked.json().message, /doit l’approuver/);
    // Naming whole organisations is the same.
    const askedWide = await call(RSSI, 'POST', '/api/security/incidents', wide);
    assert.equal(askedWide.statusCode, 202, askedWide.body);
    assert.equal((await db().selectFrom('incidents').select('id').execute()).length, 0, 'nothing declared yet');
    // The service itself refuses a desk member alone (a route forgetting the check would not do).
    await assert.rejects(
      runtime.incidents.declare(
        {
          ...byActors,
          compromised: { actors: byActors.compromised.actors!, organisations: [], clients: [], sessions: [] },
          windowFrom: new Date(byActors.windowFrom),
          windowTo: new Date(byActors.windowTo),
          awareAt: new Date(byActors.awareAt),
        },
        { accountId: accounts[RSSI]! },
      ),
      (error: { code?: string }) => error.code === 'four_eyes_required',
    );

    const requestId = asked.json().request.id as string;
    const own = await call(RSSI, 'POST', `/api/security/incidents/requests/${requestId}/approve`);
    assert.equal(own.statusCode, 403, own.body);
    assert.equal(own.json().error, 'four_eyes');
    assert.equal((await requestRow(requestId)).status, 'pending');

    const approved = await call(RSSI2, 'POST', `/api/security/incidents/requests/${requestId}/approve`);
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().request.status, 'executed');
    assert.equal(approved.json().request.decidedBy, RSSI2);
    incidentId = approved.json().result.id as string;
    const incident = await db()
      .selectFrom('incidents')
      .select(['declared_by', 'compromised'])
      .where('id', '=', incidentId)
      .executeTakeFirstOrThrow();
    assert.equal(incident.declared_by, accounts[RSSI], 'declared in the requester’s name');
    const declared = (await runtime.incidents.timeline(incidentId)).find((s) => s.kind === 'incident_declared')!;
    assert.equal(declared.details.approvedBy, accounts[RSSI2]);
    assert.deepEqual(
      (await events('incident_approval_requested')).map((e) => e.accountId),
      [accounts[RSSI], accounts[RSSI]],
    );
    assert.deepEqual(
      (await events('incident_approval_granted')).map((e) => [e.accountId, e.details.request]),
      [[accounts[RSSI2], requestId]],
    );
    assert.equal(
      (await call(RSSI2, 'POST', `/api/security/incidents/requests/${requestId}/approve`)).json().error,
      'request_not_pending',
      'carried out once',
    );

    // The wide one: the DPO, as second person, refuses it; nothing is declared.
    const refused = await call(
      DPO,
      'POST',
      `/api/security/incidents/requests/${askedWide.json().request.id as string}/refuse`,
      { note: 'Périmètre sans fondement : deux comptes, pas tout le réseau.' },
    );
    assert.equal(refused.statusCode, 200, refused.body);
    assert.equal(refused.json().status, 'refused');
    assert.equal((await db().selectFrom('incidents').select('id').execute()).length, 1);
    assert.deepEqual(
      (await events('incident_approval_refused')).map((e) => e.accountId),
      [accounts[DPO]],
    );

    // One organisation: the officer declares alone, as before.
    const single = await call(
      RSSI,
      'POST',
      '/api/security/incidents',
      declaration({ actors: [thieves[0]!.id] }, 'Un seul compte'),
    );
    assert.equal(single.statusCode, 201, single.body);
    // Widening it to a second organisation is a request too.
    const widen = await call(RSSI, 'PATCH', `/api/security/incidents/${single.json().id as string}`, {
      compromised: { actors: thieves.map((t) => t.id) },
    });
    assert.equal(widen.statusCode, 202, widen.body);
    assert.equal(widen.json().request.kind, 'amend');
    const kept = await db()
      .selectFrom('incidents')
      .select('compromised')
      .where('id', '=', single.json().id as string)
      .executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(kept.compromised).actors, [thieves[0]!.id], 'unchanged until approved');
  });

  it('the DPO’s desk is read-only: it declares, scopes, plans, sends, remediates, closes and asks for nothing; it reads and approves', async () => {
    const base = `/api/security/incidents/${incidentId}`;
    const writes: Array<['POST' | 'PATCH', string, object?]> = [
      ['PATCH', base, { vector: 'insider' }],
      ['POST', `${base}/scope`],
      ['POST', `${base}/scope/export`],
      ['POST', `${base}/notices/plan`],
      ['POST', `${base}/notices/run`, {}],
      ...ACTIONS.map((action): ['POST', string] => ['POST', `${base}/actions/${action}`]),
      ['POST', `${base}/close`, { note: 'Clos par le délégué, qui n’en a pas le droit.' }],
      ['POST', `${base}/documents/${randomUUID()}/request`],
    ];
    const steps = (await runtime.incidents.timeline(incidentId)).length;
    for (const [method, url, payload] of writes) {
      const res = await call(DPO, method, url, payload);
      assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().error, 'role_required', `${method} ${url}`);
    }
    assert.equal((await runtime.incidents.timeline(incidentId)).length, steps, 'the refusals wrote nothing');
    for (const url of [base, `${base}/exposures`, `${base}/notices`, '/api/security/incidents/requests?status=pending'])
      assert.equal((await call(DPO, 'GET', url)).statusCode, 200, url);
  });

  it('sending the notices waits for a second person; refused, nothing is read nor sent; approved by the DPO, they go', async () => {
    const base = `/api/security/incidents/${incidentId}`;
    assert.equal((await call(RSSI, 'POST', `${base}/scope`)).json().totals.persons, exposed.length);
    assert.equal((await call(RSSI, 'POST', `${base}/notices/plan`)).statusCode, 200);
    const noticeReads = async () =>
      (
        await db()
          .selectFrom('ledger_events')
          .select('id')
          .where('kind', '=', 'access_granted')
          .where('body', 'like', '%"operation":"incident_notice"%')
          .execute()
      ).length;
    // The service refuses a desk member alone too.
    await assert.rejects(
      runtime.incidents.runNotices(incidentId, { accountId: accounts[RSSI]! }),
      (error: { code?: string }) => error.code === 'four_eyes_required',
    );

    const first = await call(RSSI, 'POST', `${base}/notices/run`, {});
    assert.equal(first.statusCode, 202, first.body);
    assert.equal(
      (await call(RSSI, 'POST', `/api/security/incidents/requests/${first.json().request.id as string}/approve`)).json()
        .error,
      'four_eyes',
    );
    assert.equal(
      (
        await call(RSSI2, 'POST', `/api/security/incidents/requests/${first.json().request.id as string}/refuse`, {
          note: 'Le texte de l’avis doit être relu par le DPO.',
        })
      ).statusCode,
      200,
    );
    assert.equal(
      (
        await call(RSSI2, 'POST', `/api/security/incidents/requests/${first.json().request.id as string}/approve`)
      ).json().error,
      'request_not_pending',
      'a refused request stays refused',
    );
    assert.equal(await noticeReads(), 0, 'nobody’s identity nor contact was read');
    const status = await runtime.incidents.noticeStatus(incidentId);
    assert.equal(status.byStatus.pending, exposed.length * 2, 'nothing sent');

    const second = await call(RSSI, 'POST', `${base}/notices/run`, {});
    assert.equal(second.statusCode, 202, second.body);
    const approved = await call(
      DPO,
      'POST',
      `/api/security/incidents/requests/${second.json().request.id as string}/approve`,
    );
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().result.remaining, 0);
    assert.ok(approved.json().result.lettersPrinted >= 1);
    assert.equal(approved.json().request.status, 'executed');
    assert.equal(await noticeReads(), exposed.length);
    const reads = await db()
      .selectFrom('ledger_events')
      .select('account_id')
      .where('kind', '=', 'access_granted')
      .where('body', 'like', '%"operation":"incident_notice"%')
      .execute();
    assert.ok(
      reads.every((r) => r.account_id === accounts[RSSI]),
      'the reads are in the requester’s name',
    );
  });

  it('a document naming people is downloaded once, by its requester, after a second person’s approval, and each person sees it in the ledger', async () => {
    const base = `/api/security/incidents/${incidentId}`;
    const letters = await db()
      .selectFrom('incident_documents')
      .select(['id'])
      .where('incident_id', '=', incidentId)
      .where('kind', '=', 'letters_pdf')
      .executeTakeFirstOrThrow();
    const url = `${base}/documents/${letters.id}`;
    for (const login of [RSSI, RSSI2, DPO]) {
      const res = await call(login, 'GET', url);
      assert.equal(res.statusCode, 403, `${login}: ${res.body}`);
      assert.equal(res.json().error, 'four_eyes_required');
    }
    assert.equal((await call(DPO, 'POST', `${url}/request`)).json().error, 'role_required');
    const asked = await call(RSSI, 'POST', `${url}/request`);
    assert.equal(asked.statusCode, 202, asked.body);
    const requestId = asked.json().request.id as string;
    assert.match(asked.json().request.summary, new RegExp(`${exposed.length} personne\\(s\\) nommée\\(s\\)`));
    assert.equal(
      (await call(RSSI, 'POST', `/api/security/incidents/requests/${requestId}/approve`)).json().error,
      'four_eyes',
    );
    assert.equal((await call(RSSI, 'GET', url)).json().error, 'four_eyes_required', 'not before the approval');
    const approved = await call(RSSI2, 'POST', `/api/security/incidents/requests/${requestId}/approve`);
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().request.status, 'approved');
    assert.ok(approved.json().request.usableUntil);
    assert.equal(
      (await call(RSSI2, 'GET', url)).json().error,
      'four_eyes_required',
      'the approver does not get the document',
    );

    const pdf = await call(RSSI, 'GET', url);
    assert.equal(pdf.statusCode, 200, pdf.body);
    assert.equal(pdf.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.equal((await requestRow(requestId)).status, 'used');
    assert.equal((await call(RSSI, 'GET', url)).json().error, 'four_eyes_required', 'once');
    const downloads = await db()
      .selectFrom('ledger_events')
      .select(['person_id', 'account_id'])
      .where('kind', '=', 'access_granted')
      .where('body', 'like', '%"operation":"incident_document"%')
      .execute();
    assert.deepEqual(
      downloads.map((d) => d.person_id).sort(),
      [...exposed].sort(),
      'one access per person named, in their journal',
    );
    assert.ok(downloads.every((d) => d.account_id === accounts[RSSI]));
    const read = (await runtime.incidents.timeline(incidentId))
      .filter((s) => s.kind === 'incident_document_read')
      .at(-1)!;
    assert.equal(read.details.persons, exposed.length);
    assert.equal(read.details.request, requestId);
    // Counted by the guard under the desk's profile.
    const actor = (await db().selectFrom('actors').select('id').where('login', '=', RSSI).executeTakeFirstOrThrow()).id;
    const seen = await db().selectFrom('guard_seen').select('subject').where('scope', '=', `actor:${actor}`).execute();
    assert.deepEqual(seen.map((s) => s.subject).sort(), [...exposed].sort());

    // A document naming nobody (the CNIL draft) needs no approval: the DPO downloads it.
    const drafted = await call(DPO, 'POST', `${base}/cnil`);
    assert.equal(drafted.statusCode, 201, drafted.body);
    const cnil = await call(DPO, 'GET', `${base}/documents/${drafted.json().pdf.id as string}`);
    assert.equal(cnil.statusCode, 200, cnil.body);
    assert.equal(
      (await call(RSSI, 'POST', `${base}/documents/${drafted.json().pdf.id as string}/request`)).json().error,
      'approval_not_needed',
    );
  });

  it('wiping credentials waits for a second person; revoking sessions stays immediate', async () => {
    assert.deepEqual([...FOUR_EYES_ACTIONS], ['force_reenrolment']);
    const base = `/api/security/incidents/${incidentId}`;
    const hashes = async () =>
      (
        await db()
          .selectFrom('accounts')
          .select('password_hash')
          .where(
            'actor_id',
            'in',
            thieves.map((t) => t.id),
          )
          .execute()
      ).map((a) => a.password_hash);
    assert.equal((await call(RSSI, 'POST', `${base}/actions/revoke_access`)).statusCode, 200);
    await assert.rejects(
      runtime.incidents.act(incidentId, 'force_reenrolment', { accountId: accounts[RSSI]! }),
      (error: { code?: string }) => error.code === 'four_eyes_required',
    );
    const asked = await call(RSSI, 'POST', `${base}/actions/force_reenrolment`);
    assert.equal(asked.statusCode, 202, asked.body);
    assert.ok(
      (await hashes()).every((h) => h !== null),
      'nothing wiped yet',
    );
    assert.equal(
      (await call(RSSI, 'POST', `/api/security/incidents/requests/${asked.json().request.id as string}/approve`)).json()
        .error,
      'four_eyes',
    );
    const approved = await call(
      RSSI2,
      'POST',
      `/api/security/incidents/requests/${asked.json().request.id as string}/approve`,
    );
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().result.figures.accounts, 2);
    assert.ok((await hashes()).every((h) => h === null));
    const actions = (await runtime.incidents.timeline(incidentId))
      .filter((s) => s.kind === 'incident_action')
      .map((s) => s.details.action);
    assert.deepEqual(actions, ['revoke_access', 'force_reenrolment']);
  });

  it('a download beyond the desk’s budget is refused and the downloader contained, as any other account', async () => {
    const base = `/api/security/incidents/${incidentId}`;
    const csv = await call(RSSI, 'POST', `${base}/scope/export`);
    assert.equal(csv.statusCode, 201, csv.body);
    const url = `${base}/documents/${csv.json().id as string}`;
    const asked = await call(RSSI2, 'POST', `${url}/request`);
    assert.equal(asked.statusCode, 202, asked.body);
    assert.equal(
      (await call(DPO, 'POST', `/api/security/incidents/requests/${asked.json().request.id as string}/approve`))
        .statusCode,
      200,
    );
    // The second officer already saw the hour's budget of persons (other batches of letters).
    const budget = budgetFor([DESK_DOWNLOAD_PROFILE], DESK_DOWNLOAD_DAILY_CEILING);
    const actor = (await db().selectFrom('actors').select('id').where('login', '=', RSSI2).executeTakeFirstOrThrow())
      .id;
    const at = new Date().toISOString();
    const rows = Array.from({ length: budget.hour.hard }, () => ({
      scope: `actor:${actor}`,
      subject: randomUUID(),
      first_at: at,
      last_at: at,
      followed_up: 0,
    }));
    for (let i = 0; i < rows.length; i += 100)
      await db()
        .insertInto('guard_seen')
        .values(rows.slice(i, i + 100))
        .execute();

    const refused = await call(RSSI2, 'GET', url);
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal(refused.json().error, 'guard_limit_reached');
    assert.ok(!refused.body.includes(exposed[0]!), 'nothing of the document in the refusal');
    const containment = await db()
      .selectFrom('guard_containments')
      .select(['signal', 'released_at'])
      .where('actor_id', '=', actor)
      .executeTakeFirstOrThrow();
    assert.equal(containment.signal, 'budget_hour_hard');
    assert.equal(
      (await db().selectFrom('actors').select('status').where('id', '=', actor).executeTakeFirstOrThrow()).status,
      'suspended',
    );
    assert.equal((await requestRow(asked.json().request.id as string)).status, 'approved', 'the approval was not used');
    const reads = (await runtime.incidents.timeline(incidentId)).filter(
      (s) => s.kind === 'incident_document_read' && s.details.request === asked.json().request.id,
    );
    assert.equal(reads.length, 0);
    // Contained: its sessions are gone, and its pending requests can no longer be approved.
    assert.equal((await call(RSSI2, 'GET', base)).statusCode, 401);
  });
});
