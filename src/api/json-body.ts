import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../domain/index.ts';

/** A UTF-16 surrogate without its pair: not a character, and stored as one it would come back as « � ». */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path (`body.follow_up.label`, `body.items[2]`) of the first string or key that is not well-formed text. */
function illFormedAt(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = illFormedAt(item, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (LONE_SURROGATE.test(key)) return path;
      const found = illFormedAt(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * JSON bodies are text: bytes that are not UTF-8, or a `\ud800` escape that decodes to half a
 * character, are refused (400, naming the field) rather than stored as replacement characters.
 * Fastify's own parser does the rest (prototype poisoning refused, empty bodies).
 */
export function registerStrictJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(
        new ValidationError([{ field: 'body', rule: 'utf8', message: 'le texte envoyé n’est pas de l’UTF-8 valide' }]),
        undefined,
      );
      return;
    }
    parse(request, bytes.toString('utf8'), (error, value) => {
      if (error) return done(error, undefined);
      const field = illFormedAt(value, 'body');
      if (field)
        return done(
          new ValidationError([
            { field, rule: 'unicode', message: 'texte invalide : un caractère est incomplet (demi-paire UTF-16)' },
          ]),
          undefined,
        );
      return done(null, value);
    });
  });
}
