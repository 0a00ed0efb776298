import { chunks, type Executor } from '../store/index.ts';

/**
 * The persons an actor had read when the guard contained it, one row each: the exposure a
 * containment stands for, asked about person by person (the bank holds a change of bank details
 * for a person such an account read).
 */
export async function recordContainedReads(
  trx: Executor,
  containmentId: string,
  personIds: readonly string[],
): Promise<void> {
  const rows = [...new Set(personIds)].map((person_id) => ({ containment_id: containmentId, person_id }));
  for (const part of chunks(rows, 2)) await trx.insertInto('guard_containment_persons').values(part).execute();
}

/** Was this person read by an account the guard contained after `since` (ISO instant)? */
export async function readByContainedAccountSince(db: Executor, personId: string, since: string): Promise<boolean> {
  const row = await db
    .selectFrom('guard_containment_persons')
    .innerJoin('guard_containments', 'guard_containments.id', 'guard_containment_persons.containment_id')
    .select('guard_containments.id')
    .where('guard_containment_persons.person_id', '=', personId)
    .where('guard_containments.scope', '=', 'actor')
    .where('guard_containments.contained_at', '>', since)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** A containment of one of the actors asked about, as an incident's checks cite it. */
export interface ActorContainment {
  id: string;
  actorId: string | null;
  signal: string;
  containedAt: string;
  releasedAt: string | null;
}

/** The containments of these actors, oldest first: what the guard already did about them. */
export async function containmentsOfActors(db: Executor, actorIds: readonly string[]): Promise<ActorContainment[]> {
  if (actorIds.length === 0) return [];
  const rows = await db
    .selectFrom('guard_containments')
    .select(['id', 'actor_id', 'signal', 'contained_at', 'released_at'])
    .where('actor_id', 'in', [...actorIds])
    .orderBy('contained_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    actorId: r.actor_id,
    signal: r.signal,
    containedAt: r.contained_at,
    releasedAt: r.released_at,
  }));
}
