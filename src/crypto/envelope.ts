import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import type { FieldClass } from '../domain/index.ts';
import { DecryptionError } from './errors.ts';
import type { Keyring } from './keyring.ts';

/**
 * Envelope encryption of one field class value of one person:
 *   value      = AES-256-GCM(data key, plaintext, aad = person id ‖ field class ‖ format)
 *   wrappedKey = AES-256-GCM(KEK[class][version], data key, aad = person id ‖ field class ‖ version)
 * Rotation rewraps the data key under a new KEK version and never touches the value, so the
 * value's associated data cannot contain the KEK version; the wrapped key's does, and a value
 * moved to another person or class fails on its own associated data.
 */
export interface SealedField {
  kekVersion: number;
  wrappedKey: Buffer;
  ciphertext: Buffer;
}

const FORMAT_V1 = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;
const WRAPPED_KEY_BYTES = 1 + IV_BYTES + DATA_KEY_BYTES + TAG_BYTES;

/**
 * Fresh keys and nonces come from one CSPRNG pool refilled 64 KiB at a time: a call per field
 * costs more than the encryption itself at seeding volume. Every byte is handed out once.
 */
const POOL_BYTES = 64 * 1024;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

function freshRandom(length: number): Buffer {
  if (poolOffset + length > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + length));
  pool.fill(0, poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}

function valueAad(personId: string, fieldClass: FieldClass): Buffer {
  return Buffer.from(`rempart/value/v1\u0000${personId}\u0000${fieldClass}`, 'utf8');
}

function keyAad(personId: string, fieldClass: FieldClass, kekVersion: number): Buffer {
  return Buffer.from(`rempart/data-key/v1\u0000${personId}\u0000${fieldClass}\u0000${kekVersion}`, 'utf8');
}

function gcmSeal(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT_V1), iv, body, cipher.getAuthTag()]);
}

function gcmOpen(key: Buffer, sealed: Buffer, aad: Buffer): Buffer | undefined {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT_V1) return undefined;
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(1 + IV_BYTES, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
}

export function sealField(keyring: Keyring, personId: string, fieldClass: FieldClass, plaintext: Buffer): SealedField {
  const random = freshRandom(DATA_KEY_BYTES + 2 * IV_BYTES);
  const dataKey = random.subarray(0, DATA_KEY_BYTES);
  const kekVersion = keyring.activeVersion(fieldClass);
  const ciphertext = gcmSeal(
    dataKey,
    random.subarray(DATA_KEY_BYTES, DATA_KEY_BYTES + IV_BYTES),
    plaintext,
    valueAad(personId, fieldClass),
  );
  const wrappedKey = gcmSeal(
    keyring.kek(fieldClass, kekVersion),
    random.subarray(DATA_KEY_BYTES + IV_BYTES),
    dataKey,
    keyAad(personId, fieldClass, kekVersion),
  );
  dataKey.fill(0);
  return { kekVersion, wrappedKey, ciphertext };
}

function unwrapDataKey(
  keyring: Keyring,
  personId: string,
  fieldClass: FieldClass,
  kekVersion: number,
  wrappedKey: Buffer,
): Buffer {
  if (!keyring.hasKek(fieldClass, kekVersion)) throw new DecryptionError(personId, fieldClass, 'unknown_key');
  if (wrappedKey.length !== WRAPPED_KEY_BYTES)
    throw new DecryptionError(personId, fieldClass, wrappedKey.length === 0 ? 'shredded' : 'malformed');
  const dataKey = gcmOpen(keyring.kek(fieldClass, kekVersion), wrappedKey, keyAad(personId, fieldClass, kekVersion));
  if (!dataKey) throw new DecryptionError(personId, fieldClass, 'tampered');
  return dataKey;
}

export function openField(keyring: Keyring, personId: string, fieldClass: FieldClass, sealed: SealedField): Buffer {
  const dataKey = unwrapDataKey(keyring, personId, fieldClass, sealed.kekVersion, sealed.wrappedKey);
  const plaintext = gcmOpen(dataKey, sealed.ciphertext, valueAad(personId, fieldClass));
  dataKey.fill(0);
  if (!plaintext) throw new DecryptionError(personId, fieldClass, 'tampered');
  return plaintext;
}

/** Unwrap under the stored version and wrap under the active one; the value is not touched. */
export function rewrapDataKey(
  keyring: Keyring,
  personId: string,
  fieldClass: FieldClass,
  from: { kekVersion: number; wrappedKey: Buffer },
): { kekVersion: number; wrappedKey: Buffer } {
  const dataKey = unwrapDataKey(keyring, personId, fieldClass, from.kekVersion, from.wrappedKey);
  const kekVersion = keyring.activeVersion(fieldClass);
  const wrappedKey = gcmSeal(
    keyring.kek(fieldClass, kekVersion),
    freshRandom(IV_BYTES),
    dataKey,
    keyAad(personId, fieldClass, kekVersion),
  );
  dataKey.fill(0);
  return { kekVersion, wrappedKey };
}
