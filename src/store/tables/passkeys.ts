/**
 * WebAuthn (passkeys). The credential itself (public key, counter, transports) lives in
 * `account_factors` (kind 'passkey') with the other second factors; these tables hold what a
 * ceremony needs around it.
 */
export interface PasskeyTables {
  passkey_challenges: PasskeyChallengesTable;
  passkey_user_handles: PasskeyUserHandlesTable;
  passkey_credentials: PasskeyCredentialsTable;
}

/**
 * A challenge handed to the browser, waiting for its signed answer: bound to one account and
 * one session, at most one per session and ceremony, deleted when answered (used once) or
 * purged once expired.
 */
export interface PasskeyChallengesTable {
  id: string;
  account_id: string;
  /** The session's public id: an answer is accepted only from the session that asked. */
  session_id: string;
  ceremony: 'registration' | 'authentication';
  /** base64url, as it appears in the client data the authenticator signs. */
  challenge: string;
  created_at: string;
  expires_at: string;
}

/**
 * The WebAuthn user handle of an account: random (never the account id or login, which an
 * authenticator may show or leak), stable so that a new passkey on the same authenticator
 * replaces the old discoverable one instead of piling up.
 */
export interface PasskeyUserHandlesTable {
  account_id: string;
  /** base64url of 32 random bytes. */
  user_handle: string;
  created_at: string;
}

/**
 * Credential ids in a unique index: one credential belongs to one account only (WebAuthn
 * registration step "credentialId not yet registered"), and is found without scanning JSON.
 * A revoked passkey keeps its row: the same credential cannot be registered again.
 */
export interface PasskeyCredentialsTable {
  /** base64url, as the authenticator reports it. */
  credential_id: string;
  factor_id: string;
  account_id: string;
  created_at: string;
}
