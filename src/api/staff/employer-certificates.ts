import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DisputeSchema } from '../../domain/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import {
  accessErrorResponses,
  answerRefusal,
  callerOf,
  decisionView,
  DecisionViewSchema,
  purposeOr422,
} from '../access.ts';
import { CertificateView, certificateViews, RELEASES_BENEFITS } from '../me/employer-certificates.ts';

const tags = ['agents'];
const security = [{ cookieAuth: [] }];

const Params = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const DisputeParams = Type.Object(
  { id: Type.String({ format: 'uuid' }), certificateId: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);

/**
 * An agent and a person's end-of-contract certificates (issue 25 §3): read them (a decided read
 * of `benefits`, recorded), and dispute one for the person (a decided write of `benefits`): the
 * dispute goes back to the employer as the person's own does.
 */
export function staffEmployerCertificateRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.get(
      '/persons/:id/employer-certificates',
      {
        schema: {
          tags,
          summary: 'Les attestations employeur d’une personne (lecture décidée de la classe benefits, journalisée)',
          security,
          params: Params,
          response: {
            200: Type.Object(
              { certificates: Type.Array(CertificateView), decision: DecisionViewSchema },
              RELEASES_BENEFITS,
            ),
            ...accessErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const personId = request.params.id;
        const purpose = await purposeOr422(db, request, reply, { operation: 'read_certificates', personId });
        if (!purpose) return reply;
        const result = await runtime.access.readCertificates(callerOf(request, purpose), personId);
        if (result.outcome !== 'read')
          return answerRefusal(db, request, reply, result, { operation: 'read_certificates', personId }, purpose);
        return {
          certificates: await certificateViews(runtime, result.records),
          decision: decisionView(result.decision),
        };
      },
    );

    app.post(
      '/persons/:id/employer-certificates/:certificateId/dispute',
      {
        schema: {
          tags,
          summary:
            'Contester une attestation employeur pour la personne (écriture décidée de la classe benefits) : elle est renvoyée à l’employeur',
          security,
          params: DisputeParams,
          body: DisputeSchema,
          response: {
            200: Type.Object({ id: Type.String(), status: Type.Literal('disputed'), decision: DecisionViewSchema }),
            ...accessErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const { id: personId, certificateId } = request.params;
        const purpose = await purposeOr422(db, request, reply, { operation: 'dispute_certificate', personId });
        if (!purpose) return reply;
        const result = await runtime.access.disputeCertificate(
          { caller: callerOf(request, purpose) },
          personId,
          certificateId,
          request.body,
        );
        if (result.outcome !== 'disputed')
          return answerRefusal(db, request, reply, result, { operation: 'dispute_certificate', personId }, purpose);
        return { id: certificateId, status: 'disputed' as const, decision: decisionView(result.decision!) };
      },
    );
  };
}
