import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), Ed25519 `cosignature/v1` only: a
 * witness's timestamped statement that the checkpoint is the largest consistent tree it has
 * seen of the log. A cosignature is a note signature line whose blob is key id (4 bytes) ‖
 * timestamp (8 bytes, big-endian seconds) ‖ Ed25519 signature over
 * "cosignature/v1\ntime <t>\n" followed by the checkpoint's note text.
 */

export const COSIGNATURE_V1 = 0x04;
const EM_DASH = '\u2014';

export interface CosignerKey {
  name: string;
  id: Buffer;
  publicKey: KeyObject;
}

export function cosignerKeyId(name: string, publicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(`${name}\n`, 'utf8')
    .update(Buffer.from([COSIGNATURE_V1]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

/** A witness's verifier key, `<name>+<hex id>+<base64(0x04 ‖ Ed25519 public key)>`. */
export function parseCosignerKey(encoded: string): CosignerKey {
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(encoded);
  if (!match) throw new RangeError('clé de témoin mal formée (nom+identifiant+clé en base64 attendus)');
  const raw = Buffer.from(match[3]!, 'base64');
  if (raw.length !== 33 || raw[0] !== COSIGNATURE_V1)
    throw new RangeError('clé de témoin : cosignature/v1 Ed25519 (type 0x04) attendue');
  const key = raw.subarray(1);
  const id = cosignerKeyId(match[1]!, key);
  if (id.toString('hex') !== match[2])
    throw new RangeError('clé de témoin : l’identifiant ne correspond pas au nom et à la clé');
  return {
    name: match[1]!,
    id,
    publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.toString('base64url') }, format: 'jwk' }),
  };
}

/** What the witness signs for a checkpoint whose note text (without signatures) is `text`. */
export function cosignedMessage(text: string, timestamp: bigint): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp.toString(10)}\n${text}`, 'utf8');
}

/**
 * The first of `lines` (note signature lines) that is a valid cosignature by `key` over the
 * checkpoint text: its timestamp; undefined when none is.
 */
export function verifyCosignature(
  text: string,
  lines: string,
  key: CosignerKey,
): { timestamp: bigint; line: string } | undefined {
  for (const line of lines.split('\n')) {
    const match = new RegExp(`^${EM_DASH} (\\S+) ([A-Za-z0-9+/=]+)$`, 'u').exec(line);
    if (!match || match[1] !== key.name) continue;
    const blob = Buffer.from(match[2]!, 'base64');
    if (blob.length !== 4 + 8 + 64 || !blob.subarray(0, 4).equals(key.id)) continue;
    const timestamp = blob.readBigUInt64BE(4);
    if (verify(null, cosignedMessage(text, timestamp), key.publicKey, blob.subarray(12))) return { timestamp, line };
  }
  return undefined;
}
