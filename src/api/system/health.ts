import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  DEFAULT_READINESS,
  operationalReasons,
  readOperationalFigures,
  type OperationalFigures,
} from '../../metrics/index.ts';
import { checkHealth, type Health, type Runtime } from '../../runtime/index.ts';

const LedgerState = Type.Enum(['ok', 'altered', 'rollback'], {
  description:
    'intégrité du journal des accès vue par ce processus : altered (événements, arbre ou points de contrôle modifiés) et rollback (retour en arrière) suspendent la signature',
});

const HealthSchema = Type.Object({
  status: Type.Enum(['ok', 'unavailable']),
  store: Type.String(),
  keyring: Type.String(),
  flavour: Type.String(),
  ledger: LedgerState,
});

const ReadySchema = Type.Object({
  status: Type.Enum(['ready', 'not_ready']),
  /** Why not: `store_unavailable`, `keyring_mismatch`, `ledger_altered`, `ledger_rollback`. */
  reasons: Type.Array(Type.String()),
  ledger: LedgerState,
  /** Whether this process runs the ledger's background verification. */
  ledgerVerification: Type.Enum(['running', 'off']),
});

const LiveSchema = Type.Object({ status: Type.Literal('alive') });

const Seconds = Type.Union([Type.Number(), Type.Null()]);

const FullReadySchema = Type.Object({
  status: Type.Enum(['ready', 'not_ready']),
  /**
   * Why not: `store_unavailable`, `keyring_mismatch`, `ledger_altered`, `ledger_rollback`,
   * `ledger_lagging`, `checkpoint_stale`, `queue_backlog`, `queue_unavailable`.
   */
  reasons: Type.Array(Type.String()),
  store: Type.String(),
  keyring: Type.String(),
  ledger: LedgerState,
  ledgerVerification: Type.Enum(['running', 'off']),
  /** Events recorded and not yet integrated into the tree, and the oldest one's age; null when the store did not answer. */
  lag: Type.Union([Type.Object({ events: Type.Integer(), oldestSeconds: Seconds }), Type.Null()]),
  /** Seconds since the newest signed checkpoint (before the first, since the oldest event waiting for it). */
  checkpointAgeSeconds: Seconds,
  /** Whether events wait for a signed checkpoint. */
  unsigned: Type.Union([Type.Boolean(), Type.Null()]),
  /** The job queue (null when none runs in this process). */
  queue: Type.Union([
    Type.Object({ depth: Type.Integer(), oldestWaitingSeconds: Seconds, failing: Type.Array(Type.String()) }),
    Type.Null(),
  ]),
});

/**
 * Three questions (issue 20, issue 22):
 *
 * - `GET /api/health` is **liveness**: 200 as long as the store answers and the keyring is the
 *   one it was written with (restarting would not help otherwise). It also says what the
 *   process knows of the ledger (`ledger: ok | altered | rollback`), without changing its status.
 * - `GET /api/ready` is **readiness**: 503 as soon as the process should not be given traffic —
 *   the store or keyring as above, or a ledger found altered or rolled back: the server would go
 *   on recording accesses into a history it can no longer sign. A load balancer drains it; the
 *   security officers have been alerted and the desk says what was found. Reason codes only:
 *   the details are for the desk, not for anyone who can reach the address.
 * - `GET /api/health/live` is the process alone (an orchestrator's liveness probe): 200 while
 *   its event loop turns, no store query. `GET /api/health/ready` is the whole service as
 *   monitoring sees it: `/api/ready`'s reasons, plus the ledger's integration lag
 *   (`ledger_lagging`: more than 50,000 events recorded and not integrated, or the oldest older
 *   than 60 s), a checkpoint older than max(3 × REMPART_CHECKPOINT_SECONDS, 5 min) while events
 *   wait for one (`checkpoint_stale`), and the job queue (`queue_backlog`: a job kind failing,
 *   more than 10,000 waiting or the oldest waiting more than 5 min; `queue_unavailable`), with
 *   those figures in the body. The lag and the checkpoint are the shared store's, not this
 *   process's: every process of the fleet answers alike.
 */
export function healthRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Liveness for an orchestrator: the event loop turns, nothing else is asked (no store query).
    app.get(
      '/health/live',
      {
        schema: {
          tags: ['système'],
          summary: 'Vivacité du processus : 200 tant que sa boucle d’événements tourne (aucune requête au magasin)',
          response: { 200: LiveSchema },
        },
      },
      async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'alive' as const }),
    );

    app.get(
      '/health/ready',
      {
        schema: {
          tags: ['système'],
          summary:
            'Disponibilité complète : magasin, trousseau, intégrité et retard du journal des accès, âge du dernier point de contrôle, file des tâches',
          response: { 200: FullReadySchema, 503: FullReadySchema },
        },
      },
      async (_request, reply) => {
        const health = await checkHealth(runtime);
        const reasons = processReasons(health);
        let figures: OperationalFigures | undefined;
        if (health.store === 'ok') {
          try {
            figures = await readOperationalFigures(runtime);
          } catch {
            reasons.push('store_unavailable');
          }
        }
        if (figures)
          reasons.push(
            ...operationalReasons(figures, {
              ...DEFAULT_READINESS,
              checkpointSeconds: runtime.config.checkpointSeconds,
            }),
          );
        const ready = reasons.length === 0;
        const queue = figures?.queue;
        const round = (value: number | null | undefined) => (typeof value === 'number' ? Math.round(value) : null);
        return reply
          .status(ready ? 200 : 503)
          .header('cache-control', 'no-store')
          .send({
            status: ready ? 'ready' : 'not_ready',
            reasons,
            store: health.store,
            keyring: health.keyring,
            ledger: health.ledger,
            ledgerVerification: runtime.ledgerWatch.status().background ? 'running' : 'off',
            lag: figures ? { events: figures.ledger.lagEvents, oldestSeconds: round(figures.ledger.lagSeconds) } : null,
            checkpointAgeSeconds: round(figures?.ledger.checkpointAgeSeconds),
            unsigned: figures ? figures.ledger.unsigned : null,
            queue:
              queue && queue !== 'unavailable'
                ? {
                    depth: queue.depth,
                    oldestWaitingSeconds: round(queue.oldestWaitingSeconds),
                    failing: queue.failing,
                  }
                : null,
          });
      },
    );

    app.get(
      '/health',
      {
        schema: {
          tags: ['système'],
          summary: 'Vivacité : état du magasin et du trousseau, et du journal des accès',
          response: { 200: HealthSchema, 503: HealthSchema },
        },
      },
      async (_request, reply) => {
        const health = await checkHealth(runtime);
        return reply.status(health.ok ? 200 : 503).send({
          status: health.ok ? 'ok' : 'unavailable',
          store: health.store,
          keyring: health.keyring,
          flavour: health.flavour,
          ledger: health.ledger,
        });
      },
    );

    app.get(
      '/ready',
      {
        schema: {
          tags: ['système'],
          summary: 'Disponibilité : 503 si le magasin, le trousseau ou l’intégrité du journal des accès font défaut',
          response: { 200: ReadySchema, 503: ReadySchema },
        },
      },
      async (_request, reply) => {
        const health = await checkHealth(runtime);
        const reasons = processReasons(health);
        const ready = reasons.length === 0;
        return reply
          .status(ready ? 200 : 503)
          .header('cache-control', 'no-store')
          .send({
            status: ready ? 'ready' : 'not_ready',
            reasons,
            ledger: health.ledger,
            ledgerVerification: runtime.ledgerWatch.status().background ? 'running' : 'off',
          });
      },
    );
  };
}

/** What keeps this process from serving, whatever the rest of the fleet: the store, the keyring, the ledger's integrity. */
function processReasons(health: Health): string[] {
  const reasons: string[] = [];
  if (health.store !== 'ok') reasons.push('store_unavailable');
  if (health.keyring === 'mismatch') reasons.push('keyring_mismatch');
  if (health.ledger !== 'ok') reasons.push(`ledger_${health.ledger}`);
  return reasons;
}
