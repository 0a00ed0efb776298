import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ValidationError } from '../../domain/index.ts';
import { staffMemberOf } from '../../identity/staff.ts';
import { requireDesk } from './desk-access.ts';
import {
  AgreementFileSchema,
  agreementHistory,
  complianceReport,
  DerogationRequestSchema,
  findAgreementVersion,
  GATE_REQUIREMENTS,
  grantDerogation,
  importAgreement,
  listDerogations,
  PosturePatchSchema,
  revokeDerogation,
  updatePosture,
} from '../../policy/index.ts';
import { regenerateRegister } from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { messengerOf } from '../messenger.ts';
import { errorResponses } from '../schemas.ts';
import { requireRecentSecondFactor, requireSession } from '../session.ts';

const tags = ['sécurité'];
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

const Requirement = Type.Enum(GATE_REQUIREMENTS);
const PostureView = Type.Object({
  mfa: Type.String(),
  passkeyOnly: Type.Boolean(),
  lastAudit: Type.Union([Type.String(), Type.Null()]),
  networks: Type.Array(Type.String()),
  emailDomains: Type.Array(Type.String()),
});
const GateView = Type.Object({
  compliant: Type.Boolean(),
  unmet: Type.Array(Requirement),
  derogated: Type.Array(Requirement),
});
const DerogationView = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  organisationName: Type.String(),
  requirement: Type.String(),
  justification: Type.String(),
  approvedBy: Type.String(),
  approvedAt: Type.String(),
  expiresAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  state: Type.Enum(['in_force', 'expired', 'revoked']),
});
const ComplianceView = Type.Object({
  at: Type.String(),
  total: Type.Integer(),
  compliant: Type.Integer(),
  organisations: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      kind: Type.String(),
      status: Type.String(),
      compliant: Type.Boolean(),
      unmet: Type.Array(Requirement),
      derogated: Type.Array(Requirement),
      posture: PostureView,
      auditValidUntil: Type.Union([Type.String(), Type.Null()]),
      agreements: Type.Array(
        Type.Object({
          reference: Type.String(),
          version: Type.Integer(),
          validFrom: Type.String(),
          validUntil: Type.String(),
          inForce: Type.Boolean(),
        }),
      ),
      derogations: Type.Array(
        Type.Object({
          id: Type.String(),
          requirement: Type.String(),
          justification: Type.String(),
          approvedBy: Type.String(),
          expiresAt: Type.String(),
        }),
      ),
    }),
  ),
});
const ImportedView = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  reference: Type.String(),
  version: Type.Integer(),
  replaced: Type.Union([Type.Integer(), Type.Null()]),
});
const AgreementVersionView = Type.Object({
  id: Type.String(),
  status: Type.String(),
  file: AgreementFileSchema,
  history: Type.Array(
    Type.Object({ id: Type.String(), version: Type.Integer(), status: Type.String(), createdAt: Type.String() }),
  ),
});

/** Domain checks name fields relative to the body; the API names them from the request. */
async function inBody<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ValidationError)
      throw new ValidationError(
        error.issues.map((i) => (i.field.startsWith('body.') ? i : { ...i, field: `body.${i.field}` })),
      );
    throw error;
  }
}

/**
 * The partner security gate as the security officer keeps it and the DPO reads it: postures,
 * derogations, agreements, and the compliance of every organisation. Reads for the DPO and
 * the security officer; writes for the security officer only, each after a fresh second factor.
 */
export function securityPostureRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireSession(db));
    // Before the body is validated: a caller without the role learns nothing from a 400.
    const read = { preValidation: requireDesk(db, 'read') };
    const write = { preValidation: requireDesk(db, 'act_on'), preHandler: requireRecentSecondFactor(db) };

    app.get(
      '/compliance',
      {
        ...read,
        schema: {
          tags,
          summary:
            'Conformité de chaque organisation à la barrière de sécurité : exigences non remplies et dérogations en vigueur',
          response: { 200: ComplianceView, ...errorResponses },
        },
      },
      async () => complianceReport(db, new Date()),
    );

    app.put(
      '/organisations/:id/posture',
      {
        ...write,
        schema: {
          tags,
          summary:
            'Modifier la posture de sécurité d’une organisation (audit, réseaux, second facteur) ; une non-conformité suspend ses accès aussitôt',
          params: IdParams,
          body: PosturePatchSchema,
          response: {
            200: Type.Object({ organisationId: Type.String(), posture: PostureView, gate: GateView }),
            ...errorResponses,
          },
        },
      },
      async (request) =>
        updatePosture(messengerOf(runtime), request.params.id, request.body, request.account!.id, {
          address: request.ip,
          prefix: 'body',
        }),
    );

    app.get(
      '/derogations',
      {
        ...read,
        schema: {
          tags,
          summary: 'Les dérogations à la barrière de sécurité (en vigueur seulement, ou toutes)',
          querystring: Type.Object(
            {
              active: Type.Optional(
                Type.Enum(['true', 'false'], { description: 'true : seulement celles en vigueur' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ derogations: Type.Array(DerogationView) }), ...errorResponses },
        },
      },
      async (request) => ({ derogations: await listDerogations(db, { activeOnly: request.query.active === 'true' }) }),
    );

    app.post(
      '/derogations',
      {
        ...write,
        schema: {
          tags,
          summary: 'Accorder une dérogation à une exigence (90 jours au plus, justifiée, jamais pour la convention)',
          body: DerogationRequestSchema,
          response: { 201: DerogationView, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(
            await inBody(() =>
              grantDerogation(
                messengerOf(runtime),
                { ...request.body, approvedBy: request.account!.id },
                { address: request.ip, prefix: 'body' },
              ),
            ),
          ),
    );

    app.delete(
      '/derogations/:id',
      {
        ...write,
        schema: {
          tags,
          summary: 'Révoquer une dérogation tout de suite',
          params: IdParams,
          response: { 200: Type.Object({ revoked: Type.Boolean(), derogation: DerogationView }), ...errorResponses },
        },
      },
      async (request) =>
        revokeDerogation(messengerOf(runtime), request.params.id, request.account!.id, { address: request.ip }),
    );

    app.post(
      '/agreements',
      {
        ...write,
        schema: {
          tags,
          summary:
            'Importer une convention au format rempart.agreement/v1 (version 1, ou la version suivante : la précédente prend fin)',
          body: AgreementFileSchema,
          response: { 201: ImportedView, ...errorResponses },
        },
      },
      async (request, reply) => {
        const member = await staffMemberOf(db, request.account!.id);
        const imported = await importAgreement(db, request.body, {
          by: member?.login ?? request.account!.id,
          accountId: request.account!.id,
          address: request.ip,
          prefix: 'body',
          // The Art. 30 register is regenerated and versioned in the import's transaction (issue 24).
          within: async (trx, done) => {
            await regenerateRegister(trx, `agreement:${done.reference}:v${done.version}`, {
              accountId: request.account!.id,
            });
          },
        });
        return reply.status(201).send(imported);
      },
    );

    app.get(
      '/agreements/:reference',
      {
        ...read,
        schema: {
          tags,
          summary:
            'Une convention au format de fichier (la dernière version, ou celle demandée), avec l’historique de ses versions',
          params: Type.Object(
            { reference: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$' }) },
            { additionalProperties: false },
          ),
          querystring: Type.Object(
            { version: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$', description: 'numéro de version' })) },
            { additionalProperties: false },
          ),
          response: { 200: AgreementVersionView, ...errorResponses },
        },
      },
      async (request) => {
        const found = await findAgreementVersion(
          db,
          request.params.reference,
          request.query.version === undefined ? undefined : Number(request.query.version),
        );
        return { ...found, history: await agreementHistory(db, request.params.reference) };
      },
    );
  };
}
