import type { FastifyReply, FastifyRequest } from 'fastify';
import { staffMemberOf } from '../../identity/index.ts';
import { can, type AbilityVerb } from '../../policy/index.ts';
import type { Executor } from '../../store/index.ts';

const REFUSALS: Record<AbilityVerb<'desk'>, string> = {
  read: 'Réservé au délégué à la protection des données et au responsable de la sécurité.',
  act_on: 'Réservé au responsable de la sécurité des systèmes d’information.',
};

/** Active staff of an active organisation whom the abilities table lets read or act on the desk, or 403. */
export function requireDesk(db: Executor, verb: AbilityVerb<'desk'>) {
  return async function deskCheck(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const member = request.account ? await staffMemberOf(db, request.account.id) : undefined;
    if (
      member &&
      member.organisationStatus === 'active' &&
      member.actorStatus === 'active' &&
      can(member, verb, 'desk')
    )
      return;
    void reply.status(403).send({ error: 'role_required', message: REFUSALS[verb], requestId: request.id });
    return reply;
  };
}
