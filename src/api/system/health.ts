import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { checkHealth, type Runtime } from '../../runtime/index.ts';

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

/**
 * Two questions (issue 20):
 *
 * - `GET /api/health` is **liveness**: 200 as long as the store answers and the keyring is the
 *   one it was written with (restarting would not help otherwise). It also says what the
 *   process knows of the ledger (`ledger: ok | altered | rollback`), without changing its status.
 * - `GET /api/ready` is **readiness**: 503 as soon as the process should not be given traffic —
 *   the store or keyring as above, or a ledger found altered or rolled back: the server would go
 *   on recording accesses into a history it can no longer sign. A load balancer drains it; the
 *   security officers have been alerted and the desk says what was found. Reason codes only:
 *   the details are for the desk, not for anyone who can reach the address.
 */
export function healthRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  return async (app) => {
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
        const reasons: string[] = [];
        if (health.store !== 'ok') reasons.push('store_unavailable');
        if (health.keyring === 'mismatch') reasons.push('keyring_mismatch');
        if (health.ledger !== 'ok') reasons.push(`ledger_${health.ledger}`);
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
