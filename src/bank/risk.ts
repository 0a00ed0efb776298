import { readByContainedAccountSince } from '../guard/index.ts';
import { accountChangesSince, newDeviceSince } from '../identity/index.ts';
import { exposedByAnIncidentSince } from '../incidents/index.ts';
import { contactChangesSince, type Executor } from '../store/index.ts';
import type { HoldReason } from './reasons.ts';
import { DAY_MS, type BankSettings } from './settings.ts';

/** What the request knows of where it comes from: the job seeker's session, when it is theirs. */
export interface RequestOrigin {
  accountId?: string | undefined;
  /** Browser fingerprint (hash of its headers) of the session that asked. */
  fingerprint?: string | undefined;
}

export interface RiskInput {
  personId: string;
  ibanDigest: Buffer;
  /** The person's household digest (postal address), if the file has one. */
  householdDigest: Buffer | undefined;
  origin: RequestOrigin;
  now: Date;
}

/**
 * The mule and takeover checks. Each reason found puts the change on hold for an agent:
 * the IBAN on an unrelated person's file or pending change; a password reset, a new device or
 * a new factor on the person's account within days; the file read by an account the guard
 * later contained; the file's contact changed within days; a hold already in force.
 */
export async function holdReasons(trx: Executor, settings: BankSettings, input: RiskInput): Promise<HoldReason[]> {
  const reasons: HoldReason[] = [];
  if (await sharedWithUnrelated(trx, input)) reasons.push('shared_iban');

  const recentSince = new Date(input.now.getTime() - settings.recentDays * DAY_MS).toISOString();
  const changed = await accountChangesSince(trx, input.personId, recentSince);
  if (changed.passwordReset) reasons.push('recent_password_reset');
  if (changed.factorAdded) reasons.push('new_factor');
  if (
    input.origin.accountId &&
    input.origin.fingerprint &&
    (await newDeviceSince(trx, input.origin.accountId, input.origin.fingerprint, recentSince))
  )
    reasons.push('new_device');

  // Read by an account the guard contained, or named in an incident's blast radius (the ledger's exact answer).
  const exposedSince = new Date(input.now.getTime() - settings.exposureDays * DAY_MS).toISOString();
  if (
    (await readByContainedAccountSince(trx, input.personId, exposedSince)) ||
    (await exposedByAnIncidentSince(trx, input.personId, exposedSince))
  )
    reasons.push('recent_exposure');

  // The email, phone or address rewritten shortly before: the notices could reach the thief alone.
  const contactSince = new Date(input.now.getTime() - settings.contactChangeDays * DAY_MS).toISOString();
  if ((await contactChangesSince(trx, input.personId, contactSince)).length) reasons.push('recent_contact_change');

  const hold = await trx
    .selectFrom('bank_holds')
    .select('id')
    .where('person_id', '=', input.personId)
    .where('lifted_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  if (hold) reasons.push('hold_in_force');
  return reasons;
}

/**
 * Another person's file holds this IBAN, or another person's change asks for it, and the two
 * do not share a postal address (a household's joint account is not a mule).
 */
async function sharedWithUnrelated(trx: Executor, input: RiskInput): Promise<boolean> {
  const onFiles = await trx
    .selectFrom('person_lookups')
    .select('person_id')
    .where('kind', '=', 'iban')
    .where('digest', '=', input.ibanDigest)
    .where('person_id', '!=', input.personId)
    .execute();
  const inChanges = await trx
    .selectFrom('bank_changes')
    .select('person_id')
    .where('iban_digest', '=', input.ibanDigest)
    .where('person_id', '!=', input.personId)
    .where('status', 'in', ['cooling_off', 'awaiting_verification', 'frozen'])
    .execute();
  const others = [...new Set([...onFiles, ...inChanges].map((r) => r.person_id))];
  if (others.length === 0) return false;
  if (!input.householdDigest) return true;
  const sameRoof = await trx
    .selectFrom('person_lookups')
    .select('person_id')
    .where('kind', '=', 'household')
    .where('digest', '=', input.householdDigest)
    .where('person_id', 'in', others)
    .execute();
  return sameRoof.length < others.length;
}
