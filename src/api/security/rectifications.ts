import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Runtime } from '../../runtime/index.ts';
import type { Executor } from '../../store/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireAbility, requireRecentSecondFactor, requireSession } from '../session.ts';

const tags = ['droits des personnes'];
const security = [{ cookieAuth: [] }];
// Views are documented by their TypeScript types (src/privacy/rectification/service.ts).
const Loose = Type.Unknown();
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

const RectifyBody = Type.Object(
  {
    changes: Type.Record(Type.String(), Type.Unknown(), {
      description:
        'les valeurs justes, par classe de données (au format d’un dossier) ; ni coordonnées bancaires, ni suppression',
    }),
    suppliedBy: Type.Union(
      [
        Type.Object({ kind: Type.Literal('person') }, { additionalProperties: false }),
        Type.Object(
          { kind: Type.Literal('organisation'), organisationId: Type.String({ format: 'uuid' }) },
          { additionalProperties: false },
        ),
      ],
      { description: 'qui a fourni la valeur juste : la personne, ou un organisme' },
    ),
  },
  { additionalProperties: false },
);

/**
 * The DPO's side of rectification (GDPR Art. 16 and 19), under the rights requests: rectify
 * classes answering a rectification request (a fresh second factor), see them with the
 * organisations told, and read a value a rectification replaced (recorded in the person's journal).
 */
export function rectificationDeskRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db: Executor = runtime.database.db;
  const rectifications = runtime.rectifications;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook(
      'onRequest',
      requireAbility(db, 'rectify', 'person_data', {
        error: 'not_dpo',
        message: 'Réservé au délégué à la protection des données.',
      }),
    );

    app.get(
      '/rights-requests/:id/rectifications',
      {
        schema: {
          tags,
          summary: 'Les rectifications faites pour une demande, avec les organismes avertis (RGPD art. 19)',
          security,
          params: IdParams,
          response: { 200: Type.Object({ rectifications: Loose }), ...errorResponses },
        },
      },
      async (request) => ({ rectifications: await rectifications.ofRequest(request.params.id) }),
    );

    app.post(
      '/rights-requests/:id/rectifications',
      {
        preHandler: requireRecentSecondFactor(db),
        schema: {
          tags,
          summary:
            'Rectifier des données de la personne (RGPD art. 16) : l’ancienne valeur conservée pour le DPO, les organismes qui l’ont consultée avertis (art. 19)',
          security,
          params: IdParams,
          body: RectifyBody,
          response: { 201: Type.Object({ rectifications: Loose }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const done = await rectifications.rectify(request.params.id, request.body, {
          accountId: request.account!.id,
          actorId: request.staff!.actorId,
        });
        return reply.status(201).send({ rectifications: done });
      },
    );

    app.get(
      '/rectifications/:id/previous',
      {
        preHandler: requireRecentSecondFactor(db),
        schema: {
          tags,
          summary:
            'L’ancienne valeur d’une donnée rectifiée (lecture inscrite au journal de la personne) ; 409 une fois détruite avec sa classe',
          security,
          params: IdParams,
          response: {
            200: Type.Object({
              id: Type.String({ description: 'la personne' }),
              class: Type.String(),
              fields: Type.Record(Type.String(), Type.Unknown(), { description: 'la classe telle qu’elle était' }),
              recordedAt: Type.String(),
              replacedAt: Type.String(),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) =>
        rectifications.previousValue(request.params.id, {
          accountId: request.account!.id,
          actorId: request.staff!.actorId,
        }),
    );
  };
}

/** An organisation's side (Art. 19): the rectifications of data it read, and saying its copies are corrected. */
export function rectificationNoticeRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db: Executor = runtime.database.db;
  const rectifications = runtime.rectifications;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook(
      'onRequest',
      requireAbility(db, 'acknowledge', 'rectification_notices', {
        error: 'role_required',
        message: 'Réservé aux agents et aux administrateurs d’un organisme.',
      }),
    );

    app.get(
      '/',
      {
        schema: {
          tags,
          summary:
            'Les rectifications à répercuter : données d’un dossier que votre organisme a consultées, rectifiées depuis',
          security,
          querystring: Type.Object(
            {
              pending: Type.Optional(
                Type.Enum(['true', 'false'], { description: 'seulement celles à prendre en compte' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ notices: Loose }), ...errorResponses },
        },
      },
      async (request) => ({
        notices: await rectifications.noticesOf(request.staff!.organisationId, {
          pending: request.query.pending === 'true',
        }),
      }),
    );

    app.post(
      '/:id/acknowledge',
      {
        schema: {
          tags,
          summary: 'Indiquer que les copies de votre organisme sont corrigées',
          security,
          params: IdParams,
          response: { 200: Type.Object({ notice: Loose }), ...errorResponses },
        },
      },
      async (request) => ({
        notice: await rectifications.acknowledge(request.params.id, {
          actorId: request.staff!.actorId,
          organisationId: request.staff!.organisationId,
        }),
      }),
    );
  };
}
