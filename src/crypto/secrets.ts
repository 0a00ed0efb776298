import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptionError } from './errors.ts';
import type { Keyring } from './keyring.ts';

/**
 * Authentication secrets (TOTP seeds) sealed directly under the `auth_secrets` key: they are
 * few and small, so no data key. The associated data binds owner, purpose and key version.
 */
export interface SealedSecret {
  version: number;
  sealed: Buffer;
}

const SERIES = 'auth_secrets';

function aad(ownerId: string, purpose: string, version: number): Buffer {
  return Buffer.from(`rempart/secret/v1\u0000${ownerId}\u0000${purpose}\u0000${version}`, 'utf8');
}

export function sealSecret(keyring: Keyring, ownerId: string, purpose: string, plaintext: Buffer): SealedSecret {
  const version = keyring.activeVersion(SERIES);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyring.kek(SERIES, version), iv);
  cipher.setAAD(aad(ownerId, purpose, version));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { version, sealed: Buffer.concat([iv, body, cipher.getAuthTag()]) };
}

export function openSecret(keyring: Keyring, ownerId: string, purpose: string, secret: SealedSecret): Buffer {
  if (!keyring.hasKek(SERIES, secret.version)) throw new DecryptionError(ownerId, purpose, 'unknown_key');
  if (secret.sealed.length < 12 + 16) throw new DecryptionError(ownerId, purpose, 'malformed');
  const decipher = createDecipheriv('aes-256-gcm', keyring.kek(SERIES, secret.version), secret.sealed.subarray(0, 12));
  decipher.setAAD(aad(ownerId, purpose, secret.version));
  decipher.setAuthTag(secret.sealed.subarray(secret.sealed.length - 16));
  try {
    return Buffer.concat([decipher.update(secret.sealed.subarray(12, secret.sealed.length - 16)), decipher.final()]);
  } catch {
    throw new DecryptionError(ownerId, purpose, 'tampered');
  }
}
