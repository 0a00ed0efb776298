import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { REACH_METHODS, type AgentRequestKind, type ReachMethod } from '../../bank/index.ts';
import type { FieldClass } from '../../domain/index.ts';
import type { AccessDecision } from '../../policy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import { accessErrorResponses, admitted, callerOf, purposeOr422, refuse } from '../access.ts';
import {
  AgentRequestBody,
  BankDetailsBody,
  ChangeOutcomeView,
  ChangeView,
  ContactChangeView,
  HoldBody,
  HoldView,
  NoteBody,
} from '../bank/schemas.ts';
import type { DeclaredPurpose } from '../purpose.ts';
import { requireRecentSecondFactor } from '../session.ts';

const tags = ['agents', 'coordonnées bancaires'];
const security = [{ cookieAuth: [] }];
type Allowed = Extract<AccessDecision, { allowed: true }>;

/**
 * Bank details seen from the agency: an indemnisation agent enters a change on the person's
 * documented request (the same checks, notices and cooling-off as the person's own), verifies
 * held changes and lifts holds; a counsellor places a hold on a person they follow. Every
 * route is decided by the policy under the declared purpose, like any access to a file.
 */
export function staffBankRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;

  /** The decision for this person, or the refusal recorded and answered (undefined). */
  async function decided(
    request: FastifyRequest,
    reply: FastifyReply,
    personId: string,
    operation: 'read' | 'write',
    classes: FieldClass[],
    label: string,
  ): Promise<{ decision: Allowed; purpose: DeclaredPurpose } | undefined> {
    const purpose = await purposeOr422(db, request, reply, { operation: label, personId });
    if (!purpose) return undefined;
    const decision = await runtime.access.decide(callerOf(request, purpose), personId, operation, classes);
    if (!decision.allowed) {
      await refuse(db, request, reply, decision.reason, { operation: label, personId }, purpose);
      return undefined;
    }
    return { decision, purpose };
  }

  const eventOf = (request: FastifyRequest, granted: { decision: Allowed }) => ({
    actorId: request.staff!.actorId,
    organisationId: request.staff!.organisationId,
    purpose: granted.decision.purpose,
    caseReference: granted.decision.caseReference,
  });
  const PersonParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

  return async (app) => {
    app.get(
      '/persons/:id/bank-details',
      {
        schema: {
          tags,
          summary: 'Coordonnées bancaires d’un dossier : modifications (IBAN masqué) et mises sous surveillance',
          security,
          params: PersonParams,
          response: {
            200: Type.Object({
              changes: Type.Array(ChangeView),
              holds: Type.Array(HoldView),
              contactChanges: Type.Array(ContactChangeView),
            }),
            ...accessErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const personId = request.params.id;
        const granted = await decided(request, reply, personId, 'read', ['bank'], 'read_bank_changes');
        if (!granted) return reply;
        if (!(await admitted(db, request, reply, granted.decision, [personId], 'read_bank_changes'))) return reply;
        await runtime.bank.settleDue(personId);
        return {
          changes: await runtime.bank.changes(personId),
          holds: await runtime.bank.holds(personId),
          contactChanges: await runtime.bank.contactChanges(personId),
        };
      },
    );

    app.post(
      '/persons/:id/bank-details/changes',
      {
        schema: {
          tags,
          summary:
            'Saisir un changement de compte sur demande écrite de la personne (mêmes contrôles, avis et délai que sa propre demande)',
          security,
          params: PersonParams,
          body: Type.Object({ ...BankDetailsBody, request: AgentRequestBody }, { additionalProperties: false }),
          response: { 201: ChangeOutcomeView, ...accessErrorResponses },
        },
        preHandler: requireRecentSecondFactor(db),
      },
      async (request, reply) => {
        const personId = request.params.id;
        const granted = await decided(request, reply, personId, 'write', ['bank'], 'bank_change');
        if (!granted) return reply;
        const { request: documented, ...details } = request.body;
        const outcome = await runtime.bank.requestChange(personId, details, {
          via: 'agent',
          actorId: request.staff!.actorId,
          organisationId: request.staff!.organisationId,
          purpose: granted.decision.purpose,
          caseReference: granted.decision.caseReference,
          requestKind: documented.kind as AgentRequestKind,
          requestReference: documented.reference,
        });
        return reply.status(201).send(outcome);
      },
    );

    app.post(
      '/persons/:id/bank-details/changes/:changeId/verify',
      {
        schema: {
          tags,
          summary:
            'Vérifier une modification en attente (après avoir joint la personne) : l’approuver ou la refuser ; si les coordonnées ont changé récemment, seul un agent d’une autre équipe l’approuve, en indiquant comment il a joint la personne',
          security,
          params: Type.Object(
            { id: Type.String({ format: 'uuid' }), changeId: Type.String({ format: 'uuid' }) },
            { additionalProperties: false },
          ),
          body: Type.Object(
            {
              decision: Type.Enum(['approve', 'reject']),
              note: NoteBody.properties.note,
              reached: Type.Optional(
                Type.Enum(Object.keys(REACH_METHODS), {
                  description:
                    'comment la personne a été jointe, par un moyen connu avant tout changement récent de ses coordonnées (exigé pour approuver quand elles ont changé)',
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: ChangeView, ...accessErrorResponses },
        },
        preHandler: requireRecentSecondFactor(db),
      },
      async (request, reply) => {
        const personId = request.params.id;
        const granted = await decided(request, reply, personId, 'write', ['bank'], 'bank_change_verification');
        if (!granted) return reply;
        return runtime.bank.verifyChange(
          request.params.changeId,
          personId,
          request.staff!.actorId,
          request.body.decision as 'approve' | 'reject',
          request.body.note,
          eventOf(request, granted),
          request.body.reached as ReachMethod | undefined,
        );
      },
    );

    app.post(
      '/persons/:id/bank-details/holds',
      {
        schema: {
          tags,
          summary:
            'Placer les coordonnées bancaires d’une personne suivie sous surveillance : toute modification sera vérifiée par un agent',
          security,
          params: PersonParams,
          body: HoldBody,
          response: { 201: Type.Object({ id: Type.String() }), ...accessErrorResponses },
        },
      },
      async (request, reply) => {
        const personId = request.params.id;
        // Whoever may open the person's file for their purpose (the counsellor who follows them, an agent) may protect it.
        const granted = await decided(request, reply, personId, 'read', ['identity'], 'bank_hold');
        if (!granted) return reply;
        const source = request.staff!.roles.includes('indemnisation_agent') ? 'agent' : 'counsellor';
        const id = await runtime.bank.placeHold(
          personId,
          {
            source,
            reason: request.body.reason as 'counsellor_concern',
            note: request.body.note,
            placedBy: request.staff!.actorId,
          },
          eventOf(request, granted),
        );
        return reply.status(201).send({ id });
      },
    );

    app.post(
      '/persons/:id/bank-details/holds/:holdId/lift',
      {
        schema: {
          tags,
          summary: 'Lever une mise sous surveillance après vérification (agent d’indemnisation)',
          security,
          params: Type.Object(
            { id: Type.String({ format: 'uuid' }), holdId: Type.String({ format: 'uuid' }) },
            { additionalProperties: false },
          ),
          body: NoteBody,
          response: { 204: Type.Null(), ...accessErrorResponses },
        },
        preHandler: requireRecentSecondFactor(db),
      },
      async (request, reply) => {
        const personId = request.params.id;
        const granted = await decided(request, reply, personId, 'write', ['bank'], 'bank_hold_lift');
        if (!granted) return reply;
        await runtime.bank.liftHold(
          request.params.holdId,
          personId,
          request.staff!.actorId,
          request.body.note,
          eventOf(request, granted),
        );
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/bank-details/awaiting-verification',
      {
        schema: {
          tags,
          summary:
            'Modifications de coordonnées bancaires à vérifier, pour les dossiers de mon périmètre (identifiants et motifs seulement)',
          security,
          response: {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  id: Type.String(),
                  personId: Type.String(),
                  requestedAt: Type.String(),
                  requestedVia: Type.String(),
                  reasons: Type.Array(Type.String()),
                }),
              ),
            }),
            ...accessErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const purpose = await purposeOr422(db, request, reply, { operation: 'list_bank_changes' });
        if (!purpose) return reply;
        const caller = callerOf(request, purpose);
        const allowed = await runtime.access.decideWithoutPerson(caller, 'write', ['bank']);
        if (!allowed.allowed)
          return refuse(db, request, reply, allowed.reason, { operation: 'list_bank_changes' }, purpose);
        const waiting = await runtime.bank.awaitingVerification();
        const decisions = await runtime.access.decideEach(
          caller,
          waiting.map((w) => w.personId),
          'write',
          ['bank'],
        );
        const items = waiting.filter((_, i) => decisions[i]!.allowed);
        await appendEvent(db, 'access_granted', {
          actorId: request.staff!.actorId,
          purpose: allowed.purpose,
          caseReference: allowed.caseReference,
          operation: 'list_bank_changes',
          details: { count: items.length },
        });
        return { items };
      },
    );
  };
}
