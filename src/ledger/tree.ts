import { EMPTY_ROOT, nodeHash, split } from './merkle.ts';

/**
 * Merkle tree hashes and proofs over stored subtree hashes instead of all the leaves: the
 * hash of every complete, aligned subtree (2^level leaves starting at index·2^level) is kept
 * once written, so a root, an inclusion proof or a consistency proof at any size reads
 * O(log n) of them (O(log² n) at worst), never the whole log.
 */
export interface SubtreeSource {
  /** The hash of leaves [index·2^level, (index+1)·2^level), which must be complete. */
  subtree(level: number, index: number): Promise<Buffer>;
}

/** MTH(D[start:end]) for a range the RFC recursion produces (start aligned on the left subtree size). */
export async function rangeHash(source: SubtreeSource, start: number, end: number): Promise<Buffer> {
  const n = end - start;
  if (n <= 0) return EMPTY_ROOT;
  if ((n & (n - 1)) === 0 && start % n === 0) return source.subtree(Math.log2(n), start / n);
  const k = split(n);
  return nodeHash(await rangeHash(source, start, start + k), await rangeHash(source, start + k, end));
}

export function rootAt(source: SubtreeSource, size: number): Promise<Buffer> {
  return rangeHash(source, 0, size);
}

/** PATH(m, D[start:end]) of RFC 9162 §2.1.3.1. */
export async function inclusionPath(source: SubtreeSource, m: number, start: number, end: number): Promise<Buffer[]> {
  const n = end - start;
  if (m < 0 || m >= n) throw new RangeError(`leaf ${m} outside a tree of ${n}`);
  if (n === 1) return [];
  const k = split(n);
  if (m < k) return [...(await inclusionPath(source, m, start, start + k)), await rangeHash(source, start + k, end)];
  return [...(await inclusionPath(source, m - k, start + k, end)), await rangeHash(source, start, start + k)];
}

/** PROOF(m, D[0:n]) of RFC 9162 §2.1.4.1. */
export async function consistencyPath(source: SubtreeSource, m: number, n: number): Promise<Buffer[]> {
  if (m <= 0 || m > n) throw new RangeError(`size ${m} is not a non-empty prefix of a tree of ${n}`);
  return subproof(source, m, 0, n, true);
}

async function subproof(
  source: SubtreeSource,
  m: number,
  start: number,
  end: number,
  whole: boolean,
): Promise<Buffer[]> {
  const n = end - start;
  if (m === n) return whole ? [] : [await rangeHash(source, start, end)];
  const k = split(n);
  if (m <= k) return [...(await subproof(source, m, start, start + k, whole)), await rangeHash(source, start + k, end)];
  return [...(await subproof(source, m - k, start + k, end, false)), await rangeHash(source, start, start + k)];
}

/** The subtree hashes that appending leaf number `index` completes, level 0 (the leaf) upwards. */
export async function completedSubtrees(
  source: SubtreeSource,
  index: number,
  leaf: Buffer,
): Promise<Array<{ level: number; index: number; hash: Buffer }>> {
  const out = [{ level: 0, index, hash: leaf }];
  let hash = leaf;
  for (let level = 1, count = index + 1; count % 2 ** level === 0; level++) {
    const at = count / 2 ** level - 1;
    hash = nodeHash(await source.subtree(level - 1, 2 * at), hash);
    out.push({ level, index: at, hash });
  }
  return out;
}
