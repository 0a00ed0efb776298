import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who is acting and from where, for the events a request records: set once when the request
 * arrives (request id, client address) and completed when it is authenticated (account, actor,
 * organisation), so that an event recorded deep in a capability still names them.
 */
export interface EventContext {
  requestId?: string | null;
  address?: string | null;
  accountId?: string | null;
  actorId?: string | null;
  organisationId?: string | null;
  /** The public id of the session the request came with (an incident can name a stolen session). */
  sessionId?: string | null;
}

const storage = new AsyncLocalStorage<EventContext>();

/** Run `work` with a context of its own; what it records (and what it awaits) sees that context. */
export function runWithEventContext<T>(context: EventContext, work: () => T): T {
  return storage.run({ ...context }, work);
}

/** Complete the current context (after authentication); outside any context this does nothing. */
export function updateEventContext(update: EventContext): void {
  const current = storage.getStore();
  if (current) Object.assign(current, update);
}

export function currentEventContext(): EventContext {
  return storage.getStore() ?? {};
}
