export { BOOTSTRAP_LOGIN, BOOTSTRAP_ROLE, ensureBootstrapAdmin, renewBootstrapToken } from './bootstrap.ts';
export { authenticateApiToken, issueApiToken, revokeApiTokens, type AuthenticatedActor } from './tokens.ts';
