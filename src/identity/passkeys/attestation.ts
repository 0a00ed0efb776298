import type { VerifiedRegistrationResponse } from '@simplewebauthn/server';
import {
  convertCertBufferToPEM,
  decodeAttestationObject,
  validateCertificatePath,
} from '@simplewebauthn/server/helpers';
import type { PasskeyAuthenticator } from '../../config.ts';

/**
 * Why a passkey-only organisation refused an authenticator at registration:
 * - `no_authenticator_allowed`: the operator declared no authenticator model at all;
 * - `attestation_none`: no attestation statement, so nothing says what made the key (a software
 *   key, a password manager, a phone: anything);
 * - `authenticator_not_allowed`: the model (AAGUID) is not on the list;
 * - `attestation_self`: an attestation signed by the credential's own key, or in a format that
 *   carries no certificate chain: the model claimed is the key's word alone;
 * - `attestation_untrusted`: the certificate chain does not lead to a root of the model's
 *   manufacturer (or a certificate in it is expired or revoked).
 */
export type AttestationRefusal =
  | 'no_authenticator_allowed'
  | 'attestation_none'
  | 'authenticator_not_allowed'
  | 'attestation_self'
  | 'attestation_untrusted';

export type AttestationCheck =
  | { ok: true; model: PasskeyAuthenticator }
  | { ok: false; reason: AttestationRefusal; aaguid: string; detail?: string };

type RegistrationInfo = Extract<VerifiedRegistrationResponse, { verified: true }>['registrationInfo'];

/**
 * Which listed model made this credential, proven by its attestation. Runs after
 * `verifyRegistrationResponse`, which has verified the attestation statement itself (for
 * 'packed' with x5c: the signature by the batch certificate, the certificate's form and
 * validity, its AAGUID extension against the authenticator data when present). Here: the
 * statement must be one (not 'none'), the AAGUID on the list, and the x5c chain must end at one
 * of that model's roots (@simplewebauthn's `validateCertificatePath`: signatures, validity
 * periods, and revocation lists where a certificate names one).
 */
export async function checkAttestation(
  models: readonly PasskeyAuthenticator[],
  info: RegistrationInfo,
): Promise<AttestationCheck> {
  const aaguid = info.aaguid.toLowerCase();
  if (models.length === 0) return { ok: false, reason: 'no_authenticator_allowed', aaguid };
  if (info.fmt === 'none') return { ok: false, reason: 'attestation_none', aaguid };
  const model = models.find((m) => m.aaguid === aaguid);
  if (!model) return { ok: false, reason: 'authenticator_not_allowed', aaguid };
  // android-safetynet keeps its chain inside a JWS: not accepted here (Google retired it in 2024).
  const x5c = decodeAttestationObject(info.attestationObject).get('attStmt').get('x5c');
  if (!x5c || x5c.length === 0) return { ok: false, reason: 'attestation_self', aaguid, detail: info.fmt };
  // A chain sent with its root included would read as a duplicate: the root is ours to supply.
  const chain = x5c
    .map(convertCertBufferToPEM)
    .filter((pem, i) => i === 0 || !model.roots.some((root) => samePem(root, pem)));
  try {
    await validateCertificatePath(chain, model.roots);
  } catch (error) {
    return {
      ok: false,
      reason: 'attestation_untrusted',
      aaguid,
      detail: error instanceof Error ? error.message.split('\n')[0]!.slice(0, 200) : 'unknown',
    };
  }
  return { ok: true, model };
}

const samePem = (a: string, b: string) => a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
