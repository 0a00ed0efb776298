import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Keyring, KeyringHolder, writeKeyringFile } from '../../src/crypto/index.ts';

describe('keyring holder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rempart-holder-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'keyring.json');
  const touch = (seconds: number) => utimesSync(path, new Date(), new Date(Date.now() + seconds * 1000));

  it('takes the same keyring grown by a rotation', () => {
    const first = Keyring.generate();
    writeKeyringFile(path, first);
    const holder = new KeyringHolder(first, { kind: 'file', path }, { checkEveryMs: 0 });
    assert.equal(holder.refresh(), false, 'nothing changed');
    writeKeyringFile(path, first.withNewVersion('bank'));
    touch(5);
    assert.equal(holder.current.activeVersion('bank'), 2);
  });

  it('ignores another keyring, a truncated one, or one that lost a key', () => {
    const first = Keyring.generate();
    writeKeyringFile(path, first);
    const holder = new KeyringHolder(first, { kind: 'file', path }, { checkEveryMs: 0 });
    writeKeyringFile(path, Keyring.generate());
    touch(10);
    assert.equal(holder.refresh(), false);
    assert.equal(holder.current.id, first.id);

    const doc = JSON.parse(first.serialize());
    doc.keks.nir.versions['1'] = Keyring.generate()
      .serialize()
      .match(/"1": "([^"]+)"/)![1];
    writeKeyringFile(path, Keyring.parse(JSON.stringify(doc), 'test'));
    touch(15);
    assert.equal(holder.refresh(), false);
    assert.deepEqual(holder.current.kek('nir', 1), first.kek('nir', 1));

    // A missing file is not a new keyring.
    rmSync(path);
    assert.equal(holder.refresh(), false);
    assert.equal(holder.current.id, first.id);
  });
});
