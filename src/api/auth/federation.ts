import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Runtime } from '../../runtime/index.ts';

/** OpenID Connect login with FranceConnect and ProConnect. */
export function federationRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  void runtime;
  return async () => undefined;
}
