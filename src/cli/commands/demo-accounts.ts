import { addChannel, createAccount } from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { DEMO_STAFF_EMAIL_DOMAIN, demoActors, demoPersons } from '../../seed/index.ts';

/** A demo job seeker's account, and the counsellor whose caseload holds them. */
export interface DemoJobSeeker {
  login: string;
  who: string;
  counsellor?: string;
}

/** Shared by every demo account, printed at start: a demo has nothing to protect. */
export const DEMO_PASSWORD = 'Rempart démo Gironde 2026';
const DEMO_JOB_SEEKERS = 5;

/**
 * Sign-in accounts for the demo network's staff and for the first few synthetic job seekers.
 * Staff must enrol a second factor at their first sign-in, like everyone's staff.
 */
export async function ensureDemoAccounts(runtime: Runtime, seed: number): Promise<DemoJobSeeker[]> {
  const db = runtime.database.db;
  const existing = new Set((await db.selectFrom('accounts').select('login').execute()).map((r) => r.login));
  const actors = await db
    .selectFrom('actors')
    .select(['id', 'login'])
    .where(
      'login',
      'in',
      demoActors(seed).map((a) => a.login),
    )
    .execute();
  for (const actor of actors) {
    if (!existing.has(actor.login)) {
      const accountId = await createAccount(db, {
        kind: 'staff',
        login: actor.login,
        password: DEMO_PASSWORD,
        actorId: actor.id,
      });
      // The professional address activation codes go to (the demo's outbox folder stands in for the mail server).
      await addChannel(db, runtime.keyring, accountId, 'email', demoStaffEmail(actor.login), { verified: true });
    }
  }
  const shown: DemoJobSeeker[] = [];
  for (const person of await demoPersons(db, seed, DEMO_JOB_SEEKERS)) {
    const stored = await db
      .selectFrom('persons')
      .select('id')
      .where('id', '=', person.id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (!stored) continue;
    if (!existing.has(person.email)) {
      const accountId = await createAccount(db, {
        kind: 'job_seeker',
        login: person.email,
        password: DEMO_PASSWORD,
        personId: person.id,
      });
      // Verified when the person registered at the agency: password recovery codes go there.
      await addChannel(db, runtime.keyring, accountId, 'email', person.email, { verified: true });
    }
    // The counsellor who follows them, so the banner can name a pair that belongs together.
    const follower = await db
      .selectFrom('caseloads')
      .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
      .select('actors.login')
      .where('caseloads.person_id', '=', person.id)
      .where('caseloads.until', 'is', null)
      .orderBy('caseloads.since', 'desc')
      .executeTakeFirst();
    shown.push({ login: person.email, who: person.name, ...(follower ? { counsellor: follower.login } : {}) });
  }
  return shown;
}

function demoStaffEmail(login: string): string {
  return `${login}@${DEMO_STAFF_EMAIL_DOMAIN}`;
}
