import { ValidationError } from '../domain/index.ts';
import { appendEvent } from '../ledger/index.ts';
import { inTransaction, type AccountsTable, type Executor, type SessionsTable } from '../store/index.ts';
import { hasRecentSecondFactor, verifySecondFactor } from './factors.ts';
import { countWrongPassword, loginBlockedUntil } from './login.ts';
import { announcePasswordChange, type Messenger } from './notifications.ts';
import { hasUsableSecondFactor, requiresPasskey } from './passkeys/policy.ts';
import { hashPassword, passwordIssues, verifyPassword } from './passwords.ts';
import { reissueSession, revokeAllSessions, type ClientContext, type IssuedSession } from './sessions.ts';
import { blockedUntil, clearFailures, loginScope, recordFailure, secondFactorScope } from './throttle.ts';

/**
 * The one write of a new password, whoever sets it (recovery, activation, its holder): the hash,
 * the time the guard reads (`password_changed_at`), and the login name's count of failures
 * cleared. With `replacing`, only over that hash: false when another change came first.
 */
export async function storeNewPassword(
  db: Executor,
  account: Pick<AccountsTable, 'id' | 'login'>,
  passwordHash: string,
  now: Date,
  replacing?: string,
): Promise<boolean> {
  let update = db
    .updateTable('accounts')
    .set({ password_hash: passwordHash, password_changed_at: now.toISOString() })
    .where('id', '=', account.id);
  if (replacing !== undefined) update = update.where('password_hash', '=', replacing);
  const result = await update.executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await clearFailures(db, loginScope(account.login));
  return true;
}

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
  /** An authenticator app's code or a recovery code; without it, a second factor passed within five minutes. */
  secondFactorCode?: string;
}

export type PasswordChangeOutcome =
  | { ok: true; session: IssuedSession; revokedSessions: number; announced: number }
  /** The login name is locked by wrong passwords (here or at sign-in), or the account by wrong codes. */
  | { ok: false; reason: 'throttled' | 'second_factor_throttled'; retryAfterSeconds: number }
  | {
      ok: false;
      reason:
        | 'current_password_invalid'
        | 'second_factor_required'
        | 'second_factor_invalid'
        /** A passkey-only organisation's agent gave a code: only a passkey passes there. */
        | 'passkey_required'
        /** Another change of this password was written between the check and this one. */
        | 'changed_meanwhile';
    };

const OPERATION = 'password_change';

/**
 * A signed-in holder changes their password: the current one (a wrong one is counted as a failed
 * sign-in, so a lifted session cannot guess it), a new one as strong as recovery asks, and, when
 * the account has a second factor it can pass, a code of it or a factor passed within five minutes
 * (step-up). Then, in one transaction, the hash is replaced, every other session of the account is
 * closed, this one is re-issued under a new id, and the change is recorded; the verified channels
 * are told, with what to do if it was not the holder. Refused, nothing of the account changes.
 */
export async function changePassword(
  m: Messenger,
  caller: { account: AccountsTable; session: SessionsTable; client: ClientContext },
  input: PasswordChange,
  options: { recoveryUrl: string; now?: Date },
): Promise<PasswordChangeOutcome> {
  const { account, session, client } = caller;
  const now = options.now ?? new Date();
  const address = client.address;
  const retryAfter = (until: Date) => Math.ceil((until.getTime() - now.getTime()) / 1000);

  const locked = await loginBlockedUntil(m.db, account.login, now);
  if (locked) {
    await appendEvent(m.db, 'login_throttled', {
      accountId: account.id,
      address,
      details: { until: locked.toISOString(), scope: 'login', operation: OPERATION },
    });
    return { ok: false, reason: 'throttled', retryAfterSeconds: retryAfter(locked) };
  }
  if (!account.password_hash || !(await verifyPassword(account.password_hash, input.currentPassword))) {
    await countWrongPassword(m.db, account.login, account, client, now, { messenger: m, operation: OPERATION });
    return { ok: false, reason: 'current_password_invalid' };
  }

  const issues = passwordIssues(input.newPassword, [account.login], 'body.newPassword');
  if (!issues.length && input.newPassword === input.currentPassword)
    issues.push({
      field: 'body.newPassword',
      rule: 'password.unchanged',
      message: 'le nouveau mot de passe est celui que vous avez déjà : choisissez-en un autre',
    });
  if (issues.length) throw new ValidationError(issues);

  let secondFactorAt = session.second_factor_at;
  if (await hasUsableSecondFactor(m.db, account.id)) {
    const code = input.secondFactorCode?.trim();
    if (code) {
      if (await requiresPasskey(m.db, account.id)) return { ok: false, reason: 'passkey_required' };
      const throttled = await blockedUntil(m.db, [secondFactorScope(account.id)], now);
      if (throttled) return { ok: false, reason: 'second_factor_throttled', retryAfterSeconds: retryAfter(throttled) };
      const check = await verifySecondFactor(m.db, m.keyring, account.id, code, now);
      if (!check.ok) {
        await recordFailure(m.db, secondFactorScope(account.id), now);
        await appendEvent(m.db, 'second_factor_failed', {
          accountId: account.id,
          address,
          details: { operation: OPERATION },
        });
        return { ok: false, reason: 'second_factor_invalid' };
      }
      await clearFailures(m.db, secondFactorScope(account.id));
      await appendEvent(m.db, 'second_factor_succeeded', {
        accountId: account.id,
        address,
        details: { method: check.method, operation: OPERATION },
      });
      secondFactorAt = now.toISOString();
    } else if (!hasRecentSecondFactor(session.second_factor_at, now)) {
      await appendEvent(m.db, 'step_up_required', {
        accountId: account.id,
        address,
        details: { operation: OPERATION },
      });
      return { ok: false, reason: 'second_factor_required' };
    }
  }

  const passwordHash = await hashPassword(input.newPassword);
  const written = await inTransaction(m.db, async (trx) => {
    if (!(await storeNewPassword(trx, account, passwordHash, now, account.password_hash!))) return undefined;
    const revokedSessions = await revokeAllSessions(trx, account.id, 'password_changed', session.public_id);
    const issued = await reissueSession(trx, session, account.kind, client, secondFactorAt, now);
    await appendEvent(trx, 'password_changed', {
      accountId: account.id,
      address,
      details: { via: 'change', revokedSessions, session: issued.publicId },
    });
    return { issued, revokedSessions };
  });
  if (!written) return { ok: false, reason: 'changed_meanwhile' };
  const announced = await announcePasswordChange(m, account.id, account.kind, options.recoveryUrl, now);
  return { ok: true, session: written.issued, revokedSessions: written.revokedSessions, announced };
}
