import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listSessions, loginWithPassword, PASSWORD_MAX_LENGTH, recordSecurityEvent, revokeAllSessions, revokeSession, SESSION_COOKIE, SESSION_LIMITS } from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { ErrorSchema } from '../schemas.ts';
import { clientOf, requireSession } from '../session.ts';

const LoginBody = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
  },
  { additionalProperties: false },
);

const SessionView = Type.Object({
  id: Type.String(),
  createdAt: Type.String(),
  lastSeenAt: Type.String(),
  expiresAt: Type.String(),
  network: Type.String(),
  secondFactorAt: Type.Union([Type.String(), Type.Null()]),
});

const cookieOptions = (maxAgeSeconds: number) => ({ httpOnly: true, secure: true, sameSite: 'strict' as const, path: '/', maxAge: maxAgeSeconds });

export function authRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.post(
      '/login',
      {
        schema: {
          tags: ['authentification'],
          summary: 'Se connecter avec identifiant et mot de passe (ouvre une session, cookie httpOnly)',
          body: LoginBody,
          response: {
            200: Type.Object({ account: Type.Object({ id: Type.String(), kind: Type.String() }), csrfToken: Type.String(), secondFactor: Type.String(), expiresAt: Type.String() }),
            400: ErrorSchema,
            401: ErrorSchema,
            429: ErrorSchema,
          },
        },
      },
      async (request, reply) => {
        const outcome = await loginWithPassword(db, request.body, clientOf(request));
        if (!outcome.ok && outcome.reason === 'throttled') {
          return reply
            .status(429)
            .header('retry-after', String(outcome.retryAfterSeconds))
            .send({ error: 'too_many_attempts', message: 'Trop de tentatives : réessayez plus tard.', requestId: request.id });
        }
        if (!outcome.ok) return reply.status(401).send({ error: 'invalid_credentials', message: 'Identifiant ou mot de passe incorrect.', requestId: request.id });
        void reply.setCookie(SESSION_COOKIE, outcome.session.token, cookieOptions(SESSION_LIMITS[outcome.account.kind].absoluteSeconds));
        return { account: { id: outcome.account.id, kind: outcome.account.kind }, csrfToken: outcome.session.csrfToken, secondFactor: outcome.secondFactor, expiresAt: outcome.session.expiresAt };
      },
    );

    await app.register(async (scope) => {
      const authenticated = scope.withTypeProvider<TypeBoxTypeProvider>();
      authenticated.addHook('onRequest', requireSession(db));

      authenticated.get(
        '/session',
        { schema: { tags: ['authentification'], summary: 'La session en cours', response: { 200: Type.Object({ account: Type.Object({ id: Type.String(), kind: Type.String(), login: Type.String() }), session: SessionView }), 401: ErrorSchema } } },
        async (request) => {
          const s = request.session!;
          const a = request.account!;
          return {
            account: { id: a.id, kind: a.kind, login: a.login },
            session: { id: s.public_id, createdAt: s.created_at, lastSeenAt: s.last_seen_at, expiresAt: s.expires_at, network: s.network, secondFactorAt: s.second_factor_at },
          };
        },
      );

      authenticated.get(
        '/sessions',
        { schema: { tags: ['authentification'], summary: 'Mes sessions actives', response: { 200: Type.Object({ sessions: Type.Array(SessionView) }), 401: ErrorSchema } } },
        async (request) => ({ sessions: await listSessions(db, request.account!.id) }),
      );

      authenticated.post(
        '/logout',
        { schema: { tags: ['authentification'], summary: 'Se déconnecter', response: { 204: Type.Null(), 401: ErrorSchema, 403: ErrorSchema } } },
        async (request, reply) => {
          await revokeSession(db, request.account!.id, request.session!.public_id, 'logout');
          await recordSecurityEvent(db, 'logout', { accountId: request.account!.id, address: request.ip, details: { session: request.session!.public_id } });
          return reply.clearCookie(SESSION_COOKIE, { path: '/' }).status(204).send(null);
        },
      );

      authenticated.delete(
        '/sessions/:id',
        {
          schema: {
            tags: ['authentification'],
            summary: 'Fermer une de mes sessions',
            params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{16}$' }) }, { additionalProperties: false }),
            response: { 204: Type.Null(), 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema },
          },
        },
        async (request, reply) => {
          const done = await revokeSession(db, request.account!.id, request.params.id, 'revoked_by_owner');
          if (!done) return reply.status(404).send({ error: 'not_found', message: 'Session inconnue.', requestId: request.id });
          await recordSecurityEvent(db, 'session_revoked', { accountId: request.account!.id, address: request.ip, details: { session: request.params.id } });
          return reply.status(204).send(null);
        },
      );

      authenticated.post(
        '/sessions/revoke-all',
        { schema: { tags: ['authentification'], summary: 'Fermer toutes mes autres sessions', response: { 200: Type.Object({ revoked: Type.Integer() }), 401: ErrorSchema, 403: ErrorSchema } } },
        async (request) => {
          const revoked = await revokeAllSessions(db, request.account!.id, 'revoked_by_owner', request.session!.public_id);
          await recordSecurityEvent(db, 'session_revoked', { accountId: request.account!.id, address: request.ip, details: { all: true, count: revoked } });
          return { revoked };
        },
      );
    });
  };
}
