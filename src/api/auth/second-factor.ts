import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  blockedUntil,
  clearFailures,
  oneAtATime,
  recordFailure,
  requiresPasskey,
  secondFactorScope,
  upgradeSession,
  verifySecondFactor,
} from '../../identity/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorsFor } from '../schemas.ts';
import { clientOf } from '../session.ts';
import { setSessionCookie } from './cookie.ts';
import { passkeyRequired, tooManyCodes } from './refusals.ts';

/** Passing the second factor with a code (an authenticator app's, or a recovery code): the session is re-issued. */
export function secondFactorRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.post(
      '/second-factor',
      {
        config: { beforeSecondFactor: 'always' },
        schema: {
          tags: ['authentification'],
          summary: 'Valider le second facteur (code TOTP ou code de secours) ; la session change d’identifiant',
          body: Type.Object({ code: Type.String({ minLength: 6, maxLength: 12 }) }, { additionalProperties: false }),
          response: {
            200: Type.Object({ method: Type.String(), csrfToken: Type.String() }),
            ...errorsFor(400, 401, 403, 429),
          },
        },
      },
      async (request, reply) => {
        const account = request.account!;
        if (await requiresPasskey(db, account.id)) return passkeyRequired(reply, request.id);
        // Codes for one account take turns: each is checked against the count the previous left.
        return oneAtATime(`second-factor:${account.id}`, async () => {
          const throttled = await blockedUntil(db, [secondFactorScope(account.id)]);
          if (throttled) return tooManyCodes(reply, throttled, request.id);
          const check = await verifySecondFactor(db, runtime.keyring, account.id, request.body.code);
          if (!check.ok) {
            await recordFailure(db, secondFactorScope(account.id));
            await appendEvent(db, 'second_factor_failed', { accountId: account.id, address: request.ip, details: {} });
            return reply.status(400).send({
              error: 'invalid_code',
              message: 'Code incorrect ou déjà utilisé.',
              issues: [{ field: 'body.code', rule: 'second_factor', message: 'code incorrect ou déjà utilisé' }],
              requestId: request.id,
            });
          }
          await clearFailures(db, secondFactorScope(account.id));
          const issued = await upgradeSession(db, request.session!, account.kind, clientOf(request));
          await appendEvent(db, 'second_factor_succeeded', {
            accountId: account.id,
            address: request.ip,
            details: { method: check.method, session: issued.publicId },
          });
          setSessionCookie(reply, issued);
          return { method: check.method, csrfToken: issued.csrfToken };
        });
      },
    );
  };
}
