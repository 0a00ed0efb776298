import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appendEvent } from '../ledger/index.ts';
import type { Executor } from '../store/index.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origin (scheme, host, port) of a URL, or undefined when it is not one. */
function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Where a state-changing request says it comes from, when it says: `Origin` first, then
 * `Sec-Fetch-Site` (a cross-site fetch without Origin), then `Referer`. Undefined when the
 * client says nothing (a machine client, a command-line tool): the anti-forgery token and the
 * session's binding still protect those. A browser always says something on a POST.
 */
export function foreignSource(headers: FastifyRequest['headers'], allowed: ReadonlySet<string>): string | undefined {
  const origin = headers.origin;
  if (typeof origin === 'string' && origin !== '') {
    // `null` is an opaque origin (a sandboxed frame, a data: page): never ours.
    return allowed.has(origin) ? undefined : origin;
  }
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return `sec-fetch-site: ${site}`;
  const referer = headers.referer;
  if (typeof referer === 'string' && referer !== '') {
    const from = originOf(referer);
    return from !== undefined && allowed.has(from) ? undefined : (from ?? 'referer');
  }
  return undefined;
}

/**
 * Defence in depth beside the anti-forgery token: a state-changing request whose `Origin`
 * (or, without it, `Sec-Fetch-Site` or `Referer`) names another site than Rempart's public
 * address is refused before any handler runs, and recorded, as OWASP's CSRF sheet advises.
 */
export function registerOriginCheck(app: FastifyInstance, db: Executor, publicUrl: string): void {
  const allowed = new Set([new URL(publicUrl).origin]);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (SAFE_METHODS.has(request.method)) return;
    const foreign = foreignSource(request.headers, allowed);
    if (foreign === undefined) return;
    await appendEvent(db, 'cross_origin_refused', {
      address: request.ip,
      details: {
        route: request.routeOptions.url ?? request.url.split('?')[0]!.slice(0, 200),
        origin: foreign.slice(0, 200),
      },
    });
    return reply.status(403).send({
      error: 'origin_refused',
      message: 'Requête refusée : elle ne vient pas de l’application Rempart.',
      requestId: request.id,
    });
  });
}
