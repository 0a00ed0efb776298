import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  approveExport,
  ExportRefusalSchema,
  ExportRequestSchema,
  listExports,
  refuseExport,
  requestExport,
  traceLeak,
} from '../../guard/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses, FieldClassSchema } from '../schemas.ts';
import { requireRecentSecondFactor, requireSession } from '../session.ts';
import { requireDesk } from './desk-access.ts';

const tags = ['sécurité'];

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const ExportView = Type.Object({
  id: Type.String(),
  recipientOrganisationId: Type.String(),
  recipientName: Type.String(),
  purpose: Type.String(),
  classes: Type.Array(FieldClassSchema),
  reason: Type.String(),
  days: Type.Integer(),
  status: Type.Enum(['requested', 'approved', 'refused', 'expired']),
  requestedBy: Type.String(),
  requestedAt: Type.String(),
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(Type.String()),
  decisionNote: Nullable(Type.String()),
  expiresAt: Nullable(Type.String()),
  scopeCount: Nullable(Type.Integer()),
  rowCount: Nullable(Type.Integer()),
  capped: Type.Boolean(),
  canaryRows: Type.Integer(),
  fileAvailable: Type.Boolean(),
  fileSha256: Nullable(Type.String()),
  downloads: Type.Integer(),
});
const LeakTrace = Type.Object({
  exportId: Type.String(),
  recipientOrganisationId: Type.String(),
  recipientName: Type.String(),
  purpose: Type.String(),
  requestedBy: Type.String(),
  approvedBy: Nullable(Type.String()),
  requestedAt: Type.String(),
  approvedAt: Nullable(Type.String()),
  canaryRows: Type.Integer(),
  identifiers: Type.Array(Type.String()),
});
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: 'au plus 500' })),
    status: Type.Optional(Type.Enum(['requested', 'approved', 'refused', 'expired'])),
  },
  { additionalProperties: false },
);
/** A leaked file pasted whole: up to 8 MB of text. */
const TRACE_MAX_CHARS = 8_000_000;
const TraceBody = Type.Object(
  {
    text: Type.String({
      minLength: 1,
      maxLength: TRACE_MAX_CHARS,
      description: 'le contenu du fichier trouvé (CSV ou texte)',
    }),
  },
  { additionalProperties: false },
);

/**
 * Bulk exports as the platform's security officer and DPO run them: one asks, the other
 * approves (and receives, once, the passphrase to hand to the recipient by another channel)
 * or refuses; a leaked file is traced back to its export by its canary rows.
 */
export function exportRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  const services = () => ({ db, persons: runtime.persons, keyring: runtime.keyring });
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    const officers = { preValidation: requireDesk(db, 'read') };
    const sensitive = { preValidation: requireDesk(db, 'read'), preHandler: requireRecentSecondFactor(db) };

    app.get(
      '/',
      {
        ...officers,
        schema: {
          tags,
          summary: 'Exports demandés, approuvés, refusés ou expirés, du plus récent au plus ancien',
          querystring: ListQuery,
          response: { 200: Type.Object({ exports: Type.Array(ExportView) }), ...errorResponses },
        },
      },
      async (request) => ({
        exports: await listExports(db, {
          limit: Math.min(500, Number(request.query.limit ?? 100)),
          ...(request.query.status ? { status: request.query.status } : {}),
        }),
      }),
    );

    app.post(
      '/',
      {
        ...sensitive,
        schema: {
          tags,
          summary:
            'Demander un export pour un partenaire : les personnes qui lui sont orientées, les seules classes de la finalité, au plus son plafond journalier',
          body: ExportRequestSchema,
          response: { 201: ExportView, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await requestExport(db, runtime.clock.now(), request.body, request.account!.id, 'body')),
    );

    app.post(
      '/:id/approve',
      {
        ...sensitive,
        schema: {
          tags,
          summary:
            'Approuver l’export demandé par une autre personne : le fichier est produit et chiffré ; la phrase de passe est donnée ici une seule fois',
          params: IdParams,
          response: {
            200: Type.Object({
              export: ExportView,
              passphrase: Type.String({
                description: 'à transmettre au destinataire par un autre canal ; jamais conservée',
              }),
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        void reply.header('cache-control', 'no-store');
        return approveExport(services(), runtime.clock.now(), request.params.id, request.account!.id);
      },
    );

    app.post(
      '/:id/refuse',
      {
        ...sensitive,
        schema: {
          tags,
          summary: 'Refuser (ou retirer) une demande d’export',
          params: IdParams,
          body: ExportRefusalSchema,
          response: { 200: ExportView, ...errorResponses },
        },
      },
      async (request) =>
        refuseExport(db, runtime.clock.now(), request.params.id, request.account!.id, request.body, 'body'),
    );

    app.post(
      '/trace',
      {
        ...officers,
        bodyLimit: 2 * TRACE_MAX_CHARS + 1024,
        schema: {
          tags,
          summary:
            'Retrouver l’export dont provient un fichier trouvé, par ses lignes témoins (le texte n’est pas conservé)',
          body: TraceBody,
          response: { 200: Type.Object({ exports: Type.Array(LeakTrace) }), ...errorResponses },
        },
      },
      async (request) => ({ exports: await traceLeak(services(), request.body.text, request.account!.id) }),
    );
  };
}
