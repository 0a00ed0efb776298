import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Runtime } from '../../runtime/index.ts';

/** What the signed-in agent may do: organisation, roles and the purposes of its agreements (issue 9). */
export function staffProfileRoutes(_runtime: Runtime): FastifyPluginAsyncTypebox {
  return async () => {};
}
