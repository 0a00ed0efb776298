import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { FIELD_CLASS_LABELS_FR, type FieldClass } from '../../src/domain/index.ts';
import { openSimulation, takeover, type Simulation } from '../../src/simulate/index.ts';
import { actorIdOf, newClient, referredTo, signIn as simSignIn, Traffic } from '../../src/simulate/context.ts';
import {
  ACTIONS,
  Incidents,
  personsExposedByAnyIncident,
  type BlastRadius,
  type CnilDraft,
} from '../../src/incidents/index.ts';
import { FileOutbox, type Notifier, type OutgoingMessage } from '../../src/notify/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { frenchIban } from '../../src/seed/index.ts';
import { appendEvent } from '../../src/ledger/index.ts';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import { plantDecoys, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND, childEnv, PG_URL } from '../helpers/backend.ts';
import { runCli } from '../helpers/cli.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const ATTACKER = 'ml.bordeaux.sim.liste';
const COLLEAGUE = 'ml.bordeaux.1';

/** What the attacker's own side of the wire received: person → classes, decoys apart. */
function receivedBy(sim: Simulation, actorId: string): { persons: Map<string, string[]>; decoys: Set<string> } {
  const persons = new Map<string, string[]>();
  const decoys = new Set<string>();
  for (const [personId, classes] of sim.ctx.received.get(actorId) ?? new Map<string, Set<string>>()) {
    if (sim.ctx.decoys.has(personId)) decoys.add(personId);
    else persons.set(personId, [...classes].sort());
  }
  return { persons, decoys };
}

describe(`incidents: the guard switched off, a taken-over account reads everything; the ledger names exactly what left (${BACKEND})`, () => {
  let sim: Simulation;
  let runtime: Runtime;
  let attacker: string;
  let incidentId: string;
  let radius: BlastRadius;
  let attackStart: Date;
  let attackEnd: Date;
  let colleagueSession: string;
  let shared: string;
  const by = { accountId: null };

  before(async () => {
    sim = await openSimulation({
      persons: 900,
      seed: 5,
      parallelSeed: false,
      guard: 'off',
      ...(BACKEND === 'postgres' ? { databaseUrl: PG_URL } : {}),
    });
    runtime = sim.ctx.runtime;
    // The ledger stamps events with the real time: the desk's clock follows it from here.
    sim.clock.set(new Date());
    attackStart = new Date();
    const report = await takeover(sim.ctx, 'list');
    assert.equal(report.contained, false, 'with the guard off nothing stops the thief');
    attacker = await actorIdOf(sim.ctx, ATTACKER);
    // A colleague of the same organisation reads one of the same files in the window, lawfully.
    const colleague = await simSignIn(sim.ctx, await actorIdOf(sim.ctx, COLLEAGUE), newClient(sim.ctx), new Traffic());
    colleagueSession = colleague.session.publicId;
    shared = [...receivedBy(sim, attacker).persons.keys()][0]!;
    const lawful = await colleague.request('GET', `/api/staff/persons/${shared}`, { purpose: 'accompagnement_jeunes' });
    assert.equal(lawful.status, 200);
    attackEnd = new Date();
    sim.clock.set(attackEnd);
  });

  after(async () => {
    await sim?.close();
  });

  it('the attacker read the organisation’s whole list: real persons and decoys', async () => {
    const { persons, decoys } = receivedBy(sim, attacker);
    const referred = await referredTo(sim.ctx, 'mission-locale');
    // Everyone referred the purpose allows (16 to 25 years old): the guard stopped nothing.
    assert.ok(persons.size >= 20, `a list worth the name (${persons.size})`);
    for (const id of persons.keys()) assert.ok(referred.includes(id));
    const refusals = await runtime.database.db
      .selectFrom('ledger_events')
      .select('body')
      .where('actor_id', '=', attacker)
      .where('kind', '=', 'access_denied')
      .execute();
    for (const r of refusals)
      assert.notEqual((JSON.parse(r.body) as { details: { reason: string } }).details.reason, 'guard_limit_reached');
    // Decoys referred to the mission locale are read too when the purpose's age condition lets them through (and none other).
    for (const id of decoys) assert.ok(referred.includes(id), id);
  });

  it('refuses a declaration that names nobody, an unknown actor or a reversed window, and writes nothing', async () => {
    const before = await runtime.database.db.selectFrom('incidents').select('id').execute();
    const bad = [
      { compromised: { actors: [], organisations: [], clients: [], sessions: [] }, field: 'body.compromised' },
      {
        compromised: { actors: ['00000000-0000-4000-8000-000000000000'], organisations: [], clients: [], sessions: [] },
        field: 'body.compromised.actors[0]',
      },
    ];
    for (const b of bad) {
      await assert.rejects(
        runtime.incidents.declare(
          {
            title: 'x',
            vector: 'account_takeover',
            description: 'test',
            compromised: b.compromised,
            windowFrom: attackStart,
            windowTo: attackEnd,
            awareAt: attackEnd,
          },
          by,
        ),
        (error: { issues?: Array<{ field: string }> }) => error.issues?.some((i) => i.field === b.field) === true,
      );
    }
    await assert.rejects(
      runtime.incidents.declare(
        {
          title: 'x',
          vector: 'account_takeover',
          description: 'test',
          compromised: { actors: [attacker], organisations: [], clients: [], sessions: [] },
          windowFrom: attackEnd,
          windowTo: attackStart,
          awareAt: attackEnd,
        },
        by,
      ),
      (error: { issues?: Array<{ field: string }> }) => error.issues?.some((i) => i.field === 'body.windowTo') === true,
    );
    assert.deepEqual(await runtime.database.db.selectFrom('incidents').select('id').execute(), before);
    assert.equal((await runtime.database.db.selectFrom('incident_steps').select('id').execute()).length, 0);
  });

  it('names exactly the persons and classes the attacker received, no more, no less; decoys apart; the colleague’s read is not counted', async () => {
    const declared = await runtime.incidents.declare(
      {
        title: 'Compte de conseiller de mission locale pris',
        vector: 'account_takeover',
        description: 'Identifiants obtenus par hameçonnage ; lecture de la liste des jeunes orientés.',
        compromised: { actors: [attacker], organisations: [], clients: [], sessions: [] },
        windowFrom: attackStart,
        windowTo: attackEnd,
        awareAt: attackEnd,
      },
      by,
    );
    incidentId = declared.id;
    assert.match(declared.reference, /^INC-\d{4}-0001$/);
    assert.ok(declared.clock.minutesLeft > 71 * 60 && declared.clock.minutesLeft <= 72 * 60, declared.clock.label);
    radius = await runtime.incidents.scope(incidentId, by);
    const { persons, decoys } = receivedBy(sim, attacker);
    assert.equal(radius.empty, false);
    assert.deepEqual(new Map(radius.persons.map((p) => [p.personId, p.classes])), persons);
    assert.deepEqual(new Set(radius.decoys.map((d) => d.personId)), decoys);
    for (const p of radius.persons)
      assert.deepEqual(p.via, [attacker], 'the colleague’s lawful read is not the attacker’s');
    assert.equal(radius.totals.persons, persons.size);
    for (const [c, n] of Object.entries(radius.totals.byClass))
      assert.equal(n, [...persons.values()].filter((cs) => cs.includes(c)).length, c);
    // Cited: the signed checkpoint of the size the result covers.
    const checkpoint = await runtime.ledger.latestCheckpoint();
    assert.equal(radius.ledger.size, await runtime.ledger.size());
    assert.equal(radius.ledger.checkpoint?.root, checkpoint!.root.toString('hex'));
    assert.equal(radius.ledger.checkpoint?.size, radius.ledger.size);
  });

  it('assesses each person by the readable rules, and explains the assessment', () => {
    for (const p of radius.persons) {
      const c = new Set(p.classes);
      const high =
        c.has('bank') ||
        c.has('health') ||
        c.has('judicial') ||
        (c.has('nir') && (c.has('identity') || c.has('contact'))) ||
        (c.has('id_document') && c.has('identity'));
      assert.equal(p.risk === 'high', high, `${p.classes.join(',')} → ${p.risk}`);
      assert.ok(p.rules.length >= 1);
      if (c.has('nir') && c.has('identity')) assert.ok(p.rules.includes('nir_with_identity'));
      if (c.has('contact') && c.has('identity')) assert.ok(p.rules.includes('contact_with_identity'));
    }
    // The mission locale's purpose reads identity and contact, never the NIR: phishing, a moderate risk.
    assert.equal(
      radius.totals.byRisk.high + radius.totals.byRisk.medium + radius.totals.byRisk.low,
      radius.persons.length,
    );
    assert.ok(radius.totals.byRisk.medium > 0);
  });

  it('exports the scope as CSV, and the same ledger gives the same document', async () => {
    const first = await runtime.incidents.exportScope(incidentId, by);
    const again = await runtime.incidents.exportScope(incidentId, by);
    assert.equal(again.id, first.id);
    // Scoping again (the ledger grew by other events since) gives the same persons and the same CSV.
    const rescoped = await runtime.incidents.scope(incidentId, by);
    assert.deepEqual(rescoped.persons, radius.persons);
    assert.equal((await runtime.incidents.exportScope(incidentId, by)).sha256, first.sha256);
    const { content } = await runtime.incidents.openDocument(incidentId, first.id, by);
    const rows = parse(content.toString('utf8'), { columns: true }) as Array<Record<string, string>>;
    assert.equal(rows.filter((r) => r.nature === 'personne').length, radius.persons.length);
    assert.equal(rows.filter((r) => r.nature === 'leurre').length, radius.decoys.length);
  });

  it('drafts the CNIL notification with what Art. 33 asks, as JSON and PDF, the same draft again when nothing changed', async () => {
    const { draft, json, pdf } = await runtime.incidents.draftCnil(incidentId, by);
    const opened = JSON.parse(
      (await runtime.incidents.openDocument(incidentId, json.id, by)).content.toString('utf8'),
    ) as CnilDraft;
    assert.deepEqual(opened, draft);
    assert.equal(draft.notification.kind, 'initiale');
    assert.equal(draft.persons.exact, radius.persons.length);
    assert.equal(draft.persons.decoysRead, radius.decoys.length);
    assert.equal(draft.records.accessEvents, radius.events);
    assert.ok(draft.controller.dpo.length > 0);
    assert.deepEqual(draft.data.categories.map((c) => c.class).sort(), Object.keys(radius.totals.byClass).sort());
    for (const c of draft.data.categories)
      assert.equal(c.special, ['health', 'judicial', 'nir', 'bank'].includes(c.class), c.class);
    assert.ok(draft.consequences.likely.some((l) => /frauduleux/.test(l)));
    assert.ok(draft.deadline.minutesLeft > 0 && !draft.deadline.late);
    assert.equal(draft.evidence.ledgerSize, (await runtime.incidents.view(incidentId)).scope!.ledger.size);
    assert.ok(draft.timeline.some((t) => /Périmètre calculé/.test(t.step)));
    const pdfBytes = (await runtime.incidents.openDocument(incidentId, pdf.id, by)).content;
    assert.equal(pdfBytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.match(pdfBytes.subarray(-8).toString('latin1'), /%%EOF/);
    const again = await runtime.incidents.draftCnil(incidentId, by);
    assert.equal(again.json.id, json.id);
    assert.equal(again.pdf.sha256, pdf.sha256);
  });

  it('steps taken at once on one incident (documents read side by side) each get their own place in the register', async () => {
    const [doc] = await runtime.incidents.documents(incidentId);
    const before = (await runtime.incidents.timeline(incidentId)).length;
    await Promise.all(Array.from({ length: 6 }, () => runtime.incidents.openDocument(incidentId, doc!.id, by)));
    const steps = await runtime.database.db
      .selectFrom('incident_steps')
      .select('position')
      .where('incident_id', '=', incidentId)
      .orderBy('position')
      .execute();
    assert.equal(steps.length, before + 6);
    assert.deepEqual(
      steps.map((s) => s.position),
      steps.map((_, i) => i + 1),
    );
  });

  it('holds the bank details of every exposed person: a change for one of them waits for a counsellor', async () => {
    const result = await runtime.incidents.act(incidentId, 'hold_bank_changes', by);
    assert.equal(result.figures.placed, radius.persons.length);
    const again = await runtime.incidents.act(incidentId, 'hold_bank_changes', by);
    assert.equal(again.figures.placed, 0);
    assert.equal(again.figures.already, radius.persons.length);
    const exposed = radius.persons[0]!.personId;
    const identity = (await runtime.persons.read(exposed, ['identity'])).fields.identity!;
    const change = await runtime.bank.requestChange(
      exposed,
      {
        iban: frenchIban('30004', '00077', '00000000042'),
        bic: 'BNPAFRPPXXX',
        holder: `${identity.firstNames[0]} ${identity.lastName}`,
      },
      {
        via: 'agent',
        actorId: await actorIdOf(sim.ctx, 'indemnisation.bastide'),
        organisationId: 'x',
        purpose: 'indemnisation',
        caseReference: 'INC-TEST',
        requestKind: 'courrier',
        requestReference: 'LR-1',
      },
    );
    assert.equal(change.status, 'awaiting_verification');
    assert.ok(change.reasons.some((r) => r.code === 'hold_in_force'));
    assert.ok(
      change.reasons.some((r) => r.code === 'recent_exposure'),
      'the incident’s exposure is a reason of its own',
    );
    // A person the attacker never read is not held.
    const unexposed = (await runtime.database.db.selectFrom('persons').select('id').execute())
      .map((r) => r.id)
      .find((id) => !radius.persons.some((p) => p.personId === id) && !sim.ctx.decoys.has(id))!;
    assert.equal(
      (await runtime.database.db.selectFrom('bank_holds').select('id').where('person_id', '=', unexposed).execute())
        .length,
      0,
    );
  });

  it('revokes the thief’s sessions and forces new credentials; checks decoys and exports; each action is in the register and the ledger', async () => {
    const revoke = await runtime.incidents.act(incidentId, 'revoke_access', by);
    assert.ok(Number(revoke.figures.sessions) >= 1);
    const account = await runtime.database.db
      .selectFrom('accounts')
      .select('id')
      .where('actor_id', '=', attacker)
      .executeTakeFirstOrThrow();
    const live = await runtime.database.db
      .selectFrom('sessions')
      .select('public_id')
      .where('account_id', '=', account.id)
      .where('revoked_at', 'is', null)
      .execute();
    assert.equal(live.length, 0);
    const reenrol = await runtime.incidents.act(incidentId, 'force_reenrolment', by);
    assert.equal(reenrol.figures.accounts, 1);
    const row = await runtime.database.db
      .selectFrom('accounts')
      .select('password_hash')
      .where('id', '=', account.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.password_hash, null);
    const decoys = await runtime.incidents.act(incidentId, 'check_decoys', by);
    assert.equal(decoys.figures.decoys, radius.decoys.length);
    const exports = await runtime.incidents.act(incidentId, 'check_exports', by);
    assert.equal(exports.figures.exports, 0);
    const steps = await runtime.incidents.timeline(incidentId);
    assert.deepEqual(
      steps.filter((s) => s.kind === 'incident_action').map((s) => s.details.action),
      ['hold_bank_changes', 'hold_bank_changes', 'revoke_access', 'force_reenrolment', 'check_decoys', 'check_exports'],
    );
    const events = await runtime.database.db
      .selectFrom('ledger_events')
      .select('body')
      .where('kind', '=', 'incident_action')
      .execute();
    assert.equal(events.length, 6);
    for (const e of events)
      assert.equal((JSON.parse(e.body) as { details: { incident: string } }).details.incident, incidentId);
  });

  it('notifies each exposed person by email and by letter; a crash mid-batch resumes without sending anything twice', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'rempart-notices-'));
    try {
      const outbox = new FileOutbox(folder);
      let deliveries = 0;
      const crashing: Notifier = {
        async deliver(message: OutgoingMessage) {
          await outbox.deliver(message);
          // The gateway took the 7th message, then the process died before recording it.
          if (++deliveries === 7) throw new Error('simulated crash after delivery');
        },
      };
      const deps = {
        db: runtime.database.db,
        keyring: () => runtime.keyring,
        persons: runtime.persons,
        clock: runtime.clock,
        ledger: runtime.ledger,
        controller: runtime.config.controller,
        dpoContact: runtime.config.dpoContact,
        placeBankHold: async () => 'already' as const,
      };
      const desk = new Incidents({ ...deps, notifier: crashing });
      const plan = await desk.planNotices(incidentId, by);
      assert.equal(plan.planned, radius.persons.length);
      assert.deepEqual(await desk.planNotices(incidentId, by), { planned: 0, already: radius.persons.length });
      await assert.rejects(desk.runNotices(incidentId, by, { batchSize: 8 }), /simulated crash/);
      const midway = await desk.noticeStatus(incidentId);
      assert.ok((midway.byStatus.sending ?? 0) >= 1, 'the email in flight stays marked as going out');
      const resumed = await new Incidents({ ...deps, notifier: outbox }).runNotices(incidentId, by, { batchSize: 8 });
      assert.equal(resumed.remaining, 0);
      const status = await desk.noticeStatus(incidentId);
      assert.equal(status.byStatus.pending ?? 0, 0);
      assert.equal(status.byStatus.sending ?? 0, 0);

      const messages = readdirSync(folder).map(
        (f) => JSON.parse(readFileSync(join(folder, f), 'utf8')) as OutgoingMessage,
      );
      const notices = await runtime.database.db
        .selectFrom('incident_notices')
        .selectAll()
        .where('incident_id', '=', incidentId)
        .execute();
      const sent = notices.filter((n) => n.channel === 'email' && n.status === 'sent');
      assert.equal(messages.length, sent.length, 'one message per email notice, none twice');
      assert.equal(new Set(messages.map((m) => m.idempotencyKey)).size, messages.length);
      let withEmail = 0;
      for (const p of radius.persons) {
        const contact = (await runtime.persons.read(p.personId, ['contact'])).fields.contact;
        if (contact?.email) withEmail++;
        const mine = messages.filter((m) => m.to === contact?.email);
        assert.equal(mine.length, contact?.email ? 1 : 0);
        if (!mine[0]) continue;
        // Plain French: what was seen (this person's classes), the risks, what to do; no value of the file.
        for (const c of p.classes) assert.ok(mine[0].body.includes(FIELD_CLASS_LABELS_FR[c as FieldClass]), c);
        assert.match(mine[0].body, /jamais votre mot de passe/);
        assert.match(mine[0].subject, new RegExp(radius.reference));
        const nir = (await runtime.persons.read(p.personId, ['nir'])).fields.nir?.nir;
        if (nir) assert.ok(!mine[0].body.includes(nir));
      }
      assert.equal(sent.length, withEmail);
      const letters = notices.filter((n) => n.channel === 'letter');
      assert.equal(letters.length, radius.persons.length);
      const printed = letters.filter((n) => n.status === 'printed');
      assert.ok(printed.length >= radius.persons.length * 0.9, 'nearly every file has a postal address');
      for (const n of printed) assert.ok(n.document_id && n.page && n.page >= 1);
      const batches = await runtime.database.db
        .selectFrom('incident_documents')
        .select(['id', 'sha256'])
        .where('incident_id', '=', incidentId)
        .where('kind', '=', 'letters_pdf')
        .execute();
      assert.equal(new Set(printed.map((n) => n.document_id)).size, batches.length);
      // Reading identity and contact to write to the persons is recorded like any access.
      const reads = await runtime.database.db
        .selectFrom('ledger_events')
        .select('person_id')
        .where('kind', '=', 'access_granted')
        .where('body', 'like', '%"operation":"incident_notice"%')
        .execute();
      assert.ok(reads.length >= radius.persons.length);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a stolen session names only the requests made with it, not its account’s other sessions nor anyone else’s', async () => {
    const colleague = await actorIdOf(sim.ctx, COLLEAGUE);
    // The same colleague, signed in a second time: that session's reads are not the stolen one's.
    const other = await simSignIn(sim.ctx, colleague, newClient(sim.ctx), new Traffic());
    const second = [...receivedBy(sim, attacker).persons.keys()][1]!;
    assert.equal(
      (await other.request('GET', `/api/staff/persons/${second}`, { purpose: 'accompagnement_jeunes' })).status,
      200,
    );
    const theft = await runtime.incidents.declare(
      {
        title: 'Cookie de session volé',
        vector: 'session_theft',
        description: 'Session du conseiller rejouée depuis un autre poste.',
        compromised: { actors: [], organisations: [], clients: [], sessions: [colleagueSession] },
        windowFrom: attackStart,
        windowTo: new Date(),
        awareAt: new Date(),
      },
      by,
    );
    const scoped = await runtime.incidents.scope(theft.id, by);
    assert.deepEqual(
      scoped.persons.map((p) => p.personId),
      [shared],
    );
    assert.deepEqual(scoped.persons[0]!.via, [colleague]);
    assert.deepEqual(scoped.persons[0]!.classes, receivedBy(sim, attacker).persons.get(shared));
    // A job seeker's session cannot be declared: it reads only its own file.
    await assert.rejects(
      runtime.incidents.declare(
        {
          title: 'x',
          vector: 'session_theft',
          description: 'test',
          compromised: { actors: [], organisations: [], clients: [], sessions: ['unknown-session'] },
          windowFrom: attackStart,
          windowTo: new Date(),
          awareAt: new Date(),
        },
        by,
      ),
      (error: { issues?: Array<{ field: string }> }) =>
        error.issues?.some((i) => i.field === 'body.compromised.sessions[0]') === true,
    );
  });

  it('an overlapping incident counts nobody twice, and an empty window says so', async () => {
    const second = await runtime.incidents.declare(
      {
        title: 'Même compte, signalement du partenaire',
        vector: 'account_takeover',
        description: 'Signalement par la mission locale.',
        compromised: { actors: [attacker], organisations: [], clients: [], sessions: [] },
        windowFrom: attackStart,
        windowTo: attackEnd,
        awareAt: attackEnd,
      },
      by,
    );
    const overlap = await runtime.incidents.scope(second.id, by);
    assert.equal(overlap.totals.persons, radius.persons.length);
    assert.equal(overlap.totals.alsoInOtherIncidents, radius.persons.length);
    // The first incident, and the stolen session's (which holds one of the same persons).
    assert.deepEqual(overlap.totals.otherIncidents, [
      radius.reference,
      'INC-' + radius.reference.slice(4, 8) + '-0002',
    ]);
    assert.equal(await personsExposedByAnyIncident(runtime.database.db), radius.persons.length);
    const before = new Date(attackStart.getTime() - 3_600_000);
    const empty = await runtime.incidents.declare(
      {
        title: 'Fenêtre sans lecture',
        vector: 'other',
        description: 'Avant l’attaque.',
        compromised: { actors: [attacker], organisations: [], clients: [], sessions: [] },
        windowFrom: before,
        windowTo: new Date(attackStart.getTime() - 1),
        awareAt: attackEnd,
      },
      by,
    );
    const nothing = await runtime.incidents.scope(empty.id, by);
    assert.equal(nothing.empty, true);
    assert.equal(nothing.persons.length, 0);
    const steps = await runtime.incidents.timeline(empty.id);
    assert.match(steps.at(-1)!.summary, /aucune donnée n’est sortie/);
  });

  it('a stolen session named beside its whole organisation takes nothing away from the organisation’s reads', async () => {
    const colleague = await actorIdOf(sim.ctx, COLLEAGUE);
    const organisation = (
      await runtime.database.db
        .selectFrom('actors')
        .select('organisation_id')
        .where('id', '=', colleague)
        .executeTakeFirstOrThrow()
    ).organisation_id;
    const declare = (title: string, sessions: string[]) =>
      runtime.incidents.declare(
        {
          title,
          vector: 'partner_system',
          description: 'Système de la mission locale compromis.',
          compromised: { actors: [], organisations: [organisation], clients: [], sessions },
          windowFrom: attackStart,
          windowTo: new Date(),
          awareAt: new Date(),
        },
        by,
      );
    const whole = await runtime.incidents.scope((await declare('Organisation entière', [])).id, by);
    const withSession = await runtime.incidents.scope(
      (await declare('Organisation entière et session volée', [colleagueSession])).id,
      by,
    );
    // The colleague's other session read a file too: it is the organisation's, whatever session is also named.
    assert.ok(
      whole.persons.some((p) => p.via.includes(colleague)),
      'the colleague’s reads are in the organisation’s scope',
    );
    assert.deepEqual(withSession.persons, whole.persons);
    assert.equal(withSession.events, whole.events);
  });
});

describe(`incidents desk over HTTP: roles, bad input, an incident opened by the guard, documents (${BACKEND})`, () => {
  const PASSWORD = 'cheval agrafe pile correcte';
  const RSSI = 'rssi.na';
  const DPO = 'dpo.na';
  const COUNSELLOR = 'conseiller.bastide.1';
  let server: TestServer;
  let runtime: Runtime;
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  let host = 0;
  const db = () => runtime.database.db;

  function call(login: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) {
    return server.app.inject({
      method,
      url,
      remoteAddress: clients[login]!.remoteAddress,
      headers: { ...clients[login]!.headers, cookie: sessions[login]!.cookie, 'x-csrf-token': sessions[login]!.csrf },
      ...(payload ? { payload } : {}),
    });
  }

  /** A mission locale agent's account, the one the small incidents below are about. */
  const missionLocaleActor = async () =>
    (await db().selectFrom('actors').select('id').where('login', '=', 'ml.bordeaux.1').executeTakeFirstOrThrow()).id;

  /** A small incident declared over HTTP by the security officer: its id. */
  async function declareSmall(title: string, description: string): Promise<string> {
    const now = Date.now();
    const declared = await call(RSSI, 'POST', '/api/security/incidents', {
      title,
      vector: 'other',
      description,
      compromised: { actors: [await missionLocaleActor()] },
      windowFrom: new Date(now - 3_600_000).toISOString(),
      windowTo: new Date(now).toISOString(),
      awareAt: new Date(now).toISOString(),
    });
    assert.equal(declared.statusCode, 201, declared.body);
    return declared.json().id as string;
  }

  before(async () => {
    server = await openTestServer();
    runtime = server.runtime;
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 120,
      seed: 13,
      batchSize: 120,
      parallel: false,
    });
    await plantDecoys(db(), runtime.persons, { seed: 13, population: 120 });
    for (const login of [RSSI, DPO, COUNSELLOR]) {
      const actor = await db().selectFrom('actors').select('id').where('login', '=', login).executeTakeFirstOrThrow();
      const accountId = await createAccount(db(), { kind: 'staff', login, password: PASSWORD, actorId: actor.id });
      await addChannel(db(), runtime.keyring, accountId, 'email', `${login}@agents.test.example`, { verified: true });
      clients[login] = {
        remoteAddress: `10.0.2.${++host}`,
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      sessions[login] = await signIn(server.app, clients[login], login, PASSWORD);
    }
  });

  after(async () => {
    await server?.close();
  });

  it('is closed to a counsellor, for reading as for declaring', async () => {
    for (const [method, url] of [
      ['GET', '/api/security/incidents'],
      ['POST', '/api/security/incidents'],
    ] as const) {
      const res = await call(COUNSELLOR, method, url, method === 'POST' ? {} : undefined);
      assert.equal(res.statusCode, 403, res.body);
      assert.equal(res.json().error, 'role_required');
    }
  });

  it('refuses bad declarations with the field named, and writes nothing', async () => {
    const now = new Date();
    const actor = (
      await db().selectFrom('actors').select('id').where('login', '=', COUNSELLOR).executeTakeFirstOrThrow()
    ).id;
    const base = {
      title: 'Compte compromis',
      vector: 'account_takeover',
      description: 'Signalé par le référent sécurité.',
      compromised: { actors: [actor] },
      windowFrom: new Date(now.getTime() - 86_400_000).toISOString(),
      windowTo: now.toISOString(),
      awareAt: now.toISOString(),
    };
    const cases: Array<[object, string]> = [
      [{ ...base, compromised: {} }, 'body.compromised'],
      [{ ...base, compromised: { actors: ['00000000-0000-4000-8000-000000000001'] } }, 'body.compromised.actors[0]'],
      [{ ...base, windowTo: base.windowFrom, windowFrom: base.windowTo }, 'body.windowTo'],
      [{ ...base, awareAt: new Date(now.getTime() + 86_400_000).toISOString() }, 'body.awareAt'],
      [{ ...base, vector: 'martians' }, 'vector'],
      [{ ...base, windowFrom: 'hier' }, 'windowFrom'],
    ];
    for (const [body, field] of cases) {
      const res = await call(RSSI, 'POST', '/api/security/incidents', body);
      assert.equal(res.statusCode, 400, res.body);
      assert.ok(JSON.stringify(res.json().issues ?? res.json().message).includes(field), `${field}: ${res.body}`);
    }
    assert.equal((await db().selectFrom('incidents').select('id').execute()).length, 0);
    assert.equal(
      (await db().selectFrom('ledger_events').select('id').where('kind', '=', 'incident_declared').execute()).length,
      0,
    );
  });

  it('a containment by the guard opens an incident; its scope keeps the decoy apart; documents are downloaded with a fresh second factor and recorded', async () => {
    const partner = await db()
      .selectFrom('actors')
      .select(['id', 'organisation_id'])
      .where('login', '=', 'ml.bordeaux.1')
      .executeTakeFirstOrThrow();
    const decoy = (await db().selectFrom('guard_decoys').select('person_id').executeTakeFirstOrThrow()).person_id;
    const real = (
      await db()
        .selectFrom('persons')
        .select('id')
        .where('id', 'not in', (eb) => eb.selectFrom('guard_decoys').select('person_id'))
        .executeTakeFirstOrThrow()
    ).id;
    const actor = { id: partner.id, organisationId: partner.organisation_id };
    const read = (personId: string) =>
      runtime.guard.admit(
        {
          actor,
          network: '10.9.9.0/24',
          purpose: 'accompagnement_jeunes',
          dailyCeiling: 60,
          followUpExpected: false,
          personIds: [personId],
        },
        async (trx) => {
          await appendEvent(trx, 'access_granted', {
            actorId: partner.id,
            organisationId: partner.organisation_id,
            personId,
            purpose: 'accompagnement_jeunes',
            operation: 'read',
            classes: ['identity', 'contact'],
          });
        },
      );
    assert.equal((await read(real)).allowed, true);
    await read(decoy);
    const list = await call(DPO, 'GET', '/api/security/incidents');
    assert.equal(list.statusCode, 200, list.body);
    const opened = (
      list.json().incidents as Array<{
        id: string;
        reference: string;
        source: string;
        compromised: { actors: string[] };
        clock: { label: string; minutesLeft: number };
      }>
    ).find((i) => i.source === 'guard')!;
    assert.ok(opened, 'the containment opened an incident');
    assert.deepEqual(opened.compromised.actors, [partner.id]);
    assert.match(opened.clock.label, /restantes pour notifier la CNIL/);

    const scoped = await call(RSSI, 'POST', `/api/security/incidents/${opened.reference}/scope`);
    assert.equal(scoped.statusCode, 200, scoped.body);
    assert.equal(scoped.json().totals.persons, 1, scoped.body);
    assert.equal(scoped.json().totals.decoys, 1);
    const exposures = await call(DPO, 'GET', `/api/security/incidents/${opened.id}/exposures`);
    assert.deepEqual(
      exposures.json().exposures.map((e: { personId: string }) => e.personId),
      [real],
    );
    const decoys = await call(DPO, 'GET', `/api/security/incidents/${opened.id}/exposures?decoys=true`);
    assert.deepEqual(
      decoys.json().exposures.map((e: { personId: string }) => e.personId),
      [decoy],
    );

    const drafted = await call(DPO, 'POST', `/api/security/incidents/${opened.id}/cnil`);
    assert.equal(drafted.statusCode, 201, drafted.body);
    assert.equal(drafted.json().draft.notification.kind, 'initiale');
    const pdfId = drafted.json().pdf.id as string;
    assert.equal(
      (await call(COUNSELLOR, 'GET', `/api/security/incidents/${opened.id}/documents/${pdfId}`)).statusCode,
      403,
    );
    const pdf = await call(DPO, 'GET', `/api/security/incidents/${opened.id}/documents/${pdfId}`);
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pdf.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.equal(pdf.headers['x-content-sha256'], drafted.json().pdf.sha256);

    // A second factor older than five minutes: no action, no document (the DPO reads documents; actions and notices are the officer's).
    for (const login of [DPO, RSSI]) {
      const account = (
        await db().selectFrom('accounts').select('id').where('login', '=', login).executeTakeFirstOrThrow()
      ).id;
      await db()
        .updateTable('sessions')
        .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
        .where('account_id', '=', account)
        .execute();
    }
    for (const [login, url] of [
      [DPO, `/api/security/incidents/${opened.id}/documents/${pdfId}`],
      [RSSI, `/api/security/incidents/${opened.id}/actions/revoke_access`],
      [RSSI, `/api/security/incidents/${opened.id}/notices/run`],
    ] as const) {
      const res = await call(
        login,
        url.includes('documents') ? 'GET' : 'POST',
        url,
        url.includes('notices') ? {} : undefined,
      );
      assert.equal(res.statusCode, 403, res.body);
      assert.equal(res.json().error, 'step_up_required');
    }

    const filed = await call(DPO, 'POST', `/api/security/incidents/${opened.id}/cnil/filed`, {
      reference: 'CNIL-2026-000123',
      filedAt: new Date().toISOString(),
    });
    assert.equal(filed.statusCode, 200, filed.body);
    assert.match(filed.json().clock.label, /notifiée à la CNIL dans le délai/);
    assert.equal(
      (
        await call(DPO, 'POST', `/api/security/incidents/${opened.id}/cnil/filed`, {
          reference: 'CNIL-2026-000124',
          filedAt: new Date().toISOString(),
        })
      ).statusCode,
      409,
    );
    const complementary = await call(DPO, 'POST', `/api/security/incidents/${opened.id}/cnil`);
    assert.equal(complementary.json().draft.notification.kind, 'complémentaire');
    assert.equal(complementary.json().draft.notification.cnilReference, 'CNIL-2026-000123');
    assert.equal(complementary.json().json.version, 2);

    const detail = await call(RSSI, 'GET', `/api/security/incidents/${opened.id}`);
    const kinds = (detail.json().timeline as Array<{ kind: string }>).map((s) => s.kind);
    assert.deepEqual(kinds.slice(0, 2), ['incident_declared', 'incident_scoped']);
    assert.ok(kinds.includes('incident_document_read'));
    assert.ok(kinds.includes('incident_cnil_filed'));
    const closed = await call(RSSI, 'POST', `/api/security/incidents/${opened.id}/close`, {
      note: 'Compte revérifié, lecture d’un leurre par erreur de manipulation.',
    });
    assert.equal(closed.statusCode, 200, closed.body);
    assert.equal((await call(RSSI, 'POST', `/api/security/incidents/${opened.id}/scope`)).statusCode, 409);
  });

  it('two closings of one incident at once: exactly one wins, the other hears 409, and one closing step is recorded', async () => {
    const id = await declareSmall('Doublon à clore', 'Signalement en double.');
    const both = await Promise.all(
      [1, 2].map(() =>
        call(RSSI, 'POST', `/api/security/incidents/${id}/close`, { note: 'Doublon d’un autre incident.' }),
      ),
    );
    assert.deepEqual(both.map((r) => r.statusCode).sort(), [200, 409], both.map((r) => r.body).join('\n'));
    const steps = await db()
      .selectFrom('incident_steps')
      .select('kind')
      .where('incident_id', '=', id)
      .where('kind', '=', 'incident_closed')
      .execute();
    assert.equal(steps.length, 1);
  });

  it('two filings of the CNIL notification at once: exactly one reference is kept, the other hears 409', async () => {
    const id = await declareSmall('Double dépôt CNIL', 'Deux membres de la cellule déposent en même temps.');
    const references = ['CNIL-2026-000201', 'CNIL-2026-000202'];
    const both = await Promise.all(
      references.map((reference) =>
        call(DPO, 'POST', `/api/security/incidents/${id}/cnil/filed`, { reference, filedAt: new Date().toISOString() }),
      ),
    );
    assert.deepEqual(both.map((r) => r.statusCode).sort(), [200, 409], both.map((r) => r.body).join('\n'));
    const loser = both.find((r) => r.statusCode === 409)!;
    assert.equal(loser.json().error, 'cnil_already_filed');
    const winner = references[both.findIndex((r) => r.statusCode === 200)];
    const row = await db()
      .selectFrom('incidents')
      .select('cnil_reference')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.cnil_reference, winner, 'the winner’s reference, never overwritten by the loser’s');
    const steps = await db()
      .selectFrom('incident_steps')
      .select('kind')
      .where('incident_id', '=', id)
      .where('kind', '=', 'incident_cnil_filed')
      .execute();
    assert.equal(steps.length, 1);
  });

  it('amends an incident only with a valid change, by the security officer, and records it', async () => {
    const now = Date.now();
    const id = await declareSmall('À qualifier', 'Signalement à vérifier.');
    const url = `/api/security/incidents/${id}`;
    assert.equal((await call(COUNSELLOR, 'PATCH', url, { vector: 'insider' })).statusCode, 403);
    const reversed = await call(RSSI, 'PATCH', url, {
      windowFrom: new Date(now).toISOString(),
      windowTo: new Date(now - 7_200_000).toISOString(),
    });
    assert.equal(reversed.statusCode, 400, reversed.body);
    assert.ok((reversed.json().issues as Array<{ field: string }>).some((i) => i.field === 'body.windowTo'));
    assert.equal((await call(RSSI, 'PATCH', url, {})).statusCode, 400, 'an empty change is no change');
    const row = await db()
      .selectFrom('incidents')
      .select(['vector', 'window_from', 'window_to'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.vector, 'other');
    assert.equal(row.window_to, new Date(now).toISOString());
    const readOnly = await call(DPO, 'PATCH', url, { vector: 'insider' });
    assert.equal(readOnly.statusCode, 403, 'the DPO’s desk is read-only');
    assert.equal(readOnly.json().error, 'role_required');
    const amended = await call(RSSI, 'PATCH', url, { vector: 'insider' });
    assert.equal(amended.statusCode, 200, amended.body);
    assert.equal(amended.json().vector, 'insider');
    const steps = (await call(RSSI, 'GET', url)).json().timeline as Array<{ kind: string }>;
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['incident_declared', 'incident_amended'],
    );
  });

  it('every route of the desk is closed to a counsellor (a fresh second factor changes nothing) and to a caller without a session, and the refusals write nothing', async () => {
    const actor = await missionLocaleActor();
    const now = Date.now();
    const declared = await runtime.incidents.declare(
      {
        title: 'Compte à vérifier',
        vector: 'account_takeover',
        description: 'Signalé par la mission locale.',
        compromised: { actors: [actor], organisations: [], clients: [], sessions: [] },
        windowFrom: new Date(now - 86_400_000),
        windowTo: new Date(now),
        awareAt: new Date(now),
      },
      { accountId: null },
    );
    await runtime.incidents.scope(declared.id, { accountId: null });
    const base = `/api/security/incidents/${declared.id}`;
    const routes: Array<['GET' | 'POST' | 'PATCH', string, object?]> = [
      ['GET', base],
      ['PATCH', base, { vector: 'insider' }],
      ['POST', `${base}/scope`],
      ['GET', `${base}/exposures`],
      ['POST', `${base}/scope/export`],
      ['POST', `${base}/cnil`],
      ['POST', `${base}/cnil/filed`, { reference: 'CNIL-2026-999999', filedAt: new Date(now).toISOString() }],
      ['POST', `${base}/notices/plan`],
      ['POST', `${base}/notices/run`, {}],
      ['GET', `${base}/notices`],
      ...ACTIONS.map((action): ['POST', string] => ['POST', `${base}/actions/${action}`]),
      ['POST', `${base}/close`, { note: 'Clos par quelqu’un qui n’en a pas le droit.' }],
      ['GET', `${base}/documents/00000000-0000-4000-8000-000000000000`],
      ['POST', `${base}/documents/00000000-0000-4000-8000-000000000000/request`],
      ['GET', '/api/security/incidents/requests'],
      ['POST', '/api/security/incidents/requests/00000000-0000-4000-8000-000000000000/approve'],
      [
        'POST',
        '/api/security/incidents/requests/00000000-0000-4000-8000-000000000000/refuse',
        { note: 'Refus par quelqu’un qui n’en a pas le droit.' },
      ],
    ];
    const written = async () => ({
      incident: await db().selectFrom('incidents').selectAll().where('id', '=', declared.id).executeTakeFirstOrThrow(),
      steps: (await db().selectFrom('incident_steps').select('id').where('incident_id', '=', declared.id).execute())
        .length,
      documents: (
        await db().selectFrom('incident_documents').select('id').where('incident_id', '=', declared.id).execute()
      ).length,
      notices: (await db().selectFrom('incident_notices').select('id').where('incident_id', '=', declared.id).execute())
        .length,
      holds: (await db().selectFrom('bank_holds').select('id').execute()).length,
      revoked: (await db().selectFrom('sessions').select('public_id').where('revoked_at', 'is not', null).execute())
        .length,
      accessesForNotices: (
        await db()
          .selectFrom('ledger_events')
          .select('id')
          .where('kind', '=', 'access_granted')
          .where('body', 'like', '%"operation":"incident_notice"%')
          .execute()
      ).length,
    });
    const before = await written();
    for (const [method, url, payload] of routes) {
      const denied = await call(COUNSELLOR, method, url, payload);
      assert.equal(denied.statusCode, 403, `${method} ${url}: ${denied.body}`);
      assert.equal(denied.json().error, 'role_required', `${method} ${url}`);
      const anonymous = await server.app.inject({
        method,
        url,
        remoteAddress: '10.0.3.1',
        headers: { 'user-agent': 'curl/8.0' },
        ...(payload ? { payload } : {}),
      });
      assert.equal(anonymous.statusCode, 401, `${method} ${url} without a session: ${anonymous.body}`);
    }
    assert.deepEqual(await written(), before);
  });

  it('the command line declares, scopes with progress and writes the CSV, drafts for the CNIL, and refuses bad input by the option', async () => {
    const env = childEnv(server.env);
    const actor = await missionLocaleActor();
    const bad = await runCli(
      ['incident', 'declare', '--title', 'Test', '--vector', 'account_takeover', '--actor', actor, '--from', 'hier'],
      env,
    );
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--from/);
    const before = (await db().selectFrom('incidents').select('id').execute()).length;
    const declared = await runCli(
      [
        'incident',
        'declare',
        '--title',
        'Poste infecté (infostealer)',
        '--vector',
        'infostealer',
        '--actor',
        actor,
        '--from',
        new Date(Date.now() - 3_600_000).toISOString(),
      ],
      env,
    );
    assert.equal(declared.code, 0, declared.stderr);
    const reference = /^(INC-\d{4}-\d{4})/m.exec(declared.stdout)![1]!;
    assert.equal((await db().selectFrom('incidents').select('id').execute()).length, before + 1);
    const dir = mkdtempSync(join(tmpdir(), 'rempart-incident-cli-'));
    try {
      const csv = join(dir, 'perimetre.csv');
      const scoped = await runCli(['incident', 'scope', reference, '--csv', csv], env);
      assert.equal(scoped.code, 0, scoped.stderr);
      assert.match(scoped.stdout, /1 personne\(s\) exposée\(s\), 1 leurre\(s\)/);
      assert.match(scoped.stderr, /Périmètre \[/);
      const rows = parse(readFileSync(csv, 'utf8'), { columns: true }) as Array<Record<string, string>>;
      assert.deepEqual(rows.map((r) => r.nature).sort(), ['leurre', 'personne']);
      const cnil = await runCli(['incident', 'cnil', reference, '--out', dir], env);
      assert.equal(cnil.code, 0, cnil.stderr);
      assert.equal(
        readFileSync(join(dir, `${reference}-cnil-v1.pdf`))
          .subarray(0, 5)
          .toString('latin1'),
        '%PDF-',
      );
      assert.equal(
        (JSON.parse(readFileSync(join(dir, `${reference}-cnil-v1.json`), 'utf8')) as CnilDraft).persons.exact,
        1,
      );
      const shown = await runCli(['incident', 'show', reference], env);
      assert.match(shown.stdout, /Incident INC-\d{4}-\d{4} déclaré/);
      assert.match(shown.stdout, /\(opérateur\)/);
      const action = await runCli(['incident', 'act', reference, 'detonate'], env);
      assert.equal(action.code, 2);
      assert.match(action.stderr, /action/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
