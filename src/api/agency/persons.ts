import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  assertNoDirectBankWrite,
  canonicalNewPerson,
  canonicalPersonPatch,
  NewPersonSchema,
  PersonPatchSchema,
} from '../../domain/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { inTransaction } from '../../store/index.ts';
import { requireAbility } from '../auth.ts';
import { guardedActor, refusedByGuard } from '../access.ts';
import { networkOf } from '../../identity/index.ts';
import { errorResponses, LookupBodySchema, PersonIdParams, PersonRecordSchema } from '../schemas.ts';

/**
 * The agency's file API, for loading files: only the bootstrap administrator may call it, outside
 * the agreements (no purpose, no relationship), and it sees whole files. Reads and writes go
 * through the access pipeline (guard, event, then decryption), counted by the guard like anyone's.
 */
export function agencyPersonRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;

  return async (app) => {
    // Before the body is even parsed: an unauthenticated caller learns nothing, not even the schema.
    app.addHook('onRequest', requireAbility(runtime.database.db, 'load', 'person_files'));
    const security = [{ bearer: [] }];

    app.post(
      '/persons',
      {
        schema: {
          tags: ['dossiers'],
          summary: 'Créer un dossier',
          security,
          body: NewPersonSchema,
          response: { 201: Type.Object({ id: Type.String({ format: 'uuid' }) }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const file = canonicalNewPerson(request.body, 'body');
        const id = await inTransaction(runtime.database.db, async (trx) => {
          const created = await runtime.persons.create(file, { executor: trx });
          await appendEvent(trx, 'person_created', {
            personId: created,
            operation: 'create',
            classes: Object.keys(file),
            details: { via: 'bootstrap' },
          });
          return created;
        });
        request.log.info({ personId: id, actorId: request.actor?.id }, 'person created');
        return reply.status(201).send({ id });
      },
    );

    app.get(
      '/persons/:id',
      {
        schema: {
          tags: ['dossiers'],
          summary: 'Lire un dossier entier',
          security,
          params: PersonIdParams,
          response: { 200: PersonRecordSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const result = await runtime.access.readWhole(guardedActor(request)!, networkOf(request.ip), request.params.id);
        if (result.outcome !== 'read') {
          await refusedByGuard(db, request, reply, result.admission, {
            operation: 'read',
            personId: request.params.id,
          });
          return reply;
        }
        return result.record;
      },
    );

    app.patch(
      '/persons/:id',
      {
        schema: {
          tags: ['dossiers'],
          summary: 'Modifier des classes de données (null supprime une classe)',
          security,
          params: PersonIdParams,
          body: PersonPatchSchema,
          response: { 200: PersonRecordSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const patch = canonicalPersonPatch(request.body, 'body');
        assertNoDirectBankWrite(patch, 'POST /api/staff/persons/{id}/bank-details/changes');
        const result = await runtime.access.writeWhole(
          guardedActor(request)!,
          networkOf(request.ip),
          request.params.id,
          patch,
        );
        // A rewritten contact is announced on the channels known before it (nothing pending when the guard refused the write).
        if (patch.contact !== undefined) {
          // The write is committed: a failed announcement is retried by the scheduler (and the bank change stays held meanwhile).
          await runtime.bank
            .announceContactChanges(request.params.id)
            .catch((error: unknown) =>
              request.log.error({ err: { message: String(error) } }, 'contact change not announced yet'),
            );
        }
        if (result.outcome !== 'read') {
          await refusedByGuard(db, request, reply, result.admission, {
            operation: 'update',
            personId: request.params.id,
          });
          return reply;
        }
        request.log.info({ personId: request.params.id, actorId: request.actor?.id }, 'person updated');
        return result.record;
      },
    );

    app.post(
      '/persons/lookup',
      {
        schema: {
          tags: ['dossiers'],
          summary:
            'Retrouver un dossier par identifiant exact (NIR, courriel, identifiant France Travail), sans rien déchiffrer',
          security,
          body: LookupBodySchema,
          response: { 200: Type.Object({ personIds: Type.Array(Type.String()) }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const personIds = await runtime.persons.lookup(request.body.kind, request.body.value);
        const swept = await runtime.guard.noteSearch(
          guardedActor(request)!,
          { kind: request.body.kind, value: request.body.value },
          personIds,
          personIds.length,
        );
        if (await refusedByGuard(db, request, reply, swept, { operation: 'lookup' })) return reply;
        await appendEvent(runtime.database.db, 'person_search', {
          operation: 'lookup',
          details: { kind: request.body.kind, results: personIds.length, via: 'bootstrap' },
        });
        return { personIds };
      },
    );
  };
}
