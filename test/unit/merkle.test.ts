import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from '../../src/ledger/index.ts';
import { consistencyHolds, inclusionHolds, runAsync } from '../../src/ledger/proof-check.ts';

/** The RFC 6962 / RFC 9162 vectors of transparency-dev/merkle (copied from ../shared/vectors, Apache 2.0). */
const VECTORS = new URL('../vectors/merkle/', import.meta.url).pathname;

function jsonFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? jsonFiles(path) : name.endsWith('.json') ? [path] : [];
  });
}

const b64 = (s: string) => Buffer.from(s, 'base64');

/** The browser's way to hash a node (web/src/espace/proof.ts): WebCrypto, asynchronous. */
const webCryptoNodeHash = async (left: Uint8Array, right: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', Buffer.concat([Buffer.from([1]), left, right])));

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  wantErr: boolean;
  desc?: string;
}

interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  wantErr: boolean;
  desc?: string;
}
const REFERENCE_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => leafHash(Buffer.from(h, 'hex')));

describe('Merkle tree (RFC 9162)', () => {
  const inclusion = jsonFiles(join(VECTORS, 'inclusion'));
  const consistency = jsonFiles(join(VECTORS, 'consistency'));

  it('has all 196 official vectors at hand', () => {
    assert.equal(inclusion.length + consistency.length, 196);
  });

  it('every inclusion vector verifies exactly when it should', () => {
    for (const file of inclusion) {
      const v = JSON.parse(readFileSync(file, 'utf8')) as InclusionVector;
      const ok = verifyInclusion(
        BigInt(v.leafIdx),
        BigInt(v.treeSize),
        b64(v.leafHash),
        (v.proof ?? []).map(b64),
        b64(v.root),
      );
      assert.equal(ok, !v.wantErr, `${file}: ${v.desc ?? ''}`);
    }
  });

  it('every consistency vector verifies exactly when it should', () => {
    for (const file of consistency) {
      const v = JSON.parse(readFileSync(file, 'utf8')) as ConsistencyVector;
      const ok = verifyConsistency(
        BigInt(v.size1),
        BigInt(v.size2),
        (v.proof ?? []).map(b64),
        b64(v.root1),
        b64(v.root2),
      );
      assert.equal(ok, !v.wantErr, `${file}: ${v.desc ?? ''}`);
    }
  });

  it('the same checker driven by WebCrypto, as the browser runs it, answers every vector the same', async () => {
    for (const file of inclusion) {
      const v = JSON.parse(readFileSync(file, 'utf8')) as InclusionVector;
      const check = inclusionHolds(
        BigInt(v.leafIdx),
        BigInt(v.treeSize),
        b64(v.leafHash),
        (v.proof ?? []).map(b64),
        b64(v.root),
      );
      assert.equal(await runAsync(check, webCryptoNodeHash), !v.wantErr, `${file}: ${v.desc ?? ''}`);
    }
    for (const file of consistency) {
      const v = JSON.parse(readFileSync(file, 'utf8')) as ConsistencyVector;
      const check = consistencyHolds(
        BigInt(v.size1),
        BigInt(v.size2),
        (v.proof ?? []).map(b64),
        b64(v.root1),
        b64(v.root2),
      );
      assert.equal(await runAsync(check, webCryptoNodeHash), !v.wantErr, `${file}: ${v.desc ?? ''}`);
    }
  });

  it('computes the reference root of the eight reference leaves, and the empty root', () => {
    assert.equal(
      rootOf(REFERENCE_LEAVES).toString('hex'),
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    );
    assert.equal(rootOf([]).toString('hex'), EMPTY_ROOT.toString('hex'));
  });

  it('proofs it builds verify for every leaf and every prefix of trees up to 40 leaves, and fail once altered', () => {
    const leaves = Array.from({ length: 40 }, () => leafHash(randomBytes(16)));
    for (let n = 1; n <= leaves.length; n++) {
      const tree = leaves.slice(0, n);
      const root = rootOf(tree);
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(tree, m);
        assert.ok(verifyInclusion(BigInt(m), BigInt(n), tree[m]!, proof, root), `inclusion ${m}/${n}`);
        if (proof.length > 0) {
          const altered = proof.map((p, i) => (i === 0 ? Buffer.from(p.map((b) => b ^ 1)) : p));
          assert.equal(verifyInclusion(BigInt(m), BigInt(n), tree[m]!, altered, root), false);
        }
        if (n > 1)
          assert.equal(
            verifyInclusion(BigInt((m + 1) % n), BigInt(n), tree[m]!, proof, root),
            false,
            'another position',
          );
      }
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(tree, m);
        assert.ok(
          verifyConsistency(BigInt(m), BigInt(n), proof, rootOf(tree.slice(0, m)), root),
          `consistency ${m}→${n}`,
        );
        if (m < n) {
          const rewritten = [...tree.slice(0, m - 1), leafHash(Buffer.from('réécrit')), ...tree.slice(m)];
          assert.equal(
            verifyConsistency(BigInt(m), BigInt(n), proof, rootOf(tree.slice(0, m)), rootOf(rewritten)),
            false,
            'a rewritten history is caught',
          );
        }
      }
    }
  });
});
