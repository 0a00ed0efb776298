/** OpenID Connect login (FranceConnect, ProConnect). */
export {
  completeFederation,
  startFederatedLogin,
  startIdentityLink,
  type CallbackInput,
  type CallbackOutcome,
  type CallbackRejection,
  type StartedFlow,
  type StartLinkOutcome,
} from './flow.ts';
export { listLinkedIdentities, unlinkIdentity } from './identities.ts';
export { secondFactorAfterFederation, type FederatedSecondFactor } from './login.ts';
export { FEDERATION_PROVIDERS, PROVIDER_RULES, redirectUriFor, type FederationProvider } from './providers.ts';
export { ProviderError, RelyingParties, type ProviderFailure, type VerifiedIdentity } from './relying-party.ts';
export { TRANSACTION_TTL_SECONDS } from './transactions.ts';
