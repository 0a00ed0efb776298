import type { Runtime } from '../../src/runtime/index.ts';
import { demoPersons } from '../../src/seed/index.ts';

/** A demo job seeker (their espace account shown at start) whom a demo counsellor follows. */
export interface FollowedSeeker {
  /** The seeker's login (their e-mail). */
  seeker: string;
  personId: string;
  counsellor: string;
  agencyId: string;
}

/**
 * The first demo job seeker, among the `among` first demo persons, with an espace account shown
 * at start (`shown`, the logins `ensureDemoAccounts` returned) and a counsellor following them;
 * undefined when the seeded population has none.
 */
export async function followedDemoSeeker(
  runtime: Runtime,
  seed: number,
  shown: ReadonlySet<string>,
  among = 8,
): Promise<FollowedSeeker | undefined> {
  const db = runtime.database.db;
  for (const person of await demoPersons(db, seed, among)) {
    if (!shown.has(person.email)) continue;
    const followed = await db
      .selectFrom('caseloads')
      .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
      .select(['actors.login', 'actors.organisation_id'])
      .where('caseloads.person_id', '=', person.id)
      .executeTakeFirst();
    if (followed)
      return {
        seeker: person.email,
        personId: person.id,
        counsellor: followed.login,
        agencyId: followed.organisation_id,
      };
  }
  return undefined;
}
