/** Passkeys (WebAuthn) as second factor. */
export {
  beginPasskeyAuthentication,
  finishPasskeyAuthentication,
  type PasskeyAuthentication,
} from './authentication.ts';
export type { AttestationRefusal } from './attestation.ts';
export type { CeremonyCaller, PasskeyFailure } from './ceremony.ts';
export { CHALLENGE_TTL_MS } from './challenges.ts';
export { activePasskeys, type Passkey, type PasskeyData } from './credentials.ts';
export { hasUsableSecondFactor, mayAddPasskey, mayAddSecondFactor, requiresPasskey } from './policy.ts';
export {
  beginPasskeyRegistration,
  DEFAULT_PASSKEY_LABEL,
  finishPasskeyRegistration,
  type PasskeyRegistration,
} from './registration.ts';
export { relyingPartyFor, type RelyingParty } from './relying-party.ts';
export { revokePasskey, revokeSecondFactor, type PasskeyRevocation } from './revocation.ts';
