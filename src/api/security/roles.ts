import type { FastifyReply, FastifyRequest } from 'fastify';
import { staffMemberOf } from '../../identity/index.ts';
import type { Executor } from '../../store/index.ts';

export const READERS = ['dpo', 'security_officer'] as const;
export const WRITERS = ['security_officer'] as const;

/** Staff whose actor holds one of `roles` (the regional DPO, the security officer), or 403. */
export function requireSecurityRole(db: Executor, roles: readonly string[]) {
  return async function roleCheck(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const member = request.account ? await staffMemberOf(db, request.account.id) : undefined;
    if (
      member &&
      member.organisationStatus === 'active' &&
      member.actorStatus === 'active' &&
      member.roles.some((r) => roles.includes(r))
    )
      return;
    void reply.status(403).send({
      error: 'role_required',
      message:
        roles.length === 1
          ? 'Réservé au responsable de la sécurité des systèmes d’information.'
          : 'Réservé au délégué à la protection des données et au responsable de la sécurité.',
      requestId: request.id,
    });
    return reply;
  };
}
