import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateApiToken, type AuthenticatedActor } from '../identity/index.ts';
import { can, type AbilitySubject, type AbilityVerb } from '../policy/index.ts';
import type { Executor } from '../store/index.ts';
import { updateEventContext } from '../ledger/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor?: AuthenticatedActor;
  }
}

/** 401 for no or bad credentials, 403 for a valid actor the abilities table does not let do this. */
export function requireAbility<S extends AbilitySubject>(db: Executor, verb: AbilityVerb<S>, subject: S) {
  return async function authorize(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    const actor = match?.[1] ? await authenticateApiToken(db, match[1]) : undefined;
    if (!actor) {
      void reply
        .status(401)
        .header('www-authenticate', 'Bearer realm="rempart"')
        .send({ error: 'unauthenticated', message: 'Authentification requise.', requestId: request.id });
      return reply;
    }
    if (!can(actor, verb, subject)) {
      request.log.warn({ actorId: actor.id }, 'actor lacks the required role');
      void reply.status(403).send({
        error: 'forbidden',
        message: "Cet acteur n'est pas autorisé à cette opération.",
        requestId: request.id,
      });
      return reply;
    }
    request.actor = actor;
    updateEventContext({ actorId: actor.id });
  };
}
