import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ConflictError, FIELD_CLASS_SCHEMAS, type PersonFile } from '../../domain/index.ts';
import { networkOf } from '../../identity/index.ts';
import { REVIEW_DECISIONS, type Decider } from '../../registration/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { guardedActor, refusedByGuard } from '../access.ts';
import { errorResponses } from '../schemas.ts';
import { requireAbility, requireSession } from '../session.ts';
import type { FastifyRequest } from 'fastify';

const tags = ['inscription'];
const security = [{ cookieAuth: [] }];
const Params = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const Summary = Type.Object({
  id: Type.String(),
  createdAt: Type.String(),
  channel: Type.String(),
  sourceOrganisationId: Type.Union([Type.String(), Type.Null()]),
  matchedOn: Type.Array(Type.String()),
  matchedPersonIds: Type.Array(Type.String()),
  status: Type.String(),
  decidedAt: Type.Union([Type.String(), Type.Null()]),
  personId: Type.Union([Type.String(), Type.Null()]),
});

function deciderOf(request: FastifyRequest): Decider {
  return {
    accountId: request.account!.id,
    actorId: request.staff!.actorId,
    organisationId: request.staff!.organisationId,
  };
}

/**
 * The counsellors' queue of registrations held as possible duplicates (issue 25 §1). The list
 * names no value; opening one shows the candidate's identity (its NIR's end only, the opening
 * recorded) beside each matched file's identity and registration, each read admitted by the
 * guard and recorded in that person's journal; the decision is an event of the file's journal.
 */
export function registrationReviewRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook(
      'preValidation',
      requireAbility(db, 'review', 'registration_duplicates', {
        error: 'role_required',
        message: 'Réservé aux conseillers d’une agence.',
      }),
    );

    app.get(
      '/',
      {
        schema: {
          tags,
          summary: 'Les inscriptions retenues comme doublons possibles (aucune valeur)',
          security,
          querystring: Type.Object(
            {
              status: Type.Optional(Type.Enum(['pending', 'same_person', 'different_persons'])),
              page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ total: Type.Integer(), reviews: Type.Array(Summary) }), ...errorResponses },
        },
      },
      async (request) => {
        const page = request.query.page ?? 1;
        return runtime.registrations.reviews({
          ...(request.query.status ? { status: request.query.status } : {}),
          limit: 50,
          offset: (page - 1) * 50,
        });
      },
    );

    app.get(
      '/:id',
      {
        schema: {
          tags,
          summary: 'Comparer une inscription retenue aux dossiers trouvés (chaque lecture inscrite à leur journal)',
          security,
          params: Params,
          response: {
            200: Type.Object({
              review: Summary,
              candidate: Type.Object({
                identity: FIELD_CLASS_SCHEMAS.identity,
                nirEnd: Type.Union([Type.String(), Type.Null()]),
                emailOnFile: Type.Union([Type.Array(Type.String()), Type.Null()]),
              }),
              matches: Type.Array(
                Type.Object({
                  personId: Type.String(),
                  identity: Type.Optional(FIELD_CLASS_SCHEMAS.identity),
                  // What deciding needs of the registration: whether it is running, since when, and its id.
                  registration: Type.Optional(
                    Type.Object({
                      franceTravailId: Type.String(),
                      category: Type.String(),
                      registeredOn: Type.String(),
                      status: Type.String(),
                      deregisteredOn: Type.Optional(Type.String()),
                    }),
                  ),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const review = await runtime.registrations.review(request.params.id);
        if (review.status !== 'pending')
          throw new ConflictError('Cette demande d’inscription a déjà été examinée.', 'review_decided');
        const matches = [];
        for (const personId of review.matchedPersonIds) {
          const read = await runtime.access.readForRegistrationReview(
            guardedActor(request)!,
            networkOf(request.ip),
            personId,
            review.id,
          );
          if (read.outcome !== 'read') {
            await refusedByGuard(db, request, reply, read.admission, { operation: 'read', personId });
            return reply;
          }
          matches.push({
            personId,
            ...(read.record.fields.identity ? { identity: read.record.fields.identity } : {}),
            ...(read.record.fields.registration
              ? { registration: registrationView(read.record.fields.registration) }
              : {}),
          });
        }
        const candidate = await runtime.registrations.candidate(review.id, deciderOf(request));
        return { review, candidate, matches };
      },
    );

    app.post(
      '/:id/decision',
      {
        schema: {
          tags,
          summary:
            'Décider : « même personne » (aucun nouveau dossier) ou « personnes différentes » (le dossier est créé)',
          security,
          params: Params,
          body: Type.Object(
            {
              decision: Type.Enum([...REVIEW_DECISIONS]),
              personId: Type.Optional(Type.String({ format: 'uuid' })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              decision: Type.String(),
              personId: Type.String(),
              reopened: Type.Boolean(),
              franceTravailId: Type.Optional(Type.String()),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const result = await runtime.registrations.decide(
          request.params.id,
          request.body.decision,
          deciderOf(request),
          {
            ...(request.body.personId ? { personId: request.body.personId } : {}),
          },
        );
        return {
          decision: result.decision,
          personId: result.personId,
          reopened: result.reopened,
          ...(result.registered ? { franceTravailId: result.registered.franceTravailId } : {}),
        };
      },
    );
  };
}

function registrationView(r: NonNullable<PersonFile['registration']>) {
  return {
    franceTravailId: r.franceTravailId,
    category: r.category,
    registeredOn: r.registeredOn,
    status: r.status,
    ...(r.deregisteredOn ? { deregisteredOn: r.deregisteredOn } : {}),
  };
}
