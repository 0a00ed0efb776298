import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';
import { requireJobSeeker } from './job-seeker.ts';

const tags = ['mon espace'];
const security = [{ cookieAuth: [] }];

const Preference = Type.Object({
  paper: Type.Boolean({ description: 'toute la correspondance aussi par courrier papier' }),
  setAt: Type.Union([Type.String(), Type.Null()]),
  setBy: Type.Union([Type.Enum(['person', 'agent']), Type.Null()]),
  letters: Type.Array(
    Type.Object({
      id: Type.String(),
      kindLabel: Type.String(),
      status: Type.String(),
      statusLabel: Type.String(),
      queuedAt: Type.String(),
      postedAt: Type.Union([Type.String(), Type.Null()]),
      returnedAt: Type.Union([Type.String(), Type.Null()]),
      returnReasonLabel: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

/**
 * « Courrier papier pour toute correspondance » (issue 25 §5): the job seeker's choice, and the
 * letters sent to them (what, and whether posted or back; never the address or the text here).
 */
export function myCorrespondenceRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  const paper = runtime.paper;
  const answer = async (personId: string) => {
    const [preference, letters] = await Promise.all([paper.preference(personId), paper.ofPerson(personId)]);
    return { ...preference, letters };
  };
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('onRequest', requireJobSeeker);

    app.get(
      '/correspondence',
      {
        schema: {
          tags,
          summary: 'Mon choix de correspondance (courrier papier) et mes derniers courriers',
          security,
          response: { 200: Preference, ...errorResponses },
        },
      },
      async (request) => answer(request.account!.person_id!),
    );

    app.put(
      '/correspondence',
      {
        schema: {
          tags,
          summary: 'Recevoir toute ma correspondance aussi par courrier papier, ou ne plus la recevoir',
          security,
          body: Type.Object({ paper: Type.Boolean() }, { additionalProperties: false }),
          response: { 200: Preference, ...errorResponses },
        },
      },
      async (request) => {
        const account = request.account!;
        await paper.setPreference(account.person_id!, request.body.paper, { accountId: account.id, as: 'person' });
        return answer(account.person_id!);
      },
    );
  };
}
