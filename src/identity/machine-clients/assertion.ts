import { createLocalJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import type { StoredJwks } from './jwks.ts';

/** RFC 7523 §2.2: the assertion type a client must announce. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Clocks drift: this much either way is forgiven on exp and iat. */
export const CLOCK_SKEW_SECONDS = 60;
/** An assertion lives a few minutes at most, so a stolen one is soon useless and its jti soon forgotten. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
export const MAX_ASSERTION_LENGTH = 8192;
const MAX_JTI_LENGTH = 255;

export type AssertionRefusal =
  | 'malformed_assertion'
  | 'iss_sub_mismatch'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'lifetime_too_long'
  | 'wrong_audience'
  | 'missing_claim';

export interface VerifiedAssertion {
  jti: string;
  /** When the jti may be forgotten: past this, the assertion fails the expiry check anyway. */
  replayWindowEnd: Date;
}

/**
 * The client id an assertion claims, read before its signature is checked (to know whose
 * keys to check it with): undefined unless iss and sub are the same short string.
 */
export function claimedClientId(assertion: string): { clientId: string } | { refusal: AssertionRefusal } {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(assertion);
  } catch {
    return { refusal: 'malformed_assertion' };
  }
  if (typeof claims.iss !== 'string' || !claims.iss || claims.iss.length > 100)
    return { refusal: 'malformed_assertion' };
  if (claims.sub !== claims.iss) return { refusal: 'iss_sub_mismatch' };
  return { clientId: claims.iss };
}

function refusalOf(error: unknown): AssertionRefusal {
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return 'algorithm_not_allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'not_yet_valid';
    if (error.reason === 'missing') return 'missing_claim';
    if (error.claim === 'iss' || error.claim === 'sub') return 'iss_sub_mismatch';
  }
  return 'malformed_assertion';
}

/**
 * The audience must be this server and nothing else: an assertion naming several audiences
 * could have been made for another server, which could then replay it here.
 */
function audienceAccepted(aud: JWTPayload['aud'], audiences: readonly string[]): boolean {
  const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  return values.length === 1 && audiences.includes(values[0]!);
}

/**
 * Check a client assertion (RFC 7523 §3): signed by one of the client's keys with an algorithm
 * a key is registered for, iss = sub = client id, aud = this server, short-lived, with a jti.
 * Whether the jti was seen before is the caller's business, in the transaction that uses it.
 */
export async function verifyClientAssertion(
  assertion: string,
  expected: { clientId: string; jwks: StoredJwks; audiences: readonly string[] },
  now: Date,
): Promise<{ ok: true; assertion: VerifiedAssertion } | { ok: false; refusal: AssertionRefusal }> {
  let claims: JWTPayload;
  try {
    const algorithms = [...new Set(expected.jwks.keys.map((k) => k.alg))];
    const verified = await jwtVerify(assertion, createLocalJWKSet(expected.jwks), {
      algorithms,
      issuer: expected.clientId,
      subject: expected.clientId,
      requiredClaims: ['exp', 'iat', 'jti'],
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: now,
    });
    claims = verified.payload;
  } catch (error) {
    return { ok: false, refusal: refusalOf(error) };
  }
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const { exp, iat, jti } = claims as { exp: number; iat: number; jti: unknown };
  if (!audienceAccepted(claims.aud, expected.audiences)) return { ok: false, refusal: 'wrong_audience' };
  if (iat > nowSeconds + CLOCK_SKEW_SECONDS) return { ok: false, refusal: 'issued_in_future' };
  if (exp > nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS)
    return { ok: false, refusal: 'lifetime_too_long' };
  if (typeof jti !== 'string' || !jti || jti.length > MAX_JTI_LENGTH) return { ok: false, refusal: 'missing_claim' };
  return { ok: true, assertion: { jti, replayWindowEnd: new Date((exp + CLOCK_SKEW_SECONDS) * 1000) } };
}
