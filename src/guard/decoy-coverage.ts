import { randomUUID } from 'node:crypto';
import type { PersonFile } from '../domain/index.ts';
import { appendEvent } from '../ledger/index.ts';
import { inTransaction, type Executor, type PersonStore } from '../store/index.ts';

/** Decoys every active organisation holds in its scope at least, whatever filled the store. */
export const DECOYS_PER_ORGANISATION = 2;

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
 * Decoy persons (honeytokens) in the scope of every active organisation, however its files
 * came (the seed, the API, an import): an agency's in the caseload of one of its counsellors, a
 * partner's by a referral to it. Their ids are random (v4) and their files generated from fresh
 * randomness, so neither public code nor a known seed names them; only `guard_decoys` knows
 * them. Runs at start and daily; idempotent: adds only what is missing.
 */
export async function ensureDecoyCoverage(db: Executor, persons: PersonStore, makeFile: DecoyFileMaker, options: { perOrganisation?: number; now?: Date } = {}): Promise<DecoyCoverage> {
  const minimum = options.perOrganisation ?? DECOYS_PER_ORGANISATION;
  const now = options.now ?? new Date();
  const organisations = await db.selectFrom('organisations').select(['id', 'kind']).where('status', '=', 'active').orderBy('id').execute();
  const held = new Map<string, number>();
  const inCaseloads = await db
    .selectFrom('caseloads')
    .innerJoin('guard_decoys', 'guard_decoys.person_id', 'caseloads.person_id')
    .select(['caseloads.organisation_id as organisation', (eb) => eb.fn.count<number | string>('caseloads.person_id').distinct().as('n')])
    .where('caseloads.until', 'is', null)
    .groupBy('caseloads.organisation_id')
    .execute();
  const inReferrals = await db
    .selectFrom('referrals')
    .innerJoin('guard_decoys', 'guard_decoys.person_id', 'referrals.person_id')
    .select(['referrals.organisation_id as organisation', (eb) => eb.fn.count<number | string>('referrals.person_id').distinct().as('n')])
    .where('referrals.status', '=', 'active')
    .groupBy('referrals.organisation_id')
    .execute();
  for (const row of [...inCaseloads, ...inReferrals]) held.set(row.organisation, (held.get(row.organisation) ?? 0) + Number(row.n));
  const short = organisations.filter((o) => (held.get(o.id) ?? 0) < minimum);
  if (short.length === 0) return { planted: 0, organisations: 0, unreachable: [] };

  const actors = await db.selectFrom('actors').innerJoin('organisations', 'organisations.id', 'actors.organisation_id').select(['actors.id', 'actors.organisation_id', 'actors.roles', 'organisations.kind']).where('actors.status', '=', 'active').where('actors.kind', '=', 'human').execute();
  const counsellorsOf = (organisationId: string) => actors.filter((a) => a.organisation_id === organisationId && hasCounsellorRole(a.roles));
  // A referral names who referred: an agency's counsellor, as in real life; any agent otherwise.
  const referrers = actors.filter((a) => a.kind === 'agency' && hasCounsellorRole(a.roles));
  const day = now.toISOString().slice(0, 10);
  const at = now.toISOString();
  const unreachable: string[] = [];
  let planted = 0;
  await inTransaction(db, async (trx) => {
    for (const organisation of short) {
      const counsellors = counsellorsOf(organisation.id);
      const referrer = referrers[planted % Math.max(1, referrers.length)] ?? actors.find((a) => a.organisation_id !== organisation.id);
      if (counsellors.length === 0 && !referrer) {
        unreachable.push(organisation.id);
        continue;
      }
      for (let n = held.get(organisation.id) ?? 0; n < minimum; n++) {
        const id = randomUUID();
        await persons.create(makeFile(), { id, executor: trx });
        await trx.insertInto('guard_decoys').values({ person_id: id, created_at: at }).execute();
        if (counsellors.length > 0) {
          const holder = counsellors[n % counsellors.length]!;
          await trx.insertInto('caseloads').values({ person_id: id, actor_id: holder.id, organisation_id: organisation.id, since: day, until: null }).execute();
        } else {
          await trx
            .insertInto('referrals')
            .values({ id: randomUUID(), person_id: id, organisation_id: organisation.id, referred_by_actor_id: referrer!.id, reason: 'Orientation', starts_on: day, ends_on: null, status: 'active', created_at: at })
            .execute();
        }
        planted++;
      }
    }
    if (planted > 0) await appendEvent(trx, 'decoys_planted', { operation: 'plant_decoys', details: { planted, organisations: short.length - unreachable.length } });
  });
  return { planted, organisations: short.length, unreachable };
}
