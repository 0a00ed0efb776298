/**
 * Identity: who someone is and how they prove it. The rest of the server asks through these
 * names only, grouped by what it does with them; what no one outside identity uses stays inside.
 */

// ---- Accounts and staff members: created, looked up, disabled when idle ----
export { createAccount, isLoginTaken } from './accounts.ts';
export { ensureBootstrapAdmin, renewBootstrapToken } from './bootstrap.ts';
export { disableInactiveStaffAccounts, INACTIVE_STAFF_DAYS } from './lifecycle.ts';
export { staffAccountsAllowedTo, staffAccountsWithRole, staffMemberOf, type StaffMember } from './staff.ts';
// Questions other capabilities ask of an account, rather than reading identity's tables.
export {
  accountChangesSince,
  accountCredentialDates,
  accountsOfActors,
  accountsOfPerson,
  accountsOfSessions,
  activeJobSeekerAccountOf,
  actorsOfMachineClients,
  actorsOfSessions,
  loginsOf,
  newDeviceSince,
  staffFollowing,
} from './questions.ts';

// ---- Signing in with a password, and the throttles on guessing ----
export { loginWithPassword } from './login.ts';
export { ARGON2_OPTIONS, hashPassword, PASSWORD_MAX_LENGTH, passwordIssues, verifyPassword } from './passwords.ts';
export {
  ADDRESS_MAX_FAILURES,
  addressScope,
  blockedUntil,
  clearFailures,
  LOGIN_DAILY_MAX_FAILURES,
  LOGIN_MAX_FAILURES,
  lockThrottleScopes,
  oneAtATime,
  recordFailure,
  secondFactorScope,
} from './throttle.ts';

// ---- Sessions: opened, resolved on each request, re-issued after a second factor, listed ----
export {
  awaitsSecondFactor,
  createSession,
  csrfMatches,
  csrfTokenFor,
  fingerprintOf,
  listSessions,
  networkOf,
  resolveSession,
  SESSION_COOKIE,
  upgradeSession,
  type ClientContext,
  type IssuedSession,
} from './sessions.ts';

// ---- Second factors: authenticator apps, recovery codes, passkeys, and the first enrolment ----
export {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  hasActiveSecondFactor,
  hasRecentSecondFactor,
  issueRecoveryCodes,
  listFactors,
  verifySecondFactor,
} from './factors.ts';
export { ENROLMENT_REFUSALS, enrolmentGate, proveEnrolment, spendEnrolmentProof } from './enrolment.ts';
export {
  beginPasskeyAuthentication,
  beginPasskeyRegistration,
  finishPasskeyAuthentication,
  finishPasskeyRegistration,
  hasUsableSecondFactor,
  mayAddPasskey,
  mayAddSecondFactor,
  relyingPartyFor,
  requiresPasskey,
  type AttestationRefusal,
  type CeremonyCaller,
  type PasskeyData,
  type PasskeyFailure,
  type PasskeyRegistration,
} from './passkeys/index.ts';

// ---- Revoking: credentials taken away (containment, incidents, resets), or given up by their holder ----
export { revokeCredentials } from './revocation.ts';
export { revokeAllSessions, revokeSession } from './sessions.ts';
export { revokePasskey, revokeSecondFactor } from './passkeys/index.ts';
export { revokeApiTokens } from './tokens.ts';
export { revokeMachineClient } from './machine-clients/index.ts';

// ---- Activation and recovery of an account, and a password changed by its holder ----
export { activateAccount, completeRecovery, startRecovery } from './recovery.ts';
export { changePassword, type PasswordChange, type PasswordChangeOutcome } from './password-change.ts';

// ---- Contact channels, one-time codes and the messages sent to an account ----
export {
  addChannel,
  canonicalAddress,
  channelAddresses,
  listChannels,
  markChannelVerified,
  type ChannelKind,
} from './channels.ts';
export { checkCode, issueCode, spendCode } from './codes.ts';
export {
  alertSecurityContact,
  announceFactorChange,
  announceToAccount,
  announceToPerson,
  sendMessage,
  type Messenger,
} from './notifications.ts';

// ---- Callers that are programs: staff API tokens and partner systems (OAuth 2 client credentials) ----
export { authenticateApiToken, issueApiToken, type AuthenticatedActor } from './tokens.ts';
export {
  authenticateMachineToken,
  issueClientCredentialsToken,
  JWT_BEARER_ASSERTION_TYPE,
  MACHINE_TOKEN_LIFETIME_SECONDS,
  recordTokenRefusal,
  refusalDescription,
  registerMachineClient,
  tokenAudiences,
  withinScope,
  type AuthenticatedMachineClient,
  type RegisteredMachineClient,
  type TokenErrorCode,
  type TokenRequestForm,
} from './machine-clients/index.ts';

// ---- Signing in through OpenID Connect (FranceConnect, ProConnect) ----
export {
  completeFederation,
  FEDERATION_PROVIDERS,
  listLinkedIdentities,
  PROVIDER_RULES,
  ProviderError,
  redirectUriFor,
  RelyingParties,
  secondFactorAfterFederation,
  startFederatedLogin,
  startIdentityLink,
  TRANSACTION_TTL_SECONDS,
  unlinkIdentity,
  type CallbackRejection,
  type FederationProvider,
} from './federation/index.ts';

// ---- Administration of an organisation's accounts: four-eyes requests and recertification ----
export {
  approveAdminRequest,
  currentRecertification,
  decideRecertification,
  disableStaffAccount,
  listAdminRequests,
  listOrganisationAccounts,
  listOrganisationMachineClients,
  refuseAdminRequest,
  requestAdminChange,
  revokeOrganisationMachineClient,
  runRecertificationSchedule,
  startRecertification,
} from './administration/index.ts';
export { lastUseOfPersons, retireIdentityRecords } from './retention.ts';
