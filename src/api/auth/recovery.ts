import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  activateAccount,
  addressScope,
  blockedUntil,
  completeRecovery,
  PASSWORD_MAX_LENGTH,
  recordFailure,
  startRecovery,
} from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { messengerOf } from '../messenger.ts';
import { ErrorSchema, errorsFor } from '../schemas.ts';

const tags = ['authentification'];
const CodeField = Type.String({ minLength: 6, maxLength: 32 });

/**
 * Whatever is wrong with a code (no such request, wrong, expired, spent, too many tries), the
 * answer is one: telling « demande inconnue » from « code incorrect » would say whether an
 * account with a verified channel exists. The ledger keeps the real reason.
 */
const CODE_REASONS = new Set(['unknown', 'expired', 'used', 'too_many_attempts', 'wrong']);
const INVALID_CODE = 'invalid_code';

const CODE_MESSAGES: Record<string, string> = {
  [INVALID_CODE]: 'code incorrect, expiré ou déjà utilisé : vérifiez-le ou refaites une demande',
  second_factor_required: 'ce compte a un second facteur : donnez un code de l’application ou un code de secours',
  second_factor_invalid: 'code de second facteur incorrect',
  login_mismatch: 'identifiant ou code incorrect',
};

/**
 * Forgotten passwords. Job seekers: a code to a channel they verified earlier, plus their
 * second factor if they have one; the routes take no identity data (NIR, birth date, name),
 * so a stolen NIR opens nothing. Staff: only the activation code two administrators had sent.
 */
export function recoveryRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  /** A refused code costs the address a failure (codes cannot be walked from one place) and names the field. */
  async function refuse(
    request: FastifyRequest,
    reply: FastifyReply,
    refusal: { error: string; what: string; field: string; reason: string },
  ) {
    await recordFailure(db, addressScope(request.ip));
    const rule = CODE_REASONS.has(refusal.reason) ? INVALID_CODE : refusal.reason;
    const explanation = CODE_MESSAGES[rule] ?? rule;
    return reply.status(400).send({
      error: refusal.error,
      message: `${refusal.what} refusée : ${explanation}.`,
      issues: [{ field: refusal.field, rule, message: explanation }],
      requestId: request.id,
    });
  }

  return async (app) => {
    app.addHook('onRequest', async (request, reply) => {
      const until = await blockedUntil(db, [addressScope(request.ip)]);
      if (until) {
        return reply
          .status(429)
          .header('retry-after', String(Math.ceil((until.getTime() - Date.now()) / 1000)))
          .send({
            error: 'too_many_attempts',
            message: 'Trop de tentatives depuis cette adresse : réessayez plus tard.',
            requestId: request.id,
          });
      }
    });

    app.post(
      '/start',
      {
        schema: {
          tags,
          summary: 'Mot de passe oublié (demandeur d’emploi) : un code part vers un moyen de contact vérifié',
          body: Type.Object(
            {
              login: Type.String({ minLength: 3, maxLength: 254 }),
              channel: Type.Optional(Type.Enum(['email', 'sms'])),
            },
            { additionalProperties: false },
          ),
          response: {
            202: Type.Object({ requestId: Type.String(), message: Type.String() }),
            ...errorsFor(400, 429),
          },
        },
      },
      async (request, reply) => {
        const { requestId } = await startRecovery(
          messengerOf(runtime),
          {
            login: request.body.login,
            ...(request.body.channel ? { channel: request.body.channel as 'email' | 'sms' } : {}),
          },
          request.ip,
        );
        return reply.status(202).send({
          requestId,
          message:
            'Si un compte correspond et qu’un moyen de contact vérifié y est attaché, un code vient d’y être envoyé.',
        });
      },
    );

    app.post(
      '/complete',
      {
        schema: {
          tags,
          summary: 'Choisir un nouveau mot de passe avec le code reçu (et le second facteur s’il y en a un)',
          body: Type.Object(
            {
              requestId: Type.String({ format: 'uuid' }),
              code: CodeField,
              newPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
              secondFactorCode: Type.Optional(Type.String({ minLength: 6, maxLength: 12 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ revokedSessions: Type.Integer(), announced: Type.Integer() }),
            ...errorsFor(400, 429),
          },
        },
      },
      async (request, reply) => {
        const outcome = await completeRecovery(messengerOf(runtime), request.body, request.ip);
        if (!outcome.ok)
          return refuse(request, reply, {
            error: 'recovery_refused',
            what: 'Réinitialisation',
            field: outcome.field,
            reason: outcome.reason,
          });
        return { revokedSessions: outcome.revokedSessions, announced: outcome.announced };
      },
    );

    app.post(
      '/activation',
      {
        schema: {
          tags,
          summary: 'Agent : définir son mot de passe avec le code d’activation reçu sur son adresse professionnelle',
          body: Type.Object(
            {
              activationId: Type.String({ format: 'uuid' }),
              login: Type.String({ minLength: 3, maxLength: 254 }),
              code: CodeField,
              password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
            },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), 400: ErrorSchema, 429: ErrorSchema },
        },
      },
      async (request, reply) => {
        const outcome = await activateAccount(messengerOf(runtime), request.body, request.ip);
        if (!outcome.ok)
          return refuse(request, reply, {
            error: 'activation_refused',
            what: 'Activation',
            field: 'body.code',
            reason: outcome.reason,
          });
        return reply.status(204).send(null);
      },
    );
  };
}
