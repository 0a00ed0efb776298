import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Runtime } from '../../runtime/index.ts';

/** Account administration under four eyes, staff resets and recertification. */
export function accountAdministrationRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  void runtime;
  return async () => undefined;
}
