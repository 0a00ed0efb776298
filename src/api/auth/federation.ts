import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  announceToAccount,
  completeFederation,
  FEDERATION_PROVIDERS,
  listLinkedIdentities,
  mayAddSecondFactor,
  PROVIDER_RULES,
  ProviderError,
  RelyingParties,
  startFederatedLogin,
  startIdentityLink,
  TRANSACTION_TTL_SECONDS,
  unlinkIdentity,
  type CallbackRejection,
  type FederationProvider,
  type IssuedSession,
} from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { messengerOf } from '../messenger.ts';
import { ErrorSchema, errorsFor } from '../schemas.ts';
import { clientOf, requireSession } from '../session.ts';
import { setSessionCookie } from './cookie.ts';
import { appendEvent } from '../../ledger/index.ts';

/** Holds the random id of the authorization request in flight; the store keeps its hash. */
export const TRANSACTION_COOKIE = 'rempart_oidc_transaction';
/**
 * Hands the new session's CSRF token to the page the callback redirects to (a redirect has no
 * body to carry it). Readable by scripts, like the JSON body of a password login, and short-lived.
 */
export const CSRF_HANDOFF_COOKIE = 'rempart_csrf_handoff';

const TAG = 'authentification';

const ProviderParams = Type.Object({ provider: Type.Enum(FEDERATION_PROVIDERS) }, { additionalProperties: false });

/** What providers send back; other parameters (session_state…) are tolerated and ignored. */
const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 2048 })),
  state: Type.Optional(Type.String({ maxLength: 512 })),
  iss: Type.Optional(Type.String({ maxLength: 2048 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
  error_description: Type.Optional(Type.String({ maxLength: 2048 })),
});

const transactionCookieOptions = {
  httpOnly: true,
  secure: true,
  // Lax, not Strict: the callback is a top-level navigation coming from the provider's site.
  sameSite: 'lax' as const,
  path: '/api/auth/oidc',
  maxAge: TRANSACTION_TTL_SECONDS,
};

function setSessionCookies(reply: FastifyReply, session: IssuedSession): void {
  setSessionCookie(reply, session);
  void reply.setCookie(CSRF_HANDOFF_COOKIE, session.csrfToken, {
    httpOnly: false,
    secure: true,
    sameSite: 'strict',
    path: '/',
    maxAge: 120,
  });
}

/**
 * The callback's URL carries the authorization code: its request is logged by path only, so a
 * code never reaches the log even though it is single-use and short-lived.
 */
const pathOnlyRequestLog = {
  req: (request: FastifyRequest) => ({
    method: request.method,
    url: request.url.split('?')[0],
    remoteAddress: request.ip,
  }),
};

function rejection(
  reason: CallbackRejection,
  provider: FederationProvider,
): { status: 400 | 403 | 409 | 502; error: string; message: string } {
  const name = PROVIDER_RULES[provider].displayName;
  switch (reason) {
    case 'transaction_unknown':
      return {
        status: 400,
        error: 'federation_transaction_unknown',
        message: `Demande de connexion ${name} inconnue, expirée ou déjà utilisée : recommencez depuis Rempart.`,
      };
    case 'state_mismatch':
      return {
        status: 400,
        error: 'federation_state_mismatch',
        message: `La réponse de ${name} ne correspond pas à la demande envoyée (paramètre state) : recommencez depuis Rempart.`,
      };
    case 'provider_refused':
      return {
        status: 403,
        error: 'federation_refused_by_provider',
        message: `${name} n’a pas autorisé la connexion (annulée ou refusée).`,
      };
    case 'response_invalid':
      return {
        status: 403,
        error: 'federation_response_invalid',
        message: `La réponse de ${name} n’a pas passé les contrôles de sécurité : recommencez depuis Rempart.`,
      };
    case 'provider_unavailable':
      return {
        status: 502,
        error: 'federation_provider_unavailable',
        message: `${name} ne répond pas : réessayez plus tard ou connectez-vous avec votre mot de passe Rempart.`,
      };
    case 'identity_unknown':
      return {
        status: 403,
        error: 'federated_identity_unknown',
        message: `Cette identité ${name} n’est liée à aucun compte Rempart. Connectez-vous une première fois avec votre identifiant et votre mot de passe Rempart, puis liez votre compte ${name} depuis votre espace.`,
      };
    case 'account_disabled':
      return {
        status: 403,
        error: 'account_disabled',
        message: 'Ce compte Rempart est désactivé : adressez-vous à votre administrateur ou à votre conseiller.',
      };
    case 'account_kind_mismatch':
      return { status: 403, error: 'federation_account_kind_mismatch', message: kindMismatchMessage(provider) };
    case 'link_session_ended':
      return {
        status: 403,
        error: 'federation_link_session_ended',
        message: `La session qui a demandé la liaison avec ${name} est terminée : reconnectez-vous puis recommencez.`,
      };
    case 'identity_linked_elsewhere':
      return {
        status: 409,
        error: 'federated_identity_linked_elsewhere',
        message: `Cette identité ${name} est déjà liée à un autre compte Rempart.`,
      };
    case 'account_already_linked':
      return {
        status: 409,
        error: 'federated_account_already_linked',
        message: `Votre compte est déjà lié à une autre identité ${name} : supprimez d’abord cette liaison.`,
      };
  }
}

function kindMismatchMessage(provider: FederationProvider): string {
  return PROVIDER_RULES[provider].accountKind === 'job_seeker'
    ? `${PROVIDER_RULES[provider].displayName} ne peut être lié qu’à un compte de demandeur d’emploi.`
    : `${PROVIDER_RULES[provider].displayName} ne peut être lié qu’à un compte professionnel.`;
}

/** OpenID Connect login with FranceConnect and ProConnect. */
export function federationRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  /** A link made or removed is told on every verified channel: a way into the account changed. */
  const announceLink = (accountId: string, provider: FederationProvider, change: 'liée à' | 'retirée de') =>
    announceToAccount(
      messengerOf(runtime),
      accountId,
      'federation_link_announcement',
      `Rempart : identité ${PROVIDER_RULES[provider].displayName} ${change} votre compte`,
      `Une identité ${PROVIDER_RULES[provider].displayName} a été ${change} votre compte Rempart le ${new Date().toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })}. Si ce n’est pas vous, changez votre mot de passe et prévenez votre conseiller ou le contact sécurité de votre organisation.`,
      { verifiedOnly: true },
    );
  const parties = new RelyingParties(runtime.config);

  const notConfigured = (reply: FastifyReply, provider: FederationProvider, requestId: string) =>
    reply.status(404).send({
      error: 'federation_provider_not_configured',
      message: `La connexion avec ${PROVIDER_RULES[provider].displayName} n’est pas disponible sur ce service.`,
      requestId,
    });
  const unavailable = (reply: FastifyReply, provider: FederationProvider, requestId: string) => {
    const { status, error, message } = rejection('provider_unavailable', provider);
    return reply.status(status).send({ error, message, requestId });
  };

  return async (app) => {
    app.get(
      '/providers',
      {
        schema: {
          tags: [TAG],
          summary:
            'Fournisseurs d’identité configurés sur ce service (la page de connexion n’affiche que leurs boutons)',
          response: {
            200: Type.Object({
              providers: Type.Array(
                Type.Object({ id: Type.String(), name: Type.String(), accountKind: Type.String() }),
              ),
            }),
          },
        },
      },
      async () => ({
        providers: (Object.keys(PROVIDER_RULES) as FederationProvider[])
          .filter((p) => parties.isEnabled(p))
          .map((p) => ({ id: p, name: PROVIDER_RULES[p].displayName, accountKind: PROVIDER_RULES[p].accountKind })),
      }),
    );

    app.get(
      '/:provider/start',
      {
        schema: {
          tags: [TAG],
          summary:
            'Se connecter avec FranceConnect (demandeurs d’emploi) ou ProConnect (professionnels) : redirige vers le fournisseur',
          params: ProviderParams,
          response: { 302: Type.Null(), 400: ErrorSchema, 404: ErrorSchema, 502: ErrorSchema },
        },
      },
      async (request, reply) => {
        const { provider } = request.params;
        if (!parties.isEnabled(provider)) return notConfigured(reply, provider, request.id);
        let started;
        try {
          started = await startFederatedLogin(db, parties, provider);
        } catch (error) {
          if (error instanceof ProviderError) return unavailable(reply, provider, request.id);
          throw error;
        }
        void reply.setCookie(TRANSACTION_COOKIE, started.cookieValue, transactionCookieOptions);
        return reply.redirect(started.authorizationUrl, 302);
      },
    );

    app.get(
      '/:provider/callback',
      {
        logSerializers: pathOnlyRequestLog,
        schema: {
          tags: [TAG],
          summary:
            'Retour du fournisseur d’identité : ouvre la session (connexion) ou enregistre la liaison, puis redirige vers l’accueil',
          params: ProviderParams,
          querystring: CallbackQuery,
          response: {
            303: Type.Null(),
            ...errorsFor(400, 403, 404, 409, 502),
          },
        },
      },
      async (request, reply) => {
        const { provider } = request.params;
        // Whatever happens next, the transaction is spent: the browser may forget it.
        void reply.clearCookie(TRANSACTION_COOKIE, { path: transactionCookieOptions.path });
        if (!parties.isEnabled(provider)) return notConfigured(reply, provider, request.id);
        const rawUrl = request.raw.url ?? '';
        const query = rawUrl.includes('?') ? rawUrl.slice(rawUrl.indexOf('?')) : '';
        const outcome = await completeFederation(db, parties, {
          provider,
          cookieValue: request.cookies[TRANSACTION_COOKIE],
          query,
          client: clientOf(request),
        });
        if (!outcome.ok) {
          const { status, error, message } = rejection(outcome.reason, provider);
          return reply.status(status).send({ error, message, requestId: request.id });
        }
        if (outcome.intent === 'login') setSessionCookies(reply, outcome.login.session);
        if (outcome.intent === 'link' && outcome.created) await announceLink(outcome.accountId, provider, 'liée à');
        return reply.redirect('/', 303);
      },
    );

    await app.register(async (scope) => {
      const authenticated = scope.withTypeProvider<TypeBoxTypeProvider>();
      authenticated.addHook('onRequest', requireSession(db));

      authenticated.get(
        '/links',
        {
          schema: {
            tags: [TAG],
            summary: 'Mes identités FranceConnect ou ProConnect liées',
            response: {
              200: Type.Object({
                links: Type.Array(
                  Type.Object({
                    provider: Type.String(),
                    linkedAt: Type.String(),
                    lastLoginAt: Type.Union([Type.String(), Type.Null()]),
                  }),
                ),
              }),
              ...errorsFor(401, 403),
            },
          },
        },
        async (request) => ({ links: await listLinkedIdentities(db, request.account!.id) }),
      );

      authenticated.post(
        '/:provider/link',
        {
          schema: {
            tags: [TAG],
            summary:
              'Lier mon compte à mon identité FranceConnect ou ProConnect : renvoie l’adresse du fournisseur où poursuivre',
            params: ProviderParams,
            response: {
              200: Type.Object({ authorizationUrl: Type.String() }),
              ...errorsFor(400, 401, 403, 404, 502),
            },
          },
        },
        async (request, reply) => {
          const { provider } = request.params;
          if (!parties.isEnabled(provider)) return notConfigured(reply, provider, request.id);
          // A linked identity is one more way in: like a new factor, it needs a recent existing one.
          if (!(await mayAddSecondFactor(db, request.account!.id, request.session!.second_factor_at))) {
            await appendEvent(db, 'step_up_required', {
              accountId: request.account!.id,
              address: request.ip,
              details: { operation: 'federation_link', provider },
            });
            return reply.status(403).send({
              error: 'step_up_required',
              message: `Validez d’abord votre second facteur (il y a moins de cinq minutes) pour lier votre compte à ${PROVIDER_RULES[provider].displayName}.`,
              requestId: request.id,
            });
          }
          let outcome;
          try {
            outcome = await startIdentityLink(db, parties, provider, request.account!, request.session!, request.ip);
          } catch (error) {
            if (error instanceof ProviderError) return unavailable(reply, provider, request.id);
            throw error;
          }
          if (!outcome.ok)
            return reply.status(403).send({
              error: 'federation_account_kind_mismatch',
              message: kindMismatchMessage(provider),
              requestId: request.id,
            });
          void reply.setCookie(TRANSACTION_COOKIE, outcome.cookieValue, transactionCookieOptions);
          return { authorizationUrl: outcome.authorizationUrl };
        },
      );

      authenticated.delete(
        '/:provider/link',
        {
          schema: {
            tags: [TAG],
            summary: 'Supprimer la liaison de mon compte avec FranceConnect ou ProConnect',
            params: ProviderParams,
            response: { 204: Type.Null(), 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema },
          },
        },
        async (request, reply) => {
          const { provider } = request.params;
          const account = request.account!;
          if (!(await unlinkIdentity(db, account.id, provider))) {
            return reply.status(404).send({
              error: 'not_found',
              message: `Aucune identité ${PROVIDER_RULES[provider].displayName} n’est liée à votre compte.`,
              requestId: request.id,
            });
          }
          await appendEvent(db, 'federated_identity_unlinked', {
            accountId: account.id,
            address: request.ip,
            details: { provider },
          });
          await announceLink(account.id, provider, 'retirée de');
          return reply.status(204).send(null);
        },
      );
    });
  };
}
