import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Runtime } from '../../runtime/index.ts';
import { DeclarationSchema } from '../../updates/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';
import { requireJobSeeker } from './job-seeker.ts';

const tags = ['mon espace'];
const security = [{ cookieAuth: [] }];
// Views are documented by their TypeScript types (src/updates/model.ts: UpdateState, OwnDeclaration).
const Loose = Type.Unknown();

/**
 * « M'actualiser » (issue 25 §2): the job seeker sees whether their monthly update is open and
 * until when, declares their month on their honour, and corrects it until the window closes.
 */
export function myMonthlyUpdateRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  const updates = runtime.monthlyUpdates;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('onRequest', requireJobSeeker);

    app.get(
      '/monthly-update',
      {
        schema: {
          tags,
          summary: 'Mon actualisation mensuelle : ouverte ou non, jusqu’à quand, et ce que j’ai déclaré',
          security,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => updates.state(request.account!.person_id!),
    );

    app.post(
      '/monthly-update',
      {
        schema: {
          tags,
          summary:
            'M’actualiser : déclarer sur l’honneur ma situation du mois (travail, formation, arrêt…), ou la corriger jusqu’au 15',
          security,
          body: DeclarationSchema,
          response: { 201: Loose, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await updates.declare(request.account!.person_id!, request.account!.id, request.body)),
    );
  };
}
