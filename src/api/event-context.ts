import { AsyncResource } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';
import { runWithEventContext } from '../ledger/index.ts';

const resources = new WeakMap<object, AsyncResource>();

/**
 * Every event a request records names its request id and client address, and who is acting
 * once authentication says so (each authentication hook calls `updateEventContext`): the
 * request runs inside an event context from its first hook. Body parsing runs on the socket's callbacks, outside that context, so the context is entered
 * again before validation (the way @fastify/request-context does it).
 */
export function registerEventContext(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    runWithEventContext({ requestId: request.id, address: request.ip }, () => {
      resources.set(request, new AsyncResource('rempart-event-context'));
      done();
    });
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const resource = resources.get(request);
    if (resource) resource.runInAsyncScope(done, request.raw);
    else done();
  });
}
