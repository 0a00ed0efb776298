import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  activeRetentionRules,
  importRetentionRules,
  liftRetentionHold,
  listRetentionHolds,
  retentionStatistics,
  setRetentionHold,
} from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireAbility, requireRecentSecondFactor, requireSession } from '../session.ts';

const tags = ['protection des données'];
const security = [{ cookieAuth: [] }];

const HoldView = Type.Object({
  id: Type.String(),
  personId: Type.String(),
  reason: Type.String(),
  setAt: Type.String(),
  setBy: Type.String(),
  liftedAt: Type.Union([Type.String(), Type.Null()]),
  liftedBy: Type.Union([Type.String(), Type.Null()]),
});

/**
 * Retention for the DPO (issue 24 §2): the rules in force and a new version of them (a bad file
 * is a 400 naming each broken field, and nothing is written), litigation holds set and lifted
 * (each a ledger event naming the person, each after a fresh second factor), and the purge's
 * statistics (year-month counts only), and a person's intermediate archive (the classes a rule
 * moved there; each read, after a fresh second factor, an event of the person's journal before
 * anything is opened). The purge itself runs as a daily job and from the command line
 * (`rempart retention purge`).
 */
export function retentionRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook(
      'onRequest',
      requireAbility(db, 'manage', 'retention', {
        error: 'not_dpo',
        message: 'Réservé au délégué à la protection des données.',
      }),
    );
    const by = (request: { staff?: { actorId: string } }) => `actor:${request.staff!.actorId}`;

    app.get(
      '/rules',
      {
        schema: {
          tags,
          summary: 'Les règles de conservation en vigueur (version 0 : celles livrées avec Rempart)',
          security,
          response: { 200: Type.Object({ version: Type.Integer(), file: Type.Any() }), ...errorResponses },
        },
      },
      async () => activeRetentionRules(db),
    );

    app.put(
      '/rules',
      {
        preHandler: requireRecentSecondFactor(db),
        schema: {
          tags,
          summary: 'Mettre en vigueur une nouvelle version des règles de conservation (rempart.retention/v1)',
          security,
          body: Type.Unknown(),
          response: { 201: Type.Object({ version: Type.Integer(), rules: Type.Integer() }), ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await importRetentionRules(db, request.body, { by: by(request), accountId: request.account!.id })),
    );

    app.get(
      '/holds',
      {
        schema: {
          tags,
          summary: 'Les gels pour contentieux en vigueur',
          security,
          response: { 200: Type.Object({ holds: Type.Array(HoldView) }), ...errorResponses },
        },
      },
      async () => ({ holds: await listRetentionHolds(db) }),
    );

    app.post(
      '/holds',
      {
        preHandler: requireRecentSecondFactor(db),
        schema: {
          tags,
          summary: 'Geler un dossier pour contentieux : aucune règle de conservation ne le touche plus',
          security,
          body: Type.Unknown(),
          response: { 201: HoldView, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(
          await setRetentionHold(db, request.body, {
            who: by(request),
            accountId: request.account!.id,
            actorId: request.staff!.actorId,
          }),
        ),
    );

    app.post(
      '/holds/:id/lift',
      {
        preHandler: requireRecentSecondFactor(db),
        schema: {
          tags,
          summary: 'Lever un gel pour contentieux',
          security,
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
          response: { 200: HoldView, ...errorResponses },
        },
      },
      async (request) =>
        liftRetentionHold(db, request.params.id, {
          who: by(request),
          accountId: request.account!.id,
          actorId: request.staff!.actorId,
        }),
    );

    app.get(
      '/persons/:personId/archive',
      {
        preHandler: requireRecentSecondFactor(db),
        schema: {
          tags,
          summary:
            'L’archive intermédiaire d’une personne : les classes qu’une règle de conservation y a placées (chaque lecture inscrite au journal de la personne)',
          security,
          params: Type.Object({ personId: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
          response: {
            // Shaped like a file (the person, the archived classes' fields), with each class's archiving beside it.
            200: Type.Object({
              id: Type.String(),
              fields: Type.Record(Type.String(), Type.Unknown()),
              archived: Type.Array(
                Type.Object({
                  class: Type.String(),
                  archivedAt: Type.String(),
                  updatedAt: Type.String(),
                  rule: Type.String(),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { personId } = request.params;
        const known = await db.selectFrom('persons').select('id').where('id', '=', personId).executeTakeFirst();
        if (!known)
          return reply.status(404).send({ error: 'not_found', message: 'Personne inconnue.', requestId: request.id });
        const rows = await runtime.access.readArchive(
          { accountId: request.account!.id, actorId: request.staff!.actorId },
          personId,
        );
        return {
          id: personId,
          fields: Object.fromEntries(rows.map((r) => [r.fieldClass, r.value])),
          archived: rows.map((r) => ({
            class: r.fieldClass,
            archivedAt: r.archivedAt,
            updatedAt: r.updatedAt,
            rule: r.rule,
          })),
        };
      },
    );

    app.get(
      '/statistics',
      {
        schema: {
          tags,
          summary: 'Ce que la conservation a détruit ou anonymisé, en comptes par mois, règle et objet',
          security,
          response: {
            200: Type.Object({
              statistics: Type.Array(
                Type.Object({
                  month: Type.String(),
                  rule: Type.String(),
                  subject: Type.String(),
                  outcome: Type.String(),
                  count: Type.Integer(),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async () => ({ statistics: await retentionStatistics(db) }),
    );
  };
}
