import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listBreakGlass, reviewBreakGlass, type BreakGlassReview } from '../../policy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireAbility, requireRecentSecondFactor, requireSession } from '../session.ts';

const tags = ['sécurité'];
const security = [{ cookieAuth: [] }];

/** What the reviewer is told when the verdict is not recorded. */
const REVIEW_REFUSALS: Record<
  Exclude<BreakGlassReview['outcome'], 'reviewed'>,
  { status: 403 | 404 | 409; body: { error: string; message: string } }
> = {
  not_found: { status: 404, body: { error: 'not_found', message: 'Accès d’urgence inconnu.' } },
  own_access: {
    status: 403,
    body: { error: 'four_eyes_required', message: 'On ne revoit pas son propre accès d’urgence.' },
  },
  already_reviewed: { status: 409, body: { error: 'already_reviewed', message: 'Cet accès a déjà été revu.' } },
};

const BreakGlassView = Type.Object({
  id: Type.String(),
  actorId: Type.String(),
  actorLogin: Type.String(),
  organisationId: Type.String(),
  organisationName: Type.String(),
  personId: Type.String(),
  purpose: Type.String(),
  caseReference: Type.String(),
  justification: Type.String(),
  classes: Type.Array(Type.String()),
  grantedAt: Type.String(),
  expiresAt: Type.String(),
  reviewStatus: Type.String(),
  reviewedBy: Type.Union([Type.String(), Type.Null()]),
  reviewedAt: Type.Union([Type.String(), Type.Null()]),
  reviewNote: Type.Union([Type.String(), Type.Null()]),
});

/**
 * The security officers' review queue of break-glass accesses: each is judged justified or
 * abusive, with a note, after a fresh second factor; an abusive one stops working at once.
 */
export function breakGlassReviewRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook(
      'onRequest',
      requireAbility(db, 'review', 'break_glass', {
        error: 'not_security_officer',
        message: 'Réservé aux responsables de la sécurité.',
      }),
    );

    app.get(
      '/',
      {
        schema: {
          tags,
          summary: 'File de revue des accès d’urgence (bris de glace)',
          security,
          querystring: Type.Object(
            { status: Type.Optional(Type.Enum(['pending', 'justified', 'abusive'])) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(BreakGlassView) }), ...errorResponses },
        },
      },
      async (request) => ({
        items: await listBreakGlass(db, request.query.status ? { status: request.query.status } : {}),
      }),
    );

    app.post(
      '/:id/review',
      {
        preHandler: requireRecentSecondFactor(db),
        schema: {
          tags,
          summary: 'Juger un accès d’urgence : justifié ou abusif (un accès abusif cesse aussitôt)',
          security,
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
          body: Type.Object(
            { verdict: Type.Enum(['justified', 'abusive']), note: Type.String({ minLength: 1, maxLength: 2000 }) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ id: Type.String(), reviewStatus: Type.String(), reviewedAt: Type.String() }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const reviewed = await reviewBreakGlass(db, {
          id: request.params.id,
          reviewerAccountId: request.account!.id,
          reviewerActorId: request.staff!.actorId,
          verdict: request.body.verdict,
          note: request.body.note,
        });
        if (reviewed.outcome === 'reviewed')
          return { id: request.params.id, reviewStatus: request.body.verdict, reviewedAt: reviewed.reviewedAt };
        const refusal = REVIEW_REFUSALS[reviewed.outcome];
        return reply.status(refusal.status).send({ ...refusal.body, requestId: request.id });
      },
    );
  };
}
