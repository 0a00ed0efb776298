import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  awaitsSecondFactor,
  csrfTokenFor,
  listSessions,
  revokeAllSessions,
  revokeSession,
  SESSION_COOKIE,
  staffMemberOf,
} from '../../identity/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import type { Executor } from '../../store/index.ts';
import { ErrorSchema } from '../schemas.ts';

const SessionView = Type.Object({
  id: Type.String(),
  createdAt: Type.String(),
  lastSeenAt: Type.String(),
  expiresAt: Type.String(),
  network: Type.String(),
  secondFactorAt: Type.Union([Type.String(), Type.Null()]),
});

/** The session in use and the account's others: seen, listed, closed one by one or all at once, and signing out. */
export function sessionRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.get(
      '/session',
      {
        config: { beforeSecondFactor: 'always' },
        schema: {
          tags: ['authentification'],
          summary:
            'La session en cours, son jeton anti-falsification (même origine seulement) et, pour un agent, son organisation et ses rôles',
          response: {
            200: Type.Object({
              account: Type.Object({ id: Type.String(), kind: Type.String(), login: Type.String() }),
              session: SessionView,
              awaitsSecondFactor: Type.Boolean(),
              /** Seen from another network than its own: the second factor must be passed again from here. */
              newNetwork: Type.Boolean(),
              csrfToken: Type.String(),
              staff: Type.Union([
                Type.Object({
                  organisation: Type.Object({ id: Type.String(), name: Type.String(), kind: Type.String() }),
                  roles: Type.Array(Type.String()),
                  displayName: Type.String(),
                }),
                Type.Null(),
              ]),
            }),
            401: ErrorSchema,
          },
        },
      },
      async (request) => {
        const session = request.session!;
        const account = request.account!;
        return {
          account: { id: account.id, kind: account.kind, login: account.login },
          session: {
            id: session.public_id,
            createdAt: session.created_at,
            lastSeenAt: session.last_seen_at,
            expiresAt: session.expires_at,
            network: session.network,
            secondFactorAt: session.second_factor_at,
          },
          awaitsSecondFactor: awaitsSecondFactor(session) || request.sessionHeldForNewNetwork === true,
          newNetwork: request.sessionHeldForNewNetwork === true,
          csrfToken: csrfTokenFor(request.cookies[SESSION_COOKIE]!),
          staff: account.kind === 'staff' ? await staffView(db, account.id) : null,
        };
      },
    );

    app.get(
      '/sessions',
      {
        schema: {
          tags: ['authentification'],
          summary: 'Mes sessions actives',
          response: { 200: Type.Object({ sessions: Type.Array(SessionView) }), 401: ErrorSchema },
        },
      },
      async (request) => ({ sessions: await listSessions(db, request.account!.id) }),
    );

    app.post(
      '/logout',
      {
        config: { beforeSecondFactor: 'always' },
        schema: {
          tags: ['authentification'],
          summary: 'Se déconnecter',
          response: { 204: Type.Null(), 401: ErrorSchema, 403: ErrorSchema },
        },
      },
      async (request, reply) => {
        await revokeSession(db, request.account!.id, request.session!.public_id, 'logout');
        await appendEvent(db, 'logout', {
          accountId: request.account!.id,
          address: request.ip,
          details: { session: request.session!.public_id },
        });
        return reply.clearCookie(SESSION_COOKIE, { path: '/' }).status(204).send(null);
      },
    );

    app.delete(
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
        if (!done)
          return reply.status(404).send({ error: 'not_found', message: 'Session inconnue.', requestId: request.id });
        await appendEvent(db, 'session_revoked', {
          accountId: request.account!.id,
          address: request.ip,
          details: { session: request.params.id },
        });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/sessions/revoke-all',
      {
        schema: {
          tags: ['authentification'],
          summary: 'Fermer toutes mes autres sessions',
          response: { 200: Type.Object({ revoked: Type.Integer() }), 401: ErrorSchema, 403: ErrorSchema },
        },
      },
      async (request) => {
        const revoked = await revokeAllSessions(
          db,
          request.account!.id,
          'revoked_by_owner',
          request.session!.public_id,
        );
        await appendEvent(db, 'session_revoked', {
          accountId: request.account!.id,
          address: request.ip,
          details: { all: true, count: revoked },
        });
        return { revoked };
      },
    );
  };
}

/** A staff member's organisation, roles and name, as the page shows them; null for a job seeker's account. */
async function staffView(db: Executor, accountId: string) {
  const member = await staffMemberOf(db, accountId);
  if (!member) return null;
  const staff = await db
    .selectFrom('actors')
    .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
    .select(['organisations.id', 'organisations.name', 'organisations.kind', 'actors.display_name'])
    .where('actors.id', '=', member.actorId)
    .executeTakeFirst();
  if (!staff) return null;
  return {
    organisation: { id: staff.id, name: staff.name, kind: staff.kind },
    roles: member.roles,
    displayName: staff.display_name,
  };
}
