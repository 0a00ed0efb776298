import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, parsePasskeyAuthenticators } from '../../src/config.ts';
import { attestationRoot, batchCertificate, certificate } from '../helpers/x509.ts';

const ROOT = attestationRoot('Fabricant homologué');
const AAGUID = 'CB69481E-8FF7-4039-93EC-0A2729A154A8';
const entry = (overrides: Record<string, unknown> = {}) => ({
  aaguid: AAGUID,
  name: 'Clé homologuée',
  roots: [ROOT.pem],
  ...overrides,
});

function refused(value: unknown, pattern: RegExp): void {
  assert.throws(
    () => parsePasskeyAuthenticators(value, 'LIST'),
    (e: unknown) => e instanceof ConfigError && pattern.test(e.message),
  );
}

describe('allowed passkey authenticators (configuration)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rempart-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is empty unless REMPART_PASSKEY_AUTHENTICATORS_FILE names a list', () => {
    assert.deepEqual(loadConfig({}).passkeyAuthenticators, []);
  });

  it('reads the file: AAGUIDs in lower case, roots as PEM', () => {
    const file = join(dir, 'authenticators.json');
    writeFileSync(file, JSON.stringify([entry({ name: '  Clé homologuée ' })]));
    assert.deepEqual(loadConfig({ REMPART_PASSKEY_AUTHENTICATORS_FILE: file }).passkeyAuthenticators, [
      { aaguid: AAGUID.toLowerCase(), name: 'Clé homologuée', roots: [ROOT.pem] },
    ]);
  });

  it('refuses an unreadable or non-JSON file, naming the variable', () => {
    assert.throws(
      () => loadConfig({ REMPART_PASSKEY_AUTHENTICATORS_FILE: join(dir, 'absent.json') }),
      /REMPART_PASSKEY_AUTHENTICATORS_FILE: cannot read/,
    );
    const file = join(dir, 'broken.json');
    writeFileSync(file, '[{');
    assert.throws(
      () => loadConfig({ REMPART_PASSKEY_AUTHENTICATORS_FILE: file }),
      /REMPART_PASSKEY_AUTHENTICATORS_FILE: .* is not JSON/,
    );
  });

  it('refuses a faulty entry, naming the entry and its field', () => {
    refused({ aaguid: AAGUID }, /^LIST: expected a JSON array/);
    refused([entry(), 'clé'], /^LIST\[1\]: expected an object/);
    refused([entry({ aaguid: 'cb69481e8ff7403993ec0a2729a154a8' })], /^LIST\[0\]\.aaguid: expected an AAGUID/);
    refused(
      [entry({ aaguid: '00000000-0000-0000-0000-000000000000' })],
      /^LIST\[0\]\.aaguid: the all-zero AAGUID names no model/,
    );
    refused([entry(), entry({ name: 'Même modèle' })], /^LIST\[1\]\.aaguid: .* is listed twice/);
    refused([entry({ name: '' })], /^LIST\[0\]\.name/);
    refused([entry({ colour: 'bleu' })], /^LIST\[0\]: unknown member colour/);
    // Without a root, a software key claiming the AAGUID could not be told from the real model.
    refused([entry({ roots: [] })], /^LIST\[0\]\.roots: expected at least one root certificate/);
    refused([entry({ roots: undefined })], /^LIST\[0\]\.roots/);
    refused(
      [entry({ roots: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'] })],
      /^LIST\[0\]\.roots\[0\]: not a PEM certificate/,
    );
    refused(
      [entry({ roots: [ROOT.pem, batchCertificate(ROOT).pem] })],
      /^LIST\[0\]\.roots\[1\]: .* is not a certification authority/,
    );
    const expired = certificate({
      subject: { C: 'FR', O: 'Ancien', CN: 'Ancien FIDO Root CA' },
      ca: true,
      notBefore: new Date('2015-01-01'),
      notAfter: new Date('2020-01-01'),
    });
    refused([entry({ roots: [expired.pem] })], /^LIST\[0\]\.roots\[0\]: expired on/);
  });
});
