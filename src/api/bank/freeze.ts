import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/index.ts';
import { addressScope, blockedUntil, recordFailure } from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';

const MAX_FAILURES_MESSAGE = 'Trop de codes erronés depuis cette adresse : réessayez plus tard ou appelez le 3949.';

/**
 * "Ce n'est pas moi": anyone holding a notice's code freezes its change, without signing in
 * (the account may be in a thief's hands). The notice links to the web application's page
 * `/ce-n-est-pas-moi` (web/src/app/NotMe.tsx), which only fills the form; freezing takes this
 * POST, so a mail scanner following links freezes nothing. Wrong codes are counted per address.
 */
export function freezeRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;

  async function freeze(code: string, address: string) {
    if (await blockedUntil(db, [addressScope(address)]))
      throw new ConflictError(MAX_FAILURES_MESSAGE, 'too_many_attempts');
    try {
      return await runtime.bank.freeze(code, address);
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof ValidationError)
        await recordFailure(db, addressScope(address));
      throw error;
    }
  }

  function outcomeText(r: { frozen: boolean; alreadyEffective: boolean }): string {
    if (r.frozen)
      return 'La modification de vos coordonnées bancaires est bloquée : elle ne prendra pas effet. Vos sessions ont été fermées ; un conseiller va vous contacter. Changez votre mot de passe à votre prochaine connexion.';
    if (r.alreadyEffective)
      return 'Cette modification était déjà en vigueur. Vos coordonnées bancaires sont placées sous surveillance et un conseiller va vous contacter en priorité pour rétablir votre compte.';
    return 'Cette modification était déjà arrêtée. Vos coordonnées bancaires sont placées sous surveillance et un conseiller va vous contacter.';
  }

  return async (app) => {
    app.post(
      '/api/bank-details/freeze',
      {
        schema: {
          tags: ['coordonnées bancaires'],
          summary:
            '« Ce n’est pas moi » : bloquer une modification de coordonnées bancaires avec le code reçu (sans connexion)',
          body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false }),
          response: {
            200: Type.Object({ frozen: Type.Boolean(), alreadyEffective: Type.Boolean(), message: Type.String() }),
            429: errorResponses[409],
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        try {
          const result = await freeze(request.body.code, request.ip);
          return { frozen: result.frozen, alreadyEffective: result.alreadyEffective, message: outcomeText(result) };
        } catch (error) {
          if (error instanceof ConflictError && error.code === 'too_many_attempts')
            return reply.status(429).send({ error: error.code, message: error.message, requestId: request.id });
          throw error;
        }
      },
    );
  };
}
