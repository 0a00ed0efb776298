import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * C2SP signed notes (https://c2sp.org/signed-note), Ed25519 only (algorithm byte 0x01): the
 * envelope of transparency-log checkpoints. A note is text ending in a newline, a blank line,
 * then signature lines `— <key name> <base64(key id ‖ signature)>`. The key id is the first
 * four bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), so a witness can pick its key out.
 */

const ED25519 = 0x01;
const EM_DASH = '\u2014';
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export class NoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoteError';
  }
}

function checkName(name: string): void {
  if (name.length === 0 || /[\s+]/u.test(name))
    throw new NoteError(`invalid key name "${name}": non-empty, without spaces or "+"`);
}

export function keyId(name: string, publicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(`${name}\n`, 'utf8')
    .update(Buffer.from([ED25519]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

function rawPublicKey(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');
}

export interface NoteSigner {
  name: string;
  privateKey: KeyObject;
  publicKey: Buffer;
  id: Buffer;
}

export interface NoteVerifier {
  name: string;
  publicKey: KeyObject;
  id: Buffer;
}

/** A signer from its name and 32-byte Ed25519 seed. */
export function signerFromSeed(name: string, seed: Uint8Array): NoteSigner {
  checkName(name);
  if (seed.length !== 32) throw new NoteError('an Ed25519 seed is 32 bytes');
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return { name, privateKey, publicKey, id: keyId(name, publicKey) };
}

/** `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`, the Go sumdb/note encoding. */
/** Name, hex key id and base64 key: the base64 may itself hold "+", so only the first two separate. */
function keyParts(encoded: string): [string, string, string] | undefined {
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(encoded);
  return match ? [match[1]!, match[2]!, match[3]!] : undefined;
}

export function parseSignerKey(encoded: string): NoteSigner {
  const parts = encoded.startsWith('PRIVATE+KEY+') ? keyParts(encoded.slice('PRIVATE+KEY+'.length)) : undefined;
  if (!parts) throw new NoteError('malformed private key');
  const raw = Buffer.from(parts[2], 'base64');
  if (raw.length !== 33 || raw[0] !== ED25519) throw new NoteError('not an Ed25519 private key');
  const signer = signerFromSeed(parts[0], raw.subarray(1));
  if (signer.id.toString('hex') !== parts[1]) throw new NoteError('private key id does not match');
  return signer;
}

/** `<name>+<hex id>+<base64(0x01 ‖ public key)>`: what a witness configures to trust a log. */
export function verifierKeyOf(signer: Pick<NoteSigner, 'name' | 'publicKey' | 'id'>): string {
  return `${signer.name}+${signer.id.toString('hex')}+${Buffer.concat([Buffer.from([ED25519]), signer.publicKey]).toString('base64')}`;
}

export function parseVerifierKey(encoded: string): NoteVerifier {
  const parts = keyParts(encoded);
  if (!parts) throw new NoteError('malformed verifier key');
  const [name, hexId, b64] = parts;
  checkName(name);
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 33 || raw[0] !== ED25519) throw new NoteError('not an Ed25519 verifier key');
  const pub = raw.subarray(1);
  const id = keyId(name, pub);
  if (id.toString('hex') !== hexId) throw new NoteError('verifier key id does not match its name and key');
  return {
    name,
    id,
    publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') }, format: 'jwk' }),
  };
}

export function signNote(text: string, signer: NoteSigner): string {
  if (!text.endsWith('\n')) throw new NoteError('a note text ends with a newline');
  const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  return `${text}\n${EM_DASH} ${signer.name} ${Buffer.concat([signer.id, signature]).toString('base64')}\n`;
}

/**
 * The text of a note signed by at least one of the trusted verifiers, or a NoteError.
 * Signatures by unknown keys are ignored; a bad signature by a known key is an error.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): string {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new NoteError('malformed note: no signature block');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  let verified = 0;
  for (const line of lines) {
    const match = new RegExp(`^${EM_DASH} (\\S+) ([A-Za-z0-9+/=]+)$`, 'u').exec(line);
    if (!match) throw new NoteError('malformed signature line');
    const blob = Buffer.from(match[2]!, 'base64');
    if (blob.length < 5) throw new NoteError('malformed signature');
    const verifier = verifiers.find((v) => v.name === match[1] && v.id.equals(blob.subarray(0, 4)));
    if (!verifier) continue;
    if (!verify(null, Buffer.from(text, 'utf8'), verifier.publicKey, blob.subarray(4)))
      throw new NoteError(`invalid signature by ${verifier.name}`);
    verified += 1;
  }
  if (verified === 0) throw new NoteError('no signature by a trusted key');
  return text;
}
