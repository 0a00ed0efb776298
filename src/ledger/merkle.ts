import { createHash } from 'node:crypto';
import { consistencyHolds, inclusionHolds, rootFromInclusionProof as proofRoot, runSync } from './proof-check.ts';

export { HASH_BYTES, ProofError } from './proof-check.ts';

/**
 * RFC 9162 (Certificate Transparency v2, same hashing as RFC 6962) Merkle tree hashing and
 * proofs over SHA-256: leaves are hashed with a 0x00 prefix and interior nodes with 0x01, so
 * a leaf can never pass for a node. Sizes and indexes are bigints: a log outlives 2^53 events
 * on paper, and the bit arithmetic below must not wrap at 32 bits.
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

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

// Checking a proof is written once for the server and the browser (proof-check.ts): here it runs
// synchronously on node:crypto's hash.

/** The root an inclusion proof leads to from a leaf hash, or a ProofError for a malformed proof. */
export function rootFromInclusionProof(
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer {
  return Buffer.from(runSync(proofRoot(index, size, leaf, proof), nodeHash));
}

/** RFC 9162 §2.1.3.2: true when the proof shows the leaf at `index` in the tree of `size` with this root. */
export function verifyInclusion(
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  return runSync(inclusionHolds(index, size, leaf, proof, root), nodeHash);
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
  return runSync(consistencyHolds(size1, size2, proof, root1, root2), nodeHash);
}
