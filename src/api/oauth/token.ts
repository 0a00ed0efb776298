import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Runtime } from '../../runtime/index.ts';

/** OAuth 2 token endpoint for machine clients (client credentials, private_key_jwt). */
export function machineClientRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  void runtime;
  return async () => undefined;
}
