import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { staffMemberOf } from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { inTransaction } from '../../store/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireRecentSecondFactor, requireSession } from '../session.ts';
import { SECURITY_OFFICER_ROLE } from '../staff/break-glass.ts';
import { appendEvent, updateEventContext } from '../../ledger/index.ts';

const tags = ['sécurité'];
const security = [{ cookieAuth: [] }];

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
    app.addHook('onRequest', async (request, reply) => {
      const staff = request.account ? await staffMemberOf(db, request.account.id) : undefined;
      if (!staff || !staff.roles.includes(SECURITY_OFFICER_ROLE)) {
        void reply.status(403).send({
          error: 'not_security_officer',
          message: 'Réservé aux responsables de la sécurité.',
          requestId: request.id,
        });
        return reply;
      }
      request.staff = staff;
      updateEventContext({ actorId: staff.actorId, organisationId: staff.organisationId });
    });

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
      async (request) => {
        let query = db
          .selectFrom('break_glass')
          .innerJoin('actors', 'actors.id', 'break_glass.actor_id')
          .innerJoin('organisations', 'organisations.id', 'break_glass.organisation_id')
          .selectAll('break_glass')
          .select(['actors.login as actor_login', 'organisations.name as organisation_name']);
        if (request.query.status) query = query.where('break_glass.review_status', '=', request.query.status);
        const rows = await query
          .orderBy('break_glass.granted_at', 'asc')
          .orderBy('break_glass.id', 'asc')
          .limit(500)
          .execute();
        return {
          items: rows.map((r) => ({
            id: r.id,
            actorId: r.actor_id,
            actorLogin: r.actor_login,
            organisationId: r.organisation_id,
            organisationName: r.organisation_name,
            personId: r.person_id,
            purpose: r.purpose,
            caseReference: r.case_reference,
            justification: r.justification,
            classes: JSON.parse(r.classes) as string[],
            grantedAt: r.granted_at,
            expiresAt: r.expires_at,
            reviewStatus: r.review_status,
            reviewedBy: r.reviewed_by,
            reviewedAt: r.reviewed_at,
            reviewNote: r.review_note,
          })),
        };
      },
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
        const staff = request.staff!;
        const row = await db
          .selectFrom('break_glass')
          .select(['id', 'actor_id', 'review_status', 'person_id'])
          .where('id', '=', request.params.id)
          .executeTakeFirst();
        if (!row)
          return reply
            .status(404)
            .send({ error: 'not_found', message: 'Accès d’urgence inconnu.', requestId: request.id });
        if (row.actor_id === staff.actorId)
          return reply.status(403).send({
            error: 'four_eyes_required',
            message: 'On ne revoit pas son propre accès d’urgence.',
            requestId: request.id,
          });
        const reviewedAt = new Date().toISOString();
        // One transaction: the verdict and its event, or neither.
        const reviewed = await inTransaction(db, async (trx) => {
          const updated = await trx
            .updateTable('break_glass')
            .set({
              review_status: request.body.verdict,
              reviewed_by: request.account!.id,
              reviewed_at: reviewedAt,
              review_note: request.body.note,
            })
            .where('id', '=', row.id)
            .where('review_status', '=', 'pending')
            .executeTakeFirst();
          if (Number(updated.numUpdatedRows) !== 1) return false;
          await appendEvent(trx, 'break_glass_reviewed', {
            personId: row.person_id,
            operation: 'break_glass_review',
            details: { breakGlassId: row.id, verdict: request.body.verdict, reviewedActor: row.actor_id },
          });
          return true;
        });
        if (!reviewed)
          return reply
            .status(409)
            .send({ error: 'already_reviewed', message: 'Cet accès a déjà été revu.', requestId: request.id });
        return { id: row.id, reviewStatus: request.body.verdict, reviewedAt };
      },
    );
  };
}
