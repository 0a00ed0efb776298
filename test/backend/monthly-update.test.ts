import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { demoPersons, seedDatabase } from '../../src/seed/index.ts';
import { openWindowAt } from '../../src/updates/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 7;
/** 10 March 2026, 11:00 in Paris: February's update is open (28 February – 15 March). */
const OPEN = new Date('2026-03-10T10:00:00.000Z');
/** 20 March 2026: February's window closed, March's not open yet. */
const CLOSED = new Date('2026-03-20T10:00:00.000Z');

const MONTH = {
  stillLooking: true,
  works: [{ employer: 'Boulangerie Dupré', hours: 35, grossCents: 42_350 }],
  training: false,
  sickness: false,
  parentalLeave: false,
  retirement: false,
  invalidity: false,
  sworn: true,
};

/**
 * The monthly update (issue 25 §2): open from the 28th to the 15th (Paris), a sworn statement
 * corrected until then, refused outside its window or for a registration that does not update;
 * after it closes, each registration without a declaration ends — with its event and a notice —
 * once, and nobody else's.
 */
describe(`the monthly update (actualisation) (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let now = OPEN;
  const db = () => runtime.database.db;
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  const seekers: Array<{ login: string; personId: string }> = [];
  let categoryD = '';
  /** Registered on 1 March, after February's window opened: February's update is not asked of them. */
  let newcomer = '';
  /** Due, without an espace account, and paper chosen for them by an agent: reached by letter only. */
  let paperPerson = '';
  const lettersOf = async (personId: string) =>
    (await db().selectFrom('paper_letters').select('kind').where('person_id', '=', personId).execute()).map(
      (l) => l.kind,
    );

  const call = (login: string, method: 'GET' | 'POST', payload?: object) =>
    as(app, clients[login]!, sessions[login]!)(method, '/api/me/monthly-update', payload);
  const count = async (table: 'monthly_updates' | 'ledger_events') =>
    Number(
      (
        await db()
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const registration = async (personId: string) =>
    (await runtime.persons.read(personId, ['registration'])).fields.registration!;

  before(async () => {
    server = await openTestServer({ clock: { now: () => now } });
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 40,
      seed: SEED,
      batchSize: 40,
      parallel: false,
    });
    const shown = new Set((await ensureDemoAccounts(runtime, SEED)).map((s) => s.login));
    for (const person of await demoPersons(db(), SEED, 8)) {
      if (!shown.has(person.email) || seekers.length === 2) continue;
      const current = await registration(person.id);
      // Registered in category A since 2025: their February update is due.
      await runtime.persons.update(person.id, {
        registration: { ...current, category: 'A', status: 'registered', registeredOn: '2025-06-02' },
      });
      seekers.push({ login: person.email, personId: person.id });
    }
    assert.equal(seekers.length, 2, 'two demo job seekers with an espace account');
    let host = 70;
    for (const { login } of seekers) {
      clients[login] = {
        remoteAddress: `10.62.72.${++host}`,
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      sessions[login] = await signIn(app, clients[login], login, DEMO_PASSWORD);
    }
    // A person in category D (not looking for work right now): no update is asked of them.
    const others = await db()
      .selectFrom('persons')
      .select('id')
      .where(
        'id',
        'not in',
        seekers.map((s) => s.personId),
      )
      .orderBy('id')
      .limit(2)
      .execute();
    categoryD = others[0]!.id;
    newcomer = others[1]!.id;
    await runtime.persons.update(newcomer, {
      registration: {
        ...(await registration(newcomer)),
        category: 'A',
        status: 'registered',
        registeredOn: '2026-03-01',
      },
    });
    await runtime.persons.update(categoryD, {
      registration: {
        ...(await registration(categoryD)),
        category: 'D',
        status: 'registered',
        registeredOn: '2025-01-06',
      },
    });
  });

  after(async () => {
    await server?.close();
  });

  it('opens on the 28th at midnight and closes at the end of the 15th, in Paris, summer time or not', () => {
    assert.equal(openWindowAt(new Date('2026-03-27T22:59:59.999Z')), null, '27 March, 23:59:59 in Paris');
    assert.equal(openWindowAt(new Date('2026-03-27T23:00:00.000Z'))?.period, '2026-03', '28 March, midnight in Paris');
    assert.equal(
      openWindowAt(new Date('2026-04-15T21:59:59.999Z'))?.period,
      '2026-03',
      '15 April, 23:59:59 (summer time)',
    );
    assert.equal(openWindowAt(new Date('2026-04-15T22:00:00.000Z')), null, '16 April, midnight');
    assert.equal(openWindowAt(new Date('2027-01-10T12:00:00.000Z'))?.period, '2026-12', 'December’s, in January');
  });

  it('shows the open window and refuses a bad declaration, naming the field, writing nothing', async () => {
    const [first] = seekers;
    const state = await call(first!.login, 'GET');
    assert.equal(state.statusCode, 200, state.body);
    assert.equal(state.json().required, true);
    assert.equal(state.json().open.period, '2026-02');
    assert.equal(state.json().open.closesAt, '2026-03-15T22:59:59.999Z');
    const before = await Promise.all([count('monthly_updates'), count('ledger_events')]);
    const cases: Array<[object, string]> = [
      [{ ...MONTH, sworn: false }, 'body.sworn'],
      [{ ...MONTH, works: [{ employer: 'Boulangerie Dupré', hours: 0, grossCents: 100 }] }, 'body.works.0.hours'],
      [{ ...MONTH, works: [{ employer: 'Boulangerie Dupré', hours: 10, grossCents: -1 }] }, 'body.works.0.grossCents'],
      [{ ...MONTH, period: '2026-13' }, 'body.period'],
      [{ ...MONTH, salary: 12 }, 'body.salary'],
    ];
    for (const [body, field] of cases) {
      const res = await call(first!.login, 'POST', body);
      assert.equal(res.statusCode, 400, `${field}: ${res.body}`);
      const fields = (res.json().issues as Array<{ field: string }>).map((i) => i.field);
      assert.ok(fields.includes(field), `${field} in ${JSON.stringify(fields)}`);
    }
    const wrongMonth = await call(first!.login, 'POST', { ...MONTH, period: '2026-01' });
    assert.equal(wrongMonth.statusCode, 409);
    assert.equal(wrongMonth.json().error, 'update_closed');
    assert.deepEqual(await Promise.all([count('monthly_updates'), count('ledger_events')]), before);
  });

  it('takes the declaration, then a correction until the 15th, each an event of the person’s journal, sealed', async () => {
    const [first] = seekers;
    const declared = await call(first!.login, 'POST', MONTH);
    assert.equal(declared.statusCode, 201, declared.body);
    assert.equal(declared.json().version, 1);
    assert.equal(declared.json().period, '2026-02');
    now = new Date('2026-03-15T22:30:00.000Z'); // 15 March, 23:30 in Paris: still open
    const corrected = await call(first!.login, 'POST', { ...MONTH, works: [], training: true });
    assert.equal(corrected.statusCode, 201, corrected.body);
    assert.equal(corrected.json().version, 2);
    assert.equal(corrected.json().correction, true);
    const state = (await call(first!.login, 'GET')).json();
    assert.deepEqual(
      state.declarations.map((d: { version: number }) => d.version),
      [2, 1],
    );
    assert.equal(state.declarations[0].declaration.training, true);
    const rows = await db()
      .selectFrom('monthly_updates')
      .selectAll()
      .where('person_id', '=', first!.personId)
      .execute();
    assert.equal(rows.length, 2);
    assert.ok(
      rows.every((r) => !r.sealed.toString('latin1').includes('Dupré')),
      'the declaration is sealed',
    );
    const events = await db()
      .selectFrom('ledger_events')
      .select('body')
      .where('kind', '=', 'monthly_update_declared')
      .where('person_id', '=', first!.personId)
      .execute();
    assert.equal(events.length, 2);
    assert.ok(
      events.every((e) => !e.body.includes('Dupré') && !e.body.includes('42350')),
      'no value in the log',
    );
  });

  it('writes the declared figures into the person’s benefits under the purpose actualisation, the correction replacing its month', async () => {
    const [first] = seekers;
    const benefits = (await runtime.persons.read(first!.personId, ['benefits'])).fields.benefits!;
    assert.deepEqual(
      benefits.declaredMonths,
      [{ period: '2026-02', version: 2, contracts: [], flags: ['training'] }],
      'one entry for the month: the correction replaced the declaration',
    );
    const grants = await db()
      .selectFrom('ledger_events')
      .select('body')
      .where('kind', '=', 'access_granted')
      .where('person_id', '=', first!.personId)
      .execute();
    const figures = grants
      .map((g) => JSON.parse(g.body) as { purpose?: string; operation: string; classes: string[]; details: object })
      .filter((b) => b.purpose === 'actualisation');
    assert.deepEqual(
      figures.map((b) => [b.operation, b.classes, b.details]),
      [
        ['declare_figures', ['benefits'], { period: '2026-02', version: 1 }],
        ['correct_figures', ['benefits'], { period: '2026-02', version: 2 }],
      ],
    );
    // The person's journal says it, in words.
    const journal = await as(
      app,
      clients[first!.login]!,
      sessions[first!.login]!,
    )('GET', '/api/me/journal?pageSize=20');
    assert.equal(journal.statusCode, 200, journal.body);
    const said = (
      journal.json().entries as Array<{ event: { kind: string; operation: string }; purposeLabel: string | null }>
    ).filter((e) => e.event.kind === 'access_granted' && e.event.operation.endsWith('_figures'));
    assert.equal(said.length, 2);
    assert.ok(said.every((e) => e.purposeLabel?.startsWith('Actualisation mensuelle')));
  });

  it('keeps a declaration and its figures together: a failed benefits write leaves neither', async () => {
    const [, second] = seekers;
    const before = await Promise.all([count('monthly_updates'), count('ledger_events')]);
    const benefitsBefore = (await runtime.persons.read(second!.personId, ['benefits'])).fields.benefits;
    const modify = runtime.persons.modify.bind(runtime.persons);
    runtime.persons.modify = (async () => {
      throw new Error('disque plein');
    }) as typeof runtime.persons.modify;
    try {
      const failed = await call(second!.login, 'POST', MONTH);
      assert.equal(failed.statusCode, 500, failed.body);
    } finally {
      runtime.persons.modify = modify;
    }
    assert.deepEqual(await Promise.all([count('monthly_updates'), count('ledger_events')]), before);
    assert.deepEqual((await runtime.persons.read(second!.personId, ['benefits'])).fields.benefits, benefitsBefore);
  });

  it('reminds who has not declared, once, from three days before the close; nobody before, nor who declared', async () => {
    const [declared, missed] = seekers;
    const withoutAccount = (
      await db()
        .selectFrom('persons')
        .select('id')
        .where('status', '=', 'active')
        .where('id', 'not in', db().selectFrom('accounts').select('person_id').where('person_id', 'is not', null))
        .where('id', 'not in', [categoryD, newcomer])
        .orderBy('id')
        .execute()
    ).map((r) => r.id);
    paperPerson = withoutAccount[0]!;
    await runtime.persons.update(paperPerson, {
      registration: {
        ...(await registration(paperPerson)),
        category: 'A',
        status: 'registered',
        registeredOn: '2024-09-02',
      },
    });
    await db()
      .insertInto('correspondence_preferences')
      .values({ person_id: paperPerson, paper: 1, set_at: OPEN.toISOString(), set_by_account: null, set_by: 'agent' })
      .execute();
    now = new Date('2026-03-12T22:59:59.000Z'); // 12 March, 23:59:59 in Paris: not yet
    assert.equal(await runtime.monthlyUpdates.remindDue(), 0);
    now = new Date('2026-03-13T08:00:00.000Z');
    const reminded = await runtime.monthlyUpdates.remindDue();
    assert.ok(reminded >= 1);
    const rows = (await db().selectFrom('monthly_update_reminders').select(['person_id', 'period']).execute()).filter(
      (r) => r.period === '2026-02',
    );
    assert.equal(rows.length, reminded);
    const who = new Set(rows.map((r) => r.person_id));
    assert.ok(who.has(missed!.personId), 'the person who has not declared');
    assert.ok(!who.has(declared!.personId) && !who.has(categoryD), 'not who declared, nor category D');
    assert.ok(!who.has(newcomer), 'not who registered after the window opened: the check will not end them');
    const account = await db()
      .selectFrom('accounts')
      .select('id')
      .where('login', '=', missed!.login)
      .executeTakeFirstOrThrow();
    const told = await db()
      .selectFrom('notifications')
      .select('subject')
      .where('account_id', '=', account.id)
      .where('kind', '=', 'monthly_update_reminder')
      .execute();
    assert.ok(told.length > 0);
    assert.match(told[0]!.subject, /février 2026 se termine le 15 mars 2026/);
    assert.equal(await runtime.monthlyUpdates.remindDue(), 0, 'once per month');
    // No espace account, paper chosen: the reminder is a letter.
    assert.ok(who.has(paperPerson));
    assert.deepEqual(await lettersOf(paperPerson), ['monthly_update_reminder']);
  });

  it('refuses a declaration outside the window, and for a registration that does not update', async () => {
    now = CLOSED;
    const before = await count('monthly_updates');
    const late = await call(seekers[0]!.login, 'POST', MONTH);
    assert.equal(late.statusCode, 409);
    assert.equal(late.json().error, 'update_closed');
    assert.match(late.json().message, /28 mars 2026/);
    now = OPEN;
    await assert.rejects(runtime.monthlyUpdates.declare(categoryD, null, MONTH), {
      code: 'update_not_required',
    });
    assert.equal(await count('monthly_updates'), before);
  });

  it('after the window, ends the registration of who did not declare — told, recorded — once, and nobody else’s', async () => {
    now = CLOSED;
    const [declared, missed] = seekers;
    const result = await runtime.monthlyUpdates.checkMissed();
    assert.equal(result?.period, '2026-02');
    assert.ok(result!.ceased >= 1);
    const ended = await registration(missed!.personId);
    assert.equal(ended.status, 'deregistered');
    assert.equal(ended.deregisteredOn, '2026-03-16');
    assert.equal((await registration(declared!.personId)).status, 'registered');
    assert.equal((await registration(categoryD)).status, 'registered', 'category D does not update');
    assert.equal((await registration(newcomer)).status, 'registered', 'registered after the window opened');
    const ceased = await db()
      .selectFrom('ledger_events')
      .select('person_id')
      .where('kind', '=', 'registration_ceased')
      .execute();
    assert.ok(ceased.some((e) => e.person_id === missed!.personId));
    assert.ok(ceased.some((e) => e.person_id === paperPerson));
    assert.deepEqual((await lettersOf(paperPerson)).sort(), ['monthly_update_reminder', 'registration_ceased']);
    assert.ok(!ceased.some((e) => e.person_id === declared!.personId || e.person_id === categoryD));
    assert.equal(ceased.length, result!.ceased);
    const account = await db()
      .selectFrom('accounts')
      .select('id')
      .where('login', '=', missed!.login)
      .executeTakeFirstOrThrow();
    const told = await db()
      .selectFrom('notifications')
      .select('subject')
      .where('account_id', '=', account.id)
      .where('kind', '=', 'registration_ceased')
      .execute();
    assert.ok(told.length > 0, 'the person is told');
    assert.equal(await runtime.monthlyUpdates.checkMissed(), null, 'once per month');
    const state = (await call(missed!.login, 'GET')).json();
    assert.equal(state.required, false, 'no update asked of an ended registration');
  });
});
