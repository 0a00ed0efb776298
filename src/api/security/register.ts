import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ValidationError } from '../../domain/index.ts';
import { staffMemberOf } from '../../identity/index.ts';
import {
  BaselineAttestationSchema,
  DpiaSchema,
  findDpia,
  listBaselineAttestations,
  listDpias,
  PROCESSING_PATTERN,
  recordBaselineAttestation,
  saveDpia,
} from '../../policy/index.ts';
import {
  dpiaStatusByProcessing,
  processingOf,
  processingsCreatedAt,
  regenerateRegister,
  registerCsv,
  registerVersion,
  registerVersions,
} from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import type { Executor } from '../../store/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireRecentSecondFactor, requireSession } from '../session.ts';
import { requireDesk } from './desk-access.ts';

const tags = ['registre et AIPD'];
const Processing = Type.String({ pattern: PROCESSING_PATTERN, description: 'le traitement : une finalité' });
const VersionNumber = Type.String({ pattern: '^[1-9][0-9]{0,8}$', description: 'numéro de version' });

/** The DPO writes the DPIAs: active staff of an active organisation holding the `dpo` role, or 403. */
function requireDpo(db: Executor) {
  return async function dpoCheck(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const member = request.account ? await staffMemberOf(db, request.account.id) : undefined;
    if (
      member &&
      member.organisationStatus === 'active' &&
      member.actorStatus === 'active' &&
      member.roles.includes('dpo')
    )
      return;
    void reply.status(403).send({
      error: 'role_required',
      message: 'Réservé au délégué à la protection des données.',
      requestId: request.id,
    });
    return reply;
  };
}

/** Domain checks name fields relative to the body; the API names them from the request. */
async function inBody<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ValidationError)
      throw new ValidationError(
        error.issues.map((i) =>
          i.field.startsWith('body.') || i.field.startsWith('params.') ? i : { ...i, field: `body.${i.field}` },
        ),
      );
    throw error;
  }
}

/**
 * Issue 24: the record of processing activities (GDPR Art. 30) generated from the agreements
 * in force, in JSON and in the CNIL's columns (CSV); the DPIA of each processing, written by
 * the DPO; the partners' security-baseline attestations, recorded by the security officer.
 * Reads for the DPO and the security officer (the desk).
 */
export function registerDpiaRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireSession(db));
    const read = { preValidation: requireDesk(db, 'read') };
    const officer = { preValidation: requireDesk(db, 'act_on'), preHandler: requireRecentSecondFactor(db) };
    const dpo = { preValidation: requireDpo(db), preHandler: requireRecentSecondFactor(db) };

    app.get(
      '/register',
      {
        ...read,
        schema: {
          tags,
          summary:
            'Le registre des activités de traitement (RGPD art. 30), généré des conventions en vigueur : JSON, ou CSV aux colonnes du modèle de la CNIL',
          querystring: Type.Object(
            {
              format: Type.Optional(Type.Enum(['json', 'csv'], { description: 'json (par défaut) ou csv' })),
              processing: Type.Optional(Processing),
              version: Type.Optional(VersionNumber),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Any(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { format = 'json', processing, version } = request.query;
        // The current register is always a stored version: a read that finds it changed records it.
        const current =
          version === undefined
            ? await regenerateRegister(db, 'drift', { accountId: request.account!.id })
            : await registerVersion(db, Number(version));
        const entries =
          processing === undefined ? current.document.processings : [processingOf(current.document, processing)];
        void reply.header('cache-control', 'no-store');
        if (format === 'csv') {
          const name = `registre-art30-v${current.version}${processing ? `-${processing}` : ''}.csv`;
          return reply
            .header('content-type', 'text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${name}"`)
            .send(registerCsv(current, entries, await processingsCreatedAt(db)));
        }
        const dpias = await dpiaStatusByProcessing(db);
        return reply.send({
          version: current.version,
          hash: current.hash,
          cause: current.cause,
          createdAt: current.createdAt,
          controller: current.document.controller,
          processings: entries.map((e) => ({ ...e, dpia: dpias.get(e.id) ?? null })),
          processorRecords:
            processing === undefined
              ? current.document.processorRecords
              : current.document.processorRecords.filter((r) => r.processings.some((p) => p.id === processing)),
        });
      },
    );

    app.get(
      '/register/versions',
      {
        ...read,
        schema: {
          tags,
          summary: 'Les versions du registre, la plus récente d’abord (empreinte, cause)',
          response: {
            200: Type.Object({
              versions: Type.Array(
                Type.Object({
                  version: Type.Integer(),
                  hash: Type.String(),
                  cause: Type.String(),
                  createdAt: Type.String(),
                  processings: Type.Integer(),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async () => ({ versions: await registerVersions(db) }),
    );

    app.get(
      '/dpia',
      {
        ...read,
        schema: {
          tags,
          summary: 'L’AIPD de chaque traitement : version, mesures en attente, avis du DPO',
          response: { 200: Type.Any(), ...errorResponses },
        },
      },
      async () => ({ dpias: await listDpias(db) }),
    );

    app.get(
      '/dpia/:processing',
      {
        ...read,
        schema: {
          tags,
          summary: 'L’AIPD d’un traitement (la dernière version, ou celle demandée)',
          params: Type.Object({ processing: Processing }, { additionalProperties: false }),
          querystring: Type.Object({ version: Type.Optional(VersionNumber) }, { additionalProperties: false }),
          response: { 200: Type.Any(), ...errorResponses },
        },
      },
      async (request) =>
        findDpia(
          db,
          request.params.processing,
          request.query.version === undefined ? undefined : Number(request.query.version),
        ),
    );

    app.put(
      '/dpia/:processing',
      {
        ...dpo,
        schema: {
          tags,
          summary:
            'Écrire l’AIPD d’un traitement (méthode de la CNIL) : une nouvelle version ; une mesure mise en œuvre sans preuve est refusée',
          params: Type.Object({ processing: Processing }, { additionalProperties: false }),
          body: DpiaSchema,
          response: { 200: Type.Any(), ...errorResponses },
        },
      },
      async (request) =>
        inBody(() =>
          saveDpia(db, request.params.processing, request.body, {
            by: request.account!.id,
            address: request.ip,
            prefix: 'body',
            processingField: 'params.processing',
          }),
        ),
    );

    app.get(
      '/organisations/:id/baseline-attestations',
      {
        ...read,
        schema: {
          tags,
          summary: 'Les attestations du socle de sécurité d’une organisation, la plus récente d’abord',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
          response: { 200: Type.Any(), ...errorResponses },
        },
      },
      async (request) => ({ attestations: await listBaselineAttestations(db, request.params.id) }),
    );

    app.post(
      '/organisations/:id/baseline-attestations',
      {
        ...officer,
        schema: {
          tags,
          summary:
            'Enregistrer l’attestation du socle de sécurité par une organisation (second facteur, habilitations limitées, journaux qui détectent les anomalies)',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
          body: BaselineAttestationSchema,
          response: { 201: Type.Any(), ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(
          await inBody(() =>
            recordBaselineAttestation(db, request.params.id, request.body, {
              by: request.account!.id,
              address: request.ip,
              prefix: 'body',
            }),
          ),
        ),
    );
  };
}
