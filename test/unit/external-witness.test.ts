import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  consistencyProof,
  ExternalWitness,
  formatCheckpoint,
  leafHash,
  rootOf,
  signerFromSeed,
  signNote,
  verifierKeyOf,
  verifyCosignature,
  parseCosignerKey,
} from '../../src/ledger/index.ts';
import { startTestWitness, type TestWitness } from '../helpers/tlog-witness.ts';

const ORIGIN = 'rempart.test/ledger';

/**
 * The client of an external C2SP witness (issue 20): it learns the size the witness holds from a
 * 409, proves consistency from there, and tells a rollback (the witness holds more) and a fork
 * (another root at the same size, or no consistency) from a witness that is merely unreachable.
 */
describe('external witness client (C2SP tlog-witness)', () => {
  const signer = signerFromSeed(ORIGIN, randomBytes(32));
  const history = Array.from({ length: 40 }, (_, i) => leafHash(Buffer.from(`event ${i}`)));
  const fork = history.map((leaf, i) => (i === 12 ? leafHash(Buffer.from('rewritten')) : leaf));
  const note = (leaves: Buffer[], size: number) => {
    const checkpoint = { origin: ORIGIN, size: BigInt(size), root: rootOf(leaves.slice(0, size)) };
    return { checkpoint, note: signNote(formatCheckpoint(checkpoint), signer) };
  };
  const proofFrom = (leaves: Buffer[], size: number) => async (from: bigint) =>
    consistencyProof(leaves.slice(0, size), Number(from));
  let witness: TestWitness;
  let client: ExternalWitness;

  before(async () => {
    witness = await startTestWitness();
    witness.trust(verifierKeyOf(signer));
    client = new ExternalWitness({ url: witness.url, key: witness.key });
  });
  after(() => witness.close());

  it('cosigns a first checkpoint, then a larger one from the size it holds (learned from a 409), with a valid cosignature/v1', async () => {
    const first = note(history, 10);
    const one = await client.submit(first.note, first.checkpoint, 0n, proofFrom(history, 10));
    assert.equal(one.kind, 'cosigned');
    const second = note(history, 25);
    // The client believes the witness holds nothing: the witness says 10, and the proof goes from 10.
    const two = await client.submit(second.note, second.checkpoint, 0n, proofFrom(history, 25));
    assert.equal(two.kind, 'cosigned');
    assert.deepEqual(
      witness.requests.slice(-2).map((r) => [r.status, r.old]),
      [
        [409, 0n],
        [200, 10n],
      ],
    );
    const text = second.note.slice(0, second.note.lastIndexOf('\n\n') + 1);
    assert.ok(
      two.kind === 'cosigned' && verifyCosignature(text, two.cosignature, parseCosignerKey(witness.key)),
      'the cosignature is the witness key’s, over this checkpoint',
    );
    assert.equal(witness.latest()?.size, 25n);
  });

  it('names a rollback when the witness holds a larger checkpoint', async () => {
    const smaller = note(history, 20);
    const outcome = await client.submit(smaller.note, smaller.checkpoint, 20n, proofFrom(history, 20));
    assert.deepEqual(outcome, { kind: 'rollback', witnessSize: 25n, logSize: 20n });
    assert.equal(witness.latest()?.size, 25n, 'the witness keeps what it had');
  });

  it('names a fork: another root at the size it holds, or a larger tree that does not extend it', async () => {
    const sameSize = note(fork, 25);
    const same = await client.submit(sameSize.note, sameSize.checkpoint, 25n, proofFrom(fork, 25));
    assert.equal(same.kind, 'fork');
    assert.match(same.kind === 'fork' ? same.message : '', /même taille \(25\)/);
    const larger = note(fork, 40);
    const grown = await client.submit(larger.note, larger.checkpoint, 25n, proofFrom(fork, 40));
    assert.equal(grown.kind, 'fork');
    assert.match(
      grown.kind === 'fork' ? grown.message : '',
      /ne reconnaît pas le point de contrôle à 40 événements comme une extension de celui à 25/,
    );
    assert.equal(witness.latest()?.size, 25n);
  });

  it('an unreachable witness, or one that does not know the log, says nothing about the log', async () => {
    const next = note(history, 30);
    const stranger = new ExternalWitness({ url: 'http://127.0.0.1:9', timeoutMs: 500 });
    assert.equal((await stranger.submit(next.note, next.checkpoint, 25n, proofFrom(history, 30))).kind, 'unavailable');
    const foreign = note(history, 30);
    const otherLog = signNote(formatCheckpoint(foreign.checkpoint), signerFromSeed(ORIGIN, randomBytes(32)));
    const refused = await client.submit(otherLog, foreign.checkpoint, 25n, proofFrom(history, 30));
    assert.equal(refused.kind, 'unavailable');
    assert.match(refused.kind === 'unavailable' ? refused.message : '', /HTTP 403/);
  });
});
