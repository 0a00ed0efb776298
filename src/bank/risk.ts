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
  const accounts = await trx
    .selectFrom('accounts')
    .select(['id', 'created_at', 'password_changed_at'])
    .where('person_id', '=', input.personId)
    .execute();
  // The password set at creation is not a reset; any later one (recovery or change) is.
  if (
    accounts.some(
      (a) =>
        a.password_changed_at !== null && a.password_changed_at > recentSince && a.password_changed_at !== a.created_at,
    )
  )
    reasons.push('recent_password_reset');
  const accountIds = accounts.map((a) => a.id);
  if (accountIds.length) {
    const factor = await trx
      .selectFrom('account_factors')
      .select('id')
      .where('account_id', 'in', accountIds)
      .where('kind', '!=', 'recovery_codes')
      .where('created_at', '>', recentSince)
      .limit(1)
      .executeTakeFirst();
    if (factor) reasons.push('new_factor');
  }
  if (input.origin.accountId && input.origin.fingerprint) {
    const first = await trx
      .selectFrom('sessions')
      .select((eb) => eb.fn.min('created_at').as('first'))
      .where('account_id', '=', input.origin.accountId)
      .where('fingerprint', '=', input.origin.fingerprint)
      .executeTakeFirst();
    if (!first?.first || String(first.first) > recentSince) reasons.push('new_device');
  }

  const exposedSince = new Date(input.now.getTime() - settings.exposureDays * DAY_MS).toISOString();
  // Containment details list the persons read by the contained actor (ids only).
  const exposure = await trx
    .selectFrom('guard_containments')
    .select('id')
    .where('scope', '=', 'actor')
    .where('contained_at', '>', exposedSince)
    .where('details', 'like', `%"${input.personId}"%`)
    .limit(1)
    .executeTakeFirst();
  // And any incident's blast radius that names the person (the ledger's exact answer).
  const incident = exposure
    ? undefined
    : await trx
        .selectFrom('incident_exposures')
        .select('incident_id')
        .where('person_id', '=', input.personId)
        .where('decoy', '=', 0)
        .where('last_at', '>', exposedSince)
        .limit(1)
        .executeTakeFirst();
  if (exposure || incident) reasons.push('recent_exposure');

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
