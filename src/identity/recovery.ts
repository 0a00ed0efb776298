import { randomUUID } from 'node:crypto';
import { ValidationError } from '../domain/index.ts';
import { inTransaction } from '../store/index.ts';
import { findAccountByLogin } from './accounts.ts';
import { channelAddresses, type ChannelKind } from './channels.ts';
import {
  checkCode,
  countFailedAttempt,
  issueCode,
  recentCodeCount,
  spendCode,
  storeKnownCode,
  voidCodes,
  type CodeCheck,
} from './codes.ts';
import { hasActiveSecondFactor, verifySecondFactor } from './factors.ts';
import { announceToAccount, sendMessage, type Messenger } from './notifications.ts';
import { storeNewPassword } from './password-change.ts';
import { hashPassword, passwordIssues } from './passwords.ts';
import { revokeAllSessions } from './sessions.ts';
import { appendEvent } from '../ledger/index.ts';

const RECOVERY_CODE_TTL_SECONDS = 15 * 60;
/** Codes an account can be sent per hour: enough for a lost message, too few to flood a phone. */
const RECOVERY_CODES_PER_HOUR = 3;
/** And per day: someone probing logins cannot have a person sent a code every twenty minutes all day. */
export const RECOVERY_CODES_PER_DAY = 5;
export const ACTIVATION_TTL_SECONDS = 72 * 3600;

/**
 * A job seeker asks to reset a forgotten password. The answer never says whether the account
 * exists: a request id comes back either way, and the code goes only to a channel the holder
 * verified earlier. Identity data (NIR, birth date, name) opens nothing here: the route does
 * not even accept it.
 */
export async function startRecovery(
  m: Messenger,
  input: { login: string; channel?: ChannelKind },
  address: string,
  now = new Date(),
): Promise<{ requestId: string }> {
  const account = await findAccountByLogin(m.db, input.login);
  const refuse = async (reason: string) => {
    await appendEvent(m.db, 'password_reset_refused', {
      accountId: account?.id ?? null,
      address,
      details: { reason, stage: 'start' },
    });
    return { requestId: randomUUID() };
  };
  if (!account || account.status !== 'active') return refuse('unknown_or_inactive');
  // Staff passwords are reset by two administrators of their organisation, never by self-service.
  if (account.kind !== 'job_seeker') return refuse('staff_account');
  const channels = (await channelAddresses(m.db, m.keyring, account.id, { verifiedOnly: true })).filter(
    (c) => !input.channel || c.kind === input.channel,
  );
  const channel = channels[0];
  if (!channel) return refuse('no_verified_channel');
  if ((await recentCodeCount(m.db, account.id, 'recovery', 3_600_000, now)) >= RECOVERY_CODES_PER_HOUR)
    return refuse('too_many_requests');
  if ((await recentCodeCount(m.db, account.id, 'recovery', 86_400_000, now)) >= RECOVERY_CODES_PER_DAY)
    return refuse('too_many_requests_today');
  const issued = await issueCode(m.db, {
    accountId: account.id,
    purpose: 'recovery',
    channelId: channel.id,
    ttlSeconds: RECOVERY_CODE_TTL_SECONDS,
    now,
  });
  await sendMessage(
    m,
    'recovery_code',
    {
      channel: channel.kind,
      to: channel.address,
      subject: 'Rempart : code de réinitialisation du mot de passe',
      body: `Votre code de réinitialisation est ${issued.code}. Il expire dans 15 minutes. Si vous n’avez rien demandé, ignorez ce message : votre mot de passe reste inchangé.`,
    },
    { accountId: account.id },
  );
  await appendEvent(m.db, 'password_reset_requested', {
    accountId: account.id,
    address,
    details: { channel: channel.kind, request: issued.id },
  });
  return { requestId: issued.id };
}

export type RecoveryOutcome =
  | { ok: true; accountId: string; revokedSessions: number; announced: number }
  | { ok: false; field: string; reason: CodeCheckFailure | 'second_factor_required' | 'second_factor_invalid' };

type CodeCheckFailure = Extract<CodeCheck, { ok: false }>['reason'];

/**
 * Set a new password with the code sent to a verified channel and, when the account has a
 * second factor, that factor or a recovery code too: a stolen mailbox alone is not enough.
 * Every session is closed and every known channel is told.
 */
export async function completeRecovery(
  m: Messenger,
  input: { requestId: string; code: string; newPassword: string; secondFactorCode?: string },
  address: string,
  now = new Date(),
): Promise<RecoveryOutcome> {
  const check = await checkCode(m.db, input.requestId, 'recovery', input.code, now);
  if (!check.ok) {
    await appendEvent(m.db, 'password_reset_refused', { address, details: { reason: check.reason, stage: 'code' } });
    return { ok: false, field: 'body.code', reason: check.reason };
  }
  const accountId = check.row.account_id!;
  const account = await m.db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
  const issues = passwordIssues(input.newPassword, [account.login]);
  if (issues.length) throw new ValidationError(issues.map((i) => ({ ...i, field: 'body.newPassword' })));
  if (await hasActiveSecondFactor(m.db, accountId)) {
    if (!input.secondFactorCode) return { ok: false, field: 'body.secondFactorCode', reason: 'second_factor_required' };
    const factor = await verifySecondFactor(m.db, m.keyring, accountId, input.secondFactorCode, now);
    if (!factor.ok) {
      await countFailedAttempt(m.db, input.requestId);
      await appendEvent(m.db, 'password_reset_refused', {
        accountId,
        address,
        details: { reason: 'second_factor_invalid', stage: 'second_factor' },
      });
      return { ok: false, field: 'body.secondFactorCode', reason: 'second_factor_invalid' };
    }
  }
  const passwordHash = await hashPassword(input.newPassword);
  const revokedSessions = await inTransaction(m.db, async (trx) => {
    if (!(await spendCode(trx, input.requestId, now))) return undefined;
    await voidCodes(trx, accountId, 'recovery', now);
    await storeNewPassword(trx, account, passwordHash, now);
    const revoked = await revokeAllSessions(trx, accountId, 'password_reset');
    await appendEvent(trx, 'password_reset_completed', { accountId, address, details: { revokedSessions: revoked } });
    return revoked;
  });
  if (revokedSessions === undefined) return { ok: false, field: 'body.code', reason: 'used' };
  const announced = await announceToAccount(
    m,
    accountId,
    'password_reset_announcement',
    'Rempart : votre mot de passe a été changé',
    `Le mot de passe de votre compte a été réinitialisé le ${now.toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })}. Toutes vos sessions ont été fermées. Si ce n’est pas vous, contactez immédiatement votre conseiller ou le 3949.`,
  );
  return { ok: true, accountId, revokedSessions, announced };
}

/**
 * Staff credentials are (re)set out of band: a single-use activation code goes to the staff
 * member's professional address, never to the administrators who approved it, never read out
 * on a phone call.
 */
export async function sendActivation(m: Messenger, accountId: string, now = new Date()): Promise<boolean> {
  const channel = (await channelAddresses(m.db, m.keyring, accountId, { verifiedOnly: true })).find(
    (c) => c.kind === 'email',
  );
  if (!channel) return false;
  // The new code replaces the outstanding ones in one write: never all of them void and none issued.
  const issued = await inTransaction(m.db, async (trx) => {
    await voidCodes(trx, accountId, 'activation', now);
    return issueCode(trx, {
      accountId,
      purpose: 'activation',
      channelId: channel.id,
      ttlSeconds: ACTIVATION_TTL_SECONDS,
      now,
    });
  });
  await sendMessage(
    m,
    'activation_code',
    {
      channel: 'email',
      to: channel.address,
      subject: 'Rempart : activation de votre compte professionnel',
      body: `Code d’activation (valable 72 heures, usage unique) : ${issued.code}\nIdentifiant de la demande : ${issued.id}\nChoisissez votre mot de passe sur la page d’activation, puis enrôlez votre second facteur. Personne de Rempart ne vous demandera jamais ce code.`,
    },
    { accountId },
  );
  return true;
}

export type ActivationOutcome =
  { ok: true; accountId: string } | { ok: false; reason: CodeCheckFailure | 'login_mismatch' };

/** The staff member sets their password with the activation code; their second factor comes next, at sign-in. */
export async function activateAccount(
  m: Messenger,
  input: { activationId: string; login: string; code: string; password: string },
  address: string,
  now = new Date(),
): Promise<ActivationOutcome> {
  const check = await checkCode(m.db, input.activationId, 'activation', input.code, now);
  if (!check.ok) {
    await appendEvent(m.db, 'password_reset_refused', {
      address,
      details: { reason: check.reason, stage: 'activation' },
    });
    return { ok: false, reason: check.reason };
  }
  const account = await findAccountByLogin(m.db, input.login);
  if (!account || account.id !== check.row.account_id || account.status !== 'active') {
    await appendEvent(m.db, 'password_reset_refused', {
      address,
      details: { reason: 'login_mismatch', stage: 'activation' },
    });
    return { ok: false, reason: 'login_mismatch' };
  }
  const issues = passwordIssues(input.password, [account.login]);
  if (issues.length) throw new ValidationError(issues.map((i) => ({ ...i, field: 'body.password' })));
  const passwordHash = await hashPassword(input.password);
  const done = await inTransaction(m.db, async (trx) => {
    if (!(await spendCode(trx, input.activationId, now))) return false;
    // The same code, kept for the first second factor within the activation's validity: a
    // password alone (phished before the agent enrolled) then enrols nothing.
    await voidCodes(trx, account.id, 'enrolment', now);
    await storeKnownCode(trx, {
      accountId: account.id,
      purpose: 'enrolment',
      code: input.code,
      expiresAt: check.row.expires_at,
      now,
    });
    await storeNewPassword(trx, account, passwordHash, now);
    await appendEvent(trx, 'password_changed', { accountId: account.id, address, details: { via: 'activation' } });
    return true;
  });
  if (!done) return { ok: false, reason: 'used' };
  await announceToAccount(
    m,
    account.id,
    'activation_announcement',
    'Rempart : mot de passe de votre compte défini',
    'Le mot de passe de votre compte professionnel vient d’être défini. Si ce n’est pas vous, prévenez immédiatement le contact sécurité de votre organisation.',
  );
  return { ok: true, accountId: account.id };
}
