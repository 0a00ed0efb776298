import * as oidc from 'openid-client';
import type { Config, OidcProviderConfig } from '../../config.ts';
import { PROVIDER_RULES, redirectUriFor, type FederationProvider } from './providers.ts';
import type { AuthorizationSecrets } from './transactions.ts';

/** Why talking to a provider failed; never carries a token, a code or a provider's raw message. */
export type ProviderFailure =
  /** Discovery or the token endpoint could not be reached. */
  | 'provider_unavailable'
  /** The provider answered the authorization request with an error (the user cancelled, say). */
  | 'provider_refused'
  /** The answer or the ID token failed a check: issuer, audience, signature, nonce, PKCE, expiry. */
  | 'response_invalid';

export class ProviderError extends Error {
  constructor(
    readonly failure: ProviderFailure,
    /** A short protocol code (an OAuth error code or a library error code), safe to record. */
    readonly code: string,
  ) {
    super(`OpenID Connect provider: ${failure} (${code})`);
    this.name = 'ProviderError';
  }
}

/** What Rempart takes from a validated ID token: who (issuer, subject) and how strongly (acr). */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  acr: string | null;
}

const DISCOVERY_TIMEOUT_SECONDS = 10;

/**
 * The OpenID Connect relying party for each configured provider. Discovery runs once per
 * issuer and client and is kept; a failed discovery is forgotten so the next login retries it.
 */
export class RelyingParties {
  private readonly configurations = new Map<string, Promise<oidc.Configuration>>();

  constructor(private readonly config: Pick<Config, 'publicUrl' | 'oidc'>) {}

  isEnabled(provider: FederationProvider): boolean {
    return this.config.oidc?.[provider] !== undefined;
  }

  async authorizationUrl(provider: FederationProvider, checks: AuthorizationSecrets): Promise<URL> {
    const configuration = await this.configurationFor(provider);
    const rules = PROVIDER_RULES[provider];
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUriFor(this.config.publicUrl, provider),
      scope: rules.scope,
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      ...rules.authorizationParameters,
    });
  }

  /**
   * The authorization response (the callback's query string) exchanged for tokens, the ID
   * token validated by openid-client against the expected state, nonce and PKCE verifier.
   */
  async verifyCallback(
    provider: FederationProvider,
    callbackQuery: string,
    checks: AuthorizationSecrets,
  ): Promise<VerifiedIdentity> {
    const configuration = await this.configurationFor(provider);
    const currentUrl = new URL(redirectUriFor(this.config.publicUrl, provider));
    currentUrl.search = callbackQuery;
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        pkceCodeVerifier: checks.codeVerifier,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (error) {
      throw asProviderError(error);
    }
    if (!claims) throw new ProviderError('response_invalid', 'id_token_missing');
    return { issuer: claims.iss, subject: claims.sub, acr: typeof claims.acr === 'string' ? claims.acr : null };
  }

  private configurationFor(provider: FederationProvider): Promise<oidc.Configuration> {
    const registration = this.config.oidc?.[provider];
    if (!registration) throw new Error(`${provider} is not configured`);
    const key = `${registration.issuer}\n${registration.clientId}`;
    let pending = this.configurations.get(key);
    if (!pending) {
      pending = discover(registration);
      this.configurations.set(key, pending);
      pending.catch(() => this.configurations.delete(key));
    }
    return pending.catch((error: unknown) => {
      throw asProviderError(error);
    });
  }
}

function discover(registration: OidcProviderConfig): Promise<oidc.Configuration> {
  const issuer = new URL(registration.issuer);
  // Configuration only accepts plain http for a provider on the loopback interface (tests, local runs).
  const execute = issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [];
  return oidc.discovery(issuer, registration.clientId, registration.clientSecret, undefined, {
    execute,
    timeout: DISCOVERY_TIMEOUT_SECONDS,
  });
}

const OAUTH_ERROR_CODE = /^[a-z_]{1,64}$/;

function asProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof oidc.AuthorizationResponseError) {
    return new ProviderError('provider_refused', OAUTH_ERROR_CODE.test(error.error) ? error.error : 'unknown_error');
  }
  // The token endpoint said no (a code already used, a wrong PKCE verifier): the answer is not to be trusted.
  if (error instanceof oidc.ResponseBodyError)
    return new ProviderError('response_invalid', OAUTH_ERROR_CODE.test(error.error) ? error.error : 'token_error');
  if (error instanceof oidc.ClientError && error.code?.startsWith('OAUTH_')) {
    return error.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || error.code === 'OAUTH_RESPONSE_IS_NOT_JSON'
      ? new ProviderError('provider_unavailable', error.code)
      : new ProviderError('response_invalid', error.code);
  }
  // fetch failures (refused connection, timeout) and anything unexpected from the network.
  return new ProviderError('provider_unavailable', error instanceof Error ? error.name : 'unknown');
}
