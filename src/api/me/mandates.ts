import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';
import { requireJobSeeker } from './job-seeker.ts';

const tags = ['mon espace'];
const security = [{ cookieAuth: [] }];
// Views are documented by their TypeScript types (src/mandates/model.ts: MandateView).
const Loose = Type.Unknown();
const Params = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

/**
 * « Mes mandats » (issue 25 §4): the job seeker sees each mandate they gave (or are asked to give)
 * an aidant of a France Services house — who, which house, which steps, until when, how they
 * consented —, confirms one that waits for them, and withdraws it, step by step, at any time.
 */
export function myMandateRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  const mandates = runtime.mandates;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('onRequest', requireJobSeeker);

    app.get(
      '/mandates',
      {
        schema: {
          tags,
          summary: 'Mes mandats : à qui, pour quelles démarches, jusqu’à quand, et leur état',
          security,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => ({ mandates: await mandates.ofPerson(request.account!.person_id!) }),
    );

    app.post(
      '/mandates/:id/confirm',
      {
        schema: {
          tags,
          summary: 'Confirmer un mandat préparé avec mon aidant : il fonctionne dès maintenant',
          security,
          params: Params,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => mandates.confirmByPerson(request.account!.person_id!, request.account!.id, request.params.id),
    );

    app.post(
      '/mandates/:id/revoke',
      {
        schema: {
          tags,
          summary: 'Retirer un mandat, ou seulement certaines de ses démarches (ou refuser un mandat en attente)',
          security,
          params: Params,
          body: Loose,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) =>
        mandates.revokeByPerson(request.account!.person_id!, request.account!.id, request.params.id, request.body),
    );
  };
}
