import { inTransaction, type Executor, type PersonStore } from '../store/index.ts';
import { appendEvent } from '../ledger/index.ts';
import { secretSeed, secretUuid, seedSecret } from './ids.ts';
import { networkRows } from './network.ts';
import { CHUNK_SIZE, generateChunk, NIR_CAPACITY } from './population.ts';

/** Person indexes kept for decoys at the top of the NIR space: the population never reaches them. */
export const DECOY_RESERVE = 2000;
export const POPULATION_CAPACITY = NIR_CAPACITY - DECOY_RESERVE;

/** One decoy for every 200 persons, at least 6 (every partner then holds two) and at most the reserve. */
export function decoyCountFor(population: number): number {
  return Math.min(DECOY_RESERVE, Math.max(6, Math.round(population / 200)));
}

const AGENCY_KEYS = ['agency-bastide', 'agency-merignac', 'agency-libourne'] as const;

/**
 * Plant decoy persons (honeytokens): files generated like everybody's and sealed the same way,
 * so nothing through the API tells them apart, in the scope of every organisation: each referred
 * to two partners in turn (every partner holds some, in proportion to the population rather
 * than all of them, which would crowd a small partner's scope), in one counsellor's caseload at
 * every agency. Their France Travail identifiers
 * sit among the real ones (the digits of a real person's, another letter), where a sweep finds
 * them, and so do their mail addresses (numbered like a real person's). Their ids, their
 * referrals' ids and their files derive from the store's seed secret, not from the seed alone:
 * whoever knows the code and the demo's seed still cannot tell which ids or which names are
 * decoys. Only `guard_decoys` knows them; caseloads, counts and reports leave them out.
 * Idempotent: runs again add only what is missing.
 */
export async function plantDecoys(
  db: Executor,
  persons: PersonStore,
  options: { seed: number; population: number; count?: number },
): Promise<{ planted: number; total: number }> {
  const target = options.count ?? decoyCountFor(options.population);
  const existing = Number(
    (
      await db
        .selectFrom('guard_decoys')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  if (existing >= target) return { planted: 0, total: existing };
  const secret = await seedSecret(db);
  // The generator of the decoys' files runs from a seed only this store knows.
  const filesSeed = secretSeed(secret, options.seed, 'decoy-files');
  const network = networkRows(options.seed, new Date().toISOString());
  const partners = Object.entries(network.organisationIds).filter(
    ([key]) => !key.startsWith('agency-') && key !== 'direction-regionale' && key !== 'call-centre',
  );
  const now = new Date().toISOString();
  const spacing = Math.max(1, Math.floor(Math.max(options.population, target) / target));
  let planted = 0;
  await inTransaction(db, async (trx) => {
    for (let k = existing; k < target; k++) {
      const index = NIR_CAPACITY - 1 - k;
      // A reserved index keeps the NIR apart from every person of the population, whatever the generator's seed.
      const generated = generateChunk(filesSeed, Math.floor(index / CHUNK_SIZE), index + 1).find(
        (p) => p.index === index,
      )!;
      const neighbour = (k * spacing + Math.floor(spacing / 2)) % Math.max(1, options.population);
      const digits = String((neighbour + options.seed * 7919) % 10_000_000).padStart(7, '0');
      // Beside its neighbour's identifier, never on anyone's: the neighbour's digits with another
      // letter can still be a real person's (the capacity bench met one at 10 million persons),
      // and the unique blind index would refuse the decoy.
      let shift = 13;
      while (
        shift < 13 + 26 &&
        (
          await persons.lookup(
            'france_travail_id',
            `${digits}${String.fromCharCode(65 + ((neighbour + shift) % 26))}`,
            trx,
          )
        ).length > 0
      )
        shift++;
      const letter = String.fromCharCode(65 + ((neighbour + shift) % 26));
      const email = generated.file.contact!.email!.replace(/\.\d+@/, `.${neighbour}@`);
      const file = {
        ...generated.file,
        contact: { ...generated.file.contact!, email },
        registration: { ...generated.file.registration!, franceTravailId: `${digits}${letter}` },
      };
      const id = secretUuid(secret, options.seed, 'person', index);
      await persons.create(file, { id, executor: trx });
      await trx.insertInto('guard_decoys').values({ person_id: id, created_at: now }).execute();
      const registeredOn = file.registration.registeredOn;
      const agency = k % AGENCY_KEYS.length;
      for (const [a, key] of AGENCY_KEYS.entries()) {
        const counsellors = network.counsellorsByAgency[a]!;
        const counsellor = counsellors[(k + a) % counsellors.length]!;
        await trx
          .insertInto('caseloads')
          .values({
            person_id: id,
            actor_id: counsellor,
            organisation_id: network.organisationIds[key]!,
            since: registeredOn,
            until: null,
          })
          .execute();
      }
      for (const [key, organisationId] of [partners[k % partners.length]!, partners[(k + 1) % partners.length]!]) {
        await trx
          .insertInto('referrals')
          .values({
            id: secretUuid(secret, options.seed, 'referral', index, key),
            person_id: id,
            organisation_id: organisationId,
            referred_by_actor_id: network.counsellorsByAgency[agency]![0]!,
            reason: 'Orientation',
            starts_on: registeredOn,
            ends_on: null,
            status: 'active',
            created_at: now,
          })
          .execute();
      }
      planted++;
    }
    await appendEvent(trx, 'decoys_planted', { operation: 'plant_decoys', details: { planted, total: target } });
  });
  return { planted, total: target };
}
