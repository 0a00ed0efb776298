import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { announceToAccount } from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { frenchIban, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { followedDemoSeeker } from '../helpers/followed-seeker.ts';
import { messagesTo } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 11;
const RSSI = 'rssi.na';
const DPO = 'dpo.na';

/**
 * The paper channel (issue 25 §5): a person chooses paper for all correspondence (in their espace,
 * or an agent records it for them), every notice to their account is then queued as a letter too;
 * the mail room prints it (the address read through the pipeline, recorded), posts it, and a
 * letter that comes back with its reason sends the notice to the person's verified e-mail. Bad
 * input and the wrong role change nothing.
 */
describe(`the paper channel (${BACKEND})`, () => {
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

  const call = (login: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    app.inject({
      method,
      url,
      remoteAddress: clients[login]!.remoteAddress,
      headers: { ...clients[login]!.headers, cookie: sessions[login]!.cookie, 'x-csrf-token': sessions[login]!.csrf },
      ...(payload ? { payload } : {}),
    });
  const events = async (kind: string) =>
    (
      await db()
        .selectFrom('ledger_events')
        .select(['body', 'actor_id', 'account_id'])
        .where('kind', '=', kind as never)
        .where('person_id', '=', personId)
        .orderBy('at')
        .execute()
    ).map((e) => ({ ...e, parsed: JSON.parse(e.body) as { details: Record<string, unknown>; restricted?: unknown } }));
  const letters = () =>
    db().selectFrom('paper_letters').selectAll().where('person_id', '=', personId).orderBy('queued_at').execute();
  const snapshot = async () => ({
    letters: JSON.stringify(await letters()),
    preference: JSON.stringify(
      await db().selectFrom('correspondence_preferences').selectAll().where('person_id', '=', personId).execute(),
    ),
    events: (await db().selectFrom('ledger_events').select('id').execute()).length,
  });

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
    for (const login of [seeker, counsellor, RSSI, DPO]) {
      clients[login] = {
        remoteAddress: `10.61.71.${++host}`,
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      sessions[login] = await signIn(app, clients[login], login, DEMO_PASSWORD);
    }
  });

  after(async () => {
    await server?.close();
  });

  it('a person chooses paper in their espace: recorded, announced, and that notice is the first letter', async () => {
    const before = await call(seeker, 'GET', '/api/me/correspondence');
    assert.equal(before.statusCode, 200, before.body);
    assert.equal(before.json().paper, false);

    const res = await call(seeker, 'PUT', '/api/me/correspondence', { paper: true });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().paper, true);
    assert.equal(res.json().setBy, 'person');
    const set = await events('correspondence_preference_set');
    assert.equal(set.length, 1);
    assert.equal(set[0]!.parsed.details.paper, true);
    assert.equal(set[0]!.parsed.details.by, 'person');

    const queued = await letters();
    assert.equal(queued.length, 1);
    assert.equal(queued[0]!.status, 'queued');
    assert.equal(queued[0]!.kind, 'correspondence_preference_announcement');
    assert.equal((await events('paper_letter_queued')).length, 1);
    // The person sees it in their espace (what and its state, no text).
    const mine = (await call(seeker, 'GET', '/api/me/correspondence')).json();
    assert.equal(mine.letters.length, 1);
    assert.equal(mine.letters[0].status, 'queued');

    // In the account's security events, in French.
    const activity = await call(seeker, 'GET', '/api/me/security-events?page=1&pageSize=20');
    assert.ok(
      (activity.json().events as Array<{ label: string }>).some((e) => e.label === 'Choix du courrier papier modifié'),
      activity.body,
    );

    // Setting what is set changes nothing.
    await call(seeker, 'PUT', '/api/me/correspondence', { paper: true });
    assert.equal((await events('correspondence_preference_set')).length, 1);
    assert.equal((await letters()).length, 1);
  });

  it('an agent records it on the person’s behalf, as the author; a counsellor only', async () => {
    const off = await call(counsellor, 'PUT', `/api/staff/persons/${personId}/correspondence`, { paper: false });
    assert.equal(off.statusCode, 200, off.body);
    assert.equal(off.json().setBy, 'agent');
    const on = await call(counsellor, 'PUT', `/api/staff/persons/${personId}/correspondence`, { paper: true });
    assert.equal(on.statusCode, 200, on.body);
    assert.equal(on.json().paper, true);
    const set = await events('correspondence_preference_set');
    assert.equal(set.length, 3);
    const last = set.at(-1)!;
    assert.equal(last.parsed.details.by, 'agent');
    const agent = await db()
      .selectFrom('actors')
      .select('id')
      .where('login', '=', counsellor)
      .executeTakeFirstOrThrow();
    assert.equal(last.actor_id, agent.id, 'the agent is the event’s author');
    // The person was told of the agent's record; with paper on, as a letter too.
    const kinds = (await letters()).map((l) => l.kind);
    assert.equal(kinds.filter((k) => k === 'correspondence_preference_announcement').length, 2);

    const unknown = await call(counsellor, 'PUT', `/api/staff/persons/${randomUUID()}/correspondence`, { paper: true });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().issues[0].field, 'params.personId');
    const bad = await call(counsellor, 'PUT', `/api/staff/persons/${personId}/correspondence`, { paper: 'oui' });
    assert.equal(bad.statusCode, 400);
    assert.ok(
      (bad.json().issues as Array<{ field: string }>).some((i) => i.field.startsWith('body.paper')),
      bad.body,
    );
    // The security desk does not record it for a person.
    const desk = await call(RSSI, 'PUT', `/api/staff/persons/${personId}/correspondence`, { paper: true });
    assert.equal(desk.statusCode, 403);
  });

  it('a notice is queued as a letter, printed through the pipeline, posted, returned: the person is reached by e-mail', async () => {
    const account = await db()
      .selectFrom('accounts')
      .select('id')
      .where('person_id', '=', personId)
      .executeTakeFirstOrThrow();
    const count = await announceToAccount(
      { db: db(), keyring: runtime.keyring, notifier: runtime.notifier },
      account.id,
      'factor_added_announcement',
      'Rempart : un second facteur a été ajouté à votre compte',
      'Le 4 décembre 2026, une application d’authentification a été ajoutée à votre compte Rempart.\nSi ce n’est pas vous, changez votre mot de passe.',
      { verifiedOnly: true },
    );
    assert.equal(count, 1, 'the verified e-mail as before');
    const letter = (await letters()).find((l) => l.kind === 'factor_added_announcement');
    assert.ok(letter, 'queued as a letter too');
    assert.equal(letter.status, 'queued');
    const stored = JSON.stringify(letter);
    assert.ok(!stored.includes('authentification'), 'the text is sealed');

    // The mail room's queue: no address, no text.
    const list = await call(RSSI, 'GET', '/api/security/letters?status=queued');
    assert.equal(list.statusCode, 200, list.body);
    assert.ok(list.json().letters.some((l: { id: string }) => l.id === letter.id));
    assert.ok(!list.body.includes('authentification'));

    // The PDF: the address read through the pipeline, recorded first.
    const reads = (await events('access_granted')).length;
    const pdf = await call(RSSI, 'GET', `/api/security/letters/${letter.id}/pdf`);
    assert.equal(pdf.statusCode, 200, pdf.body);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.ok(pdf.rawPayload.subarray(0, 5).toString() === '%PDF-');
    const granted = await events('access_granted');
    assert.equal(granted.length, reads + 1);
    const read = granted
      .map((e) => e.parsed as unknown as { purpose: string; classes: string[]; details: Record<string, string> })
      .find((e) => e.details.letter === letter.id);
    assert.ok(read, 'the read names the letter');
    assert.equal(read.purpose, 'paper_correspondence');
    assert.deepEqual([...read.classes].sort(), ['contact', 'identity']);
    assert.equal(read.details.letter, letter.id);
    // The guard counted the person under the mail room's desk-download budget.
    const officer = await db().selectFrom('actors').select('id').where('login', '=', RSSI).executeTakeFirstOrThrow();
    const counted = await db()
      .selectFrom('guard_actor_days')
      .select('persons')
      .where('actor_id', '=', officer.id)
      .execute();
    assert.ok(
      counted.some((d) => d.persons >= 1),
      'the print counted by the guard',
    );
    // A contained mail-room account prints nothing: refused before the address is read.
    await db().updateTable('actors').set({ status: 'suspended' }).where('id', '=', officer.id).execute();
    try {
      const before = (await events('access_granted')).length;
      const refused = await call(RSSI, 'GET', `/api/security/letters/${letter.id}/pdf`);
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal((await events('access_granted')).length, before, 'no address read');
    } finally {
      await db().updateTable('actors').set({ status: 'active' }).where('id', '=', officer.id).execute();
    }

    // Posted, with its date.
    const posted = await call(RSSI, 'POST', `/api/security/letters/${letter.id}/posted`, { postedOn: '2026-12-04' });
    assert.equal(posted.statusCode, 200, posted.body);
    assert.equal(posted.json().status, 'posted');
    assert.equal(posted.json().postedAt, '2026-12-04T12:00:00.000Z');
    assert.equal((await events('paper_letter_posted')).length, 1);
    const again = await call(RSSI, 'POST', `/api/security/letters/${letter.id}/posted`, {});
    assert.equal(again.statusCode, 409);

    // Returned, with La Poste's reason: the same notice goes to the verified e-mail, no letter again.
    const mailsBefore = messagesTo(runtime.config.dataDir, seeker).length;
    const lettersBefore = (await letters()).length;
    const returned = await call(RSSI, 'POST', `/api/security/letters/${letter.id}/returned`, {
      reason: 'destinataire_inconnu',
    });
    assert.equal(returned.statusCode, 200, returned.body);
    assert.equal(returned.json().status, 'returned');
    assert.equal(returned.json().returnReason, 'destinataire_inconnu');
    assert.equal(returned.json().reachedChannels, 1);
    assert.equal(returned.json().needsAgent, false);
    assert.equal((await letters()).length, lettersBefore, 'the fallback sends no letter');
    const mails = messagesTo(runtime.config.dataDir, seeker);
    assert.equal(mails.length, mailsBefore + 1);
    assert.match(mails.at(-1)!.body, /ce courrier nous est revenu/);
    assert.match(mails.at(-1)!.body, /authentification a été ajoutée/);
    const back = await events('paper_letter_returned');
    assert.equal(back.length, 1);
    assert.equal(back[0]!.parsed.details.reason, 'destinataire_inconnu');
    assert.equal(back[0]!.parsed.details.reachedChannels, 1);
    // No address, no text in the events of the letter's life.
    for (const kind of ['paper_letter_queued', 'paper_letter_posted', 'paper_letter_returned'])
      for (const e of await events(kind))
        assert.ok(!e.body.includes('authentification') && !e.body.includes('@'), kind);

    // The desk lists the returned letters; a letter back is not printed again.
    const desk = await call(RSSI, 'GET', '/api/security/letters?status=returned');
    assert.equal(desk.json().letters[0].id, letter.id);
    assert.equal((await call(RSSI, 'GET', `/api/security/letters/${letter.id}/pdf`)).statusCode, 409);
  });

  it('a letter back for a person reached nowhere else is flagged for an agent', async () => {
    const account = await db()
      .selectFrom('accounts')
      .select('id')
      .where('person_id', '=', personId)
      .executeTakeFirstOrThrow();
    await announceToAccount(
      { db: db(), keyring: runtime.keyring, notifier: runtime.notifier },
      account.id,
      'bank_alert',
      '[Rempart] Vos coordonnées bancaires',
      'Un changement de coordonnées bancaires a été demandé.',
    );
    const letter = (await letters()).find((l) => l.kind === 'bank_alert')!;
    // The person's e-mail is no longer verified.
    await db()
      .updateTable('account_channels')
      .set({ verified_at: null })
      .where('account_id', '=', account.id)
      .execute();
    const res = await call(RSSI, 'POST', `/api/security/letters/${letter.id}/returned`, { reason: 'adresse_inconnue' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().reachedChannels, 0);
    assert.equal(res.json().needsAgent, true);
    const flagged = await call(RSSI, 'GET', '/api/security/letters?status=returned&needsAgent=true');
    assert.equal(flagged.statusCode, 200, flagged.body);
    assert.deepEqual(
      flagged.json().letters.map((l: { id: string }) => l.id),
      [letter.id],
    );
  });

  it('an agent who reached the flagged person records how and when: the flag lifted, in the person’s journal; twice, or bad input, refused', async () => {
    const letter = (await letters()).find((l) => l.kind === 'bank_alert' && Number(l.needs_agent) === 1)!;
    assert.ok(letter, 'the letter flagged above');
    const reached = (body: object, login = RSSI, id = letter.id) =>
      call(login, 'POST', `/api/security/letters/${id}/reached`, body);
    const before = await snapshot();
    const cases: Array<[object, string]> = [
      [{ how: 'pigeon' }, 'body.how'],
      [{}, 'body.how'],
      [{ how: 'telephone', reachedOn: 'hier' }, 'body.reachedOn'],
      [{ how: 'telephone', reachedOn: '2099-01-01' }, 'body.reachedOn'],
      [{ how: 'telephone', reachedOn: '2001-01-01' }, 'body.reachedOn'],
      [{ how: 'telephone', note: 'appelé' }, 'body.note'],
    ];
    for (const [body, field] of cases) {
      const res = await reached(body);
      assert.equal(res.statusCode, 400, `${field}: ${res.body}`);
      assert.ok(
        (res.json().issues as Array<{ field: string }>).some((i) => i.field === field),
        `${field} in ${res.body}`,
      );
    }
    // The wrong roles, an unknown letter, and a letter that is not waiting for an agent.
    for (const login of [DPO, counsellor, seeker])
      assert.equal((await reached({ how: 'telephone' }, login)).statusCode, 403, login);
    const unknown = await reached({ how: 'telephone' }, RSSI, randomUUID());
    assert.equal(unknown.statusCode, 404, unknown.body);
    const queued = (await letters()).find((l) => l.status === 'queued')!;
    const notWaiting = await reached({ how: 'telephone' }, RSSI, queued.id);
    assert.equal(notWaiting.statusCode, 409, notWaiting.body);
    assert.equal(notWaiting.json().error, 'not_waiting_for_agent');
    assert.deepEqual(await snapshot(), before, 'nothing written');

    const today = new Date().toISOString().slice(0, 10);
    const res = await reached({ how: 'agence' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().needsAgent, false);
    assert.deepEqual({ how: res.json().reached.how, on: res.json().reached.on }, { how: 'agence', on: today });
    assert.equal(res.json().reached.howLabel, 'À l’agence');
    const flagged = await call(RSSI, 'GET', '/api/security/letters?status=returned&needsAgent=true');
    assert.deepEqual(flagged.json().letters, [], 'nobody left to reach');
    const [event] = await events('paper_letter_reached');
    assert.deepEqual(event!.parsed.details, {
      letter: letter.id,
      notice: 'bank_alert',
      how: 'agence',
      reachedOn: today,
    });
    assert.ok(event!.actor_id, 'the agent is its author');
    // The person reads it in « Qui a consulté mon dossier ».
    const journal = await call(seeker, 'GET', '/api/me/journal?pageSize=50');
    assert.ok(
      (journal.json().entries as Array<{ event: { kind: string } }>).some(
        (e) => e.event.kind === 'paper_letter_reached',
      ),
      'in the person’s journal',
    );
    const twice = await reached({ how: 'telephone' });
    assert.equal(twice.statusCode, 409, twice.body);
    assert.equal((await events('paper_letter_reached')).length, 1);
  });

  it('a person without an espace account whose choice of paper an agent recorded gets the notice as a letter', async () => {
    const withoutAccount = await db()
      .selectFrom('persons')
      .select('id')
      .where('status', '=', 'active')
      .where('id', 'not in', db().selectFrom('accounts').select('person_id').where('person_id', 'is not', null))
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const res = await call(counsellor, 'PUT', `/api/staff/persons/${withoutAccount.id}/correspondence`, {
      paper: true,
    });
    assert.equal(res.statusCode, 200, res.body);
    const queued = await db()
      .selectFrom('paper_letters')
      .select(['kind', 'status', 'account_id'])
      .where('person_id', '=', withoutAccount.id)
      .execute();
    assert.deepEqual(queued, [{ kind: 'correspondence_preference_announcement', status: 'queued', account_id: null }]);
  });

  it('a change of bank details is announced by letter too, sealed, once', async () => {
    const account = await db()
      .selectFrom('accounts')
      .select('id')
      .where('person_id', '=', personId)
      .executeTakeFirstOrThrow();
    const identity = (await runtime.persons.read(personId, ['identity'])).fields.identity!;
    const change = await runtime.bank.requestChange(
      personId,
      {
        iban: frenchIban('30004', '00077', '00000000043'),
        bic: 'BNPAFRPPXXX',
        holder: `${identity.firstNames[0]} ${identity.lastName}`,
      },
      { via: 'job_seeker', accountId: account.id, fingerprint: 'test' },
    );
    const notices = (await letters()).filter((l) => l.kind === 'bank_change_notice');
    assert.equal(notices.length, 1, JSON.stringify(change));
    assert.equal(notices[0]!.status, 'queued');
    const notified = await events('bank_change_notified');
    assert.equal(notified.at(-1)!.parsed.details.letter, 1, 'the notice counts its letter');
  });

  it('refuses bad input, unknown letters and the wrong role, naming the field, and writes nothing', async () => {
    const letter = (await letters()).find((l) => l.status === 'queued')!;
    const before = await snapshot();
    const reason = await call(RSSI, 'POST', `/api/security/letters/${letter.id}/returned`, { reason: 'perdu' });
    assert.equal(reason.statusCode, 400, reason.body);
    assert.ok(
      (reason.json().issues as Array<{ field: string }>).some((i) => i.field === 'body.reason'),
      reason.body,
    );
    const date = await call(RSSI, 'POST', `/api/security/letters/${letter.id}/posted`, { postedOn: 'hier' });
    assert.equal(date.statusCode, 400, date.body);
    assert.ok(
      (date.json().issues as Array<{ field: string }>).some((i) => i.field === 'body.postedOn'),
      date.body,
    );
    const badId = await call(RSSI, 'POST', '/api/security/letters/pas-un-id/posted', {});
    assert.equal(badId.statusCode, 400);
    assert.ok(
      (badId.json().issues as Array<{ field: string }>).some((i) => i.field === 'params.id'),
      badId.body,
    );
    const unknown = await call(RSSI, 'POST', `/api/security/letters/${randomUUID()}/returned`, { reason: 'refuse' });
    assert.equal(unknown.statusCode, 404, unknown.body);
    assert.equal(unknown.json().issues[0].field, 'params.id');
    assert.equal((await call(RSSI, 'GET', `/api/security/letters/${randomUUID()}/pdf`)).statusCode, 404);
    const pref = await call(seeker, 'PUT', '/api/me/correspondence', { paper: 1 });
    assert.equal(pref.statusCode, 400);
    // The wrong roles: the DPO, a counsellor, the person.
    for (const login of [DPO, counsellor, seeker]) {
      const res = await call(login, 'POST', `/api/security/letters/${letter.id}/posted`, {});
      assert.equal(res.statusCode, 403, `${login}: ${res.body}`);
      assert.equal((await call(login, 'GET', '/api/security/letters')).statusCode, 403);
    }
    // Staff have no espace preference.
    assert.equal((await call(counsellor, 'PUT', '/api/me/correspondence', { paper: true })).statusCode, 403);
    assert.deepEqual(await snapshot(), before);
  });
});
