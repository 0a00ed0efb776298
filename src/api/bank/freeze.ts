import { readFileSync } from 'node:fs';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/index.ts';
import { addressScope, blockedUntil, recordFailure } from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';

/**
 * A page without script, for a person who may not be signed in: its own stylesheet, no framing,
 * requests to this origin only, so that an injected tag can neither run nor send anything away.
 */
const PAGE_CSP = [
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

/** Read once: it changes only with a new release. */
const STYLESHEET = readFileSync(new URL('./freeze.css', import.meta.url), 'utf8');

const HTML_HEADERS = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} — France Travail</title>
<link rel="stylesheet" href="/ce-n-est-pas-moi.css"></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
${content}
</main></body></html>
`;
}

function form(code: string, error?: string): string {
  return page(
    'Ce n’est pas moi',
    `<p>Vous avez reçu un avis de modification de vos coordonnées bancaires que vous n’avez pas demandée ? Saisissez le code indiqué dans l’avis : la modification sera bloquée, vos sessions fermées, et un conseiller vous contactera.</p>
${error ? `<p id="statut" data-genre="erreur" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/ce-n-est-pas-moi">
<label for="code">Code reçu (10 caractères, par exemple 7KX2M-Q9PRT)</label>
<input id="code" name="code" autocomplete="off" autocapitalize="characters" required maxlength="20" value="${escapeHtml(code)}">
<button type="submit">Bloquer la modification</button>
</form>
<p>Vous pouvez aussi appeler le 3949 et donner ce code à un conseiller.</p>`,
  );
}

const MAX_FAILURES_MESSAGE = 'Trop de codes erronés depuis cette adresse : réessayez plus tard ou appelez le 3949.';

/**
 * "Ce n'est pas moi": anyone holding a notice's code freezes its change, without signing in
 * (the account may be in a thief's hands). The link only shows the form; freezing takes a
 * POST, so a mail scanner following links freezes nothing. Wrong codes are counted per address.
 */
export function freezeRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;

  async function freeze(code: string, address: string) {
    if (await blockedUntil(db, [addressScope(address)]))
      throw new ConflictError(MAX_FAILURES_MESSAGE, 'too_many_attempts');
    try {
      return await runtime.bank.freeze(code, address);
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof ValidationError)
        await recordFailure(db, addressScope(address));
      throw error;
    }
  }

  function outcomeText(r: { frozen: boolean; alreadyEffective: boolean }): string {
    if (r.frozen)
      return 'La modification de vos coordonnées bancaires est bloquée : elle ne prendra pas effet. Vos sessions ont été fermées ; un conseiller va vous contacter. Changez votre mot de passe à votre prochaine connexion.';
    if (r.alreadyEffective)
      return 'Cette modification était déjà en vigueur. Vos coordonnées bancaires sont placées sous surveillance et un conseiller va vous contacter en priorité pour rétablir votre compte.';
    return 'Cette modification était déjà arrêtée. Vos coordonnées bancaires sont placées sous surveillance et un conseiller va vous contacter.';
  }

  return async (app) => {
    await app.register(formbody, { bodyLimit: 4 * 1024 });

    app.get('/ce-n-est-pas-moi.css', { schema: { hide: true } }, async (_request, reply) =>
      reply.headers(HTML_HEADERS).type('text/css; charset=utf-8').send(STYLESHEET),
    );

    app.get(
      '/ce-n-est-pas-moi',
      {
        schema: {
          tags: ['coordonnées bancaires'],
          summary: 'Page « Ce n’est pas moi » : bloquer une modification de coordonnées bancaires avec le code reçu',
          querystring: Type.Object({ code: Type.Optional(Type.String({ maxLength: 20 })) }),
        },
      },
      async (request, reply) =>
        reply
          .headers(HTML_HEADERS)
          .type('text/html; charset=utf-8')
          .send(form(request.query.code ?? '')),
    );

    app.post(
      '/ce-n-est-pas-moi',
      {
        schema: {
          tags: ['coordonnées bancaires'],
          summary: 'Bloquer la modification (formulaire de la page)',
          body: Type.Object({ code: Type.String({ maxLength: 40 }) }),
        },
      },
      async (request, reply) => {
        const send = (status: number, html: string) =>
          reply.status(status).headers(HTML_HEADERS).type('text/html; charset=utf-8').send(html);
        try {
          const result = await freeze(request.body.code, request.ip);
          return send(
            200,
            page(
              'Modification bloquée',
              `<p id="statut" data-genre="succes" role="status">${escapeHtml(outcomeText(result))}</p>`,
            ),
          );
        } catch (error) {
          if (error instanceof ValidationError) return send(400, form(request.body.code, error.issues[0]!.message));
          if (error instanceof NotFoundError)
            return send(404, form(request.body.code, 'Code inconnu ou expiré. Vérifiez-le, ou appelez le 3949.'));
          if (error instanceof ConflictError)
            return send(error.code === 'too_many_attempts' ? 429 : 409, form('', error.message));
          throw error;
        }
      },
    );

    app.post(
      '/api/bank-details/freeze',
      {
        schema: {
          tags: ['coordonnées bancaires'],
          summary:
            '« Ce n’est pas moi » : bloquer une modification de coordonnées bancaires avec le code reçu (sans connexion)',
          body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false }),
          response: {
            200: Type.Object({ frozen: Type.Boolean(), alreadyEffective: Type.Boolean(), message: Type.String() }),
            429: errorResponses[409],
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        try {
          const result = await freeze(request.body.code, request.ip);
          return { frozen: result.frozen, alreadyEffective: result.alreadyEffective, message: outcomeText(result) };
        } catch (error) {
          if (error instanceof ConflictError && error.code === 'too_many_attempts')
            return reply.status(429).send({ error: error.code, message: error.message, requestId: request.id });
          throw error;
        }
      },
    );
  };
}
