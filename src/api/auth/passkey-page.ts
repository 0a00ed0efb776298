import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

const FILES = new URL('../../web/cles-d-acces/', import.meta.url);

/**
 * Scripts from this origin only, no inline code, no framing, no plugin, requests to this
 * origin only: an injected tag on this page can neither run nor send a session anywhere.
 */
export const PASSKEY_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': PASSKEY_PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'publickey-credentials-create=(self), publickey-credentials-get=(self)',
  'cache-control': 'no-store',
};

/** The page (sign in, register a passkey, pass the second factor with it), its script and style. */
export function passkeyPageRoutes(): FastifyPluginAsyncTypebox {
  // Read once: three small files that change only with a new release.
  const assets = [
    {
      url: '/securite/cles-d-acces',
      file: 'index.html',
      type: 'text/html; charset=utf-8',
      summary: 'Page « Clés d’accès » : se connecter, enregistrer une clé d’accès, valider le second facteur avec elle',
    },
    {
      url: '/securite/cles-d-acces.js',
      file: 'cles-d-acces.js',
      type: 'text/javascript; charset=utf-8',
      summary: 'Script de la page « Clés d’accès »',
    },
    {
      url: '/securite/cles-d-acces.css',
      file: 'cles-d-acces.css',
      type: 'text/css; charset=utf-8',
      summary: 'Feuille de style de la page « Clés d’accès »',
    },
  ].map((asset) => ({ ...asset, body: readFileSync(new URL(asset.file, FILES), 'utf8') }));

  return async (app) => {
    for (const asset of assets) {
      app.get(asset.url, { schema: { tags: ['authentification'], summary: asset.summary } }, async (_request, reply) =>
        reply.headers(SECURITY_HEADERS).type(asset.type).send(asset.body),
      );
    }
  };
}
