import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Runtime } from '../../runtime/index.ts';

/** The security desk's figures: reads per organisation per hour with budgets, alerts over time, ledger status (issue 9). */
export function securityDashboardRoutes(_runtime: Runtime): FastifyPluginAsyncTypebox {
  return async () => {};
}
