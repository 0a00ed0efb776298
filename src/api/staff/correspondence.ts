import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { NotFoundError } from '../../domain/index.ts';
import { staffMemberOf } from '../../identity/index.ts';
import { updateEventContext } from '../../ledger/index.ts';
import { can } from '../../policy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import type { Executor } from '../../store/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';

const tags = ['courrier papier'];
const security = [{ cookieAuth: [] }];
const Params = Type.Object({ personId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const Preference = Type.Object({
  paper: Type.Boolean(),
  setAt: Type.Union([Type.String(), Type.Null()]),
  setBy: Type.Union([Type.Enum(['person', 'agent']), Type.Null()]),
});

/** Active staff of an active organisation whom the abilities table lets record a person's choice, or 403. */
function requireRecorder(db: Executor) {
  return async function recorder(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const member = request.account ? await staffMemberOf(db, request.account.id) : undefined;
    if (
      member &&
      member.organisationStatus === 'active' &&
      member.actorStatus === 'active' &&
      can(member, 'record', 'correspondence_preference')
    ) {
      request.staff = member;
      updateEventContext({ actorId: member.actorId, organisationId: member.organisationId });
      return;
    }
    void reply.status(403).send({
      error: 'role_required',
      message: 'Réservé aux agents d’une agence.',
      requestId: request.id,
    });
    return reply;
  };
}

/**
 * An agent records a person's choice of paper for all correspondence on their behalf (at the
 * desk, on the phone): the agent is the event's author, and the person is told of it.
 */
export function staffCorrespondenceRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('preValidation', requireRecorder(db));
    app.put(
      '/persons/:personId/correspondence',
      {
        schema: {
          tags,
          summary: 'Enregistrer pour une personne, à sa demande, le courrier papier pour toute correspondance',
          security,
          params: Params,
          body: Type.Object({ paper: Type.Boolean() }, { additionalProperties: false }),
          response: { 200: Preference, ...errorResponses },
        },
      },
      async (request, reply) => {
        try {
          return await runtime.paper.setPreference(request.params.personId, request.body.paper, {
            accountId: request.account!.id,
            actorId: request.staff!.actorId,
            as: 'agent',
          });
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          return reply.status(404).send({
            error: 'not_found',
            message: 'Personne inconnue.',
            requestId: request.id,
            issues: [{ field: 'params.personId', rule: 'exists', message: 'aucun dossier ne porte cet identifiant' }],
          });
        }
      },
    );
  };
}
