import type { Executor } from '../store/index.ts';

/**
 * Is this person named in an incident's blast radius, exposed after `since` (ISO instant)? The
 * ledger's exact answer, stored with the incident; a decoy is evidence of the theft, not a person.
 */
export async function exposedByAnIncidentSince(db: Executor, personId: string, since: string): Promise<boolean> {
  const row = await db
    .selectFrom('incident_exposures')
    .select('incident_id')
    .where('person_id', '=', personId)
    .where('decoy', '=', 0)
    .where('last_at', '>', since)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
