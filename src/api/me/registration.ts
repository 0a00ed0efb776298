import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RenewalSchema } from '../../registration/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';
import { requireJobSeeker } from './job-seeker.ts';

const tags = ['mon espace'];
const security = [{ cookieAuth: [] }];

/**
 * « Me réinscrire » (issue 25 §1): a person whose registration ended (« cessation d'inscription »,
 * a missed monthly update) registers again from their espace, on the same file.
 */
export function myRegistrationRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('onRequest', requireJobSeeker);
    app.post(
      '/registration/renewal',
      {
        schema: {
          tags,
          summary: 'Me réinscrire après la fin de mon inscription : ma situation, ma disponibilité, mes métiers',
          security,
          body: RenewalSchema,
          response: {
            201: Type.Object({
              franceTravailId: Type.String(),
              category: Type.String(),
              administrativeCategory: Type.Integer(),
              registeredOn: Type.String(),
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await runtime.onlineRegistration.renew(request.account!.person_id!, request.account!.id, request.body)),
    );
  };
}
