import type { Executor, PersonStore } from '../store/index.ts';
import { chunks, inTransaction, yieldToEventLoop } from '../store/index.ts';
import type { CaseloadsTable, ReferralsTable } from '../store/schema.ts';
import { deterministicUuid } from './ids.ts';
import { networkRows, type NetworkRows } from './network.ts';
import { CHUNK_SIZE, generateChunk, NIR_CAPACITY, type SyntheticPerson } from './population.ts';

export { NETWORK } from './network.ts';
export { CHUNK_SIZE, NIR_CAPACITY } from './population.ts';

export interface SeedOptions {
  persons: number;
  seed: number;
  /** Persons per transaction (rounded to whole chunks of CHUNK_SIZE). */
  batchSize?: number;
  onStart?: (info: { target: number; alreadyDone: number }) => void;
  onProgress?: (done: number) => void;
}

export interface SeedResult {
  seed: number;
  target: number;
  inserted: number;
  alreadyDone: number;
}

const progressKey = (seed: number) => `seed:${seed}:persons`;

async function insertNetwork(db: Executor, network: NetworkRows): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx.insertInto('organisations').values(network.organisations).onConflict((oc) => oc.column('id').doNothing()).execute();
    await trx.insertInto('agreements').values(network.agreements).onConflict((oc) => oc.column('id').doNothing()).execute();
    await trx.insertInto('actors').values(network.actors).onConflict((oc) => oc.column('id').doNothing()).execute();
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
export async function seedDatabase(db: Executor, persons: PersonStore, options: SeedOptions): Promise<SeedResult> {
  const { seed } = options;
  if (options.persons > NIR_CAPACITY) throw new RangeError(`at most ${NIR_CAPACITY} persons per seed (unique NIRs)`);
  const now = new Date().toISOString();
  const network = networkRows(seed, now);
  await insertNetwork(db, network);
  const alreadyDone = await personsDone(db, seed);
  const target = Math.max(options.persons, alreadyDone);
  options.onStart?.({ target, alreadyDone });
  const chunksPerBatch = Math.max(1, Math.round((options.batchSize ?? 1000) / CHUNK_SIZE));
  let done = alreadyDone;
  while (done < target) {
    const firstChunk = Math.floor(done / CHUNK_SIZE);
    const people: SyntheticPerson[] = [];
    for (let c = firstChunk; c < firstChunk + chunksPerBatch && c * CHUNK_SIZE < target; c++) {
      people.push(...generateChunk(seed, c, target).filter((p) => p.index >= done));
    }
    const referrals: ReferralsTable[] = [];
    const caseloads: CaseloadsTable[] = [];
    for (const p of people) {
      const counsellors = network.counsellorsByAgency[p.agency]!;
      const counsellor = counsellors[p.index % counsellors.length]!;
      caseloads.push({ person_id: p.id, actor_id: counsellor, organisation_id: network.organisationIds[['agency-bastide', 'agency-merignac', 'agency-libourne'][p.agency]!]!, since: p.file.registration!.registeredOn, until: null });
      for (const r of p.referrals) {
        referrals.push({
          id: deterministicUuid(seed, 'referral', p.index, r.organisation),
          person_id: p.id,
          organisation_id: network.organisationIds[r.organisation]!,
          referred_by_actor_id: counsellor,
          reason: r.reason,
          starts_on: p.file.registration!.registeredOn,
          ends_on: null,
          status: 'active',
          created_at: now,
        });
      }
    }
    const next = done + people.length;
    await inTransaction(db, async (trx) => {
      await persons.createMany(people, trx);
      for (const batch of chunks(caseloads, 5)) await trx.insertInto('caseloads').values(batch).execute();
      for (const batch of chunks(referrals, 9)) await trx.insertInto('referrals').values(batch).execute();
      await trx
        .insertInto('meta')
        .values({ key: progressKey(seed), value: String(next) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(next) }))
        .execute();
    });
    done = next;
    options.onProgress?.(done);
    await yieldToEventLoop();
  }
  return { seed, target, inserted: done - alreadyDone, alreadyDone };
}

/** Demo logins, for the start banner. */
export function demoActors(seed: number): Array<{ login: string; organisation: string; roles: string[] }> {
  const network = networkRows(seed, '');
  const orgName = new Map(network.organisations.map((o) => [o.id, o.name]));
  return network.actors.map((a) => ({ login: a.login, organisation: orgName.get(a.organisation_id) ?? '', roles: JSON.parse(a.roles) as string[] }));
}
