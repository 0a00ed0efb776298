import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Runtime } from '../../runtime/index.ts';
import {
  accessErrorResponses,
  ClassesQuery,
  DecisionViewSchema,
  parseClasses,
  pipelineRead,
  purposeOr422,
  refuse,
} from '../access.ts';
import { requireMachineClient } from '../machine.ts';
import { PersonIdParams, PersonRecordSchema } from '../schemas.ts';

const PartnerPersonView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Enum(['active', 'erased']),
  fields: PersonRecordSchema.properties.fields,
  decision: DecisionViewSchema,
});

/**
 * A partner information system reads a file as its staff would: same decision (its machine
 * actor holds the `partner_system` role the partner's purposes name), same relationship (the
 * person referred to its organisation), and the declared purpose must also be one its access
 * token was granted.
 */
export function partnerPersonRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireMachineClient(db));
    app.get(
      '/persons/:id',
      {
        schema: {
          tags: ['partenaires'],
          summary:
            'Lire un dossier orienté vers l’organisation : les seules classes que la convention accorde à la finalité déclarée',
          security: [{ bearer: [] }],
          params: PersonIdParams,
          querystring: ClassesQuery,
          response: { 200: PartnerPersonView, ...accessErrorResponses },
        },
      },
      async (request, reply) => {
        const personId = request.params.id;
        const classes = parseClasses(request.query.classes);
        const purpose = await purposeOr422(db, request, reply, { operation: 'read', personId });
        if (!purpose) return reply;
        const client = request.machineClient!;
        // The token narrows the agreement: a purpose outside its scope is refused like one the role may not use.
        if (!client.purposes.includes(purpose.purpose))
          return refuse(db, request, reply, 'role_not_allowed', { operation: 'read', personId }, purpose);
        return (await pipelineRead(db, runtime.access, request, reply, purpose, personId, classes)) ?? reply;
      },
    );
  };
}
