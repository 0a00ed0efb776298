/**
 * RFC 9162 proof checking, one implementation for the server and for the browser (the person's
 * « Qui a consulté mon dossier » checks its proofs itself, web/src/espace/proof.ts). It hashes
 * nothing: a check is a generator that yields each pair of nodes to hash, (left, right), and is
 * handed back SHA-256(0x01 ‖ left ‖ right). The server drives it with node:crypto, synchronously
 * (`runSync`), the browser with WebCrypto, which is asynchronous (`runAsync`). No Node API here:
 * the browser bundle imports this file as it is.
 *
 * Sizes and indexes are bigints: a log outlives 2^53 events on paper, and the bit arithmetic must
 * not wrap at 32 bits. The decomposition is the reference implementation's (transparency-dev/merkle):
 * an "inner" part of the path below the point where the leaf's and the last leaf's paths meet,
 * then a "border" part along the right edge.
 */

export const HASH_BYTES = 32;

/** Two nodes whose parent the check needs: it receives their node hash in return. */
export type NodePair = readonly [left: Uint8Array, right: Uint8Array];
export type ProofCheck<Result> = Generator<NodePair, Result, Uint8Array>;

export class ProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProofError';
  }
}

export function runSync<Result>(
  check: ProofCheck<Result>,
  nodeHash: (left: Uint8Array, right: Uint8Array) => Uint8Array,
): Result {
  let step = check.next();
  while (!step.done) step = check.next(nodeHash(...step.value));
  return step.value;
}

export async function runAsync<Result>(
  check: ProofCheck<Result>,
  nodeHash: (left: Uint8Array, right: Uint8Array) => Promise<Uint8Array>,
): Promise<Result> {
  let step = check.next();
  while (!step.done) step = check.next(await nodeHash(...step.value));
  return step.value;
}

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

function* chainInner(seed: Uint8Array, proof: readonly Uint8Array[], index: bigint): ProofCheck<Uint8Array> {
  let hash = seed;
  for (const [i, sibling] of proof.entries())
    hash = ((index >> BigInt(i)) & 1n) === 0n ? yield [hash, sibling] : yield [sibling, hash];
  return hash;
}

function* chainInnerRight(seed: Uint8Array, proof: readonly Uint8Array[], index: bigint): ProofCheck<Uint8Array> {
  let hash = seed;
  for (const [i, sibling] of proof.entries()) if (((index >> BigInt(i)) & 1n) === 1n) hash = yield [sibling, hash];
  return hash;
}

function* chainBorderRight(seed: Uint8Array, proof: readonly Uint8Array[]): ProofCheck<Uint8Array> {
  let hash = seed;
  for (const sibling of proof) hash = yield [sibling, hash];
  return hash;
}

const isHash = (h: Uint8Array) => h.length === HASH_BYTES;

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The root an inclusion proof leads to from a leaf hash; a ProofError for a malformed proof. */
export function* rootFromInclusionProof(
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): ProofCheck<Uint8Array> {
  if (index < 0n || index >= size) throw new ProofError(`index ${index} is outside a tree of size ${size}`);
  if (!isHash(leaf)) throw new ProofError('the leaf hash is not 32 bytes');
  if (!proof.every(isHash)) throw new ProofError('a proof hash is not 32 bytes');
  const { inner, border } = decomposeInclusion(index, size);
  if (proof.length !== inner + border)
    throw new ProofError(`a proof for leaf ${index} of ${size} has ${inner + border} hashes, not ${proof.length}`);
  const below = yield* chainInner(leaf, proof.slice(0, inner), index);
  return yield* chainBorderRight(below, proof.slice(inner));
}

/** RFC 9162 §2.1.3.2: true when the proof shows the leaf at `index` in the tree of `size` with this root. */
export function* inclusionHolds(
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): ProofCheck<boolean> {
  if (!isHash(root)) return false;
  try {
    return sameBytes(yield* rootFromInclusionProof(index, size, leaf, proof), root);
  } catch (error) {
    if (error instanceof ProofError) return false;
    throw error;
  }
}

/**
 * RFC 9162 §2.1.4.2: true when the proof shows the tree of `size1` with `root1` is a prefix of
 * the tree of `size2` with `root2`. A proof from the empty tree proves nothing and is refused.
 */
export function* consistencyHolds(
  size1: bigint,
  size2: bigint,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): ProofCheck<boolean> {
  if (size1 <= 0n || size2 < size1) return false;
  if (size1 === size2) return proof.length === 0 && sameBytes(root1, root2);
  if (proof.length === 0 || !proof.every(isHash) || !isHash(root1) || !isHash(root2)) return false;
  const { inner: fullInner, border } = decomposeInclusion(size1 - 1n, size2);
  const shift = trailingZeros(size1);
  const inner = fullInner - shift;
  // When size1 is a power of two, its root is a node of the larger tree and the proof omits it.
  const [seed, start] = size1 === 1n << BigInt(shift) ? [root1, 0] : [proof[0]!, 1];
  if (proof.length !== start + inner + border) return false;
  const rest = proof.slice(start);
  const mask = (size1 - 1n) >> BigInt(shift);
  const hash1 = yield* chainBorderRight(yield* chainInnerRight(seed, rest.slice(0, inner), mask), rest.slice(inner));
  if (!sameBytes(hash1, root1)) return false;
  const hash2 = yield* chainBorderRight(yield* chainInner(seed, rest.slice(0, inner), mask), rest.slice(inner));
  return sameBytes(hash2, root2);
}
