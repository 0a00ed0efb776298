import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { containmentDetail, listContainments, listSignals, releaseContainment } from '../../guard/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireRecentSecondFactor, requireSession } from '../session.ts';
import { requireDesk } from './desk-access.ts';

const tags = ['sécurité'];

const Figures = Type.Record(Type.String(), Type.Unknown());
const SignalView = Type.Object({
  id: Type.String(),
  at: Type.String(),
  actorId: Type.Union([Type.String(), Type.Null()]),
  actorLogin: Type.Union([Type.String(), Type.Null()]),
  organisationId: Type.String(),
  organisationName: Type.String(),
  signal: Type.String(),
  severity: Type.Enum(['alert', 'contain']),
  figures: Figures,
  personsRead: Type.Integer(),
});
const ContainmentView = Type.Object({
  id: Type.String(),
  scope: Type.Enum(['actor', 'organisation']),
  actorId: Type.Union([Type.String(), Type.Null()]),
  actorLogin: Type.Union([Type.String(), Type.Null()]),
  organisationId: Type.String(),
  organisationName: Type.String(),
  signal: Type.String(),
  figures: Figures,
  containedAt: Type.String(),
  releasedAt: Type.Union([Type.String(), Type.Null()]),
  releasedBy: Type.Union([Type.String(), Type.Null()]),
  releaseNote: Type.Union([Type.String(), Type.Null()]),
});
const ContainmentDetail = Type.Intersect([
  ContainmentView,
  Type.Object({
    personsRead: Type.Array(Type.Object({ personId: Type.String(), classes: Type.Array(Type.String()) })),
    actors: Type.Array(Type.String()),
  }),
]);
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: 'au plus 500' })),
    inForce: Type.Optional(Type.Enum(['true', 'false'])),
  },
  { additionalProperties: false },
);
const ReleaseBody = Type.Object(
  {
    note: Type.String({
      minLength: 10,
      maxLength: 1000,
      description:
        'comment le titulaire a été revérifié auprès du référent sécurité de son organisation (qui, quand, par quel canal)',
    }),
  },
  { additionalProperties: false },
);

/**
 * The guard as the security officer watches it: signals, containments and what was read,
 * and the release of a containment (security officer only, after a fresh second factor).
 */
export function guardRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    const read = { preValidation: requireDesk(db, 'read') };
    const limitOf = (text: string | undefined) => Math.min(500, Number(text ?? 100));

    app.get(
      '/signals',
      {
        ...read,
        schema: {
          tags,
          summary: 'Signaux de la garde (alertes et motifs de confinement), du plus récent au plus ancien',
          querystring: ListQuery,
          response: { 200: Type.Object({ signals: Type.Array(SignalView) }), ...errorResponses },
        },
      },
      async (request) => ({ signals: await listSignals(db, { limit: limitOf(request.query.limit) }) }),
    );

    app.get(
      '/containments',
      {
        ...read,
        schema: {
          tags,
          summary: 'Comptes et organisations confinés par la garde',
          querystring: ListQuery,
          response: { 200: Type.Object({ containments: Type.Array(ContainmentView) }), ...errorResponses },
        },
      },
      async (request) => ({
        containments: await listContainments(db, {
          limit: limitOf(request.query.limit),
          inForce: request.query.inForce === 'true',
        }),
      }),
    );

    app.get(
      '/containments/:id',
      {
        ...read,
        schema: {
          tags,
          summary: 'Un confinement et ce qui a été lu : dossiers et classes de données (jamais les valeurs)',
          params: IdParams,
          response: { 200: ContainmentDetail, ...errorResponses },
        },
      },
      async (request) => containmentDetail(db, request.params.id),
    );

    app.post(
      '/containments/:id/release',
      {
        preValidation: requireDesk(db, 'act_on'),
        preHandler: requireRecentSecondFactor(db),
        schema: {
          tags,
          summary:
            'Lever un confinement après revérification du titulaire auprès du référent sécurité de son organisation',
          params: IdParams,
          body: ReleaseBody,
          response: { 200: ContainmentView, ...errorResponses },
        },
      },
      async (request) =>
        releaseContainment(db, runtime.clock, request.params.id, request.account!.id, request.body.note),
    );
  };
}
