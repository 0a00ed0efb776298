import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { ValidationError } from '../../src/domain/index.ts';
import { categoriesOf, DRAFT_TTL_MS, REGISTRATION_LIMITS } from '../../src/registration/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { inTransaction } from '../../src/store/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { nirFor } from '../helpers/fixtures.ts';
import { followedDemoSeeker } from '../helpers/followed-seeker.ts';
import { lastCodeSentTo, messagesTo, outbox } from '../helpers/outbox.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 13;
/** 10 March 2026, 11:00 in Paris. */
const START = new Date('2026-03-10T10:00:00.000Z');
const PASSWORD = 'trois pommes vertes sous la pluie';
const RSSI = 'rssi.na';

/** A whole, consistent registration: a woman born in March 1990 (her NIR says so). */
function registration(n: number, over: Record<string, unknown> = {}) {
  return {
    identity: {
      lastName: `DURAND${n}`,
      firstNames: ['Camille'],
      sex: 'F',
      birthDate: '1990-03-14',
      birthPlace: 'Bordeaux (33)',
    },
    nir: nirFor(600 + n),
    contact: {
      email: `camille.durand${n}@exemple.fr`,
      phone: '06 39 98 01 23',
      address: { line1: '3 rue des Lilas', postalCode: '33000', communeCode: '33063', commune: 'Bordeaux' },
    },
    education: [{ title: 'BTS Assistant de gestion', level: 5, year: 2011 }],
    experience: [
      { romeCode: 'M1607', title: 'Secrétaire', employer: 'Cabinet Roux', from: '2012-01-02', to: '2025-12-31' },
    ],
    soughtJobs: ['M1607', 'M1203'],
    availability: { availableFrom: '2026-03-16', workingTime: 'full_time', contract: 'permanent' },
    mobility: { maxDistanceKm: 25, transport: ['car', 'public_transport'], drivingLicence: true },
    situation: { kind: 'available' },
    ...over,
  };
}

/**
 * Registration (issue 25 §1): the core every channel uses (validation of the whole input, the
 * categories, the file with its event in one transaction, duplicates by blind index held for an
 * agent and decided both ways), the counsellors' review routes, and the public online
 * registration (address proved by a code, draft kept 15 days, account, confirmation, throttles).
 */
describe(`registration (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  let now = START;
  let host = 10;
  let counsellor = '';
  const db = () => runtime.database.db;
  const sessions: Record<string, SignedIn> = {};
  const clients: Record<string, Client> = {};
  const staffCall = (login: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    as(app, clients[login]!, sessions[login]!)(method, url, payload);

  const count = async (
    table: 'persons' | 'ledger_events' | 'registration_reviews' | 'registration_drafts' | 'accounts',
  ) =>
    Number(
      (
        await db()
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const snapshot = async () => ({
    persons: await count('persons'),
    events: await count('ledger_events'),
    reviews: await count('registration_reviews'),
    accounts: await count('accounts'),
  });
  const events = async (kind: string) =>
    (await db().selectFrom('ledger_events').selectAll().where('kind', '=', kind).orderBy('id').execute()).map((e) => ({
      ...e,
      parsed: JSON.parse(e.body) as {
        details: Record<string, unknown>;
        classes?: string[];
        purpose?: string;
        operation?: string;
      },
    }));
  const online = { kind: 'online' as const };

  /** A public request from its own network (each test its own, so the throttles do not meet). */
  const publicClient = () => ({
    remoteAddress: `10.77.${++host}.9`,
    headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0' },
  });
  const post = (client: Client, url: string, payload: unknown, token?: string, method: 'POST' | 'PUT' = 'POST') =>
    app.inject({
      method,
      url,
      remoteAddress: client.remoteAddress,
      headers: { ...client.headers, ...(token ? { 'x-registration-token': token } : {}) },
      payload: payload as object,
    });
  /** The address proved with the code it received: the draft's token. */
  const prove = async (client: Client, email: string): Promise<string> => {
    const asked = await post(client, '/api/registration/code', { email });
    assert.equal(asked.statusCode, 202, asked.body);
    const verified = await post(client, '/api/registration/verify', {
      email,
      code: lastCodeSentTo(runtime.config.dataDir, email),
    });
    assert.equal(verified.statusCode, 200, verified.body);
    return verified.json().token as string;
  };

  before(async () => {
    server = await openTestServer({ clock: { now: () => now } });
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 30,
      seed: SEED,
      batchSize: 30,
      parallel: false,
    });
    const shown = new Set((await ensureDemoAccounts(runtime, SEED)).map((s) => s.login));
    const found = await followedDemoSeeker(runtime, SEED, shown);
    assert.ok(found, 'a demo counsellor');
    counsellor = found.counsellor;
    for (const login of [counsellor, RSSI]) {
      clients[login] = { remoteAddress: `10.66.1.${++host}`, headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0' } };
      sessions[login] = await signIn(app, clients[login], login, DEMO_PASSWORD);
    }
  });

  after(async () => {
    await server?.close();
  });

  describe('the core', () => {
    it('refuses each bad field with a French message naming it, and writes nothing', async () => {
      const cases: Array<[Record<string, unknown>, string, RegExp]> = [
        [{ nir: '290031234567890' }, 'body.nir', /NIR/],
        [{ nir: nirFor(601, '1') }, 'body.nir', /sexe/],
        [{ nir: nirFor(601, '2', '8803') }, 'body.nir', /année de naissance/],
        [
          { identity: { lastName: 'DURAND', firstNames: ['Camille'], sex: 'F', birthDate: '2015-03-14' } },
          'body.identity.birthDate',
          /16 ans/,
        ],
        [
          { identity: { lastName: 'DURAND', firstNames: ['Camille'], sex: 'F', birthDate: '2030-03-14' } },
          'body.identity.birthDate',
          /futur/,
        ],
        [
          { identity: { lastName: '', firstNames: ['Camille'], sex: 'F', birthDate: '1990-03-14' } },
          'body.identity.lastName',
          /nom/,
        ],
        [{ situation: { kind: 'reduced_activity' } }, 'body.situation.hoursLastMonth', /heures/],
        [{ situation: { kind: 'available', hoursLastMonth: 20 } }, 'body.situation.hoursLastMonth', /activité réduite/],
        [{ situation: { kind: 'on_holiday' } }, 'body.situation.kind', /./],
        [{ soughtJobs: [] }, 'body.soughtJobs', /./],
        [{ soughtJobs: ['secretaire'] }, 'body.soughtJobs.0', /./],
        [
          { experience: [{ romeCode: 'M1607', title: 'Secrétaire', from: '2020-01-01', to: '2019-01-01' }] },
          'body.experience.0.to',
          /fin/,
        ],
        [
          { availability: { availableFrom: '2026-13-01', workingTime: 'full_time', contract: 'permanent' } },
          'body.availability.availableFrom',
          /./,
        ],
        [{ mobility: { maxDistanceKm: -3, transport: [], drivingLicence: false } }, 'body.mobility.maxDistanceKm', /./],
        [{ contact: { email: 'pas-une-adresse' } }, 'body.contact.email', /./],
        [{ bank: { iban: 'FR76' } }, 'body.bank', /pas attendu/],
      ];
      const before = await snapshot();
      for (const [over, field, message] of cases) {
        await assert.rejects(runtime.registrations.register(registration(1, over), online), (error: unknown) => {
          assert.ok(error instanceof ValidationError, String(error));
          const issue = error.issues.find((i) => i.field === field);
          assert.ok(issue, `${field} named among ${JSON.stringify(error.issues)}`);
          assert.match(issue.message, message);
          return true;
        });
      }
      // Online asks the NIR and an address; the desk asks a way to reach the person.
      const { nir: _nir, ...withoutNir } = registration(1);
      void _nir;
      await assert.rejects(runtime.registrations.register(withoutNir, online), /body\.nir/);
      await assert.rejects(
        runtime.registrations.register(registration(1, { contact: { phone: '0639980123' } }), online),
        /body\.contact\.email/,
      );
      await assert.rejects(
        runtime.registrations.register(registration(1, { contact: { phone: '0639980123' } }), {
          kind: 'desk',
          actorId: 'a',
          accountId: null,
        }),
        (e: unknown) => e instanceof ValidationError && e.issues[0]!.field === 'body.contact',
      );
      assert.deepEqual(await snapshot(), before);
    });

    it('says who acts: a desk or paper registration names its agent, an import its source', async () => {
      await assert.rejects(runtime.registrations.register(registration(2), { kind: 'desk' }), /actorId/);
      await assert.rejects(
        runtime.registrations.register(registration(2), { kind: 'import', actorId: 'x' }),
        /sourceOrganisationId/,
      );
    });

    it('gives the categories from the declared situation: statistical A–E and administrative 1–5', () => {
      const of = (kind: string, contract: string, workingTime: string, hoursLastMonth?: number) =>
        categoriesOf({
          situation: { kind, ...(hoursLastMonth ? { hoursLastMonth } : {}) },
          availability: { availableFrom: '2026-01-01', contract, workingTime },
        } as never);
      assert.deepEqual(of('available', 'permanent', 'full_time'), { category: 'A', administrativeCategory: 1 });
      assert.deepEqual(of('available', 'permanent', 'part_time'), { category: 'A', administrativeCategory: 2 });
      assert.deepEqual(of('available', 'temporary', 'full_time'), { category: 'A', administrativeCategory: 3 });
      assert.deepEqual(of('reduced_activity', 'any', 'either', 78), { category: 'B', administrativeCategory: 1 });
      assert.deepEqual(of('reduced_activity', 'seasonal', 'either', 79), { category: 'C', administrativeCategory: 3 });
      assert.deepEqual(of('training', 'permanent', 'full_time'), { category: 'D', administrativeCategory: 4 });
      assert.deepEqual(of('sickness', 'permanent', 'full_time'), { category: 'D', administrativeCategory: 4 });
      assert.deepEqual(of('employed', 'permanent', 'full_time'), { category: 'E', administrativeCategory: 5 });
    });

    it('registers: a new France Travail id, today, the categories, the file and its event, no value in the event', async () => {
      const input = registration(3, { situation: { kind: 'reduced_activity', hoursLastMonth: 90 } });
      const outcome = await runtime.registrations.register(input, online);
      assert.equal(outcome.outcome, 'registered');
      if (outcome.outcome !== 'registered') return;
      assert.match(outcome.franceTravailId, /^[0-9]{7}[A-Z]$/);
      assert.equal(outcome.registeredOn, '2026-03-10');
      assert.equal(outcome.category, 'C');
      assert.equal(outcome.administrativeCategory, 1);
      const file = (
        await runtime.persons.read(outcome.personId, ['identity', 'nir', 'contact', 'career', 'registration'])
      ).fields;
      assert.equal(file.identity!.lastName, 'DURAND3');
      assert.equal(file.nir!.nir, nirFor(603));
      assert.equal(file.contact!.phone, '+33639980123');
      assert.deepEqual(file.career!.soughtJobs, ['M1607', 'M1203']);
      assert.equal(file.career!.availability!.contract, 'permanent');
      assert.equal(file.career!.mobility!.maxDistanceKm, 25);
      assert.deepEqual(file.registration, {
        franceTravailId: outcome.franceTravailId,
        category: 'C',
        administrativeCategory: 1,
        registeredOn: '2026-03-10',
        status: 'registered',
        situation: { kind: 'reduced_activity', hoursLastMonth: 90 },
        channel: 'online',
      });
      const [event] = (await events('person_registered')).filter((e) => e.person_id === outcome.personId);
      assert.ok(event);
      assert.deepEqual(event.parsed.details, { channel: 'online', source: null, via: 'direct', nirWithheld: false });
      assert.deepEqual([...event.parsed.classes!].sort(), ['career', 'contact', 'identity', 'nir', 'registration']);
      for (const value of [nirFor(603), 'DURAND3', 'camille.durand3', outcome.franceTravailId])
        assert.ok(!event.body.includes(value), `no ${value} in the event`);
    });

    it('runs in the caller’s transaction: a failure after it leaves nothing', async () => {
      const before = await snapshot();
      await assert.rejects(
        inTransaction(db(), async (trx) => {
          const outcome = await runtime.registrations.register(registration(4), online, { executor: trx });
          assert.equal(outcome.outcome, 'registered');
          throw new Error('the caller’s next step failed');
        }),
        /next step failed/,
      );
      assert.deepEqual(await snapshot(), before);
      assert.deepEqual(await runtime.persons.lookup('nir', nirFor(604)), []);
    });

    it('holds a match by NIR, never merged; « même personne » re-opens an ended registration and creates nothing', async () => {
      const first = await runtime.registrations.register(registration(5), online);
      assert.equal(first.outcome, 'registered');
      if (first.outcome !== 'registered') return;
      // Their registration ended (a missed monthly update).
      await runtime.persons.modify(first.personId, 'registration', (r) => ({
        ...r!,
        status: 'deregistered',
        deregisteredOn: '2026-03-01',
      }));
      const before = await snapshot();
      // Another name, the same NIR.
      const held = await runtime.registrations.register(
        registration(5, {
          identity: { lastName: 'DURAND-MARTIN', firstNames: ['Camille'], sex: 'F', birthDate: '1990-03-20' },
        }),
        online,
      );
      assert.equal(held.outcome, 'held_as_duplicate');
      if (held.outcome !== 'held_as_duplicate') return;
      assert.equal(await count('persons'), before.persons);
      const summary = await runtime.registrations.review(held.reviewId);
      assert.deepEqual(summary.matchedOn, ['nir']);
      assert.deepEqual(summary.matchedPersonIds, [first.personId]);
      const [heldEvent] = (await events('registration_held')).filter((e) => e.parsed.details.review === held.reviewId);
      assert.ok(heldEvent);
      assert.equal(heldEvent.person_id, null);
      assert.ok(!heldEvent.body.includes(nirFor(605)));
      // Sealed: the NIR is not in the row.
      const row = await db()
        .selectFrom('registration_reviews')
        .selectAll()
        .where('id', '=', held.reviewId)
        .executeTakeFirstOrThrow();
      assert.ok(!row.sealed!.toString('latin1').includes(nirFor(605)));

      const decider = await deciderFor(counsellor);
      const decided = await runtime.registrations.decide(held.reviewId, 'same_person', decider);
      assert.deepEqual(
        { decision: decided.decision, personId: decided.personId, reopened: decided.reopened },
        {
          decision: 'same_person',
          personId: first.personId,
          reopened: true,
        },
      );
      assert.equal(await count('persons'), before.persons);
      const file = (await runtime.persons.read(first.personId, ['identity', 'registration'])).fields;
      // Not overwritten: the name stays; the registration starts again today.
      assert.equal(file.identity!.lastName, 'DURAND5');
      assert.equal(file.registration!.status, 'registered');
      assert.equal(file.registration!.registeredOn, '2026-03-10');
      assert.equal(file.registration!.deregisteredOn, undefined);
      assert.equal(file.registration!.franceTravailId, first.franceTravailId);
      const [decision] = (await events('registration_review_decided')).filter(
        (e) => e.parsed.details.review === held.reviewId,
      );
      assert.equal(decision!.person_id, first.personId);
      assert.equal(decision!.actor_id, decider.actorId);
      assert.deepEqual(decision!.parsed.details, {
        review: held.reviewId,
        decision: 'same_person',
        channel: 'online',
        reopened: true,
      });
      // The candidate's values are gone; a second decision is refused.
      const after = await db()
        .selectFrom('registration_reviews')
        .selectAll()
        .where('id', '=', held.reviewId)
        .executeTakeFirstOrThrow();
      assert.equal(after.sealed, null);
      assert.equal(after.status, 'same_person');
      await assert.rejects(
        runtime.registrations.decide(held.reviewId, 'different_persons', decider),
        /déjà été examinée/,
      );
    });

    it('holds a match by name and birth date; « personnes différentes » creates the file, with its event', async () => {
      const first = await runtime.registrations.register(registration(6), online);
      assert.equal(first.outcome, 'registered');
      // The same name and birth date, accents and case aside, another NIR.
      const held = await runtime.registrations.register(
        registration(7, {
          identity: { lastName: 'durand6', firstNames: ['Camille', 'Anne'], sex: 'F', birthDate: '1990-03-14' },
        }),
        online,
      );
      assert.equal(held.outcome, 'held_as_duplicate');
      if (held.outcome !== 'held_as_duplicate' || first.outcome !== 'registered') return;
      assert.deepEqual((await runtime.registrations.review(held.reviewId)).matchedOn, ['name_birth']);
      const persons = await count('persons');
      const decided = await runtime.registrations.decide(
        held.reviewId,
        'different_persons',
        await deciderFor(counsellor),
      );
      assert.equal(decided.decision, 'different_persons');
      assert.ok(decided.registered);
      assert.notEqual(decided.personId, first.personId);
      assert.equal(await count('persons'), persons + 1);
      const file = (await runtime.persons.read(decided.personId, ['nir', 'registration'])).fields;
      assert.equal(file.nir!.nir, nirFor(607));
      assert.equal(file.registration!.status, 'registered');
      const registered = (await events('person_registered')).filter((e) => e.person_id === decided.personId);
      assert.equal(registered.length, 1);
      assert.equal(registered[0]!.parsed.details.via, 'review');
      const decision = (await events('registration_review_decided')).filter((e) => e.person_id === decided.personId);
      assert.equal(decision.length, 1);
    });

    it('after a NIR match, « personnes différentes » creates the file without the NIR (one NIR, one file)', async () => {
      await runtime.registrations.register(registration(8), online);
      const held = await runtime.registrations.register(
        registration(8, {
          identity: { lastName: 'LEBLANC', firstNames: ['Sophie'], sex: 'F', birthDate: '1990-03-02' },
        }),
        online,
      );
      assert.equal(held.outcome, 'held_as_duplicate');
      if (held.outcome !== 'held_as_duplicate') return;
      const decided = await runtime.registrations.decide(
        held.reviewId,
        'different_persons',
        await deciderFor(counsellor),
      );
      const file = await runtime.persons.read(decided.personId, ['identity', 'nir']);
      assert.equal(file.fields.identity!.lastName, 'LEBLANC');
      assert.equal(file.fields.nir, undefined);
      const [event] = (await events('person_registered')).filter((e) => e.person_id === decided.personId);
      assert.equal(event!.parsed.details.nirWithheld, true);
    });

    it('« même personne » with several matches asks which file, and only one the review matched', async () => {
      const a = await runtime.registrations.register(registration(9), online);
      const b = await runtime.registrations.register(
        registration(10, {
          identity: { lastName: 'DURAND9', firstNames: ['Camille'], sex: 'F', birthDate: '1990-03-25' },
        }),
        online,
      );
      assert.equal(a.outcome, 'registered');
      assert.equal(b.outcome, 'registered');
      if (a.outcome !== 'registered' || b.outcome !== 'registered') return;
      // Name and birth date of a, NIR of b.
      const held = await runtime.registrations.register(registration(9, { nir: nirFor(610) }), online);
      assert.equal(held.outcome, 'held_as_duplicate');
      if (held.outcome !== 'held_as_duplicate') return;
      const review = await runtime.registrations.review(held.reviewId);
      assert.deepEqual(review.matchedOn, ['nir', 'name_birth']);
      assert.deepEqual(review.matchedPersonIds, [a.personId, b.personId].sort());
      const decider = await deciderFor(counsellor);
      await assert.rejects(runtime.registrations.decide(held.reviewId, 'same_person', decider), /body\.personId/);
      await assert.rejects(
        runtime.registrations.decide(held.reviewId, 'same_person', decider, {
          personId: '00000000-0000-4000-8000-000000000000',
        }),
        /body\.personId/,
      );
      const decided = await runtime.registrations.decide(held.reviewId, 'same_person', decider, {
        personId: b.personId,
      });
      assert.equal(decided.personId, b.personId);
      assert.equal(decided.reopened, false);
    });
  });

  describe('the counsellors’ review routes', () => {
    it('lists without values, compares through the pipeline (recorded in the matched file’s journal), decides', async () => {
      const first = await runtime.registrations.register(registration(11), online);
      assert.equal(first.outcome, 'registered');
      if (first.outcome !== 'registered') return;
      const held = await runtime.registrations.register(
        registration(11, {
          identity: { lastName: 'DURAND-ROUX', firstNames: ['Camille'], sex: 'F', birthDate: '1990-03-01' },
        }),
        online,
      );
      assert.equal(held.outcome, 'held_as_duplicate');
      if (held.outcome !== 'held_as_duplicate') return;

      const list = await staffCall(counsellor, 'GET', '/api/staff/registration-reviews');
      assert.equal(list.statusCode, 200, list.body);
      const listed = list.json().reviews.find((r: { id: string }) => r.id === held.reviewId);
      assert.ok(listed);
      assert.deepEqual(listed.matchedOn, ['nir']);
      for (const value of ['DURAND-ROUX', 'DURAND11', nirFor(611), 'Camille']) assert.ok(!list.body.includes(value));

      const granted = (await events('access_granted')).length;
      const opened = await staffCall(counsellor, 'GET', `/api/staff/registration-reviews/${held.reviewId}`);
      assert.equal(opened.statusCode, 200, opened.body);
      const body = opened.json();
      assert.equal(body.candidate.identity.lastName, 'DURAND-ROUX');
      assert.equal(body.candidate.nirEnd, nirFor(611).slice(-3));
      assert.ok(!opened.body.includes(nirFor(611)), 'the NIR is never shown whole');
      assert.equal(body.matches.length, 1);
      assert.equal(body.matches[0].identity.lastName, 'DURAND11');
      assert.equal(body.matches[0].registration.franceTravailId, first.franceTravailId);
      const reads = (await events('access_granted')).slice(granted);
      assert.equal(reads.length, 1);
      assert.equal(reads[0]!.person_id, first.personId);
      assert.equal(reads[0]!.parsed.purpose, 'registration_review');
      assert.deepEqual([...reads[0]!.parsed.classes!].sort(), ['identity', 'registration']);
      assert.equal(
        (await events('registration_candidate_read')).filter((e) => e.parsed.details.review === held.reviewId).length,
        1,
      );

      const bad = await staffCall(counsellor, 'POST', `/api/staff/registration-reviews/${held.reviewId}/decision`, {
        decision: 'merge',
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().issues[0].field, 'body.decision');
      assert.equal((await runtime.registrations.review(held.reviewId)).status, 'pending');

      const decided = await staffCall(counsellor, 'POST', `/api/staff/registration-reviews/${held.reviewId}/decision`, {
        decision: 'different_persons',
      });
      assert.equal(decided.statusCode, 200, decided.body);
      assert.match(decided.json().franceTravailId, /^[0-9]{7}[A-Z]$/);
      const again = await staffCall(counsellor, 'POST', `/api/staff/registration-reviews/${held.reviewId}/decision`, {
        decision: 'same_person',
      });
      assert.equal(again.statusCode, 409);
    });

    it('decides a review once: two decisions at once (a double click) create one file, the other is a 409', async () => {
      const desk = { kind: 'desk' as const, actorId: (await deciderFor(counsellor)).actorId };
      const withoutNir = () => {
        const { nir: _nir, ...rest } = registration(95);
        void _nir;
        return rest;
      };
      assert.equal((await runtime.registrations.register(withoutNir(), desk)).outcome, 'registered');
      const held = await runtime.registrations.register(withoutNir(), desk);
      assert.equal(held.outcome, 'held_as_duplicate');
      if (held.outcome !== 'held_as_duplicate') return;
      const persons = await count('persons');
      const url = `/api/staff/registration-reviews/${held.reviewId}/decision`;
      const answers = await Promise.all([
        staffCall(counsellor, 'POST', url, { decision: 'different_persons' }),
        staffCall(counsellor, 'POST', url, { decision: 'different_persons' }),
      ]);
      assert.deepEqual(answers.map((a) => a.statusCode).sort(), [200, 409], answers.map((a) => a.body).join('\n'));
      assert.equal(await count('persons'), persons + 1);
      const decided = (await events('registration_review_decided')).filter(
        (e) => e.parsed.details.review === held.reviewId,
      );
      assert.equal(decided.length, 1);
    });

    it('refuses anyone but a counsellor, before reading anything', async () => {
      const before = (await events('access_granted')).length;
      const pending = (await runtime.registrations.reviews()).reviews[0];
      for (const url of [
        '/api/staff/registration-reviews',
        `/api/staff/registration-reviews/${pending?.id ?? '00000000-0000-4000-8000-000000000000'}`,
      ]) {
        const res = await staffCall(RSSI, 'GET', url);
        assert.equal(res.statusCode, 403, res.body);
      }
      const anonymous = await app.inject({ method: 'GET', url: '/api/staff/registration-reviews' });
      assert.equal(anonymous.statusCode, 401);
      assert.equal((await events('access_granted')).length, before);
    });
  });

  describe('online, in the espace', () => {
    it('proves the address, keeps the draft (never the NIR nor the password), registers, creates the account and confirms', async () => {
      const client = publicClient();
      const email = 'camille.durand20@exemple.fr';
      const token = await prove(client, email);
      const form = registration(20);
      const saved = await post(
        client,
        '/api/registration/draft',
        { draft: { step: 3, registration: form, password: 'x' } },
        token,
        'PUT',
      );
      assert.equal(saved.statusCode, 200, saved.body);
      const loaded = await app.inject({
        method: 'GET',
        url: '/api/registration/draft',
        headers: { 'x-registration-token': token },
      });
      assert.equal(loaded.statusCode, 200, loaded.body);
      assert.equal(loaded.json().email, email);
      assert.equal(loaded.json().draft.step, 3);
      assert.equal(loaded.json().draft.registration.identity.lastName, 'DURAND20');
      assert.equal(loaded.json().draft.registration.nir, undefined);
      assert.equal(loaded.json().draft.password, undefined);
      assert.ok(!loaded.body.includes(nirFor(620)));
      const row = await db().selectFrom('registration_drafts').selectAll().executeTakeFirstOrThrow();
      assert.ok(!row.sealed!.toString('latin1').includes('DURAND20'), 'sealed');

      // A bad field: 400 naming it, nothing written.
      const before = await snapshot();
      const bad = await post(
        client,
        '/api/registration/submit',
        { registration: registration(20, { soughtJobs: ['X'] }), password: PASSWORD },
        token,
      );
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().issues[0].field, 'body.registration.soughtJobs.0');
      const weak = await post(client, '/api/registration/submit', { registration: form, password: 'durand20' }, token);
      assert.equal(weak.statusCode, 400);
      assert.equal(weak.json().issues[0].field, 'body.password');
      assert.match(weak.json().issues[0].message, /Mot de passe/);
      const otherAddress = await post(
        client,
        '/api/registration/submit',
        {
          registration: registration(20, { contact: { email: 'quelqu.un@exemple.fr' } }),
          password: PASSWORD,
        },
        token,
      );
      assert.equal(otherAddress.statusCode, 400);
      assert.equal(otherAddress.json().issues[0].field, 'body.registration.contact.email');
      assert.deepEqual(await snapshot(), before);

      const done = await post(client, '/api/registration/submit', { registration: form, password: PASSWORD }, token);
      assert.equal(done.statusCode, 201, done.body);
      assert.equal(done.json().outcome, 'registered');
      assert.equal(done.json().category, 'A');
      assert.equal(done.json().administrativeCategory, 1);
      assert.equal(done.json().login, email);
      assert.ok(!done.body.includes(nirFor(620)));
      const account = await db()
        .selectFrom('accounts')
        .selectAll()
        .where('login', '=', email)
        .executeTakeFirstOrThrow();
      assert.equal(account.kind, 'job_seeker');
      const [personId] = await runtime.persons.lookup('nir', nirFor(620));
      assert.equal(account.person_id, personId);
      const channel = await db()
        .selectFrom('account_channels')
        .selectAll()
        .where('account_id', '=', account.id)
        .executeTakeFirstOrThrow();
      assert.ok(channel.verified_at);
      const confirmation = messagesTo(runtime.config.dataDir, email).at(-1)!;
      assert.match(confirmation.subject, /inscription .* enregistrée/);
      assert.match(confirmation.body, new RegExp(done.json().franceTravailId));
      assert.ok(!confirmation.body.includes(nirFor(620)));
      // The draft is gone; the token opens nothing more.
      assert.equal(await count('registration_drafts'), 0);
      const spent = await app.inject({
        method: 'GET',
        url: '/api/registration/draft',
        headers: { 'x-registration-token': token },
      });
      assert.equal(spent.statusCode, 409);

      // The person signs in with the address and the password; like every job seeker's account, the
      // second factor is offered in the espace, not imposed (src/identity/login.ts).
      const login = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: client.remoteAddress,
        headers: client.headers,
        payload: { login: email, password: PASSWORD },
      });
      assert.equal(login.statusCode, 200, login.body);
      assert.equal(login.json().secondFactor, 'not_required');
      const session = await signIn(app, client, email, PASSWORD);
      const file = await as(app, client, session)('GET', '/api/me/file');
      assert.equal(file.statusCode, 200, file.body);
      // Their journal shows the registration.
      const journal = await as(app, client, session)('GET', '/api/me/journal');
      assert.equal(journal.statusCode, 200, journal.body);
      assert.ok(journal.body.includes('person_registered'));
    });

    it('a person whose NIR is known gets « en cours de vérification », never « this NIR exists »', async () => {
      const existing = await runtime.registrations.register(registration(21), online);
      assert.equal(existing.outcome, 'registered');
      const client = publicClient();
      const email = 'usurpateur@exemple.fr';
      const token = await prove(client, email);
      await post(client, '/api/registration/draft', { draft: {} }, token, 'PUT');
      const form = registration(21, {
        identity: { lastName: 'AUTRE', firstNames: ['Julie'], sex: 'F', birthDate: '1990-03-03' },
        contact: { email },
      });
      const accounts = await count('accounts');
      const res = await post(client, '/api/registration/submit', { registration: form, password: PASSWORD }, token);
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(res.json().outcome, 'pending_check');
      assert.match(res.json().message, /en cours de vérification/);
      assert.ok(!/NIR|existe|déjà/i.test(res.body));
      assert.equal(await count('accounts'), accounts);
      const mail = messagesTo(runtime.config.dataDir, email).at(-1)!;
      assert.match(mail.subject, /en cours de vérification/);
      assert.ok(!/NIR|déjà inscrit/i.test(mail.body));
    });

    it('an account is created when a held online registration is found to be another person', async () => {
      const first = await runtime.registrations.register(registration(22), online);
      assert.equal(first.outcome, 'registered');
      if (first.outcome !== 'registered') return;
      const client = publicClient();
      const email = 'homonyme@exemple.fr';
      const token = await prove(client, email);
      const form = registration(23, {
        identity: { lastName: 'DURAND22', firstNames: ['Camille'], sex: 'F', birthDate: '1990-03-14' },
        contact: { email },
      });
      const res = await post(client, '/api/registration/submit', { registration: form, password: PASSWORD }, token);
      assert.equal(res.statusCode, 202, res.body);
      const reviewId = await reviewMatching(first.personId);
      const decided = await runtime.registrations.decide(reviewId, 'different_persons', await deciderFor(counsellor));
      const account = await db()
        .selectFrom('accounts')
        .selectAll()
        .where('login', '=', email)
        .executeTakeFirstOrThrow();
      assert.equal(account.person_id, decided.personId);
      assert.match(messagesTo(runtime.config.dataDir, email).at(-1)!.subject, /enregistrée/);
      const login = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: client.remoteAddress,
        headers: client.headers,
        payload: { login: email, password: PASSWORD },
      });
      assert.equal(login.statusCode, 200, login.body);
    });

    it('« même personne » on an online candidate: the file’s own channels hear it, the requesting address learns nothing more, no account; the agent is warned the address is not the file’s', async () => {
      // The person registered online: an account, their own address.
      const owner = publicClient();
      const ownerEmail = 'camille.titulaire@exemple.fr';
      const ownerToken = await prove(owner, ownerEmail);
      const registered = await post(
        owner,
        '/api/registration/submit',
        { registration: registration(24, { contact: { email: ownerEmail } }), password: PASSWORD },
        ownerToken,
      );
      assert.equal(registered.statusCode, 201, registered.body);
      const personId = (await runtime.persons.lookup('email', ownerEmail))[0]!;
      // Someone else sends the same identity and NIR from their own address.
      const client = publicClient();
      const email = 'camille.revient@exemple.fr';
      const token = await prove(client, email);
      const res = await post(
        client,
        '/api/registration/submit',
        { registration: registration(24, { contact: { email } }), password: PASSWORD },
        token,
      );
      assert.equal(res.statusCode, 202, res.body);
      const reviewId = await reviewMatching(personId);
      const opened = await staffCall(counsellor, 'GET', `/api/staff/registration-reviews/${reviewId}`);
      assert.equal(opened.statusCode, 200, opened.body);
      assert.deepEqual(opened.json().candidate.emailOnFile, [], 'no matched file holds the requesting address');
      await runtime.registrations.decide(reviewId, 'same_person', await deciderFor(counsellor));
      assert.equal(
        await db().selectFrom('accounts').select('id').where('login', '=', email).executeTakeFirst(),
        undefined,
      );
      const toRequester = messagesTo(runtime.config.dataDir, email).at(-1)!;
      assert.match(toRequester.body, /rattachée à un dossier existant/);
      assert.doesNotMatch(toRequester.body, /ouverte|en cours|pris fin/, 'nothing about the file’s state');
      const toOwner = messagesTo(runtime.config.dataDir, ownerEmail).at(-1)!;
      assert.match(toOwner.subject, /rattachée à votre dossier/);
      assert.match(toOwner.body, /Si vous n’êtes pas à l’origine/);
    });

    it('a matched file that holds the requesting address is named to the agent', async () => {
      const first = await runtime.registrations.register(registration(26), online);
      assert.equal(first.outcome, 'registered');
      if (first.outcome !== 'registered') return;
      const client = publicClient();
      const email = 'camille.durand26@exemple.fr';
      const token = await prove(client, email);
      const res = await post(
        client,
        '/api/registration/submit',
        { registration: registration(26), password: PASSWORD },
        token,
      );
      assert.equal(res.statusCode, 202, res.body);
      const reviewId = await reviewMatching(first.personId);
      const opened = await staffCall(counsellor, 'GET', `/api/staff/registration-reviews/${reviewId}`);
      assert.deepEqual(opened.json().candidate.emailOnFile, [first.personId]);
    });

    it('one proved mailbox sends two registrations a month: a third, even under another spelling, is refused before anything is looked up', async () => {
      const client = publicClient();
      const send = async (email: string, n: number) => {
        const token = await prove(client, email);
        return post(
          client,
          '/api/registration/submit',
          { registration: registration(n, { contact: { email } }), password: PASSWORD },
          token,
        );
      };
      // Each held, like a prober's identities already registered.
      for (const n of [27, 28]) {
        const known = await runtime.registrations.register(registration(n), online);
        assert.equal(known.outcome, 'registered');
      }
      assert.equal((await send('sonde@exemple.fr', 27)).statusCode, 202);
      assert.equal((await send('sonde@exemple.fr', 28)).statusCode, 202);
      const reviews = await db().selectFrom('registration_reviews').select('id').execute();
      const third = await send('sonde+3@exemple.fr', 29);
      assert.equal(third.statusCode, 429, third.body);
      assert.equal((await db().selectFrom('registration_reviews').select('id').execute()).length, reviews.length);
    });

    it('paper chosen: the confirmation goes as a letter too; paper without a postal address is refused', async () => {
      const client = publicClient();
      const email = 'camille.durand25@exemple.fr';
      const token = await prove(client, email);
      const noAddress = await post(
        client,
        '/api/registration/submit',
        {
          registration: registration(25, { contact: { email } }),
          password: PASSWORD,
          paper: true,
        },
        token,
      );
      assert.equal(noAddress.statusCode, 400);
      assert.equal(noAddress.json().issues[0].field, 'body.registration.contact.address');
      const res = await post(
        client,
        '/api/registration/submit',
        { registration: registration(25), password: PASSWORD, paper: true },
        token,
      );
      assert.equal(res.statusCode, 201, res.body);
      const [personId] = await runtime.persons.lookup('nir', nirFor(625));
      const letters = await db()
        .selectFrom('paper_letters')
        .select(['kind', 'status'])
        .where('person_id', '=', personId!)
        .execute();
      assert.ok(
        letters.some((l) => l.kind === 'registration_confirmed' && l.status === 'queued'),
        JSON.stringify(letters),
      );
    });

    it('a wrong code is one neutral answer and writes no token; a code is spent once', async () => {
      const client = publicClient();
      const email = 'code.test@exemple.fr';
      const asked = await post(client, '/api/registration/code', { email });
      assert.equal(asked.statusCode, 202);
      const code = lastCodeSentTo(runtime.config.dataDir, email);
      const wrong = await post(client, '/api/registration/verify', {
        email,
        code: code === '00000000' ? '11111111' : '00000000',
      });
      assert.equal(wrong.statusCode, 400);
      assert.equal(wrong.json().issues[0].field, 'body.code');
      const unknown = await post(client, '/api/registration/verify', { email: 'personne@exemple.fr', code });
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().issues[0].message, wrong.json().issues[0].message);
      const good = await post(client, '/api/registration/verify', { email, code });
      assert.equal(good.statusCode, 200, good.body);
      const reused = await post(client, '/api/registration/verify', { email, code });
      assert.equal(reused.statusCode, 400);
      const badEmail = await post(client, '/api/registration/code', { email: 'pas une adresse' });
      assert.equal(badEmail.statusCode, 400);
      assert.equal(badEmail.json().issues[0].field, 'body.email');
      const noToken = await app.inject({ method: 'GET', url: '/api/registration/draft' });
      assert.equal(noToken.statusCode, 400);
      const forged = await app.inject({
        method: 'GET',
        url: '/api/registration/draft',
        headers: { 'x-registration-token': 'A'.repeat(43) },
      });
      assert.equal(forged.statusCode, 409);
    });

    it('throttles codes per address and per network, wrong codes per network, and submissions per network', async () => {
      // Per address, from many networks: a stranger's mailbox is not flooded.
      const target = 'cible@exemple.fr';
      for (let i = 0; i < REGISTRATION_LIMITS.codesPerAddressHour; i++)
        assert.equal((await post(publicClient(), '/api/registration/code', { email: target })).statusCode, 202);
      const sent = messagesTo(runtime.config.dataDir, target).length;
      const blocked = await post(publicClient(), '/api/registration/code', { email: target });
      assert.equal(blocked.statusCode, 429, blocked.body);
      assert.ok(Number(blocked.headers['retry-after']) > 0);
      assert.equal(messagesTo(runtime.config.dataDir, target).length, sent);

      // Per network, many addresses.
      const client = publicClient();
      for (let i = 0; i < REGISTRATION_LIMITS.codesPerNetworkHour; i++)
        assert.equal((await post(client, '/api/registration/code', { email: `flot${i}@exemple.fr` })).statusCode, 202);
      assert.equal(
        (await post(client, '/api/registration/code', { email: 'flot-de-trop@exemple.fr' })).statusCode,
        429,
      );

      // Wrong codes from one network.
      const guesser = publicClient();
      await post(publicClient(), '/api/registration/code', { email: 'devine@exemple.fr' });
      for (let i = 0; i < REGISTRATION_LIMITS.wrongCodesPerNetwork; i++)
        await post(guesser, '/api/registration/verify', { email: 'devine@exemple.fr', code: String(10_000_000 + i) });
      const walked = await post(guesser, '/api/registration/verify', {
        email: 'devine@exemple.fr',
        code: lastCodeSentTo(runtime.config.dataDir, 'devine@exemple.fr'),
      });
      assert.equal(walked.statusCode, 429);

      // Accounts from one network: a farm is stopped, nothing written.
      const farm = publicClient();
      const before = await count('persons');
      let created = 0;
      for (let i = 0; i < REGISTRATION_LIMITS.submissionsPerNetworkDay + 1; i++) {
        const email = `ferme${i}@exemple.fr`;
        const token = await prove(publicClient(), email);
        const res = await post(
          farm,
          '/api/registration/submit',
          {
            registration: registration(40 + i, { contact: { email } }),
            password: PASSWORD,
          },
          token,
        );
        if (res.statusCode === 201) created++;
        else assert.equal(res.statusCode, 429, res.body);
      }
      assert.equal(created, REGISTRATION_LIMITS.submissionsPerNetworkDay);
      assert.equal(await count('persons'), before + created);
    });

    it('holds its limits against parallel requests: codes to one address, guesses at one code', async () => {
      // A flood of code requests for a stranger's address, all at once from many networks.
      const target = 'rafale@exemple.fr';
      const asked = await Promise.all(
        Array.from({ length: 20 }, () => post(publicClient(), '/api/registration/code', { email: target })),
      );
      assert.deepEqual(
        asked.map((a) => a.statusCode).filter((code) => code !== 429 && code !== 202),
        [],
        'only 202 or 429',
      );
      assert.equal(asked.filter((a) => a.statusCode === 202).length, REGISTRATION_LIMITS.codesPerAddressHour);
      assert.equal(messagesTo(runtime.config.dataDir, target).length, REGISTRATION_LIMITS.codesPerAddressHour);

      // Guesses at one code, all at once from many networks: the code survives 5 wrong ones, no more.
      const guessed = 'devinette@exemple.fr';
      assert.equal((await post(publicClient(), '/api/registration/code', { email: guessed })).statusCode, 202);
      const code = lastCodeSentTo(runtime.config.dataDir, guessed);
      const guesses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post(publicClient(), '/api/registration/verify', {
            email: guessed,
            code: String(10_000_000 + i) === code ? '99999999' : String(10_000_000 + i),
          }),
        ),
      );
      assert.ok(guesses.every((g) => g.statusCode === 400));
      const late = await post(publicClient(), '/api/registration/verify', { email: guessed, code });
      assert.equal(late.statusCode, 400, 'the code is spent after 5 wrong tries');

      // Wrong codes from one network, all at once: at most the limit is tried, the rest is 429.
      const walker = publicClient();
      const walked = await Promise.all(
        Array.from({ length: REGISTRATION_LIMITS.wrongCodesPerNetwork + 10 }, (_, i) =>
          post(walker, '/api/registration/verify', { email: `marche${i}@exemple.fr`, code: '12345678' }),
        ),
      );
      assert.equal(walked.filter((w) => w.statusCode === 400).length, REGISTRATION_LIMITS.wrongCodesPerNetwork);
      assert.equal(walked.filter((w) => w.statusCode === 429).length, 10);
    });

    it('counts the codes per mailbox: sub-addresses and Gmail’s dots do not each get their own limit', async () => {
      const box = 'boite.cible@exemple.fr';
      for (let i = 0; i < REGISTRATION_LIMITS.codesPerAddressHour; i++)
        assert.equal((await post(publicClient(), '/api/registration/code', { email: box })).statusCode, 202);
      for (const alias of ['boite.cible+1@exemple.fr', 'Boite.Cible+inscription@Exemple.fr']) {
        const res = await post(publicClient(), '/api/registration/code', { email: alias });
        assert.equal(res.statusCode, 429, `${alias}: ${res.body}`);
        assert.equal(messagesTo(runtime.config.dataDir, alias.toLowerCase()).length, 0);
      }
      const gmail = 'jean.martin@gmail.com';
      for (let i = 0; i < REGISTRATION_LIMITS.codesPerAddressHour; i++)
        assert.equal((await post(publicClient(), '/api/registration/code', { email: gmail })).statusCode, 202);
      for (const alias of ['jeanmartin@gmail.com', 'j.e.a.n.martin+x@googlemail.com'])
        assert.equal((await post(publicClient(), '/api/registration/code', { email: alias })).statusCode, 429, alias);
      // Another mailbox at the same domain is not held back.
      assert.equal(
        (await post(publicClient(), '/api/registration/code', { email: 'autre.boite@exemple.fr' })).statusCode,
        202,
      );
    });

    it('keeps a draft 15 days after its last save, then it is gone', async () => {
      const client = publicClient();
      const email = 'brouillon@exemple.fr';
      const token = await prove(client, email);
      const saved = await post(client, '/api/registration/draft', { draft: { step: 2 } }, token, 'PUT');
      assert.equal(saved.statusCode, 200, saved.body);
      assert.equal(saved.json().expiresAt, new Date(now.getTime() + DRAFT_TTL_MS).toISOString());
      const savedAt = now;
      try {
        now = new Date(savedAt.getTime() + DRAFT_TTL_MS - 1000);
        const still = await app.inject({
          method: 'GET',
          url: '/api/registration/draft',
          headers: { 'x-registration-token': token },
        });
        assert.equal(still.statusCode, 200, still.body);
        assert.equal(still.json().draft.step, 2);
        now = new Date(savedAt.getTime() + DRAFT_TTL_MS);
        const gone = await app.inject({
          method: 'GET',
          url: '/api/registration/draft',
          headers: { 'x-registration-token': token },
        });
        assert.equal(gone.statusCode, 409);
        assert.equal(gone.json().error, 'draft_expired');
        const digestLeft = await db().selectFrom('registration_drafts').select('id').execute();
        assert.equal(digestLeft.length, 0);
      } finally {
        now = START;
      }
    });

    it('a saved draft is resumed on proving the address again', async () => {
      const email = 'reprise@exemple.fr';
      const token = await prove(publicClient(), email);
      await post(
        publicClient(),
        '/api/registration/draft',
        { draft: { step: 4, registration: { soughtJobs: ['M1607'] } } },
        token,
        'PUT',
      );
      const client = publicClient();
      await post(client, '/api/registration/code', { email });
      const resumed = await post(client, '/api/registration/verify', {
        email,
        code: lastCodeSentTo(runtime.config.dataDir, email),
      });
      assert.equal(resumed.statusCode, 200);
      assert.equal(resumed.json().draft.step, 4);
      assert.deepEqual(resumed.json().draft.registration.soughtJobs, ['M1607']);
      assert.ok(outbox(runtime.config.dataDir).length > 0);
    });
  });

  describe('registering again after the registration ended', () => {
    it('a signed-in person whose registration ended registers again on the same file; refusals write nothing', async () => {
      const client = publicClient();
      const email = 'camille.durand30@exemple.fr';
      const token = await prove(client, email);
      const done = await post(
        client,
        '/api/registration/submit',
        { registration: registration(30), password: PASSWORD },
        token,
      );
      assert.equal(done.statusCode, 201, done.body);
      const [personId] = await runtime.persons.lookup('nir', nirFor(630));
      const session = await signIn(app, client, email, PASSWORD);
      const call = (payload: object) =>
        app.inject({
          method: 'POST',
          url: '/api/me/registration/renewal',
          remoteAddress: client.remoteAddress,
          headers: { ...client.headers, cookie: session.cookie, 'x-csrf-token': session.csrf },
          payload,
        });
      const renewal = {
        situation: { kind: 'reduced_activity', hoursLastMonth: 40 },
        availability: { availableFrom: '2026-04-01', workingTime: 'part_time', contract: 'permanent' },
        mobility: { maxDistanceKm: 10, transport: ['bike'], drivingLicence: false },
        soughtJobs: ['K2204'],
      };
      // Running: nothing to renew.
      const running = await call(renewal);
      assert.equal(running.statusCode, 409, running.body);
      assert.equal(running.json().error, 'registration_running');
      await runtime.persons.modify(personId!, 'registration', (r) => ({
        ...r!,
        status: 'deregistered',
        deregisteredOn: '2026-02-16',
      }));
      now = new Date('2026-03-20T10:00:00.000Z');
      try {
        const before = await snapshot();
        const bad = await call({ ...renewal, situation: { kind: 'reduced_activity' } });
        assert.equal(bad.statusCode, 400);
        assert.equal(bad.json().issues[0].field, 'body.situation.hoursLastMonth');
        const badJob = await call({ ...renewal, soughtJobs: [] });
        assert.equal(badJob.statusCode, 400);
        assert.equal(badJob.json().issues[0].field, 'body.soughtJobs');
        assert.deepEqual(await snapshot(), before);
        assert.equal(
          (await runtime.persons.read(personId!, ['registration'])).fields.registration!.status,
          'deregistered',
        );

        const renewed = await call(renewal);
        assert.equal(renewed.statusCode, 201, renewed.body);
        assert.equal(renewed.json().franceTravailId, done.json().franceTravailId);
        assert.equal(renewed.json().category, 'B');
        assert.equal(renewed.json().administrativeCategory, 2);
        const file = (await runtime.persons.read(personId!, ['registration', 'career', 'identity'])).fields;
        assert.equal(file.registration!.status, 'registered');
        assert.equal(file.registration!.registeredOn, '2026-03-20');
        assert.equal(file.registration!.deregisteredOn, undefined);
        assert.deepEqual(file.career!.soughtJobs, ['K2204']);
        assert.equal(file.career!.experiences.length, 1, 'the experience is kept');
        assert.equal(file.identity!.lastName, 'DURAND30');
        const [event] = (await events('registration_renewed')).filter((e) => e.person_id === personId);
        assert.ok(event);
        assert.deepEqual(event.parsed.details, { channel: 'online' });
        assert.match(messagesTo(runtime.config.dataDir, email).at(-1)!.subject, /réinscription/);
        const again = await call(renewal);
        assert.equal(again.statusCode, 409);
      } finally {
        now = START;
      }
    });
  });

  /** The pending review that matched this file. */
  async function reviewMatching(personId: string): Promise<string> {
    const pending = await runtime.registrations.reviews({ limit: 200 });
    return pending.reviews.find((r) => r.matchedPersonIds.includes(personId))!.id;
  }

  async function deciderFor(login: string) {
    const actor = await db()
      .selectFrom('actors')
      .select(['id', 'organisation_id'])
      .where('login', '=', login)
      .executeTakeFirstOrThrow();
    const account = await db()
      .selectFrom('accounts')
      .select('id')
      .where('actor_id', '=', actor.id)
      .executeTakeFirstOrThrow();
    return { accountId: account.id, actorId: actor.id, organisationId: actor.organisation_id };
  }
});
