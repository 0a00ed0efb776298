import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { ValidationError } from '../../domain/index.ts';
import {
  issueClientCredentialsToken,
  MACHINE_TOKEN_LIFETIME_SECONDS,
  recordTokenRefusal,
  refusalDescription,
  type TokenErrorCode,
  type TokenRequestForm,
} from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorHandler } from '../errors.ts';

/**
 * The form of RFC 6749 §4.4.2 with RFC 7523 §2.2 client authentication. Unknown parameters
 * pass (RFC 6749 §3.2 says to ignore them); a repeated one arrives as a list and is refused.
 */
const TokenRequestBody = Type.Object({
  grant_type: Type.Optional(Type.String({ maxLength: 64, description: 'client_credentials' })),
  client_assertion_type: Type.Optional(
    Type.String({ maxLength: 128, description: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' }),
  ),
  client_assertion: Type.Optional(
    Type.String({
      maxLength: 8192,
      description:
        'JWT signé par une clé du client : iss = sub = client_id, aud = ce point de terminaison, exp ≤ 5 min, jti à usage unique',
    }),
  ),
  client_id: Type.Optional(Type.String({ maxLength: 255 })),
  scope: Type.Optional(
    Type.String({
      maxLength: 2048,
      description: 'finalités demandées, séparées par des espaces (par défaut : toutes celles des conventions actives)',
    }),
  ),
});

const TokenResponseSchema = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: `secondes (${MACHINE_TOKEN_LIFETIME_SECONDS})` }),
  scope: Type.String(),
});

const TokenErrorSchema = Type.Object({
  error: Type.Enum(['invalid_request', 'invalid_client', 'unsupported_grant_type', 'invalid_scope']),
  error_description: Type.String(),
});

function sendTokenError(reply: FastifyReply, status: 400 | 401, error: TokenErrorCode, description: string) {
  return reply.status(status).send({ error, error_description: description });
}

/** RFC 6749 §3.2: a parameter sent without a value is treated as omitted. */
function formOf(body: Record<string, unknown>): TokenRequestForm {
  const value = (name: keyof TokenRequestForm) =>
    typeof body[name] === 'string' && body[name] !== '' ? (body[name] as string) : undefined;
  const form: TokenRequestForm = {};
  for (const name of ['grant_type', 'client_assertion_type', 'client_assertion', 'client_id', 'scope'] as const) {
    const v = value(name);
    if (v !== undefined) form[name] = v;
  }
  return form;
}

/** OAuth 2 token endpoint for machine clients (client credentials, private_key_jwt). */
export function machineClientRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    // This plugin reads forms and only forms (RFC 6749 §3.2); the rest of the API keeps JSON.
    app.removeAllContentTypeParsers();
    await app.register(formbody, { bodyLimit: 16 * 1024 });

    // RFC 6749 §5.1: nothing from the token endpoint may be cached, errors included.
    app.addHook('onSend', async (_request, reply) => {
      void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    });

    // A request the schema or the parser refuses is still answered the OAuth way, and recorded.
    app.setErrorHandler(async (error: FastifyError | Error, request, reply) => {
      const status = (error as FastifyError).statusCode;
      if (!(error instanceof ValidationError) && !(status && status >= 400 && status < 500))
        return errorHandler(error, request, reply);
      await recordTokenRefusal(db, 'malformed_request', request.ip);
      const description =
        error instanceof ValidationError
          ? `Requête mal formée : ${error.issues.map((i) => `${i.field} (${i.message})`).join(' ; ')}.`
          : (error as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'Corps de requête au format application/x-www-form-urlencoded attendu.'
            : refusalDescription('malformed_request');
      return sendTokenError(reply, 400, 'invalid_request', description);
    });

    app.post(
      '/token',
      {
        bodyLimit: 16 * 1024,
        schema: {
          tags: ['authentification'],
          summary:
            'Obtenir un jeton d’accès machine (client_credentials, authentification du client par JWT signé — private_key_jwt)',
          description:
            'Pour les systèmes d’information partenaires. Le jeton (10 minutes) est lié à l’organisation du client et aux finalités de ses conventions actives ; il se présente ensuite en `Authorization: Bearer`.',
          consumes: ['application/x-www-form-urlencoded'],
          body: TokenRequestBody,
          response: { 200: TokenResponseSchema, 400: TokenErrorSchema, 401: TokenErrorSchema },
        },
      },
      async (request, reply) => {
        const body = request.body as Record<string, unknown>;
        // RFC 6749 §2.3: one client authentication method per request; the assertion is ours.
        if (request.headers.authorization !== undefined || body.client_secret !== undefined) {
          await recordTokenRefusal(db, 'multiple_client_authentication', request.ip);
          return sendTokenError(reply, 400, 'invalid_request', refusalDescription('multiple_client_authentication'));
        }
        const outcome = await issueClientCredentialsToken(db, runtime.config.publicUrl, formOf(body), request.ip);
        if (!outcome.ok) return sendTokenError(reply, outcome.status, outcome.error, outcome.description);
        return reply.status(200).send(outcome.response);
      },
    );
  };
}
