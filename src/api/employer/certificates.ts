import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  CertificateSubmissionSchema,
  certificateIssues,
  DISPUTE_REASONS,
  ValidationError,
} from '../../domain/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import {
  accessErrorResponses,
  answerRefusal,
  callerOf,
  decisionView,
  DecisionViewSchema,
  purposeOr422,
  refuse,
} from '../access.ts';
import { requireMachineClient } from '../machine.ts';
import { RELEASES_BENEFITS } from '../me/employer-certificates.ts';

const tags = ['employeurs'];
const security = [{ bearer: [] }];

/** The one answer for a certificate that names no single file, whatever the cause: never whether a NIR exists. */
export const NOT_IDENTIFIED_MESSAGE =
  'Aucun dossier ne correspond à la fois à ce NIR et à cette date de naissance : vérifiez-les (l’attestation n’est pas enregistrée).';

const DisputedCertificateView = Type.Object({
  id: Type.String(),
  employerReference: Type.String({ description: 'la référence que l’employeur a donnée à l’attestation' }),
  receivedAt: Type.String(),
  disputedAt: Type.String(),
  reason: Type.Enum(DISPUTE_REASONS),
  comment: Type.Optional(Type.String({ description: 'les mots de la personne ou de l’agent qui conteste' })),
});

const DisputedQuery = Type.Object(
  {
    status: Type.Enum(['disputed'], { description: 'les attestations contestées, à corriger' }),
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: 'de 1 à 200 (100 par défaut)' })),
  },
  { additionalProperties: false },
);

/**
 * Employers' end-of-contract certificates (« attestation employeur destinée à France Travail »,
 * issue 25 §3), sent by the employer's payroll system as a machine client (client credentials
 * with a `private_key_jwt` assertion, like a partner's), under its agreement's purpose declared in
 * `Rempart-Purpose` (its token must carry it) and its own reference in `Rempart-Case-Reference`.
 * A body is validated field by field before anything is looked up, and a bad one writes nothing;
 * the rest — identification, decision, guard, event, sealed record — is the access pipeline's.
 */
export function employerCertificateRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireMachineClient(db));

    app.post(
      '/certificates',
      {
        schema: {
          tags,
          summary:
            'Transmettre une attestation employeur de fin de contrat : période d’emploi, salaires de la période de référence, motif de la rupture, indemnités ; la personne désignée par son NIR et sa date de naissance',
          security,
          body: CertificateSubmissionSchema,
          response: {
            201: Type.Object({
              id: Type.String(),
              status: Type.Literal('received'),
              supersedes: Type.Union([Type.String(), Type.Null()]),
              decision: DecisionViewSchema,
            }),
            ...accessErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const issues = certificateIssues(body, runtime.clock.now().toISOString().slice(0, 10));
        if (issues.length) throw new ValidationError(issues);
        const purpose = await purposeOr422(db, request, reply, { operation: 'employer_certificate' });
        if (!purpose) return reply;
        const client = request.machineClient!;
        // The token narrows the agreement: a purpose outside its scope is refused like one the role may not use.
        if (!client.purposes.includes(purpose.purpose))
          return refuse(db, request, reply, 'role_not_allowed', { operation: 'employer_certificate' }, purpose);
        const result = await runtime.access.certify(callerOf(request, purpose), { clientId: client.clientId }, body);
        if (result.outcome === 'not_identified') {
          await appendEvent(db, 'access_denied', {
            actorId: client.actorId,
            purpose: purpose.purpose,
            caseReference: purpose.caseReference,
            operation: 'employer_certificate',
            details: { reason: 'person_not_identified' },
          });
          return reply.status(422).send({
            error: 'person_not_identified',
            message: NOT_IDENTIFIED_MESSAGE,
            issues: [{ field: 'body.person', rule: 'identified', message: NOT_IDENTIFIED_MESSAGE }],
            requestId: request.id,
          });
        }
        if (result.outcome !== 'written')
          return answerRefusal(db, request, reply, result, { operation: 'employer_certificate' }, purpose);
        return reply.status(201).send({
          id: result.id,
          status: 'received' as const,
          supersedes: body.supersedes ?? null,
          decision: decisionView(result.decision),
        });
      },
    );

    app.get(
      '/certificates',
      {
        schema: {
          tags,
          summary:
            'Les attestations de l’employeur contestées par la personne ou un agent, à corriger par une nouvelle attestation (champ « supersedes »)',
          security,
          querystring: DisputedQuery,
          response: {
            200: Type.Object({ certificates: Type.Array(DisputedCertificateView) }, RELEASES_BENEFITS),
            ...accessErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const purpose = await purposeOr422(db, request, reply, { operation: 'employer_dispute_read' });
        if (!purpose) return reply;
        const client = request.machineClient!;
        if (!client.purposes.includes(purpose.purpose))
          return refuse(db, request, reply, 'role_not_allowed', { operation: 'employer_dispute_read' }, purpose);
        const limit = Math.min(200, Number(request.query.limit ?? 100));
        const result = await runtime.access.employerDisputes(callerOf(request, purpose), limit);
        if (result.outcome !== 'listed')
          return answerRefusal(db, request, reply, result, { operation: 'employer_dispute_read' }, purpose);
        return {
          certificates: result.items.map((c) => ({ ...c, reason: c.reason as (typeof DISPUTE_REASONS)[number] })),
        };
      },
    );
  };
}
