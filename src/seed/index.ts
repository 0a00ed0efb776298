import type { Keyring } from '../crypto/index.ts';
import {
  type AppointmentsTable,
  type CaseloadsTable,
  chunks,
  type Executor,
  inTransaction,
  type PersonStore,
  type ReferralsTable,
  yieldToEventLoop,
} from '../store/index.ts';
import { deterministicUuid, secretUuid, seedSecret, storedSeedSecret } from './ids.ts';
import { networkRows, type NetworkRows } from './network.ts';
import { insertAssurance } from './assurance.ts';
import { inlineSealer, workerSealer } from './parallel.ts';
import { CHUNK_SIZE, generateChunk } from './population.ts';
import type { BatchJob, SealedBatch } from './sealing.ts';

export { AGENCY_OBJECTION_EXCLUDED, DEMO_STAFF_EMAIL_DOMAIN, NETWORK } from './network.ts';
export { insertAssurance, seededDpia, SEEDED_MEASURES } from './assurance.ts';
export { CHUNK_SIZE, DEMO_GENERATOR_MISSING, demoGeneratorAvailable, frenchIban, NIR_CAPACITY } from './population.ts';
export { DECOY_RESERVE, decoyCountFor, plantDecoys, POPULATION_CAPACITY } from './decoys.ts';
export { deterministicUuid, secretUuid, SEED_SECRET_KEY, seedSecret, storedSeedSecret } from './ids.ts';
import { POPULATION_CAPACITY } from './decoys.ts';

export interface SeedOptions {
  persons: number;
  seed: number;
  /** Persons per transaction (rounded to whole chunks of CHUNK_SIZE). */
  batchSize?: number;
  onStart?: (info: { target: number; alreadyDone: number }) => void;
  onProgress?: (done: number) => void;
  /** Seal on a worker thread while the database writes (default: from PARALLEL_THRESHOLD persons). */
  parallel?: boolean;
}

export const PARALLEL_THRESHOLD = 5000;

export interface SeedResult {
  seed: number;
  target: number;
  inserted: number;
  alreadyDone: number;
}

const progressKey = (seed: number) => `seed:${seed}:persons`;

/** The network's organisations, agreements and actors; those already there are kept. */
export async function insertNetwork(db: Executor, network: NetworkRows): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx
      .insertInto('organisations')
      .values(network.organisations)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    await trx
      .insertInto('agreements')
      .values(network.agreements)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    await trx
      .insertInto('actors')
      .values(network.actors)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    await insertAssurance(trx, network);
  });
}

async function personsDone(db: Executor, seed: number): Promise<number> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', progressKey(seed)).executeTakeFirst();
  return row ? Number(row.value) : 0;
}

/**
 * Seed the département's network and a synthetic population. Each batch commits its persons,
 * relationships and progress counter together: after a crash the store holds whole batches
 * only, and running the same command again continues from the counter.
 */
export async function seedDatabase(
  db: Executor,
  persons: PersonStore,
  keyring: Keyring,
  options: SeedOptions,
): Promise<SeedResult> {
  const { seed } = options;
  if (options.persons > POPULATION_CAPACITY)
    throw new RangeError(`at most ${POPULATION_CAPACITY} persons per seed (unique NIRs, the rest kept for decoys)`);
  const now = new Date().toISOString();
  const network = networkRows(seed, now);
  await insertNetwork(db, network);
  // Person, referral and appointment ids are keyed by the store's secret: not computable from the seed.
  const secret = await seedSecret(db);
  const alreadyDone = await personsDone(db, seed);
  const target = Math.max(options.persons, alreadyDone);
  options.onStart?.({ target, alreadyDone });
  const batchSize = Math.max(1, Math.round((options.batchSize ?? 1000) / CHUNK_SIZE)) * CHUNK_SIZE;
  const parallel = options.parallel ?? target - alreadyDone >= PARALLEL_THRESHOLD;
  const sealer = parallel ? workerSealer(keyring) : inlineSealer(keyring);
  // Batches end on chunk boundaries, so that a resumed run regenerates exactly the same people.
  const jobFrom = (from: number): BatchJob | undefined =>
    from < target
      ? { seed, secret, from, to: Math.min(target, Math.floor(from / CHUNK_SIZE) * CHUNK_SIZE + batchSize), now }
      : undefined;
  let done = alreadyDone;
  try {
    let job = jobFrom(done);
    let pending = job ? sealer.seal(job) : undefined;
    while (job && pending) {
      const batch = await pending;
      const next = jobFrom(job.to);
      pending = next ? sealer.seal(next) : undefined;
      // Awaited on the next turn; until then a failure must not count as unhandled.
      pending?.catch(() => undefined);
      await insertBatch(db, persons, network, job, batch, now);
      done = job.to;
      job = next;
      options.onProgress?.(done);
      await yieldToEventLoop();
    }
  } finally {
    await sealer.close();
  }
  return { seed, target, inserted: done - alreadyDone, alreadyDone };
}

const AGENCY_KEYS = ['agency-bastide', 'agency-merignac', 'agency-libourne'] as const;

/** One transaction: the batch's persons, their relationships, and the progress counter. */
async function insertBatch(
  db: Executor,
  persons: PersonStore,
  network: NetworkRows,
  job: BatchJob,
  batch: SealedBatch,
  now: string,
): Promise<void> {
  const { seed, secret, to: doneAfter } = job;
  const referrals: ReferralsTable[] = [];
  const caseloads: CaseloadsTable[] = [];
  const appointments: AppointmentsTable[] = [];
  for (const p of batch.people) {
    const counsellors = network.counsellorsByAgency[p.agency]!;
    const counsellor = counsellors[p.index % counsellors.length]!;
    const organisationId = network.organisationIds[AGENCY_KEYS[p.agency]!]!;
    caseloads.push({
      person_id: p.id,
      actor_id: counsellor,
      organisation_id: organisationId,
      since: p.registeredOn,
      until: null,
    });
    appointments.push({
      ...appointmentOf(p.index, now),
      id: secretUuid(secret, seed, 'appointment', p.index, 'next'),
      person_id: p.id,
      organisation_id: organisationId,
      actor_id: counsellor,
      created_by: counsellor,
      cancelled_at: null,
    });
    for (const r of p.referrals) {
      referrals.push({
        id: secretUuid(secret, seed, 'referral', p.index, r.organisation),
        person_id: p.id,
        organisation_id: network.organisationIds[r.organisation]!,
        referred_by_actor_id: counsellor,
        reason: r.reason,
        starts_on: p.registeredOn,
        ends_on: null,
        status: 'active',
        created_at: now,
      });
    }
  }
  await inTransaction(db, async (trx) => {
    await persons.insertSealed(
      batch.people.map((p) => p.id),
      batch.fieldRows,
      batch.lookupRows,
      now,
      trx,
    );
    for (const rows of chunks(caseloads, 5)) await trx.insertInto('caseloads').values(rows).execute();
    for (const rows of chunks(referrals, 9)) await trx.insertInto('referrals').values(rows).execute();
    for (const rows of chunks(appointments, 9)) await trx.insertInto('appointments').values(rows).execute();
    await trx
      .insertInto('meta')
      .values({ key: progressKey(seed), value: String(doneAfter) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(doneAfter) }))
      .execute();
  });
}

/**
 * Each person's next appointment with their counsellor, from three days ago to five weeks ahead
 * (a monthly rhythm: a caseload's twentieth or so each working day), booked three weeks before:
 * the demo's day has an agenda, and the guard sees the reads it explains.
 */
export function appointmentOf(index: number, now: string): Pick<AppointmentsTable, 'at' | 'kind' | 'created_at'> {
  const day = new Date(now);
  day.setUTCDate(day.getUTCDate() + ((index * 7919) % 38) - 3);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1);
  day.setUTCHours(7 + (index % 8), (index % 2) * 30, 0, 0);
  const booked = new Date(day.getTime() - 21 * 86_400_000);
  return { at: day.toISOString(), kind: index % 5 === 0 ? 'telephone' : 'entretien', created_at: booked.toISOString() };
}

/** Demo logins, for the start banner. */
export function demoActors(seed: number): Array<{ login: string; organisation: string; roles: string[] }> {
  const network = networkRows(seed, new Date().toISOString());
  const orgName = new Map(network.organisations.map((o) => [o.id, o.name]));
  return network.actors.map((a) => ({
    login: a.login,
    organisation: orgName.get(a.organisation_id) ?? '',
    roles: JSON.parse(a.roles) as string[],
  }));
}

/**
 * The first persons of the population of `seed` in this store, as the demo banner shows them (no
 * decryption needed: regenerated, with the ids the store's seed secret gives them). None when
 * no seeding ever ran here.
 */
export async function demoPersons(
  db: Executor,
  seed: number,
  count: number,
): Promise<Array<{ id: string; email: string; name: string }>> {
  const secret = await storedSeedSecret(db);
  const people = generateChunk(seed, 0, count);
  // A store seeded before seed secrets existed holds ids computed from the seed alone.
  const legacy = people.map((p) => deterministicUuid(seed, 'person', p.index));
  const stored = new Set(
    legacy.length
      ? (await db.selectFrom('persons').select('id').where('id', 'in', legacy).execute()).map((r) => r.id)
      : [],
  );
  return people.flatMap((p, n) => {
    const id = stored.has(legacy[n]!) ? legacy[n]! : secret ? secretUuid(secret, seed, 'person', p.index) : undefined;
    return id
      ? [{ id, email: p.file.contact!.email!, name: `${p.file.identity!.firstNames[0]} ${p.file.identity!.lastName}` }]
      : [];
  });
}
