import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ValidationError } from '../../domain/index.ts';
import { activeJobSeekerAccountOf, channelAddresses, sendMessage } from '../../identity/index.ts';
import {
  authorizeWithoutPerson,
  CALLER_CODE_MINUTES,
  confirmCallerVerification,
  startBlankVerification,
  startCallerVerification,
  type CallerConfirmation,
} from '../../policy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { messengerOf } from '../messenger.ts';
import {
  accessErrorResponses as staffErrorResponses,
  guardedActor,
  purposeOr422,
  refuse,
  refusedByGuard,
} from '../access.ts';
import type { SearchCriterion } from '../../guard/index.ts';

const tags = ['agents'];
const security = [{ cookieAuth: [] }];

const VerifyBody = Type.Object(
  {
    personId: Type.Optional(Type.String({ format: 'uuid' })),
    franceTravailId: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);

/** What the operator is told when a confirmation does not open the file. */
const CONFIRMATION_REFUSALS: Record<
  Exclude<CallerConfirmation['outcome'], 'verified'>,
  { status: 400 | 403 | 404 | 409; message: string }
> = {
  not_found: { status: 404, message: 'Vérification inconnue.' },
  already_verified: { status: 409, message: 'Cette vérification a déjà été confirmée.' },
  code_expired: { status: 403, message: 'Code expiré : recommencez la vérification.' },
  code_burned: { status: 403, message: 'Trop d’essais : recommencez la vérification.' },
  code_invalid: { status: 400, message: 'Code incorrect.' },
};

/**
 * A call-centre operator sees a caller's file only once the caller proved who they are: a code
 * goes to the person's own verified channel, the caller reads it out, the operator types it.
 * The proof lasts VERIFIED_CALLER_MINUTES, for this operator and this person only.
 */
export function callerVerificationRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.post(
      '/callers/verify',
      {
        schema: {
          tags,
          summary: 'Vérifier l’identité d’un appelant : un code à 8 chiffres part vers son canal vérifié',
          security,
          body: VerifyBody,
          response: { 202: Type.Object({ id: Type.String(), expiresAt: Type.String() }), ...staffErrorResponses },
        },
      },
      async (request, reply) => {
        const given = (['personId', 'franceTravailId'] as const).filter((k) => request.body[k] !== undefined);
        if (given.length !== 1)
          throw new ValidationError([
            { field: 'body', rule: 'oneOf', message: 'un seul identifiant : personId ou franceTravailId' },
          ]);
        const purpose = await purposeOr422(db, request, reply, { operation: 'verify_caller' });
        if (!purpose) return reply;
        const now = new Date();
        const decision = await authorizeWithoutPerson(db, {
          actorId: request.staff!.actorId,
          purpose: purpose.purpose,
          caseReference: purpose.caseReference,
          operation: 'read',
          clientAddress: request.ip,
          now,
        });
        if (!decision.allowed)
          return refuse(db, request, reply, decision.reason, { operation: 'verify_caller' }, purpose);
        if (decision.relationship !== 'verified_caller')
          return refuse(db, request, reply, 'operation_not_granted', { operation: 'verify_caller' }, purpose);

        const personId =
          request.body.personId ??
          (await runtime.persons.lookup('france_travail_id', request.body.franceTravailId!))[0];
        const account = personId ? await activeJobSeekerAccountOf(db, personId) : undefined;
        const channels = account ? await channelAddresses(db, runtime.keyring, account.id, { verifiedOnly: true }) : [];
        const reachable = personId !== undefined && channels.length > 0;
        // A caller check is a search by identifier: the guard counts it, and a run of checks that
        // reach nobody (someone walking a list of identifiers) contains the operator.
        const criterion: SearchCriterion =
          request.body.franceTravailId !== undefined
            ? { kind: 'france_travail_id', value: request.body.franceTravailId }
            : { kind: 'person_id', value: request.body.personId! };
        const admission = await runtime.guard.noteSearch(
          guardedActor(request)!,
          criterion,
          personId ? [personId] : [],
          reachable ? 1 : 0,
        );
        if (
          await refusedByGuard(
            db,
            request,
            reply,
            admission,
            { operation: 'verify_caller', ...(personId ? { personId } : {}) },
            purpose,
          )
        )
          return reply;
        // Unknown person, no account, or no verified channel: the same answer as a code sent, and a
        // confirmation that fails as a wrong code does, so that the answers tell nobody apart.
        if (!reachable) {
          const blank = await startBlankVerification(db, { actorId: request.staff!.actorId, personId, now });
          return reply.status(202).send(blank);
        }
        const { id, expiresAt, code } = await startCallerVerification(db, {
          actorId: request.staff!.actorId,
          personId,
          purpose: purpose.purpose,
          caseReference: purpose.caseReference,
          now,
        });
        const m = messengerOf(runtime);
        for (const channel of channels) {
          await sendMessage(
            m,
            'caller_verification',
            {
              channel: channel.kind,
              to: channel.address,
              subject: 'France Travail : votre code de vérification',
              body: `Votre code de vérification pour l’appel en cours : ${code}\nNe le donnez qu’au conseiller avec qui vous êtes en ligne. Il expire dans ${CALLER_CODE_MINUTES} minutes.\nSi vous n’êtes pas en train d’appeler, ignorez ce message.`,
            },
            { accountId: account!.id },
          );
        }
        return reply.status(202).send({ id, expiresAt });
      },
    );

    app.post(
      '/callers/:id/confirm',
      {
        schema: {
          tags,
          summary:
            'Saisir le code lu par l’appelant : son dossier devient visible pour cet opérateur, quelques minutes',
          security,
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
          body: Type.Object({ code: Type.String({ pattern: '^[0-9 -]{8,12}$' }) }, { additionalProperties: false }),
          response: {
            200: Type.Object({ personId: Type.String(), verifiedUntil: Type.String() }),
            ...staffErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const confirmed = await confirmCallerVerification(db, {
          id: request.params.id,
          actorId: request.staff!.actorId,
          code: request.body.code,
          now: new Date(),
        });
        if (confirmed.outcome === 'verified')
          return { personId: confirmed.personId, verifiedUntil: confirmed.verifiedUntil };
        const refusal = CONFIRMATION_REFUSALS[confirmed.outcome];
        return reply
          .status(refusal.status)
          .send({ error: confirmed.outcome, message: refusal.message, requestId: request.id });
      },
    );
  };
}
