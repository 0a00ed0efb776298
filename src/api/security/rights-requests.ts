import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { FIELD_CLASSES, ValidationError } from '../../domain/index.ts';
import { staffMemberOf } from '../../identity/index.ts';
import { updateEventContext } from '../../ledger/index.ts';
import { can } from '../../policy/index.ts';
import {
  ANSWER_CHANNELS,
  OUTCOMES,
  RECORDED_CHANNELS,
  REFUSAL_REASON_CODES,
  RIGHTS_REQUEST_KINDS,
  RIGHTS_REQUEST_STATUSES,
  RIGHTS_REQUESTS_MAX_PAGE_SIZE,
  VERIFICATION_METHODS,
  type RightsRequests,
} from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import type { Executor } from '../../store/index.ts';
import { errorResponses, FieldClassSchema } from '../schemas.ts';
import { requireRecentSecondFactor, requireSession } from '../session.ts';

const tags = ['droits des personnes'];
const security = [{ cookieAuth: [] }];
// Views are documented by their TypeScript types (src/privacy/rights-requests/model.ts).
const Loose = Type.Unknown();
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
/** Methods an agent may have checked (the espace's session is the espace's own). */
const DESK_METHODS = VERIFICATION_METHODS.filter((m) => m !== 'espace_session');

const REFUSALS = {
  record: 'Réservé aux agents d’une agence et au délégué à la protection des données.',
  work: 'Réservé au délégué à la protection des données.',
} as const;

/** Active staff of an active organisation whom the abilities table lets `verb` the rights requests, or 403. */
function requireRights(db: Executor, verb: 'record' | 'work') {
  return async function rightsCheck(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const member = request.account ? await staffMemberOf(db, request.account.id) : undefined;
    if (
      member &&
      member.organisationStatus === 'active' &&
      member.actorStatus === 'active' &&
      can(member, verb, 'rights_requests')
    ) {
      updateEventContext({ actorId: member.actorId, organisationId: member.organisationId });
      return;
    }
    void reply.status(403).send({ error: 'role_required', message: REFUSALS[verb], requestId: request.id });
    return reply;
  };
}

const RecordBody = Type.Object(
  {
    personId: Type.String({ format: 'uuid', description: 'la personne concernée' }),
    kind: Type.Enum([...RIGHTS_REQUEST_KINDS], { description: 'le droit exercé' }),
    channel: Type.Enum([...RECORDED_CHANNELS], { description: 'comment la demande est arrivée' }),
    details: Type.Optional(Type.String({ maxLength: 5000, description: 'la demande, dans les mots du demandeur' })),
    verification: Type.Optional(
      Type.Object(
        {
          method: Type.Enum([...DESK_METHODS], {
            description:
              'comment l’identité du demandeur a été vérifiée ; absente, elle reste à confirmer (délai suspendu)',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Recording a request received outside the espace: the agency's desk (counsellors) or the DPO. */
function recordRoute(requests: RightsRequests, db: Executor, summary: string): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/',
      {
        preValidation: requireRights(db, 'record'),
        schema: { tags, summary, security, body: RecordBody, response: { 201: Loose, ...errorResponses } },
      },
      async (request, reply) => {
        const body = request.body;
        const filed = await requests.file(
          {
            personId: body.personId,
            kind: body.kind,
            channel: body.channel,
            ...(body.details !== undefined ? { details: body.details } : {}),
            ...(body.verification ? { verification: body.verification } : {}),
          },
          { accountId: request.account!.id },
        );
        return reply.status(201).send(filed);
      },
    );
  };
}

/** The agency's desk: a counsellor records a request received at the desk, by letter, by phone or from a mandated person. */
export function staffRightsRequestRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    await app.register(
      recordRoute(
        runtime.rightsRequests,
        db,
        'Enregistrer une demande d’exercice des droits reçue hors de l’espace personnel',
      ),
    );
  };
}

/**
 * The DPO's desk, « Demandes d’exercice des droits »: the queue with its clocks, a request with
 * its history and the actions its state allows, the transitions and the answer. What writes to
 * the person (extension notice, answer, letter) needs a fresh second factor.
 */
export function rightsRequestDeskRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  const requests = runtime.rightsRequests;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    const dpo = { preValidation: requireRights(db, 'work') };
    const sensitive = { ...dpo, preHandler: requireRecentSecondFactor(db) };
    const by = (request: { account?: { id: string } }) => ({ accountId: request.account!.id });

    await app.register(
      recordRoute(requests, db, 'Enregistrer une demande reçue par courrier, téléphone ou d’un mandataire'),
    );

    app.get(
      '/',
      {
        ...dpo,
        schema: {
          tags,
          summary:
            'La file des demandes, page par page : les demandes en cours d’abord, les échéances les plus proches en tête ; jours restants, retard',
          security,
          querystring: Type.Object(
            {
              status: Type.Optional(Type.Enum([...RIGHTS_REQUEST_STATUSES])),
              overdue: Type.Optional(Type.Enum(['true', 'false'])),
              page: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$', description: 'à partir de 1' })),
              pageSize: Type.Optional(
                Type.String({
                  pattern: '^[1-9][0-9]{0,2}$',
                  description: `de 1 à ${RIGHTS_REQUESTS_MAX_PAGE_SIZE} (20 par défaut)`,
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              page: Type.Integer(),
              pageSize: Type.Integer(),
              total: Type.Integer(),
              open: Type.Integer({ description: 'demandes en cours parmi celles qui répondent aux filtres' }),
              overdue: Type.Integer({
                description: 'demandes en cours en retard parmi celles qui répondent aux filtres',
              }),
              items: Type.Array(Loose),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const pageSize = Number(request.query.pageSize ?? 20);
        if (pageSize > RIGHTS_REQUESTS_MAX_PAGE_SIZE)
          throw new ValidationError([
            { field: 'query.pageSize', rule: 'maximum', message: `au plus ${RIGHTS_REQUESTS_MAX_PAGE_SIZE}` },
          ]);
        return requests.queue({
          ...(request.query.status ? { status: request.query.status } : {}),
          ...(request.query.overdue ? { overdue: request.query.overdue === 'true' } : {}),
          page: Number(request.query.page ?? 1),
          pageSize,
        });
      },
    );

    app.get(
      '/:id',
      {
        ...dpo,
        schema: {
          tags,
          summary: 'Une demande : son historique et les actions que son état permet',
          security,
          params: IdParams,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => requests.view(request.params.id),
    );

    app.post(
      '/:id/ask-identity',
      {
        ...dpo,
        schema: {
          tags,
          summary: 'Demander au demandeur de confirmer son identité : le délai est suspendu',
          security,
          params: IdParams,
          body: Type.Optional(
            Type.Object(
              {
                note: Type.Optional(
                  Type.String({ maxLength: 5000, description: 'ce qui est demandé (la personne le lit)' }),
                ),
              },
              { additionalProperties: false },
            ),
          ),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => requests.askIdentity(request.params.id, request.body?.note, by(request)),
    );

    app.post(
      '/:id/confirm-identity',
      {
        ...dpo,
        schema: {
          tags,
          summary: 'L’identité est confirmée : le délai reprend, reporté du temps de suspension',
          security,
          params: IdParams,
          body: Type.Object(
            {
              method: Type.Enum([...DESK_METHODS]),
              note: Type.Optional(Type.String({ maxLength: 5000 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) =>
        requests.confirmIdentity(
          request.params.id,
          { method: request.body.method, ...(request.body.note !== undefined ? { note: request.body.note } : {}) },
          by(request),
        ),
    );

    app.post(
      '/:id/start',
      {
        ...dpo,
        schema: {
          tags,
          summary: 'Commencer le traitement d’une demande dont l’identité est vérifiée',
          security,
          params: IdParams,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => requests.start(request.params.id, by(request)),
    );

    app.post(
      '/:id/extend',
      {
        ...sensitive,
        schema: {
          tags,
          summary:
            'Prolonger le délai à trois mois (RGPD art. 12.3) : avant la première échéance, avec un avis motivé envoyé aussitôt à la personne',
          security,
          params: IdParams,
          body: Type.Object(
            {
              reasons: Type.String({ minLength: 10, maxLength: 5000, description: 'les raisons, que la personne lit' }),
              notice: Type.Enum([...ANSWER_CHANNELS], {
                description: 'comment l’avis lui parvient (toujours aussi dans son espace)',
              }),
            },
            { additionalProperties: false },
          ),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) =>
        requests.extend(request.params.id, { reasons: request.body.reasons, notice: request.body.notice }, by(request)),
    );

    app.post(
      '/:id/answer',
      {
        ...sensitive,
        schema: {
          tags,
          summary:
            'Répondre : satisfaite, en partie ou refusée (un refus donne son motif, son fondement et la possibilité de saisir la CNIL)',
          security,
          params: IdParams,
          body: Type.Object(
            {
              outcome: Type.Enum([...OUTCOMES]),
              channel: Type.Enum([...ANSWER_CHANNELS], { description: 'espace personnel, courriel ou courrier' }),
              message: Type.Optional(
                Type.String({ maxLength: 5000, description: 'ce qui a été fait, ce qui est joint' }),
              ),
              refusal: Type.Optional(
                Type.Object(
                  {
                    reason: Type.Enum([...REFUSAL_REASON_CODES]),
                    organisationId: Type.Optional(
                      Type.String({ format: 'uuid', description: 'opposition : l’organisation du traitement visé' }),
                    ),
                    purpose: Type.Optional(
                      Type.String({ minLength: 1, maxLength: 64, description: 'opposition : la finalité visée' }),
                    ),
                  },
                  { additionalProperties: false },
                ),
              ),
              restrictedClasses: Type.Optional(
                Type.Array(FieldClassSchema, {
                  minItems: 1,
                  maxItems: FIELD_CLASSES.length,
                  uniqueItems: true,
                  description:
                    'limitation (RGPD art. 18) satisfaite, même en partie : les classes de données dont le traitement est limité, dans la même transaction que la réponse',
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => {
        const body = request.body;
        return requests.answer(
          request.params.id,
          {
            outcome: body.outcome,
            channel: body.channel,
            ...(body.message !== undefined ? { message: body.message } : {}),
            ...(body.refusal
              ? {
                  refusal: {
                    reason: body.refusal.reason,
                    ...(body.refusal.organisationId ? { organisationId: body.refusal.organisationId } : {}),
                    ...(body.refusal.purpose ? { purpose: body.refusal.purpose } : {}),
                  },
                }
              : {}),
            ...(body.restrictedClasses ? { restrictedClasses: body.restrictedClasses } : {}),
          },
          by(request),
        );
      },
    );

    app.post(
      '/:id/close',
      {
        ...dpo,
        schema: {
          tags,
          summary: 'Clore une demande répondue',
          security,
          params: IdParams,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => requests.close(request.params.id, by(request)),
    );

    app.get(
      '/:id/letter',
      {
        ...sensitive,
        schema: {
          tags,
          summary: 'La réponse en courrier PDF (l’adresse est lue dans le dossier, et cette lecture est journalisée)',
          security,
          params: IdParams,
          response: { 200: Type.Unknown({ description: 'application/pdf' }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const letter = await requests.letter(request.params.id, by(request));
        return reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="${letter.reference}.pdf"`)
          .header('cache-control', 'no-store')
          .send(letter.content);
      },
    );
  };
}
