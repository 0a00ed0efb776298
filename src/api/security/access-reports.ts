import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { staffMemberOf } from '../../identity/index.ts';
import { can } from '../../policy/index.ts';
import { listAccessReports } from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';
import { updateEventContext } from '../../ledger/index.ts';

/** The DPO's queue of accesses that job seekers reported as suspect, each with the full event. */
export function accessReportRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('onRequest', async (request, reply) => {
      const staff = request.account ? await staffMemberOf(db, request.account.id) : undefined;
      if (!staff || !can(staff, 'read', 'desk')) {
        void reply.status(403).send({
          error: 'role_required',
          message: 'Réservé au délégué à la protection des données et au responsable de la sécurité.',
          requestId: request.id,
        });
        return reply;
      }
      updateEventContext({ actorId: staff.actorId, organisationId: staff.organisationId });
    });
    app.get(
      '/',
      {
        schema: {
          tags: ['sécurité'],
          summary: 'Accès signalés comme suspects par les demandeurs d’emploi',
          security: [{ cookieAuth: [] }],
          response: { 200: Type.Object({ items: Type.Array(Type.Any()) }), ...errorResponses },
        },
      },
      async () => ({ items: await listAccessReports(db, runtime.keyring) }),
    );
  };
}
