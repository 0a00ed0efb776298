/** The caller of a WebAuthn ceremony: the account, the session that asked, where from. */
export interface CeremonyCaller {
  accountId: string;
  /** The session's public id: challenges are bound to it. */
  sessionId: string;
  address: string | null;
}

/**
 * Why a ceremony was refused. `challenge`: none waiting, expired, already answered or not the
 * one signed; `unknown_credential`: not a passkey of this account; `verification`: origin,
 * relying party, signature, user presence or verification wrong; `counter`: the signature
 * counter did not grow (a cloned authenticator); `duplicate`: credential already registered;
 * `concurrent`: the same passkey was used by another request at the same instant;
 * `attestation`: where only passkeys pass, the authenticator did not prove it is an allowed model.
 */
export type PasskeyFailure =
  'challenge' | 'unknown_credential' | 'verification' | 'counter' | 'duplicate' | 'concurrent' | 'attestation';

/** The challenge the browser says it signed, read from the client data (base64url JSON). */
export function signedChallenge(clientDataJSON: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    return parsed && typeof parsed === 'object' && 'challenge' in parsed && typeof parsed.challenge === 'string'
      ? parsed.challenge
      : undefined;
  } catch {
    return undefined;
  }
}
