import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { FIELD_CLASS_LABELS_FR } from '../../domain/index.ts';
import { announceToPerson } from '../../identity/index.ts';
import { liftRestriction, restrictionsOf, restrictProcessing } from '../../policy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { inTransaction } from '../../store/index.ts';
import { errorResponses, FieldClassSchema } from '../schemas.ts';
import { requireAbility, requireRecentSecondFactor, requireSession } from '../session.ts';

const tags = ['protection des données'];
const security = [{ cookieAuth: [] }];

const Params = Type.Object({ personId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const Classes = Type.Array(FieldClassSchema, { minItems: 1, maxItems: 20, uniqueItems: true });
const RestrictionView = Type.Object({
  class: Type.String(),
  reason: Type.String(),
  rightsRequestId: Type.Union([Type.String(), Type.Null()]),
  setBy: Type.String(),
  setAt: Type.String(),
});

/**
 * Restriction of processing (GDPR Art. 18), for the DPO: withhold field classes of a person from
 * every purpose (but one for legal claims) while their request is examined, and lift it. Each
 * change takes a fresh second factor and is an event of the person's chain.
 */
export function restrictionRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook(
      'onRequest',
      requireAbility(db, 'restrict', 'processing', {
        error: 'not_dpo',
        message: 'Réservé au délégué à la protection des données.',
      }),
    );

    const known = async (personId: string) =>
      (await db.selectFrom('persons').select('id').where('id', '=', personId).executeTakeFirst()) !== undefined;
    const unknownPerson = (requestId: string) => ({
      error: 'not_found',
      message: 'Personne inconnue.',
      requestId,
    });

    app.get(
      '/:personId/restrictions',
      {
        schema: {
          tags,
          summary: 'Les classes de données d’une personne dont le traitement est limité (RGPD art. 18)',
          security,
          params: Params,
          response: { 200: Type.Object({ restrictions: Type.Array(RestrictionView) }), ...errorResponses },
        },
      },
      async (request, reply) => {
        if (!(await known(request.params.personId))) return reply.status(404).send(unknownPerson(request.id));
        return { restrictions: await restrictionsOf(db, request.params.personId) };
      },
    );

    app.post(
      '/:personId/restrictions',
      {
        preHandler: requireRecentSecondFactor(db),
        schema: {
          tags,
          summary: 'Limiter le traitement de classes de données d’une personne : aucune finalité ne les lit plus',
          security,
          params: Params,
          body: Type.Object(
            {
              classes: Classes,
              reason: Type.String({ minLength: 10, maxLength: 1000 }),
              rightsRequestId: Type.Optional(Type.String({ format: 'uuid' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ added: Type.Array(Type.String()) }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { personId } = request.params;
        if (!(await known(personId))) return reply.status(404).send(unknownPerson(request.id));
        const { added } = await restrictProcessing(db, {
          personId,
          classes: request.body.classes,
          reason: request.body.reason,
          actorId: request.staff!.actorId,
          ...(request.body.rightsRequestId ? { rightsRequestId: request.body.rightsRequestId } : {}),
        });
        return reply.status(201).send({ added });
      },
    );

    app.post(
      '/:personId/restrictions/lift',
      {
        preHandler: requireRecentSecondFactor(db),
        schema: {
          tags,
          summary: 'Lever la limitation du traitement de classes de données d’une personne',
          security,
          params: Params,
          body: Type.Object({ classes: Classes }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              lifted: Type.Array(Type.String()),
              told: Type.Integer({
                description: 'messages envoyés à la personne (art. 18.3) ; 0 et pas de courrier : lui écrire',
              }),
              letter: Type.Boolean({
                description: 'un courrier mis en file pour la personne sans espace qui a choisi le papier',
              }),
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { personId } = request.params;
        if (!(await known(personId))) return reply.status(404).send(unknownPerson(request.id));
        // Art. 18.3: the person hears of it with the lift itself — the lift does not commit without
        // their notice queued on their espace account's channels.
        return inTransaction(db, async (trx) => {
          const result = await liftRestriction(trx, {
            personId,
            classes: request.body.classes,
            actorId: request.staff!.actorId,
          });
          if (result.lifted.length === 0) return { ...result, told: 0, letter: false };
          const messenger = { db: trx, keyring: runtime.keyring, notifier: runtime.notifier };
          // On the espace account's channels, and by letter when the person chose paper (even without an account).
          const { channels: told, letter } = await announceToPerson(
            messenger,
            personId,
            'restriction_lifted',
            'La limitation du traitement de vos données est levée',
            [
              'Bonjour,',
              '',
              `La limitation du traitement que vous aviez obtenue (RGPD, article 18) est levée pour : ${result.lifted.map((c) => FIELD_CLASS_LABELS_FR[c]).join(', ')}.`,
              'Ces données peuvent de nouveau être consultées et utilisées pour les finalités prévues, comme avant la limitation.',
              'Votre espace personnel, rubrique « Qui a consulté mon dossier », en garde la trace. Pour toute question : le délégué à la protection des données de France Travail.',
            ].join('\n'),
          );
          return { ...result, told, letter };
        });
      },
    );
  };
}
