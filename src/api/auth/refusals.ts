import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ENROLMENT_REFUSALS, hasRecentSecondFactor, mayAddSecondFactor } from '../../identity/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import type { Executor } from '../../store/index.ts';

/** The answers the second-factor routes share when they refuse. */

/** The activation code again, for the first second factor of an account activated by code. */
export const ActivationCodeField = Type.Optional(Type.String({ minLength: 8, maxLength: 40 }));

/** A first factor enrolled without the activation's proof (TOTP or passkey): refused, recorded, the field named. */
export async function refuseEnrolment(
  db: Executor,
  request: FastifyRequest,
  reply: FastifyReply,
  reason: keyof typeof ENROLMENT_REFUSALS,
): Promise<FastifyReply> {
  await appendEvent(db, 'second_factor_failed', {
    accountId: request.account!.id,
    address: request.ip,
    details: { during: 'enrolment', reason },
  });
  const { status, message } = ENROLMENT_REFUSALS[reason];
  return reply.status(status).send({
    error: reason,
    message,
    issues: [{ field: 'body.activationCode', rule: reason, message }],
    requestId: request.id,
  });
}

/** Staff of a passkey-only organisation: codes (TOTP, recovery) neither enrol nor pass. */
export function passkeyRequired(reply: FastifyReply, requestId: string) {
  return reply.status(403).send({
    error: 'passkey_required',
    message: 'Votre organisation exige une clé d’accès (passkey) : les codes à usage unique ne sont pas acceptés.',
    requestId,
  });
}

export function tooManyCodes(reply: FastifyReply, until: Date, requestId: string) {
  return reply
    .status(429)
    .header('retry-after', String(Math.ceil((until.getTime() - Date.now()) / 1000)))
    .send({ error: 'too_many_attempts', message: 'Trop de codes erronés : réessayez plus tard.', requestId });
}

/**
 * Adding an authenticator app next to a factor the account can pass, or removing one, needs a
 * second factor passed in the last five minutes, as passkeys do: a session lifted from a browser
 * could otherwise enrol the thief's app, pass it (the session is re-issued to the thief) and keep
 * the account. True when refused, the 403 sent. (A boolean, not the reply: a reply is thenable.)
 */
export async function refusedWithoutStepUp(
  db: Executor,
  request: FastifyRequest,
  reply: FastifyReply,
  operation: 'totp_enrolment' | 'totp_revocation',
): Promise<boolean> {
  const account = request.account!;
  const secondFactorAt = request.session!.second_factor_at;
  const allowed =
    operation === 'totp_enrolment'
      ? await mayAddSecondFactor(db, account.id, secondFactorAt)
      : hasRecentSecondFactor(secondFactorAt);
  if (allowed) return false;
  await appendEvent(db, 'step_up_required', { accountId: account.id, address: request.ip, details: { operation } });
  const what = operation === 'totp_enrolment' ? 'ajouter' : 'retirer';
  void reply.status(403).send({
    error: 'step_up_required',
    message: `Validez d’abord un second facteur déjà enregistré (il y a moins de cinq minutes) pour ${what} une application d’authentification.`,
    requestId: request.id,
  });
  return true;
}
