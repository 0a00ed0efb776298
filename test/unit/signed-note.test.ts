import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  formatCheckpoint,
  leafHash,
  NoteError,
  openNote,
  parseCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  rootOf,
  signerFromSeed,
  signNote,
  verifierKeyOf,
} from '../../src/ledger/index.ts';

// The example of Go's golang.org/x/mod/sumdb/note, which C2SP signed-note generalises: Ed25519
// signatures are deterministic, so signing must reproduce its signature byte for byte.
const GO_SIGNER_KEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VERIFIER_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

describe('signed notes and checkpoints (C2SP)', () => {
  it('reproduces the Go reference note and verifier key exactly, and opens it', () => {
    const signer = parseSignerKey(GO_SIGNER_KEY);
    assert.equal(verifierKeyOf(signer), GO_VERIFIER_KEY);
    assert.equal(signNote(GO_TEXT, signer), GO_NOTE);
    assert.equal(openNote(GO_NOTE, [parseVerifierKey(GO_VERIFIER_KEY)]), GO_TEXT);
  });

  it('refuses a tampered note, an unknown key only, and malformed keys', () => {
    const verifier = parseVerifierKey(GO_VERIFIER_KEY);
    assert.throws(() => openNote(GO_NOTE.replace('cryptography', 'cryptographY'), [verifier]), NoteError);
    const stranger = signerFromSeed('Inconnu', randomBytes(32));
    assert.throws(
      () => openNote(GO_NOTE, [parseVerifierKey(verifierKeyOf(stranger))]),
      /no signature by a trusted key/,
    );
    assert.throws(
      () => parseVerifierKey('PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
      /does not match/,
    );
    assert.throws(() => signNote('sans fin de ligne', stranger), NoteError);
  });

  it('a checkpoint round-trips through its note, and any change to size or root breaks the signature', () => {
    const signer = signerFromSeed('rempart.example/ledger', randomBytes(32));
    const verifier = parseVerifierKey(verifierKeyOf(signer));
    const root = rootOf([leafHash(Buffer.from('a')), leafHash(Buffer.from('b'))]);
    const note = signNote(formatCheckpoint({ origin: 'rempart.example/ledger', size: 2n, root }), signer);
    const opened = parseCheckpoint(openNote(note, [verifier]));
    assert.equal(opened.size, 2n);
    assert.ok(opened.root.equals(root));
    assert.throws(() => openNote(note.replace('\n2\n', '\n3\n'), [verifier]), NoteError);
    assert.throws(() => parseCheckpoint('origine\n02\n' + root.toString('base64') + '\n'), /leading zeros/);
  });
});
