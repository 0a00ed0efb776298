import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Runtime } from '../../runtime/index.ts';

/** Job seekers' password recovery through a verified channel. */
export function recoveryRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  void runtime;
  return async () => undefined;
}
