import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Runtime } from '../../runtime/index.ts';

/** Passkey registration and sign-in (WebAuthn). */
export function passkeyRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  void runtime;
  return async () => undefined;
}
