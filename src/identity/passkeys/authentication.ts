import {
  generateAuthenticationOptions,
  verifyAuthenticationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type VerifiedAuthenticationResponse,
} from '@simplewebauthn/server';
import type { Executor } from '../../store/index.ts';
import { signedChallenge, type CeremonyCaller, type PasskeyFailure } from './ceremony.ts';
import { CHALLENGE_TTL_MS, storeChallenge, takeChallenge } from './challenges.ts';
import { activePasskeys, descriptorsOf, ownerOfCredential, userHandleOf, type PasskeyData } from './credentials.ts';
import type { RelyingParty } from './relying-party.ts';
import { appendEvent } from '../../ledger/index.ts';

/**
 * Options for `navigator.credentials.get()` offering the account's own passkeys only, its
 * challenge kept for this session; undefined when the account has no passkey.
 */
export async function beginPasskeyAuthentication(
  db: Executor,
  rp: RelyingParty,
  caller: CeremonyCaller,
  now = new Date(),
): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
  const passkeys = await activePasskeys(db, caller.accountId);
  if (passkeys.length === 0) return undefined;
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: descriptorsOf(passkeys),
    userVerification: 'required',
    timeout: CHALLENGE_TTL_MS,
  });
  await storeChallenge(db, caller, 'authentication', options.challenge, now);
  return options;
}

export type PasskeyAuthentication = { ok: true; factorId: string } | { ok: false; reason: PasskeyFailure };

/**
 * Check a signed assertion against the account's own passkey and move its counter forward.
 * Passing the second factor (session upgrade, throttling) is the caller's business.
 */
export async function finishPasskeyAuthentication(
  db: Executor,
  rp: RelyingParty,
  caller: CeremonyCaller,
  response: AuthenticationResponseJSON,
  now = new Date(),
): Promise<PasskeyAuthentication> {
  const refuse = async (
    reason: PasskeyFailure,
    details: Record<string, string | number | boolean> = {},
  ): Promise<PasskeyAuthentication> => {
    await appendEvent(db, 'passkey_rejected', {
      accountId: caller.accountId,
      address: caller.address,
      details: { during: 'authentication', reason, ...details },
    });
    return { ok: false, reason };
  };
  const challenge = await takeChallenge(db, caller, 'authentication', now);
  if (!challenge || signedChallenge(response.response.clientDataJSON) !== challenge) return refuse('challenge');

  const passkey = (await activePasskeys(db, caller.accountId)).find((p) => p.data.credentialId === response.id);
  if (!passkey) {
    // Someone else's passkey is worth a closer look than a made-up id: say which it was.
    const owner = await ownerOfCredential(db, response.id);
    return refuse('unknown_credential', { foreign: owner !== undefined && owner !== caller.accountId });
  }
  const userHandle = response.response.userHandle;
  if (userHandle && userHandle !== (await userHandleOf(db, caller.accountId, now)))
    return refuse('verification', { detail: 'user handle of another account' });

  let verified: VerifiedAuthenticationResponse;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      // Counter 0 turns the library's own counter check off: ours runs after the signature,
      // so that only a genuinely signed assertion is reported as a possible clone.
      credential: {
        id: passkey.data.credentialId,
        publicKey: Buffer.from(passkey.data.publicKey, 'base64url'),
        counter: 0,
        transports: passkey.data.transports,
      },
      requireUserVerification: true,
    });
  } catch (error) {
    return refuse('verification', { detail: error instanceof Error ? error.message.slice(0, 200) : 'unknown' });
  }
  if (!verified.verified) return refuse('verification', { detail: 'signature' });

  const counter = verified.authenticationInfo.newCounter;
  const stored = passkey.data.counter;
  if ((counter > 0 || stored > 0) && counter <= stored)
    return refuse('counter', { factor: passkey.factorId, counter, stored });

  const data: PasskeyData = { ...passkey.data, counter, backedUp: verified.authenticationInfo.credentialBackedUp };
  const updated = await db
    .updateTable('account_factors')
    .set({ data: JSON.stringify(data), last_used_at: now.toISOString() })
    .where('id', '=', passkey.factorId)
    .where('data', '=', passkey.rawData)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) return refuse('concurrent', { factor: passkey.factorId });
  return { ok: true, factorId: passkey.factorId };
}
