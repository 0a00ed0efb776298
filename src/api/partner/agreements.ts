import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { withinScope } from '../../identity/index.ts';
import { activeAgreements } from '../../policy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { requireMachineClient } from '../machine.ts';
import { ErrorSchema, FieldClassSchema } from '../schemas.ts';

const PartnerAgreementsSchema = Type.Object({
  organisation: Type.Object({ id: Type.String(), name: Type.String(), kind: Type.String() }),
  scope: Type.Array(Type.String()),
  agreements: Type.Array(
    Type.Object({
      reference: Type.String(),
      version: Type.Integer(),
      legalBasis: Type.String(),
      validFrom: Type.String(),
      validUntil: Type.String(),
      purposes: Type.Array(
        Type.Object({
          purpose: Type.String(),
          label: Type.String(),
          read: Type.Array(FieldClassSchema, { description: 'classes de données lisibles pour cette finalité' }),
          write: Type.Array(FieldClassSchema, { description: 'classes de données modifiables pour cette finalité' }),
        }),
      ),
    }),
  ),
});

/** What a partner information system may ask for: the API of machine clients, by access token. */
export function partnerAgreementRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireMachineClient(db));
    const security = [{ bearer: [] }];

    app.get(
      '/agreements',
      {
        schema: {
          tags: ['partenaires'],
          summary: 'Conventions actives de l’organisation du client, limitées aux finalités du jeton',
          security,
          response: { 200: PartnerAgreementsSchema, 401: ErrorSchema },
        },
      },
      async (request) => {
        const client = request.machineClient!;
        const organisation = await db
          .selectFrom('organisations')
          .select(['id', 'name', 'kind'])
          .where('id', '=', client.organisationId)
          .executeTakeFirstOrThrow();
        // Read again on each call: an agreement suspended since the token was issued is not shown.
        const agreements = withinScope(await activeAgreements(db, client.organisationId), client.purposes);
        return {
          organisation,
          scope: client.purposes,
          agreements: agreements.map(({ reference, version, legalBasis, validFrom, validUntil, purposes }) => ({
            reference,
            version,
            legalBasis,
            validFrom,
            validUntil,
            purposes,
          })),
        };
      },
    );
  };
}
