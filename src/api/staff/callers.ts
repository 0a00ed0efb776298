import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ValidationError } from '../../domain/index.ts';
import { channelAddresses, CODE_MAX_ATTEMPTS, sendMessage } from '../../identity/index.ts';
import { authorizeWithoutPerson, VERIFIED_CALLER_MINUTES } from '../../policy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { inTransaction, type Executor } from '../../store/index.ts';
import { messengerOf } from '../messenger.ts';
import {
  accessErrorResponses as staffErrorResponses,
  guardedActor,
  purposeOr422,
  refuse,
  refusedByGuard,
} from '../access.ts';
import type { SearchCriterion } from '../../guard/index.ts';
import { appendEvent } from '../../ledger/index.ts';

const tags = ['agents'];
const security = [{ cookieAuth: [] }];

/** How long the code sent to the caller stays good (they read it out during the call). */
export const CALLER_CODE_MINUTES = 10;

const VerifyBody = Type.Object(
  {
    personId: Type.Optional(Type.String({ format: 'uuid' })),
    franceTravailId: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);

function codeHash(id: string, code: string): string {
  return createHash('sha256').update(`caller\u0000${id}\u0000${code}`).digest('hex');
}

/**
 * Checks that reached nobody (unknown person, no account, no verified channel), answered as
 * if a code had gone out: their confirmations fail as wrong codes do, burn after as many tries
 * and expire as late, so the confirmation step does not tell them apart either, whichever
 * server process it reaches. A blank names no person: a person id the operator made up never
 * becomes a row of the store.
 */
const blanks = {
  async issue(db: Executor, id: string, actorId: string, now: Date, expiresAt: string): Promise<void> {
    await db.deleteFrom('caller_blank_verifications').where('expires_at', '<', now.toISOString()).execute();
    await db
      .insertInto('caller_blank_verifications')
      .values({ id, actor_id: actorId, attempts: 0, created_at: now.toISOString(), expires_at: expiresAt })
      .execute();
  },

  /** A confirmation of a blank: how a real one with a wrong code would end; undefined when it is not this actor's blank. */
  async attempt(
    db: Executor,
    id: string,
    actorId: string,
    now: Date,
  ): Promise<'invalid' | 'burned' | 'burned_before' | 'expired' | undefined> {
    const blank = await db
      .selectFrom('caller_blank_verifications')
      .select(['attempts', 'expires_at'])
      .where('id', '=', id)
      .where('actor_id', '=', actorId)
      .executeTakeFirst();
    if (!blank) return undefined;
    if (blank.attempts >= CODE_MAX_ATTEMPTS) return 'burned_before';
    if (Date.parse(blank.expires_at) <= now.getTime()) return 'expired';
    await db
      .updateTable('caller_blank_verifications')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .execute();
    return blank.attempts + 1 >= CODE_MAX_ATTEMPTS ? 'burned' : 'invalid';
  },
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
        const account = personId
          ? await db
              .selectFrom('accounts')
              .select('id')
              .where('person_id', '=', personId)
              .where('kind', '=', 'job_seeker')
              .where('status', '=', 'active')
              .executeTakeFirst()
          : undefined;
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
        const id = randomUUID();
        const expiresAt = new Date(now.getTime() + CALLER_CODE_MINUTES * 60_000).toISOString();
        // Unknown person, no account, or no verified channel: the same answer as a code sent, and a
        // confirmation that fails as a wrong code does, so that the answers tell nobody apart.
        if (!reachable) {
          await inTransaction(db, async (trx) => {
            await blanks.issue(trx, id, request.staff!.actorId, now, expiresAt);
            await appendEvent(trx, 'access_denied', {
              actorId: request.staff!.actorId,
              personId: personId ?? null,
              operation: 'verify_caller',
              details: { reason: 'no_verified_channel', verificationId: id },
            });
          });
          return reply.status(202).send({ id, expiresAt });
        }
        const code = String(randomInt(0, 100_000_000)).padStart(8, '0');
        // One transaction: the verification and its event, or neither.
        await inTransaction(db, async (trx) => {
          await trx
            .insertInto('caller_verifications')
            .values({
              id,
              person_id: personId,
              actor_id: request.staff!.actorId,
              code_hash: codeHash(id, code),
              attempts: 0,
              created_at: now.toISOString(),
              verified_at: null,
              expires_at: expiresAt,
            })
            .execute();
          await appendEvent(trx, 'caller_verification_started', {
            actorId: request.staff!.actorId,
            personId,
            purpose: purpose.purpose,
            caseReference: purpose.caseReference,
            operation: 'verify_caller',
            details: { verificationId: id },
          });
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
        const now = new Date();
        const row = await db
          .selectFrom('caller_verifications')
          .selectAll()
          .where('id', '=', request.params.id)
          .where('actor_id', '=', request.staff!.actorId)
          .executeTakeFirst();
        const fail = (status: 400 | 403 | 404 | 409, error: string, message: string) =>
          reply.status(status).send({ error, message, requestId: request.id });
        if (!row) {
          const blank = await blanks.attempt(db, request.params.id, request.staff!.actorId, now);
          if (blank === undefined) return fail(404, 'not_found', 'Vérification inconnue.');
          if (blank === 'expired') return fail(403, 'code_expired', 'Code expiré : recommencez la vérification.');
          if (blank === 'burned_before')
            return fail(403, 'code_burned', 'Trop d’essais : recommencez la vérification.');
          await appendEvent(db, 'access_denied', {
            actorId: request.staff!.actorId,
            operation: 'verify_caller',
            details: {
              reason: blank === 'burned' ? 'code_burned' : 'code_invalid',
              verificationId: request.params.id,
              blank: true,
            },
          });
          return blank === 'burned'
            ? fail(403, 'code_burned', 'Trop d’essais : recommencez la vérification.')
            : fail(400, 'code_invalid', 'Code incorrect.');
        }
        if (row.verified_at) return fail(409, 'already_verified', 'Cette vérification a déjà été confirmée.');
        if (row.attempts >= CODE_MAX_ATTEMPTS)
          return fail(403, 'code_burned', 'Trop d’essais : recommencez la vérification.');
        if (Date.parse(row.expires_at) <= now.getTime())
          return fail(403, 'code_expired', 'Code expiré : recommencez la vérification.');
        const presented = request.body.code.replace(/[\s-]/g, '');
        if (!timingSafeEqual(Buffer.from(row.code_hash, 'hex'), Buffer.from(codeHash(row.id, presented), 'hex'))) {
          const burned = row.attempts + 1 >= CODE_MAX_ATTEMPTS;
          await inTransaction(db, async (trx) => {
            await trx
              .updateTable('caller_verifications')
              .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
              .where('id', '=', row.id)
              .execute();
            await appendEvent(trx, 'access_denied', {
              actorId: request.staff!.actorId,
              personId: row.person_id,
              operation: 'verify_caller',
              details: { reason: burned ? 'code_burned' : 'code_invalid', verificationId: row.id },
            });
          });
          return burned
            ? fail(403, 'code_burned', 'Trop d’essais : recommencez la vérification.')
            : fail(400, 'code_invalid', 'Code incorrect.');
        }
        const verifiedUntil = new Date(now.getTime() + VERIFIED_CALLER_MINUTES * 60_000).toISOString();
        // One transaction: the proof that opens the file and its event, or neither.
        const verified = await inTransaction(db, async (trx) => {
          const updated = await trx
            .updateTable('caller_verifications')
            .set({ verified_at: now.toISOString(), expires_at: verifiedUntil })
            .where('id', '=', row.id)
            .where('verified_at', 'is', null)
            .where('attempts', '<', CODE_MAX_ATTEMPTS)
            .executeTakeFirst();
          if (Number(updated.numUpdatedRows) !== 1) return false;
          await appendEvent(trx, 'caller_verified', {
            actorId: request.staff!.actorId,
            personId: row.person_id,
            operation: 'verify_caller',
            details: { verificationId: row.id, verifiedUntil },
          });
          return true;
        });
        if (!verified) return fail(409, 'already_verified', 'Cette vérification a déjà été confirmée.');
        return { personId: row.person_id, verifiedUntil };
      },
    );
  };
}
