export { createAccount, findAccountByLogin, normalizeLogin, type NewAccount } from './accounts.ts';
export { BOOTSTRAP_LOGIN, BOOTSTRAP_ROLE, ensureBootstrapAdmin, renewBootstrapToken } from './bootstrap.ts';
export {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  hasActiveSecondFactor,
  hasRecentSecondFactor,
  issueRecoveryCodes,
  listFactors,
  verifySecondFactor,
  type SecondFactorCheck,
  type TotpEnrolment,
} from './factors.ts';
export { disableInactiveStaffAccounts, INACTIVE_STAFF_DAYS } from './lifecycle.ts';
export { loginWithPassword, type LoginOutcome } from './login.ts';
export {
  ENROLMENT_REFUSALS,
  enrolmentGate,
  proveEnrolment,
  spendEnrolmentProof,
  type EnrolmentGate,
  type EnrolmentProof,
} from './enrolment.ts';
export { ARGON2_OPTIONS, hashPassword, PASSWORD_MAX_LENGTH, passwordIssues, verifyPassword } from './passwords.ts';
export {
  awaitsSecondFactor,
  createSession,
  csrfMatches,
  csrfTokenFor,
  fingerprintOf,
  listSessions,
  networkOf,
  resolveSession,
  revokeAllSessions,
  revokeSession,
  SESSION_COOKIE,
  SESSION_LIMITS,
  type ClientContext,
  type IssuedSession,
  type ResolvedSession,
  upgradeSession,
} from './sessions.ts';
export {
  ADDRESS_MAX_FAILURES,
  addressScope,
  blockedUntil,
  clearFailures,
  GLOBAL_MAX_FAILURES,
  LOGIN_DAILY_MAX_FAILURES,
  LOGIN_MAX_FAILURES,
  NETWORK_MAX_FAILURES,
  recordFailure,
  secondFactorScope,
} from './throttle.ts';
export { authenticateApiToken, issueApiToken, revokeApiTokens, type AuthenticatedActor } from './tokens.ts';
export * from './federation/index.ts';
export * from './machine-clients/index.ts';
export * from './passkeys/index.ts';
export * from './administration/index.ts';
export {
  addChannel,
  canonicalAddress,
  channelAddresses,
  listChannels,
  markChannelVerified,
  type ChannelKind,
  type ChannelView,
} from './channels.ts';
export { checkCode, issueCode, spendCode, CODE_MAX_ATTEMPTS } from './codes.ts';
export {
  alertSecurityContact,
  announceFactorChange,
  announceToAccount,
  sendMessage,
  type FactorKind,
  type Messenger,
} from './notifications.ts';
export {
  activateAccount,
  completeRecovery,
  sendActivation,
  startRecovery,
  type ActivationOutcome,
  type RecoveryOutcome,
} from './recovery.ts';
export { staffAccountsWithRole, staffMemberOf, type StaffMember } from './staff.ts';
