import { EMPTY_ROOT, nodeHash } from './merkle.ts';

/**
 * The right edge of a Merkle tree being built leaf by leaf: one hash per set bit of the size
 * (the perfect subtrees it splits into), so the RFC 9162 root at every size along the way costs
 * O(log n) memory, and a verifier can compare it with each signed checkpoint as it streams.
 */
export class CompactRange {
  #size = 0;
  /** Perfect subtrees, largest (leftmost) first. */
  readonly #stack: Array<{ height: number; hash: Buffer }> = [];

  get size(): number {
    return this.#size;
  }

  push(leaf: Buffer): void {
    let node = { height: 0, hash: leaf };
    while (this.#stack.length > 0 && this.#stack.at(-1)!.height === node.height) {
      const left = this.#stack.pop()!;
      node = { height: node.height + 1, hash: nodeHash(left.hash, node.hash) };
    }
    this.#stack.push(node);
    this.#size += 1;
  }

  /** MTH of the leaves pushed so far: the smaller right subtrees fold into the larger ones on their left. */
  root(): Buffer {
    if (this.#stack.length === 0) return EMPTY_ROOT;
    let hash = this.#stack.at(-1)!.hash;
    for (let i = this.#stack.length - 2; i >= 0; i--) hash = nodeHash(this.#stack[i]!.hash, hash);
    return hash;
  }
}
