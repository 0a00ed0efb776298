import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../src/domain/index.ts';
import { SIGNAL_THRESHOLDS } from '../../src/guard/index.ts';
import { addChannel, createAccount } from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { plantDecoys, seedDatabase } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const SEED = 19;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

class ManualClock implements Clock {
  constructor(public t: number) {}
  now() {
    return new Date(this.t);
  }
}

/** 08:00 UTC (09:00 in Paris in winter, 10:00 in summer) on the next weekday `daysAhead` days from now. */
function workingDay(daysAhead: number): number {
  const d = new Date(Date.now() + daysAhead * DAY);
  d.setUTCHours(8, 0, 0, 0);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.getTime();
}

interface Staff {
  actorId: string;
  organisationId: string;
  client: Client;
  session: SignedIn;
}

/**
 * Issue 19, item 5: an established counsellor's credentials in a patient thief's hands, under
 * every budget (fewer than 20 files an hour and 40 a day, in working hours, a follow-up written
 * on each file), against a counsellor's real week, which must never be contained.
 */
describe(`the patient thief: reads nothing in the day's work explains (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const clock = new ManualClock(workingDay(20));
  let agency = '';
  let pool: string[] = [];
  let host = 0;
  const db = () => runtime.database.db;

  async function counsellor(
    caseload: readonly string[],
    since = '2025-01-06',
    role = 'counsellor',
    organisationId = agency,
  ): Promise<Staff> {
    const login = `t.thief.${++host}`;
    const actorId = randomUUID();
    await db()
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: organisationId,
        kind: 'human',
        login,
        display_name: login,
        roles: JSON.stringify([role]),
        status: 'active',
        created_at: new Date(Date.now() - 400 * DAY).toISOString(),
      })
      .execute();
    const accountId = await createAccount(db(), { kind: 'staff', login, password: PASSWORD, actorId });
    await addChannel(db(), runtime.keyring, accountId, 'email', `${login}@agents.test.example`, { verified: true });
    for (const personId of caseload)
      await db()
        .insertInto('caseloads')
        .values({ person_id: personId, actor_id: actorId, organisation_id: organisationId, since, until: null })
        .execute();
    const client = {
      remoteAddress: `10.19.${host}.7`,
      headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
    };
    return { actorId, organisationId, client, session: await signIn(app, client, login, PASSWORD) };
  }

  function call(who: Staff, method: 'GET' | 'POST', url: string, payload?: object, purpose = 'accompagnement') {
    const headers = {
      ...who.client.headers,
      cookie: who.session.cookie,
      'x-csrf-token': who.session.csrf,
      'rempart-purpose': purpose,
      'rempart-case-reference': 'DOSSIER-2026-0519',
    };
    return app.inject({
      method,
      url,
      remoteAddress: who.client.remoteAddress,
      headers,
      ...(payload ? { payload } : {}),
    });
  }
  const read = (who: Staff, personId: string) =>
    call(who, 'GET', `/api/staff/persons/${personId}?classes=identity,contact`);
  const followUp = (who: Staff, personId: string) =>
    call(who, 'POST', `/api/staff/persons/${personId}/follow-up/actions`, {
      date: new Date(clock.t).toISOString().slice(0, 10),
      kind: 'entretien',
      label: 'Point sur les démarches de la semaine',
    });

  /** Appointments of these persons with the counsellor, at `at`, booked three weeks before by themself (the agenda a counsellor keeps). */
  async function agenda(who: Staff, personIds: readonly string[], at: number): Promise<void> {
    for (const personId of personIds) {
      await db()
        .insertInto('appointments')
        .values({
          id: randomUUID(),
          person_id: personId,
          organisation_id: who.organisationId,
          actor_id: who.actorId,
          at: new Date(at).toISOString(),
          kind: 'entretien',
          created_by: who.actorId,
          created_at: new Date(at - 21 * DAY).toISOString(),
          cancelled_at: null,
        })
        .execute();
    }
  }

  const containmentsOf = (actorId: string) =>
    db().selectFrom('guard_containments').select(['signal', 'details']).where('actor_id', '=', actorId).execute();
  const signalsOf = async (actorId: string) =>
    (await db().selectFrom('guard_signals').select('signal').where('actor_id', '=', actorId).execute()).map(
      (s) => s.signal,
    );

  /** The next weekday at 08:00 UTC after the clock's day. */
  const nextWorkingDay = () => {
    const d = new Date(clock.t + DAY);
    d.setUTCHours(8, 0, 0, 0);
    while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
    clock.t = d.getTime();
  };

  before(async () => {
    server = await openTestServer({ clock });
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 900,
      seed: SEED,
      batchSize: 900,
      parallel: false,
    });
    await plantDecoys(db(), runtime.persons, { seed: SEED, population: 900 });
    agency = (
      await db().selectFrom('organisations').select('id').where('name', 'like', '%Bastide%').executeTakeFirstOrThrow()
    ).id;
    // Each test books the agenda it means: the seed's appointments would explain reads at random.
    await db().deleteFrom('appointments').execute();
    pool = (
      await db()
        .selectFrom('persons')
        .select('id')
        .where((eb) =>
          eb.not(
            eb.exists(
              eb.selectFrom('guard_decoys').select('person_id').whereRef('guard_decoys.person_id', '=', 'persons.id'),
            ),
          ),
        )
        .orderBy('id')
        .execute()
    ).map((r) => r.id);
  });
  after(async () => {
    await server.close();
  });

  it('contains the thief on a caseload of 245 before 50 real persons, though it stays under every budget and follows up each file', async () => {
    const caseload = pool.slice(0, 245);
    const victim = await counsellor(caseload);
    // The counsellor's own agenda: about twelve appointments a working day.
    for (let d = 0; d < 7; d++) await agenda(victim, caseload.slice(d * 12, d * 12 + 12), clock.t + d * DAY + 3 * HOUR);
    const exposed = new Set<string>();
    let refused: { status: number; error: string } | undefined;
    // 39 files a day in random order of the caseload, about five an hour from 09:00 Paris, for a week.
    const order = [...caseload].sort(() => Math.random() - 0.5);
    outer: for (let day = 0; day < 7; day++) {
      if (day > 0) nextWorkingDay();
      const start = clock.t;
      for (let k = 0; k < 39 && order.length; k++) {
        clock.t = start + k * 12 * MINUTE;
        const personId = order.shift()!;
        const res = await read(victim, personId);
        if (res.statusCode !== 200) {
          refused = { status: res.statusCode, error: res.json().error };
          break outer;
        }
        exposed.add(personId);
        assert.equal((await followUp(victim, personId)).statusCode, 201);
      }
    }
    assert.deepEqual(refused, { status: 403, error: 'actor_contained' });
    const [containment] = await containmentsOf(victim.actorId);
    assert.equal(containment?.signal, 'unexplained_reads');
    assert.ok(exposed.size < 50, `${exposed.size} real persons read before containment`);
    assert.ok(exposed.size >= SIGNAL_THRESHOLDS.unexplained.dayHard, 'the unplanned contacts of a day are served');
    // Every other budget held: the thief never crossed one (the reason the old guard saw nothing).
    assert.ok(!(await signalsOf(victim.actorId)).some((s) => s.startsWith('budget_') || s === 'no_follow_up'));
  });

  it('leaves a counsellor’s real week alone: appointments, their preparation, unplanned calls and write-ups, bookings of the next ones', async () => {
    nextWorkingDay();
    const caseload = pool.slice(250, 500);
    const worker = await counsellor(caseload);
    const week = 5;
    // About twelve appointments a day, booked weeks before; the next month's booked at each one.
    const byDay = Array.from({ length: week + 1 }, (_, d) => caseload.slice(d * 12, d * 12 + 12));
    const days = [clock.t];
    while (days.length <= week) {
      nextWorkingDay();
      days.push(clock.t);
    }
    for (let d = 0; d <= week; d++) await agenda(worker, byDay[d]!, days[d]! + 2 * HOUR);
    let reads = 0;
    for (let d = 0; d < week; d++) {
      const start = (clock.t = days[d]!);
      const unplanned = caseload.slice(100 + d * 8, 100 + d * 8 + 8);
      const steps: Array<{ personId: string; write: 'followUp' | 'book' | null }> = [
        // The morning: the day's files read before each appointment, written up and the next one booked.
        ...byDay[d]!.map((personId) => ({ personId, write: 'book' as const })),
        // Calls and messages from people without an appointment: a handful a day.
        ...unplanned.map((personId) => ({ personId, write: 'followUp' as const })),
        // The afternoon: tomorrow's files prepared.
        ...byDay[d + 1]!.slice(0, 6).map((personId) => ({ personId, write: null })),
        // Back to the morning's files for the write-ups.
        ...byDay[d]!.slice(0, 6).map((personId) => ({ personId, write: null })),
      ];
      for (const [k, step] of steps.entries()) {
        clock.t = start + k * 15 * MINUTE;
        const res = await read(worker, step.personId);
        assert.equal(res.statusCode, 200, `day ${d + 1}, step ${k + 1}: ${res.body}`);
        reads++;
        if (step.write === 'followUp') assert.equal((await followUp(worker, step.personId)).statusCode, 201);
        if (step.write === 'book') {
          const booked = await call(worker, 'POST', `/api/staff/persons/${step.personId}/appointments`, {
            at: new Date(clock.t + 28 * DAY).toISOString(),
            kind: 'entretien',
          });
          assert.equal(booked.statusCode, 201, booked.body);
        }
      }
    }
    assert.equal(reads, week * 32);
    assert.deepEqual(await containmentsOf(worker.actorId), []);
    assert.ok(!(await signalsOf(worker.actorId)).includes('unexplained_reads_soft'));
  });

  it('a portfolio taken over this month explains its reads: the new holder reads it all in a week', async () => {
    nextWorkingDay();
    const takenOver = pool.slice(500, 620);
    const holder = await counsellor(takenOver, new Date(clock.t - 2 * DAY).toISOString().slice(0, 10));
    for (let d = 0, i = 0; d < 3; d++) {
      if (d > 0) nextWorkingDay();
      const start = clock.t;
      for (let k = 0; k < 40 && i < takenOver.length; k++, i++) {
        clock.t = start + k * 12 * MINUTE;
        assert.equal((await read(holder, takenOver[i]!)).statusCode, 200);
        assert.equal((await followUp(holder, takenOver[i]!)).statusCode, 201);
      }
    }
    assert.deepEqual(await containmentsOf(holder.actorId), []);
  });

  it('an appointment the reader booked today explains nothing today; one the person booked from their space does', async () => {
    nextWorkingDay();
    const caseload = pool.slice(620, 700);
    const reader = await counsellor(caseload);
    // Booked by the person from their space (created_by null) a minute ago: explains.
    for (const personId of caseload.slice(0, 20)) {
      await db()
        .insertInto('appointments')
        .values({
          id: randomUUID(),
          person_id: personId,
          organisation_id: agency,
          actor_id: reader.actorId,
          at: new Date(clock.t + 4 * HOUR).toISOString(),
          kind: 'visio',
          created_by: null,
          created_at: new Date(clock.t - MINUTE).toISOString(),
          cancelled_at: null,
        })
        .execute();
    }
    for (const [k, personId] of caseload.slice(0, 20).entries()) {
      clock.t += 2 * MINUTE * (k > 0 ? 1 : 0);
      assert.equal((await read(reader, personId)).statusCode, 200);
      assert.equal((await followUp(reader, personId)).statusCode, 201);
    }
    // Booked by the reader itself, through the API, then read at once: unexplained, contained at the day's limit.
    const cover = caseload.slice(20, 20 + SIGNAL_THRESHOLDS.unexplained.dayHard + 1);
    for (const personId of cover) {
      const booked = await call(reader, 'POST', `/api/staff/persons/${personId}/appointments`, {
        at: new Date(clock.t + 2 * HOUR).toISOString(),
        kind: 'entretien',
      });
      assert.equal(booked.statusCode, 201, booked.body);
    }
    const answers: number[] = [];
    for (const personId of cover) {
      clock.t += 10 * MINUTE;
      answers.push((await read(reader, personId)).statusCode);
    }
    assert.deepEqual(answers, [...Array(SIGNAL_THRESHOLDS.unexplained.dayHard).fill(200), 403]);
    assert.equal((await containmentsOf(reader.actorId))[0]?.signal, 'unexplained_reads');
    // The refused read left nothing: no access event for the sixteenth person.
    const events = await db()
      .selectFrom('ledger_events')
      .select('body')
      .where('actor_id', '=', reader.actorId)
      .where('kind', '=', 'access_granted')
      .where('person_id', '=', cover.at(-1)!)
      .execute();
    assert.deepEqual(
      events.map((e) => (JSON.parse(e.body) as { operation?: string }).operation),
      ['write'],
      'only the booking was recorded',
    );
  });

  it('bookings have their own budget: an agent booking cover for a caseload is contained, and the booking refused', async () => {
    nextWorkingDay();
    const caseload = pool.slice(700, 760);
    const booker = await counsellor(caseload);
    const statuses: number[] = [];
    for (const personId of caseload.slice(0, SIGNAL_THRESHOLDS.bookings.dayHard + 1)) {
      clock.t += 5 * MINUTE;
      statuses.push(
        (
          await call(booker, 'POST', `/api/staff/persons/${personId}/appointments`, {
            at: new Date(clock.t + 3 * DAY).toISOString(),
            kind: 'telephone',
          })
        ).statusCode,
      );
    }
    assert.deepEqual(statuses, [...Array(SIGNAL_THRESHOLDS.bookings.dayHard).fill(201), 403]);
    assert.equal((await containmentsOf(booker.actorId))[0]?.signal, 'booking_burst');
    const rows = await db().selectFrom('appointments').select('id').where('created_by', '=', booker.actorId).execute();
    assert.equal(rows.length, SIGNAL_THRESHOLDS.bookings.dayHard, 'the refused booking wrote nothing');
  });

  it('refuses a booking with a bad date or kind, naming the field, and writes nothing', async () => {
    nextWorkingDay();
    const caseload = pool.slice(760, 770);
    const agent = await counsellor(caseload);
    const bad = [
      { at: 'demain', kind: 'entretien' },
      { at: new Date(clock.t + 400 * DAY).toISOString(), kind: 'entretien' },
      { at: new Date(clock.t + DAY).toISOString(), kind: 'dîner' },
    ];
    for (const body of bad) {
      const res = await call(agent, 'POST', `/api/staff/persons/${caseload[0]}/appointments`, body);
      assert.equal(res.statusCode, 400, res.body);
      assert.match(res.body, /body\.(at|kind)|\/at|\/kind/);
    }
    // Out of the counsellor's caseload: the policy refuses, nothing is booked.
    const outside = await call(agent, 'POST', `/api/staff/persons/${pool[880]}/appointments`, {
      at: new Date(clock.t + DAY).toISOString(),
      kind: 'entretien',
    });
    assert.equal(outside.statusCode, 403);
    assert.equal(
      (await db().selectFrom('appointments').select('id').where('created_by', '=', agent.actorId).execute()).length,
      0,
    );
  });

  it('contains a partner trying a leaked list slowly: 14 unanswered searches an hour, never 15, all day', async () => {
    nextWorkingDay();
    const partner = (
      await db()
        .selectFrom('organisations')
        .select('id')
        .where('name', 'like', '%Cap emploi%')
        .executeTakeFirstOrThrow()
    ).id;
    const prober = await counsellor([], '2025-01-06', 'partner_staff', partner);
    let contained: number | undefined;
    for (let n = 0; n < 14 * 4 && contained === undefined; n++) {
      clock.t += Math.floor(HOUR / 14) + 1000;
      const res = await call(
        prober,
        'POST',
        '/api/staff/persons/search',
        { franceTravailId: `${String(7_000_000 + n * 7919).slice(0, 7)}Z` },
        'accompagnement_handicap',
      );
      if (res.statusCode === 403) contained = n + 1;
      else assert.equal(res.statusCode, 200, res.body);
    }
    assert.equal(contained, SIGNAL_THRESHOLDS.missedSearchesDay);
    assert.equal((await containmentsOf(prober.actorId))[0]?.signal, 'enumeration_misses');
  });
});
