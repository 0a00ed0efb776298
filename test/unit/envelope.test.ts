import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DecryptionError,
  Keyring,
  KeyringError,
  openField,
  rewrapDataKey,
  sealField,
  blindIndex,
} from '../../src/crypto/index.ts';

const keyring = Keyring.generate();
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const plaintext = Buffer.from(JSON.stringify({ nir: '269054958815780' }));

function flip(buffer: Buffer, index: number): Buffer {
  const copy = Buffer.from(buffer);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

function assertDenied(fn: () => unknown, reason: DecryptionError['reason']) {
  assert.throws(fn, (error: unknown) => error instanceof DecryptionError && error.reason === reason);
}

describe('envelope encryption', () => {
  it('round-trips a value and never stores it in clear', () => {
    const sealed = sealField(keyring, A, 'nir', plaintext);
    assert.equal(sealed.kekVersion, 1);
    assert.equal(sealed.ciphertext.includes(plaintext), false);
    assert.equal(sealed.ciphertext.includes(Buffer.from('269054958815780')), false);
    assert.deepEqual(openField(keyring, A, 'nir', sealed), plaintext);
  });

  it('uses a fresh data key and nonce each time', () => {
    const one = sealField(keyring, A, 'nir', plaintext);
    const two = sealField(keyring, A, 'nir', plaintext);
    assert.notDeepEqual(one.ciphertext, two.ciphertext);
    assert.notDeepEqual(one.wrappedKey, two.wrappedKey);
  });

  it('refuses a ciphertext moved to another person', () => {
    const sealed = sealField(keyring, A, 'nir', plaintext);
    assertDenied(() => openField(keyring, B, 'nir', sealed), 'tampered');
  });

  it('refuses a ciphertext moved to another field class', () => {
    const sealed = sealField(keyring, A, 'nir', plaintext);
    assertDenied(() => openField(keyring, A, 'health', sealed), 'tampered');
  });

  it('refuses a value sealed for another person even with a valid wrapped key', () => {
    const mine = sealField(keyring, A, 'nir', plaintext);
    const theirs = sealField(keyring, B, 'nir', Buffer.from('"other"'));
    assertDenied(() => openField(keyring, A, 'nir', { ...mine, ciphertext: theirs.ciphertext }), 'tampered');
  });

  it('detects any altered byte of the ciphertext (nonce, body, tag)', () => {
    const sealed = sealField(keyring, A, 'nir', plaintext);
    for (const index of [1, 5, 13, 20, sealed.ciphertext.length - 1]) {
      assertDenied(
        () => openField(keyring, A, 'nir', { ...sealed, ciphertext: flip(sealed.ciphertext, index) }),
        'tampered',
      );
    }
  });

  it('detects an altered wrapped key and an altered key version', () => {
    const sealed = sealField(keyring, A, 'nir', plaintext);
    assertDenied(
      () => openField(keyring, A, 'nir', { ...sealed, wrappedKey: flip(sealed.wrappedKey, 20) }),
      'tampered',
    );
    assertDenied(() => openField(keyring, A, 'nir', { ...sealed, kekVersion: 2 }), 'unknown_key');
    const rotated = keyring.withNewVersion('nir');
    assertDenied(() => openField(rotated, A, 'nir', { ...sealed, kekVersion: 2 }), 'tampered');
  });

  it('cannot open anything without the data key (shredded)', () => {
    const sealed = sealField(keyring, A, 'nir', plaintext);
    assertDenied(() => openField(keyring, A, 'nir', { ...sealed, wrappedKey: Buffer.alloc(0) }), 'shredded');
  });

  it('cannot open with another keyring', () => {
    const sealed = sealField(keyring, A, 'nir', plaintext);
    assertDenied(() => openField(Keyring.generate(), A, 'nir', sealed), 'tampered');
  });

  it('rewraps under the new version without touching the value', () => {
    const sealed = sealField(keyring, A, 'health', plaintext);
    const rotated = keyring.withNewVersion('health');
    const rewrapped = rewrapDataKey(rotated, A, 'health', sealed);
    assert.equal(rewrapped.kekVersion, 2);
    assert.notDeepEqual(rewrapped.wrappedKey, sealed.wrappedKey);
    assert.deepEqual(openField(rotated, A, 'health', { ...rewrapped, ciphertext: sealed.ciphertext }), plaintext);
    // The old version still opens what was not rewrapped yet; the new one is active for writes.
    assert.deepEqual(openField(rotated, A, 'health', sealed), plaintext);
    assert.equal(sealField(rotated, A, 'health', plaintext).kekVersion, 2);
    assert.equal(sealField(rotated, A, 'nir', plaintext).kekVersion, 1);
  });
});

describe('blind indexes', () => {
  it('are deterministic per keyring and kind, and differ across kinds and keyrings', () => {
    const one = blindIndex(keyring, 'nir', '269054958815780');
    assert.deepEqual(one, blindIndex(keyring, 'nir', '269054958815780'));
    assert.notDeepEqual(one, blindIndex(keyring, 'france_travail_id', '269054958815780'));
    assert.notDeepEqual(one, blindIndex(Keyring.generate(), 'nir', '269054958815780'));
    assert.equal(one.length, 32);
  });
});

describe('keyring', () => {
  it('survives serialization and never shows keys through JSON.stringify', () => {
    const copy = Keyring.parse(keyring.serialize(), 'test');
    assert.equal(copy.id, keyring.id);
    assert.deepEqual(copy.kek('bank', 1), keyring.kek('bank', 1));
    const shown = JSON.stringify({ keyring });
    assert.equal(shown.includes(keyring.kek('bank', 1).toString('base64')), false);
  });

  it('rejects malformed keyrings with a clear message', () => {
    const doc = JSON.parse(keyring.serialize());
    const cases: Array<[string, (d: any) => void, RegExp]> = [
      ['not JSON', () => undefined, /not valid JSON/],
      ['wrong format', (d) => (d.format = 'other'), /not a Rempart keyring/],
      ['missing class', (d) => delete d.keks.health, /no key-encryption key for field class "health"/],
      ['short key', (d) => (d.keks.nir.versions['1'] = Buffer.alloc(16).toString('base64')), /must be 32 bytes/],
      ['missing active version', (d) => (d.keks.nir.active = 3), /active version 3 of "nir" is missing/],
      ['missing blind index key', (d) => delete d.blindIndex.email, /blind-index key for "email"/],
    ];
    for (const [name, mutate, message] of cases) {
      const copy = structuredClone(doc);
      mutate(copy);
      const text = name === 'not JSON' ? '{oops' : JSON.stringify(copy);
      assert.throws(
        () => Keyring.parse(text, 'test'),
        (e: unknown) => e instanceof KeyringError && message.test(e.message),
        name,
      );
    }
  });

  it('fingerprints identify keys without revealing them', () => {
    const prints = keyring.fingerprints();
    assert.equal(
      prints.length,
      12 + 6 + 1,
      'eleven field classes and the authentication secrets, six blind indexes, the ledger signing key',
    );
    for (const p of prints) assert.match(p.fingerprint, /^[0-9a-f]{32}$/);
    const rotated = keyring.withNewVersion('bank');
    assert.equal(rotated.fingerprints().length, 20);
    assert.deepEqual(rotated.versions('bank'), [1, 2]);
  });

  it('a keyring made before the ledger derives its signing seed, always the same, from no key used as is; a rotation keeps it', () => {
    const doc = JSON.parse(keyring.serialize()) as { ledgerSigning?: string };
    assert.ok(doc.ledgerSigning, 'generated keyrings carry the seed');
    assert.deepEqual(keyring.ledgerSigningSeed(), Buffer.from(doc.ledgerSigning, 'base64'));
    delete doc.ledgerSigning;
    const older = Keyring.parse(JSON.stringify(doc), 'test');
    assert.deepEqual(older.ledgerSigningSeed(), Keyring.parse(JSON.stringify(doc), 'test').ledgerSigningSeed());
    assert.notDeepEqual(older.ledgerSigningSeed(), older.blindIndexKey('nir'));
    assert.notDeepEqual(older.ledgerSigningSeed(), keyring.ledgerSigningSeed());
    assert.deepEqual(keyring.withNewVersion('bank').ledgerSigningSeed(), keyring.ledgerSigningSeed());
  });

  it('a keyring made before the name and birth date index derives its key, always the same, never the NIR key itself', () => {
    const doc = JSON.parse(keyring.serialize()) as { blindIndex: Record<string, string> };
    assert.ok(doc.blindIndex.name_birth, 'generated keyrings carry the key');
    delete doc.blindIndex.name_birth;
    const older = Keyring.parse(JSON.stringify(doc), 'test');
    const again = Keyring.parse(JSON.stringify(doc), 'test');
    assert.deepEqual(older.blindIndexKey('name_birth'), again.blindIndexKey('name_birth'));
    assert.notDeepEqual(older.blindIndexKey('name_birth'), older.blindIndexKey('nir'));
    assert.notDeepEqual(older.blindIndexKey('name_birth'), keyring.blindIndexKey('name_birth'));
  });

  it('a keyring made before the IBAN and household indexes derives both keys, distinct from each other and from the NIR key', () => {
    const doc = JSON.parse(keyring.serialize()) as { blindIndex: Record<string, string> };
    delete doc.blindIndex.iban;
    delete doc.blindIndex.household;
    const older = Keyring.parse(JSON.stringify(doc), 'test');
    const again = Keyring.parse(JSON.stringify(doc), 'test');
    assert.deepEqual(older.blindIndexKey('iban'), again.blindIndexKey('iban'));
    assert.deepEqual(older.blindIndexKey('household'), again.blindIndexKey('household'));
    assert.notDeepEqual(older.blindIndexKey('iban'), older.blindIndexKey('household'));
    assert.notDeepEqual(older.blindIndexKey('iban'), older.blindIndexKey('nir'));
    assert.notDeepEqual(older.blindIndexKey('iban'), keyring.blindIndexKey('iban'));
  });

  it('the derivation is pinned: changing it would silently orphan every name and birth date index already stored', () => {
    const doc = JSON.parse(keyring.serialize()) as { blindIndex: Record<string, string> };
    doc.blindIndex.nir = Buffer.alloc(32, 1).toString('base64');
    delete doc.blindIndex.name_birth;
    const older = Keyring.parse(JSON.stringify(doc), 'test');
    // HKDF-SHA256(nir key, no salt, "rempart/blind-index/name_birth/v1", 32 bytes).
    assert.equal(
      older.blindIndexKey('name_birth').toString('hex'),
      '00b717eb47e8531710f8e1ba54d3168433874b627ab408f3d09924247fe556f9',
    );
    assert.equal(
      Keyring.parse(older.serialize(), 'test').blindIndexKey('name_birth').toString('hex'),
      '00b717eb47e8531710f8e1ba54d3168433874b627ab408f3d09924247fe556f9',
      'written out, the derived key stays the same',
    );
  });
});
