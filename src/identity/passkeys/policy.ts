import type { Executor } from '../../store/index.ts';
import { hasActiveSecondFactor, hasRecentSecondFactor } from '../factors.ts';
import { activePasskeys } from './credentials.ts';

/**
 * True for a staff account whose organisation's security posture says `passkeyOnly`: codes
 * (TOTP, recovery) can be phished or read out over the phone, a passkey cannot, so only a
 * passkey passes the second factor there.
 */
export async function requiresPasskey(db: Executor, accountId: string): Promise<boolean> {
  const row = await db
    .selectFrom('accounts')
    .innerJoin('actors', 'actors.id', 'accounts.actor_id')
    .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
    .select(['accounts.kind', 'organisations.security_posture'])
    .where('accounts.id', '=', accountId)
    .executeTakeFirst();
  if (!row || row.kind !== 'staff') return false;
  return passkeyOnly(row.security_posture);
}

function passkeyOnly(posture: string): boolean {
  try {
    const parsed: unknown = JSON.parse(posture);
    return typeof parsed === 'object' && parsed !== null && 'passkeyOnly' in parsed && parsed.passkeyOnly === true;
  } catch {
    // An unreadable posture must not lock anyone out silently; the policy issue validates it on write.
    return false;
  }
}

/**
 * An account may add a second factor (an authenticator app or a passkey) freely while it has no
 * second factor it can pass (first enrolment); once it has one, only a session that passed one of
 * those in the last five minutes may: a session lifted from a browser could otherwise add the
 * thief's app or passkey, pass it, and keep the account for good.
 */
export async function mayAddSecondFactor(
  db: Executor,
  accountId: string,
  secondFactorAt: string | null,
  now = new Date(),
): Promise<boolean> {
  return !(await hasUsableSecondFactor(db, accountId)) || hasRecentSecondFactor(secondFactorAt, now);
}

/** Adding a passkey: the rule of every second factor (`mayAddSecondFactor`). */
export const mayAddPasskey = mayAddSecondFactor;

/**
 * A second factor this account can actually pass: in a passkey-only organisation, only a
 * passkey counts. A TOTP app enrolled before the organisation went passkey-only is no factor
 * there, so its holder is treated as having none and may enrol a passkey at sign-in.
 */
export async function hasUsableSecondFactor(db: Executor, accountId: string): Promise<boolean> {
  if (await requiresPasskey(db, accountId)) return (await activePasskeys(db, accountId)).length > 0;
  return hasActiveSecondFactor(db, accountId);
}
