import type { OidcProviderName } from '../../config.ts';

export type FederationProvider = OidcProviderName;

export const FEDERATION_PROVIDERS = ['franceconnect', 'proconnect'] as const satisfies readonly FederationProvider[];

/** What Rempart asks of each provider and what it accepts from it. */
export interface ProviderRules {
  /** The only kind of account this provider may open or be linked to. */
  accountKind: 'job_seeker' | 'staff';
  scope: string;
  /** Extra authorization request parameters the provider expects. */
  authorizationParameters: Readonly<Record<string, string>>;
  /** ID token `acr` values that prove a second factor at the provider (eIDAS substantial or high). */
  secondFactorAcrs: readonly string[];
  /** The provider's name as users know it, for messages. */
  displayName: string;
}

/** What both providers are asked: the identifier and the name, to show who is signing in. */
const BASE_SCOPE = 'openid email given_name family_name';
const STRONG_ACRS = ['eidas2', 'eidas3'] as const;

export const PROVIDER_RULES: Readonly<Record<FederationProvider, ProviderRules>> = {
  franceconnect: {
    accountKind: 'job_seeker',
    scope: BASE_SCOPE,
    // FranceConnect refuses an authorization request that names no eIDAS level; eidas1 is the
    // floor, and the level actually reached comes back in the ID token's acr.
    authorizationParameters: { acr_values: 'eidas1' },
    secondFactorAcrs: STRONG_ACRS,
    displayName: 'FranceConnect',
  },
  proconnect: {
    accountKind: 'staff',
    // ProConnect names the family name usual_name.
    scope: `${BASE_SCOPE} usual_name`,
    // Staff must hold a second factor: ask for eIDAS substantial as an essential claim. The
    // identity provider behind ProConnect may still answer less, so the returned acr is checked.
    authorizationParameters: {
      claims: JSON.stringify({ id_token: { acr: { essential: true, values: [...STRONG_ACRS] } } }),
    },
    secondFactorAcrs: STRONG_ACRS,
    displayName: 'ProConnect',
  },
};

/** Where the provider sends the browser back: registered with the provider as is. */
export function redirectUriFor(publicUrl: string, provider: FederationProvider): string {
  return `${publicUrl}/api/auth/oidc/${provider}/callback`;
}
