import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RIGHTS_REQUEST_KINDS } from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';
import { requireJobSeeker } from './job-seeker.ts';

const tags = ['mon espace'];
const security = [{ cookieAuth: [] }];
// Views are documented by their TypeScript types (src/privacy/rights-requests/model.ts: OwnRightsRequest).
const Loose = Type.Unknown();

/**
 * « Exercer mes droits »: the job seeker files a rights request from their own signed-in espace
 * (their identity is checked by that session) and follows it there, answer included. Only their
 * own: anyone else's request is answered as if it did not exist.
 */
export function myRightsRequestRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  const requests = runtime.rightsRequests;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('onRequest', requireJobSeeker);

    app.post(
      '/rights-requests',
      {
        schema: {
          tags,
          summary:
            'Exercer un de mes droits sur mes données (accès, rectification, effacement, limitation, opposition)',
          security,
          body: Type.Object(
            {
              kind: Type.Enum([...RIGHTS_REQUEST_KINDS], { description: 'le droit exercé' }),
              details: Type.Optional(
                Type.String({ maxLength: 5000, description: 'votre demande, dans vos mots (facultatif)' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 201: Loose, ...errorResponses },
        },
      },
      async (request, reply) => {
        const account = request.account!;
        const filed = await requests.file(
          {
            personId: account.person_id!,
            kind: request.body.kind,
            channel: 'espace',
            ...(request.body.details !== undefined ? { details: request.body.details } : {}),
            verification: { method: 'espace_session' },
          },
          { accountId: account.id },
        );
        return reply.status(201).send(await requests.viewOwn(account.person_id!, filed.id));
      },
    );

    app.get(
      '/rights-requests',
      {
        schema: {
          tags,
          summary: 'Mes demandes d’exercice des droits, leur état et leur réponse',
          security,
          response: { 200: Type.Object({ items: Type.Array(Loose) }), ...errorResponses },
        },
      },
      async (request) => ({ items: await requests.listOwn(request.account!.person_id!) }),
    );

    app.get(
      '/rights-requests/:id',
      {
        schema: {
          tags,
          summary: 'Une de mes demandes d’exercice des droits, avec son historique et sa réponse',
          security,
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => {
        const personId = request.account!.person_id!;
        const own = await requests.viewOwn(personId, request.params.id);
        // A rectification request's answer says what was rectified and whom it was told to (Art. 19).
        return { ...own, rectifications: await runtime.rectifications.ofOwnRequest(personId, request.params.id) };
      },
    );
  };
}
