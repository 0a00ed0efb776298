import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { enrolmentGate, loginWithPassword, PASSWORD_MAX_LENGTH } from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { messengerOf } from '../messenger.ts';
import { errorsFor } from '../schemas.ts';
import { clientOf } from '../session.ts';
import { setSessionCookie } from './cookie.ts';

const LoginBody = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
  },
  { additionalProperties: false },
);

/** Signing in with a login and a password: the session opens, awaiting its second factor. */
export function loginRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.post(
      '/login',
      {
        schema: {
          tags: ['authentification'],
          summary: 'Se connecter avec identifiant et mot de passe (ouvre une session, cookie httpOnly)',
          body: LoginBody,
          response: {
            200: Type.Object({
              account: Type.Object({ id: Type.String(), kind: Type.String() }),
              csrfToken: Type.String(),
              secondFactor: Type.String(),
              /** The first factor must come with the activation code (an account activated by code). */
              activationCodeRequired: Type.Boolean(),
              expiresAt: Type.String(),
            }),
            ...errorsFor(400, 401, 429),
          },
        },
      },
      async (request, reply) => {
        const outcome = await loginWithPassword(db, request.body, clientOf(request), new Date(), {
          messenger: messengerOf(runtime),
        });
        if (!outcome.ok && outcome.reason === 'throttled') {
          return reply.status(429).header('retry-after', String(outcome.retryAfterSeconds)).send({
            error: 'too_many_attempts',
            message: 'Trop de tentatives : réessayez plus tard.',
            requestId: request.id,
          });
        }
        if (!outcome.ok)
          return reply.status(401).send({
            error: 'invalid_credentials',
            message: 'Identifiant ou mot de passe incorrect.',
            requestId: request.id,
          });
        setSessionCookie(reply, outcome.session);
        const activationCodeRequired =
          outcome.secondFactor === 'enrolment_required' &&
          (await enrolmentGate(db, outcome.account.id)).state !== 'free';
        return {
          account: { id: outcome.account.id, kind: outcome.account.kind },
          csrfToken: outcome.session.csrfToken,
          secondFactor: outcome.secondFactor,
          activationCodeRequired,
          expiresAt: outcome.session.expiresAt,
        };
      },
    );
  };
}
