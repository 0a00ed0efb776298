import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ConflictError, NotFoundError, ValidationError, type FieldClass } from '../../domain/index.ts';
import { GuardUnavailableError } from '../../guard/index.ts';
import { networkOf } from '../../identity/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import {
  IMPORT_MAX_RECORDS,
  IMPORT_SOURCES,
  RegistrationInputSchema,
  type ImportResult,
} from '../../registration/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { matchedFiles } from '../registration-matches.ts';
import {
  accessErrorResponses,
  answerRefusal,
  callerOf,
  guardedActor,
  purposeOr422,
  refuse,
  refusedByGuard,
} from '../access.ts';
import { requireMachineClient } from '../machine.ts';

const tags = ['inscription'];
const security = [{ bearer: [] }];

/** What an imported registration writes: the classes of a new file (never bank, health or judicial data). */
export const IMPORT_CLASSES: FieldClass[] = ['identity', 'nir', 'contact', 'career', 'registration'];

const ImportBody = Type.Object(
  {
    records: Type.Array(RegistrationInputSchema, {
      minItems: 1,
      maxItems: IMPORT_MAX_RECORDS,
      description: `de 1 à ${IMPORT_MAX_RECORDS} inscriptions, chacune avec une adresse postale (la personne est avertie par courrier)`,
    }),
  },
  { additionalProperties: false },
);

const RecordResult = Type.Object({
  index: Type.Integer(),
  outcome: Type.Enum(['registered', 'held_as_duplicate']),
  personId: Type.Optional(Type.String()),
  franceTravailId: Type.Optional(Type.String()),
  category: Type.Optional(Type.String()),
  reviewId: Type.Optional(Type.String()),
});

const IMPORT_NOT_ALLOWED =
  'Seuls un département (allocataires du RSA), une mission locale (jeunes) et Cap emploi inscrivent des personnes par import.';

/**
 * Registration by import (issue 25 §1): a département's RSA applicants, a mission locale's young
 * people, Cap emploi's referrals, sent in a batch by the partner's information system as a
 * machine client (client credentials, `private_key_jwt`, as employers' certificates are), under
 * its agreement's purpose (`Rempart-Purpose`) with the batch's reference (`Rempart-Case-Reference`).
 *
 * All or nothing: every record is checked first (a 400 listing each bad field as
 * `body.records.<index>.<field>`, nothing written); the batch is decided as a write of the new
 * files' classes; the guard counts every record in the system's windows like a read — the hourly
 * budget is a quarter of the agreement's daily ceiling, so a hacked system importing en masse is
 * contained and its batch refused whole; then, in the guard's transaction, the batch, each file (or
 * the candidate held for an agent when it matches one), each notice letter and every event commit
 * together, or none of them does.
 */
export function partnerRegistrationRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireMachineClient(db));

    app.post(
      '/imports',
      {
        schema: {
          tags,
          summary:
            'Inscrire un lot de personnes orientées par le partenaire (allocataires du RSA, jeunes, orientations Cap emploi) : tout le lot ou rien',
          security,
          body: ImportBody,
          response: {
            201: Type.Object({
              batch: Type.String(),
              registered: Type.Integer(),
              held: Type.Integer(),
              records: Type.Array(RecordResult),
            }),
            ...accessErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const records = runtime.intake.validateBatch(request.body.records);
        const context = { operation: 'import_registrations' };
        const purpose = await purposeOr422(db, request, reply, context);
        if (!purpose) return reply;
        const client = request.machineClient!;
        // The token narrows the agreement: a purpose outside its scope is refused like one the role may not use.
        if (!client.purposes.includes(purpose.purpose))
          return refuse(db, request, reply, 'role_not_allowed', context, purpose);
        const organisation = await db
          .selectFrom('organisations')
          .select('kind')
          .where('id', '=', client.organisationId)
          .executeTakeFirstOrThrow();
        const source = IMPORT_SOURCES[organisation.kind];
        if (!source) {
          await appendEvent(db, 'access_denied', {
            actorId: client.actorId,
            purpose: purpose.purpose,
            caseReference: purpose.caseReference,
            operation: context.operation,
            details: { reason: 'import_not_allowed' },
          });
          return reply
            .status(403)
            .send({ error: 'import_not_allowed', message: IMPORT_NOT_ALLOWED, requestId: request.id });
        }
        const caller = callerOf(request, purpose);
        const decision = await runtime.access.decideWithoutPerson(caller, 'write', IMPORT_CLASSES);
        if (!decision.allowed)
          return answerRefusal(db, request, reply, { outcome: 'denied', decision }, context, purpose);

        const ids = records.map(() => randomUUID());
        // The files the records match are counted too (see matchedFiles): a decoy among them contains the system.
        const matched = await matchedFiles(runtime, records);
        let result: ImportResult | undefined;
        const admission = await runtime.guard
          .admit(
            {
              actor: guardedActor(request)!,
              network: networkOf(request.ip),
              purpose: decision.purpose,
              dailyCeiling: decision.obligations.dailyCeiling,
              followUpExpected: false,
              personIds: [...ids, ...matched],
            },
            async (trx) => {
              result = await runtime.intake.importBatch(
                trx,
                {
                  actorId: client.actorId,
                  organisationId: client.organisationId,
                  clientId: client.clientId,
                  source,
                  purpose: decision.purpose,
                },
                purpose.caseReference,
                records,
                ids,
              );
            },
          )
          .catch((error: unknown) => {
            const cause = error instanceof GuardUnavailableError ? error.cause : undefined;
            throw cause instanceof ValidationError || cause instanceof ConflictError || cause instanceof NotFoundError
              ? cause
              : error;
          });
        if (await refusedByGuard(db, request, reply, admission, context, purpose)) return reply;
        const done = result!;
        const registered = done.records.filter((r) => r.outcome === 'registered').length;
        request.log.info({ batch: done.batchId, records: done.records.length, registered }, 'registrations imported');
        return reply.status(201).send({
          batch: done.batchId,
          registered,
          held: done.records.length - registered,
          records: done.records.map((r) =>
            r.outcome === 'registered'
              ? {
                  index: r.index,
                  outcome: r.outcome,
                  personId: r.personId,
                  franceTravailId: r.franceTravailId,
                  category: r.category,
                }
              : { index: r.index, outcome: r.outcome, reviewId: r.reviewId },
          ),
        });
      },
    );
  };
}
