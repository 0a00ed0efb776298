import { createHash } from 'node:crypto';

/**
 * RFC 9162 (Certificate Transparency v2, same hashing as RFC 6962) Merkle tree hashing and
 * proofs over SHA-256: leaves are hashed with a 0x00 prefix and interior nodes with 0x01, so
 * a leaf can never pass for a node. Sizes and indexes are bigints: a log outlives 2^53 events
 * on paper, and the bit arithmetic below must not wrap at 32 bits.
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);
export const HASH_BYTES = 32;

export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT = createHash('sha256').digest();

/** The largest power of two strictly smaller than n (n ≥ 2), the split point of RFC 9162 §2.1.1. */
export function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leaf hashes (RFC 9162 §2.1.1). */
export function rootOf(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return Buffer.from(leaves[0]!);
  const k = split(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

/** PATH(m, D[n]) (RFC 9162 §2.1.3.1): the audit path of leaf m. */
export function inclusionProof(leaves: readonly Uint8Array[], m: number): Buffer[] {
  if (m < 0 || m >= leaves.length) throw new RangeError(`leaf ${m} outside a tree of ${leaves.length}`);
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  if (m < k) return [...inclusionProof(leaves.slice(0, k), m), rootOf(leaves.slice(k))];
  return [...inclusionProof(leaves.slice(k), m - k), rootOf(leaves.slice(0, k))];
}

/** PROOF(m, D[n]) (RFC 9162 §2.1.4.1): that the tree of size m is a prefix of the tree of size n. */
export function consistencyProof(leaves: readonly Uint8Array[], m: number): Buffer[] {
  if (m <= 0 || m > leaves.length)
    throw new RangeError(`size ${m} is not a non-empty prefix of a tree of ${leaves.length}`);
  return subproof(leaves, m, true);
}

function subproof(leaves: readonly Uint8Array[], m: number, whole: boolean): Buffer[] {
  const n = leaves.length;
  if (m === n) return whole ? [] : [rootOf(leaves)];
  const k = split(n);
  if (m <= k) return [...subproof(leaves.slice(0, k), m, whole), rootOf(leaves.slice(k))];
  return [...subproof(leaves.slice(k), m - k, false), rootOf(leaves.slice(0, k))];
}

// Verification follows the decomposition of the reference implementation (transparency-dev/merkle):
// an "inner" part of the path below the point where the leaf's and the last leaf's paths meet,
// then a "border" part along the right edge.

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function onesCount(x: bigint): number {
  let count = 0;
  for (let v = x; v > 0n; v >>= 1n) if (v & 1n) count += 1;
  return count;
}

function trailingZeros(x: bigint): number {
  let count = 0;
  for (let v = x; v > 0n && (v & 1n) === 0n; v >>= 1n) count += 1;
  return count;
}

function decomposeInclusion(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLength(index ^ (size - 1n));
  return { inner, border: onesCount(index >> BigInt(inner)) };
}

function chainInner(seed: Buffer, proof: readonly Buffer[], index: bigint): Buffer {
  let hash = seed;
  proof.forEach((sibling, i) => {
    hash = ((index >> BigInt(i)) & 1n) === 0n ? nodeHash(hash, sibling) : nodeHash(sibling, hash);
  });
  return hash;
}

function chainInnerRight(seed: Buffer, proof: readonly Buffer[], index: bigint): Buffer {
  let hash = seed;
  proof.forEach((sibling, i) => {
    if (((index >> BigInt(i)) & 1n) === 1n) hash = nodeHash(sibling, hash);
  });
  return hash;
}

function chainBorderRight(seed: Buffer, proof: readonly Buffer[]): Buffer {
  return proof.reduce((hash, sibling) => nodeHash(sibling, hash), seed);
}

export class ProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProofError';
  }
}

const isHash = (h: Uint8Array) => h.length === HASH_BYTES;

/** The root an inclusion proof leads to from a leaf hash, or a ProofError for a malformed proof. */
export function rootFromInclusionProof(
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer {
  if (index < 0n || index >= size) throw new ProofError(`index ${index} is outside a tree of size ${size}`);
  if (!isHash(leaf)) throw new ProofError('the leaf hash is not 32 bytes');
  if (!proof.every(isHash)) throw new ProofError('a proof hash is not 32 bytes');
  const { inner, border } = decomposeInclusion(index, size);
  if (proof.length !== inner + border)
    throw new ProofError(`a proof for leaf ${index} of ${size} has ${inner + border} hashes, not ${proof.length}`);
  const hashes = proof.map((p) => Buffer.from(p));
  return chainBorderRight(chainInner(Buffer.from(leaf), hashes.slice(0, inner), index), hashes.slice(inner));
}

/** RFC 9162 §2.1.3.2: true when the proof shows the leaf at `index` in the tree of `size` with this root. */
export function verifyInclusion(
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  try {
    return isHash(root) && rootFromInclusionProof(index, size, leaf, proof).equals(Buffer.from(root));
  } catch (error) {
    if (error instanceof ProofError) return false;
    throw error;
  }
}

/**
 * RFC 9162 §2.1.4.2: true when the proof shows the tree of `size1` with `root1` is a prefix of
 * the tree of `size2` with `root2`. A proof from the empty tree proves nothing and is refused.
 */
export function verifyConsistency(
  size1: bigint,
  size2: bigint,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (size1 <= 0n || size2 < size1) return false;
  if (size1 === size2) return proof.length === 0 && Buffer.from(root1).equals(Buffer.from(root2));
  if (proof.length === 0 || !proof.every(isHash) || !isHash(root1) || !isHash(root2)) return false;
  const { inner: fullInner, border } = decomposeInclusion(size1 - 1n, size2);
  const shift = trailingZeros(size1);
  const inner = fullInner - shift;
  // When size1 is a power of two, its root is a node of the larger tree and the proof omits it.
  const [seed, start] = size1 === 1n << BigInt(shift) ? [Buffer.from(root1), 0] : [Buffer.from(proof[0]!), 1];
  if (proof.length !== start + inner + border) return false;
  const rest = proof.slice(start).map((p) => Buffer.from(p));
  const mask = (size1 - 1n) >> BigInt(shift);
  const hash1 = chainBorderRight(chainInnerRight(seed, rest.slice(0, inner), mask), rest.slice(inner));
  if (!hash1.equals(Buffer.from(root1))) return false;
  const hash2 = chainBorderRight(chainInner(seed, rest.slice(0, inner), mask), rest.slice(inner));
  return hash2.equals(Buffer.from(root2));
}
