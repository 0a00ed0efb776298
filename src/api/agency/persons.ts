import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { canonicalNewPerson, canonicalPersonPatch, FIELD_CLASSES, NewPersonSchema, PersonPatchSchema } from '../../domain/index.ts';
import { BOOTSTRAP_ROLE } from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { requireRole } from '../auth.ts';
import { errorResponses, LookupBodySchema, PersonIdParams, PersonRecordSchema } from '../schemas.ts';

/**
 * The agency's file API. Until the policy layer (purpose, agreement, relationship) exists,
 * only the bootstrap administrator may call it, and it sees whole files.
 */
export function agencyPersonRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Before the body is even parsed: an unauthenticated caller learns nothing, not even the schema.
    app.addHook('onRequest', requireRole(runtime.database.db, [BOOTSTRAP_ROLE]));
    const security = [{ bearer: [] }];

    app.post(
      '/persons',
      { schema: { tags: ['dossiers'], summary: 'Créer un dossier', security, body: NewPersonSchema, response: { 201: Type.Object({ id: Type.String({ format: 'uuid' }) }), ...errorResponses } } },
      async (request, reply) => {
        const id = await runtime.persons.create(canonicalNewPerson(request.body, 'body'));
        request.log.info({ personId: id, actorId: request.actor?.id }, 'person created');
        return reply.status(201).send({ id });
      },
    );

    app.get(
      '/persons/:id',
      { schema: { tags: ['dossiers'], summary: 'Lire un dossier entier', security, params: PersonIdParams, response: { 200: PersonRecordSchema, ...errorResponses } } },
      async (request) => runtime.persons.read(request.params.id, FIELD_CLASSES),
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
      async (request) => {
        await runtime.persons.update(request.params.id, canonicalPersonPatch(request.body, 'body'));
        request.log.info({ personId: request.params.id, actorId: request.actor?.id }, 'person updated');
        return runtime.persons.read(request.params.id, FIELD_CLASSES);
      },
    );

    app.post(
      '/persons/lookup',
      {
        schema: {
          tags: ['dossiers'],
          summary: 'Retrouver un dossier par identifiant exact (NIR, courriel, identifiant France Travail), sans rien déchiffrer',
          security,
          body: LookupBodySchema,
          response: { 200: Type.Object({ personIds: Type.Array(Type.String()) }), ...errorResponses },
        },
      },
      async (request) => ({ personIds: await runtime.persons.lookup(request.body.kind, request.body.value) }),
    );
  };
}
