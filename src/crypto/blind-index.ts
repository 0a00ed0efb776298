import { createHmac } from 'node:crypto';
import type { BlindIndexKind, Keyring } from './keyring.ts';

/**
 * Exact-match lookup without decryption: HMAC-SHA256 of the canonical value under a key
 * of its own per kind. The caller normalizes first (one spelling per value).
 */
export function blindIndex(keyring: Keyring, kind: BlindIndexKind, canonicalValue: string): Buffer {
  return createHmac('sha256', keyring.blindIndexKey(kind)).update(`${kind}\u0000${canonicalValue}`, 'utf8').digest();
}
