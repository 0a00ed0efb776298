import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listAccessReports } from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireAbility, requireSession } from '../session.ts';

/** The DPO's queue of accesses that job seekers reported as suspect, each with the full event. */
export function accessReportRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook(
      'onRequest',
      requireAbility(db, 'read', 'desk', {
        error: 'role_required',
        message: 'Réservé au délégué à la protection des données et au responsable de la sécurité.',
      }),
    );
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
