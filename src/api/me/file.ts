import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Runtime } from '../../runtime/index.ts';

/** The job seeker's own file, their security events and the download of their data (issue 9). */
export function myFileRoutes(_runtime: Runtime): FastifyPluginAsyncTypebox {
  return async () => {};
}
