import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Where `npm run build:web` (Vite) writes the application; `npm start` builds it when stale.
 * `REMPART_WEB_DIST` moves it (the build script reads the same variable), so that test runs
 * side by side do not rebuild each other's copy.
 */
export const WEB_DIST = process.env.REMPART_WEB_DIST
  ? `${resolve(process.env.REMPART_WEB_DIST)}/`
  : fileURLToPath(new URL('../../web/dist/', import.meta.url));

/**
 * The two `<style>` elements the DSFR's colour-scheme logic inserts (`:root { color-scheme:
 * light|dark; }`), allowed by their hash: no other inline style, and no inline script at all.
 */
const DSFR_COLOR_SCHEME_HASHES = [
  "'sha256-HzhUjVBe6Oi2wcxUM7bmy2Rp9VdLMHYDdYr9MalNmOY='",
  "'sha256-xVQ4mcypV0CvOtZpQgVcKpcoNvdUkR9BrwZBrtBbU+w='",
];

/** The application's policy: its own origin for everything, nothing inline, no framing, no plugin. */
export const WEB_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", ...DSFR_COLOR_SCHEME_HASHES],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  upgradeInsecureRequests: null,
};

/** Security headers on every response (helmet): CSP, HSTS, no sniffing, no referrer, same-origin opener. */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: WEB_CSP_DIRECTIVES },
    strictTransportSecurity: { maxAge: 63_072_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
}

const NOT_BUILT = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Rempart</title></head><body><main><h1>Interface web non construite</h1><p>Lancez <code>npm run build:web</code> (ou <code>npm start</code>, qui la construit), puis rechargez la page. L’API répond sous <a href="/api/docs">/api/docs</a>.</p></main></body></html>`;

/**
 * The single-page application: its hashed assets cached for a year, and `index.html` for every
 * other page address (the router runs in the browser). Page addresses never carry personal data:
 * a file is opened from the page's state, never from its URL.
 */
export async function webRoutes(app: FastifyInstance): Promise<void> {
  const indexFile = `${WEB_DIST}index.html`;
  const built = existsSync(indexFile);
  const index = built ? readFileSync(indexFile, 'utf8') : NOT_BUILT;
  if (built) {
    await app.register(fastifyStatic, {
      root: `${WEB_DIST}assets`,
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      immutable: true,
      maxAge: '365d',
      schemaHide: true,
    } as Parameters<typeof fastifyStatic>[1]);
  }
  const page = async (_request: unknown, reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index);
  app.get('/', { schema: { hide: true } }, page);
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) => reply.status(204).send());
  // Client-side routes: any GET for a page (not the API, not an asset) gets the application.
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (path.startsWith('/api/') || path.startsWith('/assets/') || path.includes('.')) {
      return reply.status(404).send({ error: 'not_found', message: 'Ressource inconnue.', requestId: request.id });
    }
    return page(request, reply);
  });
}
