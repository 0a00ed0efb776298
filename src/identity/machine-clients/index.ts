/** OAuth 2 client credentials with private_key_jwt for partner information systems. */
export {
  authenticateMachineToken,
  MACHINE_TOKEN_LIFETIME_SECONDS,
  MACHINE_TOKEN_PREFIX,
  type AuthenticatedMachineClient,
} from './access-tokens.ts';
export { purposesOf, withinScope } from './agreements.ts';
export { JWT_BEARER_ASSERTION_TYPE } from './assertion.ts';
export {
  issueClientCredentialsToken,
  recordTokenRefusal,
  refusalDescription,
  tokenAudiences,
  type TokenErrorCode,
  type TokenOutcome,
  type TokenRefusalReason,
  type TokenRequestForm,
  type TokenResponse,
} from './grant.ts';
export { ACCEPTED_ALGORITHMS, normalisePublicJwks } from './jwks.ts';
export {
  findMachineClient,
  MACHINE_CLIENT_ROLE,
  registerMachineClient,
  revokeMachineClient,
  type MachineClientRegistration,
  type RegisteredMachineClient,
} from './registry.ts';
