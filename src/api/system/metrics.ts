import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { bearerMatches, type Metrics } from '../../metrics/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorsFor } from '../schemas.ts';

/**
 * Every answered request timed into `rempart_http_request_duration_seconds`, labelled with its
 * route pattern (`/api/staff/persons/:id`), never its URL; a request no route matched, or only
 * the pages' catch-all answering 404, is `unmatched`. Registered before the routes.
 */
export function registerRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const pattern = request.routeOptions.url;
    const route = pattern === undefined || (pattern === '/*' && reply.statusCode === 404) ? undefined : pattern;
    metrics.request(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

/**
 * `GET /api/metrics`: the Prometheus text on the main port, for a monitoring that cannot reach a
 * listener of its own (REMPART_METRICS_PORT). Only when REMPART_METRICS_TOKEN is set, and only
 * with `Authorization: Bearer <token>` (compared in constant time): 401 otherwise. Without a
 * token the route does not exist (404, as any unknown address).
 */
export function metricsRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  return async (app) => {
    const token = runtime.config.metrics.token;
    if (!token) return;
    app.get(
      '/metrics',
      {
        schema: {
          tags: ['système'],
          summary: 'Métriques Prometheus (jeton REMPART_METRICS_TOKEN en Authorization: Bearer)',
          security: [{ bearer: [] }],
          response: {
            200: Type.String({ description: 'format texte Prometheus 0.0.4' }),
            ...errorsFor(401),
          },
        },
      },
      async (request, reply) => {
        if (!bearerMatches(request.headers.authorization, token)) {
          return reply
            .status(401)
            .header('www-authenticate', 'Bearer realm="rempart-metrics"')
            .send({ error: 'unauthorized', message: 'Jeton des métriques absent ou invalide.', requestId: request.id });
        }
        const { contentType, text } = await runtime.metrics.scrape();
        return reply.header('cache-control', 'no-store').type(contentType).send(text);
      },
    );
  };
}
