import { randomUUID } from 'node:crypto';
import { ConflictError, type PersonFile } from '../domain/index.ts';
import { appendEvent } from '../ledger/index.ts';
import { inTransaction, type Executor, type PersonStore } from '../store/index.ts';

/** Decoys every active organisation holds in its scope at least, whatever filled the store. */
export const DECOYS_PER_ORGANISATION = 2;

/**
 * Days a decoy serves before it is renewed: a list that leaked once (a caseload, a partner's
 * referrals) does not map the decoys for ever.
 */
export const DECOY_RENEWAL_DAYS = 90;

const DAY_MS = 86_400_000;

/** A new decoy's file: generated like anybody's, from randomness nobody else holds. */
export type DecoyFileMaker = () => PersonFile;

export interface DecoyCoverage {
  planted: number;
  /** Organisations that had fewer than the minimum before this run. */
  organisations: number;
  /** Organisations that could not be given one: no actor to hold it in a caseload or to refer it. */
  unreachable: string[];
}

const hasCounsellorRole = (roles: string) => {
  try {
    const parsed: unknown = JSON.parse(roles);
    return Array.isArray(parsed) && parsed.includes('counsellor');
  } catch {
    return false;
  }
};

/**
 * Create a decoy from a new file; a file whose NIR or France Travail id is already someone's
 * (the generator draws them at random) is set aside for another. The uniqueness check runs
 * before any write, so the transaction stays usable.
 */
async function createDecoyPerson(
  trx: Executor,
  persons: PersonStore,
  makeFile: DecoyFileMaker,
  id: string,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await persons.create(makeFile(), { id, executor: trx });
      return;
    } catch (error) {
      // Only the store's own check (`nir_already_registered`, …) leaves nothing written; a unique
      // index that fired (`identifier_already_registered`, a race) has spoilt the transaction.
      const setAside =
        error instanceof ConflictError &&
        error.code.endsWith('_already_registered') &&
        error.code !== 'identifier_already_registered';
      if (!setAside || attempt >= 8) throw error;
    }
  }
}

/**
 * Decoy persons (honeytokens) in the scope of every active organisation, however its files
 * came (the seed, the API, an import): an agency's in the caseload of one of its counsellors, a
 * partner's by a referral to it. Their ids are random (v4) and their files generated from fresh
 * randomness, so neither public code nor a known seed names them; only `guard_decoys` knows
 * them. Retired decoys (`renewDecoys`) count for nothing. Runs at start and daily
 * (`maintainDecoys`); idempotent: adds only what is missing.
 */
export async function ensureDecoyCoverage(
  db: Executor,
  persons: PersonStore,
  makeFile: DecoyFileMaker,
  options: { perOrganisation?: number; now?: Date } = {},
): Promise<DecoyCoverage> {
  const minimum = options.perOrganisation ?? DECOYS_PER_ORGANISATION;
  const now = options.now ?? new Date();
  const organisations = await db
    .selectFrom('organisations')
    .select(['id', 'kind'])
    .where('status', '=', 'active')
    .orderBy('id')
    .execute();
  const held = new Map<string, number>();
  const inCaseloads = await db
    .selectFrom('caseloads')
    .innerJoin('guard_decoys', 'guard_decoys.person_id', 'caseloads.person_id')
    .select([
      'caseloads.organisation_id as organisation',
      (eb) => eb.fn.count<number | string>('caseloads.person_id').distinct().as('n'),
    ])
    .where('caseloads.until', 'is', null)
    .where('guard_decoys.retired_at', 'is', null)
    .groupBy('caseloads.organisation_id')
    .execute();
  const inReferrals = await db
    .selectFrom('referrals')
    .innerJoin('guard_decoys', 'guard_decoys.person_id', 'referrals.person_id')
    .select([
      'referrals.organisation_id as organisation',
      (eb) => eb.fn.count<number | string>('referrals.person_id').distinct().as('n'),
    ])
    .where('referrals.status', '=', 'active')
    .where('guard_decoys.retired_at', 'is', null)
    .groupBy('referrals.organisation_id')
    .execute();
  for (const row of [...inCaseloads, ...inReferrals])
    held.set(row.organisation, (held.get(row.organisation) ?? 0) + Number(row.n));
  const short = organisations.filter((o) => (held.get(o.id) ?? 0) < minimum);
  if (short.length === 0) return { planted: 0, organisations: 0, unreachable: [] };

  const actors = await db
    .selectFrom('actors')
    .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
    .select(['actors.id', 'actors.organisation_id', 'actors.roles', 'organisations.kind'])
    .where('actors.status', '=', 'active')
    .where('actors.kind', '=', 'human')
    .execute();
  const counsellorsOf = (organisationId: string) =>
    actors.filter((a) => a.organisation_id === organisationId && hasCounsellorRole(a.roles));
  // A referral names who referred: an agency's counsellor, as in real life; any agent otherwise.
  const referrers = actors.filter((a) => a.kind === 'agency' && hasCounsellorRole(a.roles));
  const day = now.toISOString().slice(0, 10);
  const at = now.toISOString();
  const unreachable: string[] = [];
  let planted = 0;
  await inTransaction(db, async (trx) => {
    for (const organisation of short) {
      const counsellors = counsellorsOf(organisation.id);
      const referrer =
        referrers[planted % Math.max(1, referrers.length)] ?? actors.find((a) => a.organisation_id !== organisation.id);
      if (counsellors.length === 0 && !referrer) {
        unreachable.push(organisation.id);
        continue;
      }
      for (let n = held.get(organisation.id) ?? 0; n < minimum; n++) {
        const id = randomUUID();
        await createDecoyPerson(trx, persons, makeFile, id);
        await trx.insertInto('guard_decoys').values({ person_id: id, created_at: at, retired_at: null }).execute();
        if (counsellors.length > 0) {
          const holder = counsellors[n % counsellors.length]!;
          await trx
            .insertInto('caseloads')
            .values({ person_id: id, actor_id: holder.id, organisation_id: organisation.id, since: day, until: null })
            .execute();
        } else {
          await trx
            .insertInto('referrals')
            .values({
              id: randomUUID(),
              person_id: id,
              organisation_id: organisation.id,
              referred_by_actor_id: referrer!.id,
              reason: 'Orientation',
              starts_on: day,
              ends_on: null,
              status: 'active',
              created_at: at,
            })
            .execute();
        }
        planted++;
      }
    }
    if (planted > 0)
      await appendEvent(trx, 'decoys_planted', {
        operation: 'plant_decoys',
        details: { planted, organisations: short.length - unreachable.length },
      });
  });
  return { planted, organisations: short.length, unreachable };
}

export interface DecoyRenewal {
  /** Decoys retired: out of every caseload and referral, still known to `guard_decoys`. */
  retired: number;
  /** Fresh decoys planted in their place. */
  planted: number;
}

/**
 * Renew the decoys planted `renewAfterDays` ago or more (DECOY_RENEWAL_DAYS by default), so that a
 * list that leaked once stops mapping them. Each one leaves every organisation's scope the way
 * a person does — its caseload entries end yesterday, its referrals are ended — and a fresh
 * decoy (random id, new file) takes its place, in the caseloads of the same counsellors and
 * referred to the same organisations, as far as they are still active: the decoys keep their
 * number and spread. Its `guard_decoys` row stays, retired: a decoy read, named or found by
 * search later on (by whoever kept the old list) still contains. One transaction for the lot:
 * coverage never drops in between; a decoy another process renews at the same time is skipped.
 */
export async function renewDecoys(
  db: Executor,
  persons: PersonStore,
  makeFile: DecoyFileMaker,
  options: { renewAfterDays?: number; now?: Date } = {},
): Promise<DecoyRenewal> {
  const days = options.renewAfterDays ?? DECOY_RENEWAL_DAYS;
  if (!Number.isFinite(days) || days < 1) throw new RangeError('decoys are renewed after one day at least');
  const now = options.now ?? new Date();
  const at = now.toISOString();
  const today = at.slice(0, 10);
  const yesterday = new Date(now.getTime() - DAY_MS).toISOString().slice(0, 10);
  const cutoff = new Date(now.getTime() - days * DAY_MS).toISOString();
  const due = await db
    .selectFrom('guard_decoys')
    .select('person_id')
    .where('retired_at', 'is', null)
    .where('created_at', '<=', cutoff)
    .orderBy('created_at')
    .orderBy('person_id')
    .execute();
  if (due.length === 0) return { retired: 0, planted: 0 };

  const activeOrganisations = new Set(
    (await db.selectFrom('organisations').select('id').where('status', '=', 'active').execute()).map((o) => o.id),
  );
  const counsellors = new Set(
    (
      await db
        .selectFrom('actors')
        .select(['id', 'roles', 'organisation_id'])
        .where('status', '=', 'active')
        .where('kind', '=', 'human')
        .execute()
    )
      .filter((a) => activeOrganisations.has(a.organisation_id) && hasCounsellorRole(a.roles))
      .map((a) => a.id),
  );
  let retired = 0;
  let planted = 0;
  await inTransaction(db, async (trx) => {
    for (const { person_id: old } of due) {
      const claimed = await trx
        .updateTable('guard_decoys')
        .set({ retired_at: at })
        .where('person_id', '=', old)
        .where('retired_at', 'is', null)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) continue;
      retired++;
      const holders = await trx
        .selectFrom('caseloads')
        .select(['actor_id', 'organisation_id'])
        .where('person_id', '=', old)
        .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>=', today)]))
        .orderBy('actor_id')
        .execute();
      const referrals = await trx
        .selectFrom('referrals')
        .select(['organisation_id', 'referred_by_actor_id', 'reason'])
        .where('person_id', '=', old)
        .where('status', '=', 'active')
        .orderBy('organisation_id')
        .execute();
      await trx
        .updateTable('caseloads')
        .set({ until: yesterday })
        .where('person_id', '=', old)
        .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>=', today)]))
        .execute();
      await trx
        .updateTable('referrals')
        .set({ status: 'ended', ends_on: yesterday })
        .where('person_id', '=', old)
        .where('status', '=', 'active')
        .execute();

      const keptHolders = holders.filter(
        (h) => counsellors.has(h.actor_id) && activeOrganisations.has(h.organisation_id),
      );
      const seen = new Set<string>();
      const keptReferrals = referrals.filter(
        (r) =>
          activeOrganisations.has(r.organisation_id) && !seen.has(r.organisation_id) && seen.add(r.organisation_id),
      );
      // Nowhere left to put it (its organisations suspended): the coverage sweep fills any gap.
      if (keptHolders.length + keptReferrals.length === 0) continue;
      const id = randomUUID();
      await createDecoyPerson(trx, persons, makeFile, id);
      await trx.insertInto('guard_decoys').values({ person_id: id, created_at: at, retired_at: null }).execute();
      for (const h of keptHolders)
        await trx
          .insertInto('caseloads')
          .values({
            person_id: id,
            actor_id: h.actor_id,
            organisation_id: h.organisation_id,
            since: today,
            until: null,
          })
          .execute();
      for (const r of keptReferrals) {
        await trx
          .insertInto('referrals')
          .values({
            id: randomUUID(),
            person_id: id,
            organisation_id: r.organisation_id,
            referred_by_actor_id: r.referred_by_actor_id,
            reason: r.reason,
            starts_on: today,
            ends_on: null,
            status: 'active',
            created_at: at,
          })
          .execute();
      }
      planted++;
    }
    if (retired > 0)
      await appendEvent(trx, 'decoys_planted', {
        operation: 'renew_decoys',
        details: { retired, planted, renewAfterDays: days },
      });
  });
  return { retired, planted };
}

/** The daily sweep (and the one at start): renew the decoys due, then fill every organisation's scope. */
export async function maintainDecoys(
  db: Executor,
  persons: PersonStore,
  makeFile: DecoyFileMaker,
  options: { renewAfterDays?: number; perOrganisation?: number; now?: Date } = {},
): Promise<{ renewal: DecoyRenewal; coverage: DecoyCoverage }> {
  const renewal = await renewDecoys(db, persons, makeFile, options);
  const coverage = await ensureDecoyCoverage(db, persons, makeFile, options);
  return { renewal, coverage };
}
