import type { FastifyReply, FastifyRequest } from 'fastify';
import { staffMemberOf, type StaffMember } from '../../identity/index.ts';
import type { Executor } from '../../store/index.ts';
import { updateEventContext } from '../../ledger/index.ts';
import { securityContactOf } from '../../policy/index.ts';
import { GUARD_MESSAGES } from '../access.ts';

declare module 'fastify' {
  interface FastifyRequest {
    staff?: StaffMember;
  }
}

/** After requireSession: a staff account acting for an actor of an organisation, or 403. */
export function requireStaff(db: Executor) {
  return async function staffOnly(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const staff = request.sessionStaff ?? (request.account ? await staffMemberOf(db, request.account.id) : undefined);
    if (!staff) {
      void reply
        .status(403)
        .send({ error: 'not_staff', message: 'Réservé aux agents habilités.', requestId: request.id });
      return reply;
    }
    if (staff.actorStatus !== 'active') {
      const contact = await securityContactOf(db, staff.organisationId);
      void reply.status(403).send({
        error: 'actor_contained',
        message: GUARD_MESSAGES.actor_contained,
        ...(contact ? { securityContact: contact } : {}),
        requestId: request.id,
      });
      return reply;
    }
    request.staff = staff;
    updateEventContext({ actorId: staff.actorId, organisationId: staff.organisationId });
  };
}
