import type { FastifyReply, FastifyRequest } from 'fastify';

/** After requireSession: the job seeker's own space only (an account tied to a file), or 403. */
export async function requireJobSeeker(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.account?.kind !== 'job_seeker' || !request.account.person_id) {
    void reply.status(403).send({
      error: 'job_seeker_only',
      message: 'Réservé aux demandeurs d’emploi, pour leur propre dossier.',
      requestId: request.id,
    });
    return reply;
  }
}
