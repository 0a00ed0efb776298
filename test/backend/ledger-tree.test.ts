import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  consistencyProof,
  inclusionProof,
  inclusionPath,
  leafHash,
  rootOf,
  StoredTree,
  verifyConsistency,
  verifyInclusion,
  type SubtreeSource,
} from '../../src/ledger/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';

describe(`the ledger's Merkle tree in the store (${BACKEND})`, () => {
  let env: TestEnvironment;
  let runtime: Runtime;
  let tree: StoredTree;
  const leaves = Array.from({ length: 70 }, () => leafHash(randomBytes(24)));

  before(async () => {
    env = testEnvironment();
    runtime = await env.open();
    tree = new StoredTree(runtime.database.db);
    // Appended in uneven batches, as group commits would.
    let done = 0;
    for (const batch of [1, 2, 5, 8, 17, 37]) {
      assert.equal(await tree.append(leaves.slice(done, done + batch)), done + batch);
      done += batch;
    }
  });
  after(async () => {
    await runtime.close();
    await env.cleanup();
  });

  it('has the same root as the tree computed from all the leaves, at every size', async () => {
    assert.equal(await tree.size(), 70);
    for (let n = 1; n <= 70; n++) assert.ok((await tree.root(n)).equals(rootOf(leaves.slice(0, n))), `root at ${n}`);
  });

  it('builds the same inclusion and consistency proofs as RFC 9162 over all the leaves, and they verify', async () => {
    for (const n of [1, 2, 3, 7, 8, 9, 31, 32, 33, 64, 70]) {
      const root = rootOf(leaves.slice(0, n));
      for (const m of new Set([0, Math.floor(n / 2), n - 1])) {
        const proof = await tree.inclusionProof(m, n);
        assert.deepEqual(proof, inclusionProof(leaves.slice(0, n), m), `inclusion ${m}/${n}`);
        assert.ok(verifyInclusion(BigInt(m), BigInt(n), leaves[m]!, proof, root));
      }
      for (const m of new Set([1, Math.ceil(n / 3), n])) {
        const proof = await tree.consistencyProof(m, n);
        assert.deepEqual(proof, consistencyProof(leaves.slice(0, n), m), `consistency ${m}→${n}`);
        assert.ok(verifyConsistency(BigInt(m), BigInt(n), proof, rootOf(leaves.slice(0, m)), root));
      }
    }
  });

  it('reads a handful of stored subtrees per proof, not the log', async () => {
    let reads = 0;
    const counting: SubtreeSource = { subtree: (level, index) => ((reads += 1), tree.subtree(level, index)) };
    await inclusionPath(counting, 42, 0, 70);
    assert.ok(reads <= 2 * Math.ceil(Math.log2(70)) ** 2 && reads < 70, `${reads} subtrees read`);
  });
});
