import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const root = new URL('../..', import.meta.url).pathname;

/** What the project's lint configuration says of `code` placed at `filePath`. */
async function lint(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const DECRYPTING = [
  'export async function leak(runtime: { persons: { read(id: string, c: string[]): Promise<unknown> } }) { return runtime.persons.read("x", ["nir"]); }\n',
  'export async function leak(persons: { open(f: unknown, c: string[]): Promise<unknown> }) { return persons.open({}, ["nir"]); }\n',
  'export async function leak(self: { d: { persons: { fetchSealed(id: string): Promise<unknown> } } }) { return self.d.persons.fetchSealed("x"); }\n',
];

describe('the access pipeline is the only way to decrypt a person (lint boundary)', () => {
  it('fails the build when a route or a capability calls the person store’s decrypting methods', async () => {
    for (const code of DECRYPTING) {
      for (const file of [
        'src/api/staff/new-route.ts',
        'src/incidents/new-capability.ts',
        'src/privacy/journal-extra.ts',
      ]) {
        const messages = await lint(file, code);
        assert.ok(
          messages.some((m) => m.startsWith('no-restricted-syntax') && m.includes('access pipeline')),
          `${file}: ${code.trim()} → ${messages.join('; ') || 'no error'}`,
        );
      }
    }
  });

  it('lets the pipeline and the store itself do it', async () => {
    for (const file of ['src/access/new-step.ts', 'src/store/new-helper.ts']) {
      const messages = await lint(file, DECRYPTING[0]!);
      assert.deepEqual(
        messages.filter((m) => m.startsWith('no-restricted-syntax')),
        [],
        file,
      );
    }
  });
});
