import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { downloadExport, ExportExpiredError, listRecipientExports } from '../../guard/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses, FieldClassSchema } from '../schemas.ts';
import { requireRecentSecondFactor } from '../session.ts';

const tags = ['exports'];
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const RecipientExport = Type.Object({
  id: Type.String(),
  purpose: Type.String(),
  classes: Type.Array(FieldClassSchema),
  approvedAt: Type.String(),
  expiresAt: Type.String(),
  fileSha256: Type.String(),
});

/** An organisation suspended by the guard or closed receives nothing. */
async function requireActiveOrganisation(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.staff?.organisationStatus === 'active') return;
  void reply.status(403).send({
    error: 'organisation_suspended',
    message: 'Votre organisation est suspendue : aucun export ne peut être remis.',
    requestId: request.id,
  });
  return reply;
}

/**
 * The recipient's side of an export: its staff list the files approved for their organisation
 * and download one (after a fresh second factor), sealed; the passphrase came another way.
 */
export function staffExportRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.get(
      '/exports',
      {
        preHandler: requireActiveOrganisation,
        schema: {
          tags,
          summary: 'Exports approuvés pour mon organisation et encore disponibles',
          response: { 200: Type.Object({ exports: Type.Array(RecipientExport) }), ...errorResponses },
        },
      },
      async (request) => ({
        exports: await listRecipientExports(db, runtime.clock.now(), request.staff!.organisationId),
      }),
    );

    app.get(
      '/exports/:id/file',
      {
        preHandler: [requireActiveOrganisation, requireRecentSecondFactor(db)],
        schema: {
          tags,
          summary:
            'Télécharger le fichier chiffré d’un export (enveloppe rempart-export/1, à ouvrir avec la phrase de passe reçue par un autre canal)',
          params: IdParams,
          response: { 200: Type.Unknown({ description: 'l’enveloppe chiffrée (JSON)' }), ...errorResponses },
        },
      },
      async (request, reply) => {
        try {
          const { envelope, sha256 } = await downloadExport(db, runtime.clock.now(), request.params.id, request.staff!);
          return reply
            .header('content-type', 'application/json; charset=utf-8')
            .header('content-disposition', `attachment; filename="rempart-export-${request.params.id}.json"`)
            .header('cache-control', 'no-store')
            .header('x-rempart-export-sha256', sha256)
            .send(envelope);
        } catch (error) {
          if (error instanceof ExportExpiredError)
            return reply.status(410).send({ error: error.code, message: error.message, requestId: request.id });
          throw error;
        }
      },
    );
  };
}
