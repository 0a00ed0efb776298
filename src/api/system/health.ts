import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { checkHealth, type Runtime } from '../../runtime/index.ts';

const HealthSchema = Type.Object({
  status: Type.Enum(['ok', 'unavailable']),
  store: Type.String(),
  keyring: Type.String(),
  flavour: Type.String(),
});

export function healthRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/health',
      { schema: { tags: ['système'], summary: 'État du magasin et du trousseau', response: { 200: HealthSchema, 503: HealthSchema } } },
      async (_request, reply) => {
        const health = await checkHealth(runtime);
        return reply
          .status(health.ok ? 200 : 503)
          .send({ status: health.ok ? 'ok' : 'unavailable', store: health.store, keyring: health.keyring, flavour: health.flavour });
      },
    );
  };
}
