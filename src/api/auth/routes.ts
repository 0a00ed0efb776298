import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  announceFactorChange,
  ENROLMENT_REFUSALS,
  enrolmentGate,
  awaitsSecondFactor,
  beginTotpEnrolment,
  blockedUntil,
  clearFailures,
  confirmTotpEnrolment,
  csrfTokenFor,
  listFactors,
  listSessions,
  loginWithPassword,
  mayAddSecondFactor,
  proveEnrolment,
  PASSWORD_MAX_LENGTH,
  hasRecentSecondFactor,
  recordFailure,
  requiresPasskey,
  revokeSecondFactor,
  revokeAllSessions,
  revokeSession,
  secondFactorScope,
  spendEnrolmentProof,
  SESSION_COOKIE,
  staffMemberOf,
  upgradeSession,
  verifySecondFactor,
  type IssuedSession,
} from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import type { Executor } from '../../store/index.ts';
import { ErrorSchema } from '../schemas.ts';
import { clientOf, requireSession } from '../session.ts';
import { messengerOf } from '../messenger.ts';
import { appendEvent } from '../../ledger/index.ts';

/** A first factor enrolled without the activation's proof (TOTP or passkey): refused, recorded, the field named. */
export async function refuseEnrolment(
  db: Executor,
  request: FastifyRequest,
  reply: FastifyReply,
  reason: keyof typeof ENROLMENT_REFUSALS,
): Promise<FastifyReply> {
  await appendEvent(db, 'second_factor_failed', {
    accountId: request.account!.id,
    address: request.ip,
    details: { during: 'enrolment', reason },
  });
  const { status, message } = ENROLMENT_REFUSALS[reason];
  return reply.status(status).send({
    error: reason,
    message,
    issues: [{ field: 'body.activationCode', rule: reason, message }],
    requestId: request.id,
  });
}

/** The activation code again, for the first second factor of an account activated by code. */
export const ActivationCodeField = Type.Optional(Type.String({ minLength: 8, maxLength: 40 }));

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

/** The session cookie, living as long as the session's absolute limit. */
export function setSessionCookie(reply: FastifyReply, issued: IssuedSession): void {
  const maxAge = Math.max(1, Math.floor((Date.parse(issued.expiresAt) - Date.now()) / 1000));
  void reply.setCookie(SESSION_COOKIE, issued.token, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/',
    maxAge,
  });
}

/** Staff of a passkey-only organisation: codes (TOTP, recovery) neither enrol nor pass. */
function passkeyRequired(reply: FastifyReply, requestId: string) {
  return reply.status(403).send({
    error: 'passkey_required',
    message: 'Votre organisation exige une clé d’accès (passkey) : les codes à usage unique ne sont pas acceptés.',
    requestId,
  });
}

function tooManyCodes(reply: FastifyReply, until: Date, requestId: string) {
  return reply
    .status(429)
    .header('retry-after', String(Math.ceil((until.getTime() - Date.now()) / 1000)))
    .send({ error: 'too_many_attempts', message: 'Trop de codes erronés : réessayez plus tard.', requestId });
}

export function authRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;

  /**
   * Adding an authenticator app next to a factor the account can pass, or removing one, needs a
   * second factor passed in the last five minutes, as passkeys do: a session lifted from a browser
   * could otherwise enrol the thief's app, pass it (the session is re-issued to the thief) and keep
   * the account. True when refused, the 403 sent. (A boolean, not the reply: a reply is thenable.)
   */
  async function refusedWithoutStepUp(
    request: FastifyRequest,
    reply: FastifyReply,
    operation: 'totp_enrolment' | 'totp_revocation',
  ): Promise<boolean> {
    const account = request.account!;
    const secondFactorAt = request.session!.second_factor_at;
    const allowed =
      operation === 'totp_enrolment'
        ? await mayAddSecondFactor(db, account.id, secondFactorAt)
        : hasRecentSecondFactor(secondFactorAt);
    if (allowed) return false;
    await appendEvent(db, 'step_up_required', { accountId: account.id, address: request.ip, details: { operation } });
    const what = operation === 'totp_enrolment' ? 'ajouter' : 'retirer';
    void reply.status(403).send({
      error: 'step_up_required',
      message: `Validez d’abord un second facteur déjà enregistré (il y a moins de cinq minutes) pour ${what} une application d’authentification.`,
      requestId: request.id,
    });
    return true;
  }

  return async (app) => {
    app.post(
      '/login',
      {
        schema: {
          tags: ['authentification'],
          summary: 'Se connecter avec identifiant et mot de passe (ouvre une session, cookie httpOnly)',
          body: LoginBody,
          response: {
            200: Type.Object({
              account: Type.Object({ id: Type.String(), kind: Type.String() }),
              csrfToken: Type.String(),
              secondFactor: Type.String(),
              /** The first factor must come with the activation code (an account activated by code). */
              activationCodeRequired: Type.Boolean(),
              expiresAt: Type.String(),
            }),
            400: ErrorSchema,
            401: ErrorSchema,
            429: ErrorSchema,
          },
        },
      },
      async (request, reply) => {
        const outcome = await loginWithPassword(db, request.body, clientOf(request), new Date(), {
          messenger: messengerOf(runtime),
        });
        if (!outcome.ok && outcome.reason === 'throttled') {
          return reply.status(429).header('retry-after', String(outcome.retryAfterSeconds)).send({
            error: 'too_many_attempts',
            message: 'Trop de tentatives : réessayez plus tard.',
            requestId: request.id,
          });
        }
        if (!outcome.ok)
          return reply.status(401).send({
            error: 'invalid_credentials',
            message: 'Identifiant ou mot de passe incorrect.',
            requestId: request.id,
          });
        setSessionCookie(reply, outcome.session);
        const activationCodeRequired =
          outcome.secondFactor === 'enrolment_required' &&
          (await enrolmentGate(db, outcome.account.id)).state !== 'free';
        return {
          account: { id: outcome.account.id, kind: outcome.account.kind },
          csrfToken: outcome.session.csrfToken,
          secondFactor: outcome.secondFactor,
          activationCodeRequired,
          expiresAt: outcome.session.expiresAt,
        };
      },
    );

    await app.register(async (scope) => {
      const authenticated = scope.withTypeProvider<TypeBoxTypeProvider>();
      authenticated.addHook('onRequest', requireSession(db));

      authenticated.get(
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
          const s = request.session!;
          const a = request.account!;
          const member = a.kind === 'staff' ? await staffMemberOf(db, a.id) : undefined;
          const staff = member
            ? await db
                .selectFrom('actors')
                .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
                .select(['organisations.id', 'organisations.name', 'organisations.kind', 'actors.display_name'])
                .where('actors.id', '=', member.actorId)
                .executeTakeFirst()
            : undefined;
          return {
            account: { id: a.id, kind: a.kind, login: a.login },
            session: {
              id: s.public_id,
              createdAt: s.created_at,
              lastSeenAt: s.last_seen_at,
              expiresAt: s.expires_at,
              network: s.network,
              secondFactorAt: s.second_factor_at,
            },
            awaitsSecondFactor: awaitsSecondFactor(s) || request.sessionHeldForNewNetwork === true,
            newNetwork: request.sessionHeldForNewNetwork === true,
            csrfToken: csrfTokenFor(request.cookies[SESSION_COOKIE]!),
            staff:
              member && staff
                ? {
                    organisation: { id: staff.id, name: staff.name, kind: staff.kind },
                    roles: member.roles,
                    displayName: staff.display_name,
                  }
                : null,
          };
        },
      );

      authenticated.post(
        '/factors/totp',
        {
          config: { beforeSecondFactor: 'first_enrolment' },
          schema: {
            tags: ['authentification'],
            summary: 'Commencer l’enrôlement d’une application d’authentification (TOTP)',
            response: {
              200: Type.Object({ factorId: Type.String(), secret: Type.String(), otpauthUri: Type.String() }),
              401: ErrorSchema,
              403: ErrorSchema,
            },
          },
        },
        async (request, reply) => {
          if (await requiresPasskey(db, request.account!.id)) return passkeyRequired(reply, request.id);
          if (await refusedWithoutStepUp(request, reply, 'totp_enrolment')) return reply;
          const enrolment = await beginTotpEnrolment(db, runtime.keyring, request.account!.id, request.account!.login);
          return { factorId: enrolment.factorId, secret: enrolment.secret, otpauthUri: enrolment.uri };
        },
      );

      authenticated.post(
        '/factors/totp/confirm',
        {
          config: { beforeSecondFactor: 'first_enrolment' },
          schema: {
            tags: ['authentification'],
            summary: 'Confirmer l’application par un premier code ; renvoie les codes de secours',
            body: Type.Object(
              {
                factorId: Type.String({ format: 'uuid' }),
                code: Type.String({ pattern: '^[0-9]{6}$' }),
                activationCode: ActivationCodeField,
              },
              { additionalProperties: false },
            ),
            response: {
              200: Type.Object({ recoveryCodes: Type.Array(Type.String()), csrfToken: Type.String() }),
              400: ErrorSchema,
              401: ErrorSchema,
              403: ErrorSchema,
              429: ErrorSchema,
            },
          },
        },
        async (request, reply) => {
          const account = request.account!;
          if (await requiresPasskey(db, account.id)) return passkeyRequired(reply, request.id);
          // Checked again here: the app is only added now, and the five minutes may have run out since.
          if (await refusedWithoutStepUp(request, reply, 'totp_enrolment')) return reply;
          const throttled = await blockedUntil(db, [secondFactorScope(account.id)]);
          if (throttled) return tooManyCodes(reply, throttled, request.id);
          const proof = await proveEnrolment(db, account.id, request.body.activationCode);
          if (!proof.ok) return refuseEnrolment(db, request, reply, proof.reason);
          const codes = await confirmTotpEnrolment(
            db,
            runtime.keyring,
            account.id,
            request.body.factorId,
            request.body.code,
          );
          if (!codes) {
            await recordFailure(db, secondFactorScope(account.id));
            await appendEvent(db, 'second_factor_failed', {
              accountId: account.id,
              address: request.ip,
              details: { during: 'enrolment' },
            });
            return reply.status(400).send({
              error: 'invalid_code',
              message: 'Code incorrect ou déjà utilisé.',
              issues: [{ field: 'body.code', rule: 'totp', message: 'code incorrect ou déjà utilisé' }],
              requestId: request.id,
            });
          }
          await clearFailures(db, secondFactorScope(account.id));
          await spendEnrolmentProof(db, proof);
          await announceFactorChange(messengerOf(runtime), account.id, 'added', 'totp');
          const issued = await upgradeSession(db, request.session!, account.kind, clientOf(request));
          setSessionCookie(reply, issued);
          return { recoveryCodes: codes, csrfToken: issued.csrfToken };
        },
      );

      authenticated.post(
        '/second-factor',
        {
          config: { beforeSecondFactor: 'always' },
          schema: {
            tags: ['authentification'],
            summary: 'Valider le second facteur (code TOTP ou code de secours) ; la session change d’identifiant',
            body: Type.Object({ code: Type.String({ minLength: 6, maxLength: 12 }) }, { additionalProperties: false }),
            response: {
              200: Type.Object({ method: Type.String(), csrfToken: Type.String() }),
              400: ErrorSchema,
              401: ErrorSchema,
              403: ErrorSchema,
              429: ErrorSchema,
            },
          },
        },
        async (request, reply) => {
          const account = request.account!;
          if (await requiresPasskey(db, account.id)) return passkeyRequired(reply, request.id);
          const throttled = await blockedUntil(db, [secondFactorScope(account.id)]);
          if (throttled) return tooManyCodes(reply, throttled, request.id);
          const check = await verifySecondFactor(db, runtime.keyring, account.id, request.body.code);
          if (!check.ok) {
            await recordFailure(db, secondFactorScope(account.id));
            await appendEvent(db, 'second_factor_failed', { accountId: account.id, address: request.ip, details: {} });
            return reply.status(400).send({
              error: 'invalid_code',
              message: 'Code incorrect ou déjà utilisé.',
              issues: [{ field: 'body.code', rule: 'second_factor', message: 'code incorrect ou déjà utilisé' }],
              requestId: request.id,
            });
          }
          await clearFailures(db, secondFactorScope(account.id));
          const issued = await upgradeSession(db, request.session!, account.kind, clientOf(request));
          await appendEvent(db, 'second_factor_succeeded', {
            accountId: account.id,
            address: request.ip,
            details: { method: check.method, session: issued.publicId },
          });
          setSessionCookie(reply, issued);
          return { method: check.method, csrfToken: issued.csrfToken };
        },
      );

      authenticated.get(
        '/factors',
        {
          schema: {
            tags: ['authentification'],
            summary: 'Mes seconds facteurs (jamais leurs secrets)',
            response: {
              200: Type.Object({
                factors: Type.Array(
                  Type.Object({
                    id: Type.String(),
                    kind: Type.String(),
                    status: Type.String(),
                    label: Type.String(),
                    createdAt: Type.String(),
                    lastUsedAt: Type.Union([Type.String(), Type.Null()]),
                    remaining: Type.Optional(Type.Integer()),
                  }),
                ),
              }),
              401: ErrorSchema,
              403: ErrorSchema,
            },
          },
        },
        async (request) => ({ factors: await listFactors(db, request.account!.id) }),
      );

      authenticated.delete(
        '/factors/totp/:id',
        {
          schema: {
            tags: ['authentification'],
            summary:
              'Retirer une de mes applications d’authentification (second facteur validé depuis moins de cinq minutes ; jamais le dernier second facteur d’un compte agent)',
            params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
            response: {
              204: Type.Null(),
              400: ErrorSchema,
              401: ErrorSchema,
              403: ErrorSchema,
              404: ErrorSchema,
              409: ErrorSchema,
            },
          },
        },
        async (request, reply) => {
          const account = request.account!;
          // A session lifted from a browser must not be able to strip the account of its factor.
          if (await refusedWithoutStepUp(request, reply, 'totp_revocation')) return reply;
          const outcome = await revokeSecondFactor(db, account.id, request.params.id, 'totp', request.ip);
          if (outcome === 'not_found')
            return reply
              .status(404)
              .send({ error: 'not_found', message: 'Application d’authentification inconnue.', requestId: request.id });
          if (outcome === 'last_factor') {
            return reply.status(409).send({
              error: 'last_factor',
              message:
                'C’est votre dernier second facteur utilisable : enregistrez-en un autre avant de retirer celui-ci.',
              requestId: request.id,
            });
          }
          await announceFactorChange(messengerOf(runtime), account.id, 'removed', 'totp');
          return reply.status(204).send(null);
        },
      );

      authenticated.get(
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

      authenticated.post(
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

      authenticated.delete(
        '/sessions/:id',
        {
          schema: {
            tags: ['authentification'],
            summary: 'Fermer une de mes sessions',
            params: Type.Object(
              { id: Type.String({ pattern: '^[A-Za-z0-9_-]{16}$' }) },
              { additionalProperties: false },
            ),
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

      authenticated.post(
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
    });
  };
}
