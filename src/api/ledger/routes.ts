import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { staffMemberOf } from '../../identity/index.ts';
import { LedgerIntegrityError, type SignedCheckpoint } from '../../ledger/index.ts';
import { can } from '../../policy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { ErrorSchema, errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';

const tags = ['journal des accès'];
/**
 * Query strings arrive as text and the validator does not coerce them: sizes and indexes are
 * decimal strings checked by pattern (as elsewhere in the API), converted once validated.
 */
const NATURAL = { pattern: '^(0|[1-9][0-9]{0,15})$' };
const POSITIVE = { pattern: '^[1-9][0-9]{0,15}$' };

const ProofView = Type.Object({ proof: Type.Array(Type.String({ description: 'empreinte SHA-256 en base64' })) });
const CheckpointView = Type.Object({ size: Type.Integer(), at: Type.String(), note: Type.String() });
const viewOf = (c: SignedCheckpoint) => ({ size: Number(c.size), at: c.at, note: c.note });

/** On demand, the new events are verified for at most this long before the checkpoint is signed over them. */
const SIGN_BUDGET_MS = 2_000;

/**
 * The ledger as a transparency log, open to anyone: its public key, its signed checkpoints and
 * the proofs between them. Nothing here is personal: hashes, sizes and signatures. Signing a
 * checkpoint on demand is for the security officer and the DPO.
 */
export function ledgerRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const { ledger } = runtime;
  const db = runtime.database.db;
  const intervalMs = runtime.config.checkpointSeconds * 1000;
  return async (app) => {
    app.get(
      '/key',
      {
        schema: {
          tags,
          summary: 'Clé publique du journal (format note signée C2SP) et origine de ses points de contrôle',
          response: { 200: Type.Object({ origin: Type.String(), verifierKey: Type.String() }) },
        },
      },
      async () => ({ origin: ledger.origin, verifierKey: ledger.verifierKey }),
    );

    app.get(
      '/checkpoint',
      {
        schema: {
          tags,
          summary: 'Dernier point de contrôle signé (C2SP tlog-checkpoint, texte)',
          response: { 200: Type.String(), 404: ErrorSchema },
        },
      },
      async (request, reply) => {
        const latest = await ledger.latestCheckpoint();
        if (!latest)
          return reply.status(404).send({
            error: 'no_checkpoint',
            message: 'Aucun point de contrôle signé pour l’instant.',
            requestId: request.id,
          });
        return reply.type('text/plain; charset=utf-8').send(latest.note);
      },
    );

    app.get(
      '/checkpoints',
      {
        schema: {
          tags,
          summary: 'Points de contrôle signés, par taille croissante (pour les témoins)',
          querystring: Type.Object(
            {
              from: Type.Optional(Type.String({ ...NATURAL, description: 'taille minimale' })),
              limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$', description: 'de 1 à 1000' })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              origin: Type.String(),
              items: Type.Array(Type.Object({ size: Type.Integer(), at: Type.String(), note: Type.String() })),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const items = await ledger.checkpoints({
          fromSize: Number(request.query.from ?? 0),
          limit: Number(request.query.limit ?? 100),
        });
        return { origin: ledger.origin, items: items.map((c) => ({ size: Number(c.size), at: c.at, note: c.note })) };
      },
    );

    app.get(
      '/proofs/inclusion',
      {
        schema: {
          tags,
          summary: 'Preuve d’inclusion (RFC 9162) de l’événement n° index dans l’arbre de taille size',
          querystring: Type.Object(
            { index: Type.String(NATURAL), size: Type.String(POSITIVE) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              index: Type.Integer(),
              size: Type.Integer(),
              leafHash: Type.String(),
              ...ProofView.properties,
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const index = Number(request.query.index);
        const size = Number(request.query.size);
        const current = await ledger.size();
        if (size > current || index >= size) {
          return reply.status(400).send({
            error: 'out_of_range',
            message:
              index >= size
                ? 'query.index : doit être inférieur à query.size.'
                : `query.size : l’arbre compte ${current} événements.`,
            requestId: request.id,
          });
        }
        const proof = await ledger.inclusionProof(index, size);
        return {
          index,
          size,
          leafHash: (await ledger.leafHashAt(index)).toString('base64'),
          proof: proof.map((p) => p.toString('base64')),
        };
      },
    );

    app.get(
      '/proofs/consistency',
      {
        schema: {
          tags,
          summary: 'Preuve de cohérence (RFC 9162) entre deux tailles de l’arbre',
          querystring: Type.Object(
            { from: Type.String(POSITIVE), to: Type.String(POSITIVE) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ from: Type.Integer(), to: Type.Integer(), ...ProofView.properties }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const from = Number(request.query.from);
        const to = Number(request.query.to);
        const current = await ledger.size();
        if (from > to || to > current) {
          return reply.status(400).send({
            error: 'out_of_range',
            message:
              from > to
                ? 'query.from : doit être au plus query.to.'
                : `query.to : l’arbre compte ${current} événements.`,
            requestId: request.id,
          });
        }
        return { from, to, proof: (await ledger.consistencyProof(from, to)).map((p) => p.toString('base64')) };
      },
    );

    app.post(
      '/checkpoints',
      {
        onRequest: requireSession(db),
        preHandler: async (request, reply) => {
          const member = request.account ? await staffMemberOf(db, request.account.id) : undefined;
          if (!member || !can(member, 'issue', 'checkpoint')) {
            void reply.status(403).send({
              error: 'role_required',
              message: 'Réservé au responsable de la sécurité et au délégué à la protection des données.',
              requestId: request.id,
            });
            return reply;
          }
        },
        schema: {
          tags,
          summary: 'Signer un point de contrôle maintenant (au plus un par intervalle, tous serveurs confondus)',
          description:
            '201 : signé maintenant. 200 : le dernier point de contrôle couvre déjà tout ce qui est intégré. 429 : un point de contrôle a été signé il y a moins de REMPART_CHECKPOINT_SECONDS (Retry-After). ' +
            '503 ledger_altered : la signature est suspendue, le journal ne correspond plus à ce qu’il a signé ou à son témoin.',
          security: [{ cookieAuth: [] }],
          response: { 201: CheckpointView, 200: CheckpointView, ...errorResponses, 429: ErrorSchema, 503: ErrorSchema },
        },
      },
      async (request, reply) => {
        const now = new Date();
        const before = await ledger.latestCheckpoint();
        const age = before ? now.getTime() - Date.parse(before.at) : Number.POSITIVE_INFINITY;
        // Fleet-wide: the newest checkpoint's time, in the store, is what every process compares with (issue 20).
        if (before && age >= 0 && age < intervalMs) {
          const size = await ledger.size();
          const waiting = await db
            .selectFrom('ledger_events')
            .select('id')
            .where('seq', 'is', null)
            .limit(1)
            .executeTakeFirst();
          if (Number(before.size) >= size && !waiting) return reply.status(200).send(viewOf(before));
          const retry = Math.max(1, Math.ceil((intervalMs - age) / 1000));
          return reply
            .status(429)
            .header('retry-after', String(retry))
            .send({
              error: 'checkpoint_too_soon',
              message: `Un point de contrôle a été signé il y a ${Math.floor(age / 1000)} s (${before.size} événements) ; le suivant peut l’être dans ${retry} s, et le sera de toute façon par le serveur.`,
              requestId: request.id,
            });
        }
        let checkpoint;
        try {
          // Bounded: one batch integrated, new events verified for at most SIGN_BUDGET_MS, then signed (what was verified).
          checkpoint = await ledger.checkpoint(now, {
            minIntervalMs: intervalMs,
            maxBatches: 1,
            verifyBudgetMs: SIGN_BUDGET_MS,
          });
        } catch (error) {
          if (!(error instanceof LedgerIntegrityError)) throw error;
          request.log.error({ err: { message: error.message } }, 'checkpoint refused');
          return reply.status(503).send({
            error: 'ledger_altered',
            message:
              'Signature refusée : le journal ne correspond plus à ce qu’il a signé ou à son témoin. Les responsables de la sécurité sont alertés ; le constat est au bureau sécurité.',
            requestId: request.id,
          });
        }
        if (!checkpoint)
          return reply
            .status(404)
            .send({ error: 'empty_ledger', message: 'Le journal est vide : rien à signer.', requestId: request.id });
        return reply.status(before && checkpoint.note === before.note ? 200 : 201).send(viewOf(checkpoint));
      },
    );
  };
}
