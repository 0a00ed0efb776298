import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { changePassword, PASSWORD_MAX_LENGTH, type PasswordChangeOutcome } from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { messengerOf } from '../messenger.ts';
import { errorsFor } from '../schemas.ts';
import { clientOf } from '../session.ts';
import { setSessionCookie } from './cookie.ts';
import { passkeyRequired, tooManyCodes } from './refusals.ts';

type Refusal = Extract<PasswordChangeOutcome, { ok: false }>;

/** Each refusal with a field: its status, code and sentence (the same sentence for the answer and the field). */
const REFUSALS: Record<
  Exclude<Refusal['reason'], 'throttled' | 'second_factor_throttled' | 'passkey_required'>,
  { status: number; error: string; field?: string; message: string }
> = {
  current_password_invalid: {
    status: 400,
    error: 'invalid_current_password',
    field: 'body.currentPassword',
    message: 'Le mot de passe actuel est incorrect.',
  },
  second_factor_required: {
    status: 403,
    error: 'step_up_required',
    field: 'body.secondFactorCode',
    message:
      'Votre compte a un second facteur : saisissez le code de votre application d’authentification (ou un code de secours), ou confirmez votre identité avec votre clé d’accès.',
  },
  second_factor_invalid: {
    status: 400,
    error: 'invalid_code',
    field: 'body.secondFactorCode',
    message: 'Le code de second facteur est incorrect ou déjà utilisé.',
  },
  changed_meanwhile: {
    status: 409,
    error: 'password_changed_meanwhile',
    message: 'Votre mot de passe vient d’être changé par ailleurs : reconnectez-vous avec le nouveau.',
  },
};

function refuse(request: FastifyRequest, reply: FastifyReply, refusal: Refusal) {
  if (refusal.reason === 'throttled')
    return reply.status(429).header('retry-after', String(refusal.retryAfterSeconds)).send({
      error: 'too_many_attempts',
      message: 'Trop de mots de passe erronés sur ce compte : réessayez plus tard.',
      requestId: request.id,
    });
  if (refusal.reason === 'second_factor_throttled')
    return tooManyCodes(reply, new Date(Date.now() + refusal.retryAfterSeconds * 1000), request.id);
  if (refusal.reason === 'passkey_required') return passkeyRequired(reply, request.id);
  const { status, error, field, message } = REFUSALS[refusal.reason];
  return reply.status(status).send({
    error,
    message,
    ...(field ? { issues: [{ field, rule: refusal.reason, message }] } : {}),
    requestId: request.id,
  });
}

/**
 * Changing one's password, signed in (job seekers and staff alike): the current password, the new
 * one, and the second factor when the account has one. The other sessions are closed, this one is
 * re-issued (new cookie, new anti-forgery token), and the verified channels are told.
 */
export function passwordRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/password',
      {
        schema: {
          tags: ['authentification'],
          summary:
            'Changer mon mot de passe : l’actuel, le nouveau et, si le compte en a un, un code de second facteur (ou un second facteur validé depuis moins de cinq minutes) ; mes autres sessions sont fermées',
          body: Type.Object(
            {
              currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
              newPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
              secondFactorCode: Type.Optional(Type.String({ minLength: 6, maxLength: 12 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              /** How many other sessions were closed. */
              revokedSessions: Type.Integer(),
              /** How many verified channels were told. */
              announced: Type.Integer(),
              /** This session's new anti-forgery token (the session was re-issued). */
              csrfToken: Type.String(),
            }),
            ...errorsFor(400, 401, 403, 409, 429),
          },
        },
      },
      async (request, reply) => {
        const outcome = await changePassword(
          messengerOf(runtime),
          { account: request.account!, session: request.session!, client: clientOf(request) },
          request.body,
          { recoveryUrl: `${runtime.config.publicUrl}/mot-de-passe-oublie` },
        );
        if (!outcome.ok) return refuse(request, reply, outcome);
        setSessionCookie(reply, outcome.session);
        return {
          revokedSessions: outcome.revokedSessions,
          announced: outcome.announced,
          csrfToken: outcome.session.csrfToken,
        };
      },
    );
  };
}
