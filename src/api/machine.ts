import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateMachineToken, type AuthenticatedMachineClient } from '../identity/index.ts';
import type { Executor } from '../store/index.ts';
import { updateEventContext } from '../ledger/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    machineClient?: AuthenticatedMachineClient;
  }
}

const REALM = 'Bearer realm="rempart"';

/**
 * Routes for partner information systems: a machine access token (`Bearer rmc_…`) or 401,
 * challenged as RFC 6750 §3 says. A request with no token gets a bare challenge; a token
 * that is unknown, expired, or whose client, actor or organisation is no longer active gets
 * `error="invalid_token"`, without saying which (the caller just asks for a new one).
 */
export function requireMachineClient(db: Executor) {
  return async function authenticateMachine(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const match = request.headers.authorization?.match(/^Bearer +(\S+)$/i);
    if (!match?.[1]) {
      void reply.status(401).header('www-authenticate', REALM).send({
        error: 'unauthenticated',
        message: 'Jeton d’accès machine requis (Authorization: Bearer).',
        requestId: request.id,
      });
      return reply;
    }
    const client = await authenticateMachineToken(db, match[1]);
    if (!client) {
      void reply.status(401).header('www-authenticate', `${REALM}, error="invalid_token"`).send({
        error: 'invalid_token',
        message: 'Jeton d’accès invalide, expiré ou révoqué : demandez-en un nouveau.',
        requestId: request.id,
      });
      return reply;
    }
    request.machineClient = client;
    updateEventContext({ actorId: client.actorId, organisationId: client.organisationId });
  };
}
