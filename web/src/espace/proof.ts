import canonicalize from 'canonicalize';
import { inclusionHolds, runAsync } from '../../../src/ledger/proof-check.ts';

/**
 * Checking « Qui a consulté mon dossier » in the browser rather than believing it (RFC 9162):
 * the leaf is SHA-256(0x00 ‖ RFC 8785 canonical JSON of the event as shown), each audit step
 * SHA-256(0x01 ‖ left ‖ right), and the root reached must be the one of the signed checkpoint.
 * The audit path is followed by the server's own checker (src/ledger/proof-check.ts), run here
 * on WebCrypto.
 * The checkpoint itself is a C2SP signed note, checked with WebCrypto's Ed25519 against the
 * log's verifier key when the browser supports it.
 */

const EM_DASH = '\u2014';

function bytes(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const out = new Uint8Array(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(new ArrayBuffer(length));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
}

const NODE_PREFIX = new Uint8Array([1]);
const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(NODE_PREFIX, left, right);

async function leafHashOf(event: unknown): Promise<Uint8Array> {
  const text = canonicalize(event);
  if (text === undefined) throw new TypeError('nothing to canonicalize');
  return sha256(new Uint8Array([0]), new TextEncoder().encode(text));
}

/** The event's leaf hash in base64url, the spelling of `chain.prev` (chain.ts). */
export async function leafHashBase64url(event: unknown): Promise<string> {
  const hash = await leafHashOf(event);
  let text = '';
  for (const b of hash) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export interface CheckpointView {
  origin: string;
  size: number;
  root: Uint8Array;
  /** true: signature checked against the verifier key; false: bad signature; null: this browser cannot check Ed25519. */
  signatureValid: boolean | null;
}

/** Parse the signed note and check its Ed25519 signature by the log's key (`name+hexid+base64(0x01 ‖ key)`). */
export async function openCheckpoint(note: string, verifierKey: string): Promise<CheckpointView | null> {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return null;
  const text = note.slice(0, split + 1);
  const [origin, sizeText, rootText] = text.split('\n');
  if (!origin || !sizeText || !rootText || !/^[0-9]+$/.test(sizeText)) return null;
  const root = bytes(rootText);
  if (root.length !== 32) return null;
  const view: CheckpointView = { origin, size: Number(sizeText), root, signatureValid: false };

  const key = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(verifierKey);
  if (!key) return view;
  const raw = bytes(key[3]!);
  if (raw.length !== 33 || raw[0] !== 1) return view;
  const keyIdHex = key[2]!;
  let publicKey: CryptoKey;
  try {
    publicKey = await crypto.subtle.importKey('raw', raw.slice(1), { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return { ...view, signatureValid: null };
  }
  const signed = new TextEncoder().encode(text);
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const match = new RegExp(`^${EM_DASH} (\\S+) ([A-Za-z0-9+/=]+)$`, 'u').exec(line);
    if (!match || match[1] !== key[1]) continue;
    const blob = bytes(match[2]!);
    const id = Array.from(blob.slice(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    if (id !== keyIdHex) continue;
    if (await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, blob.slice(4), signed))
      return { ...view, signatureValid: true };
  }
  return view;
}

/** True when the entry's event, at its index, leads to the checkpoint's root. */
export async function entryVerifies(
  event: unknown,
  index: number,
  proof: readonly string[],
  checkpoint: CheckpointView,
): Promise<boolean> {
  if (!Number.isSafeInteger(index)) return false;
  const leaf = await leafHashOf(event);
  const path = proof.map(bytes);
  return runAsync(inclusionHolds(BigInt(index), BigInt(checkpoint.size), leaf, path, checkpoint.root), nodeHash);
}
