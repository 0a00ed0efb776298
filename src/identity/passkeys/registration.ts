import { randomUUID } from 'node:crypto';
import {
  generateRegistrationOptions,
  verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON,
  type RegistrationResponseJSON,
  type VerifiedRegistrationResponse,
} from '@simplewebauthn/server';
import type { PasskeyAuthenticator } from '../../config.ts';
import { inTransaction, isUniqueViolation, type Executor } from '../../store/index.ts';
import { issueRecoveryCodes } from '../factors.ts';
import { checkAttestation, type AttestationRefusal } from './attestation.ts';
import { signedChallenge, type CeremonyCaller, type PasskeyFailure } from './ceremony.ts';
import { CHALLENGE_TTL_MS, storeChallenge, takeChallenge } from './challenges.ts';
import { activePasskeys, descriptorsOf, ownerOfCredential, userHandleOf, type PasskeyData } from './credentials.ts';
import { hasUsableSecondFactor, requiresPasskey } from './policy.ts';
import type { RelyingParty } from './relying-party.ts';
import { appendEvent } from '../../ledger/index.ts';

/** EdDSA, ES256, RS256: what authenticators in use make; the same list checks the answer. */
export const PASSKEY_ALGORITHMS = [-8, -7, -257];
export const DEFAULT_PASSKEY_LABEL = 'Clé d’accès';

/**
 * Options for `navigator.credentials.create()`, its challenge kept for this session. Where only
 * a passkey passes (`requiresPasskey`), the authenticator's attestation is asked for ('direct'):
 * the registration will need it to prove its model; elsewhere none is (no prompt, no tracking).
 */
export async function beginPasskeyRegistration(
  db: Executor,
  rp: RelyingParty,
  caller: CeremonyCaller,
  login: string,
  now = new Date(),
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const userHandle = await userHandleOf(db, caller.accountId, now);
  const attested = await requiresPasskey(db, caller.accountId);
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: login,
    userDisplayName: login,
    userID: Buffer.from(userHandle, 'base64url'),
    timeout: CHALLENGE_TTL_MS,
    attestationType: attested ? 'direct' : 'none',
    excludeCredentials: descriptorsOf(await activePasskeys(db, caller.accountId)),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
  });
  await storeChallenge(db, caller, 'registration', options.challenge, now);
  return options;
}

export type PasskeyRegistration =
  | { ok: true; factorId: string; firstFactor: boolean; recoveryCodes?: string[] }
  | { ok: false; reason: Exclude<PasskeyFailure, 'attestation'> }
  /** A passkey-only organisation's refusal of the authenticator: why, and the model it said it was. */
  | { ok: false; reason: 'attestation'; refusal: AttestationRefusal; aaguid: string };

/**
 * Check the authenticator's answer and keep the passkey as an active factor. The account's
 * first second factor comes with recovery codes, except where only a passkey may pass (codes
 * would be a way around it). There, the key must also prove with its attestation that it is one
 * of `authenticators`, the models the operator allows (`checkAttestation`); nothing is kept otherwise.
 */
export async function finishPasskeyRegistration(
  db: Executor,
  rp: RelyingParty,
  caller: CeremonyCaller,
  response: RegistrationResponseJSON,
  label: string | undefined,
  authenticators: readonly PasskeyAuthenticator[],
  now = new Date(),
): Promise<PasskeyRegistration> {
  const refuse = async (
    reason: Exclude<PasskeyFailure, 'attestation'>,
    detail?: string,
  ): Promise<PasskeyRegistration> => {
    await appendEvent(db, 'passkey_rejected', {
      accountId: caller.accountId,
      address: caller.address,
      details: { during: 'registration', reason, ...(detail ? { detail } : {}) },
    });
    return { ok: false, reason };
  };
  const challenge = await takeChallenge(db, caller, 'registration', now);
  if (!challenge || signedChallenge(response.response.clientDataJSON) !== challenge) return refuse('challenge');

  let verified: VerifiedRegistrationResponse;
  try {
    verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
    });
  } catch (error) {
    // The library's message says what failed (origin, RP ID, flags...) and holds no secret.
    return refuse('verification', error instanceof Error ? error.message.slice(0, 200) : undefined);
  }
  if (!verified.verified) return refuse('verification');
  const info = verified.registrationInfo;
  const passkeyOnly = await requiresPasskey(db, caller.accountId);
  let model: string | undefined;
  if (passkeyOnly) {
    const attestation = await checkAttestation(authenticators, info);
    if (!attestation.ok) {
      const { reason: refusal, aaguid, detail } = attestation;
      await appendEvent(db, 'passkey_rejected', {
        accountId: caller.accountId,
        address: caller.address,
        details: {
          during: 'registration',
          reason: 'attestation',
          refusal,
          aaguid,
          fmt: info.fmt,
          ...(detail ? { detail } : {}),
        },
      });
      return { ok: false, reason: 'attestation', refusal, aaguid };
    }
    model = attestation.model.name;
  }
  if (await ownerOfCredential(db, info.credential.id)) return refuse('duplicate');

  const data: PasskeyData = {
    credentialId: info.credential.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: info.credential.transports ?? [],
    aaguid: info.aaguid,
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    ...(model ? { model } : {}),
  };
  const firstFactor = !(await hasUsableSecondFactor(db, caller.accountId));
  const factorId = randomUUID();
  try {
    await inTransaction(db, async (trx) => {
      await trx
        .insertInto('account_factors')
        .values({
          id: factorId,
          account_id: caller.accountId,
          kind: 'passkey',
          status: 'active',
          label: label?.trim() || DEFAULT_PASSKEY_LABEL,
          secret: null,
          secret_version: null,
          data: JSON.stringify(data),
          last_used_step: null,
          created_at: now.toISOString(),
          last_used_at: null,
          revoked_at: null,
        })
        .execute();
      await trx
        .insertInto('passkey_credentials')
        .values({
          credential_id: data.credentialId,
          factor_id: factorId,
          account_id: caller.accountId,
          created_at: now.toISOString(),
        })
        .execute();
    });
  } catch (error) {
    // Two registrations of one credential at the same instant: the unique key decides.
    if (isUniqueViolation(error)) return refuse('duplicate');
    throw error;
  }
  await appendEvent(db, 'passkey_registered', {
    accountId: caller.accountId,
    address: caller.address,
    details: { factor: factorId, aaguid: data.aaguid, first: firstFactor, ...(model ? { model } : {}) },
  });
  if (!firstFactor || passkeyOnly) return { ok: true, factorId, firstFactor };
  return { ok: true, factorId, firstFactor, recoveryCodes: await issueRecoveryCodes(db, caller.accountId) };
}
