import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ORGANISATION_KINDS } from '../../src/domain/index.ts';
import { ABILITIES, DENIAL_REASONS } from '../../src/policy/index.ts';
import { NETWORK } from '../../src/seed/network.ts';
import { ACCESS_MATRIX_PATH, renderAccessMatrix } from '../../scripts/access-matrix.ts';

describe('docs/access-matrix.md', () => {
  it('is up to date with the agreements (run `npm run matrix` to regenerate it)', () => {
    const committed = readFileSync(ACCESS_MATRIX_PATH, 'utf8');
    assert.ok(
      committed === renderAccessMatrix(),
      'docs/access-matrix.md is stale: run `npm run matrix` and commit the result',
    );
  });

  it('names every organisation, every purpose and every denial reason with its status', () => {
    const text = renderAccessMatrix();
    for (const spec of NETWORK) {
      assert.ok(text.includes(`### ${spec.name} — \`${spec.kind}\``), spec.key);
      for (const rule of spec.agreement.purposes) assert.ok(text.includes(`| \`${rule.purpose}\` — `), rule.purpose);
    }
    for (const [reason, status] of Object.entries(DENIAL_REASONS))
      assert.ok(text.includes(`| \`${reason}\` | ${status} |`), reason);
  });

  it('prints every row of the platform’s abilities and the roles grantable in every kind of organisation', () => {
    const text = renderAccessMatrix();
    for (const row of ABILITIES) assert.ok(text.includes(`| \`${row.verb}\` \`${row.subject}\` |`), row.verb);
    for (const kind of ORGANISATION_KINDS) assert.ok(text.includes(`| \`${kind}\` | `), kind);
  });

  it('is the same document every time', () => {
    assert.equal(renderAccessMatrix(), renderAccessMatrix());
  });
});
