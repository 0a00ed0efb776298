import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ORGANISATION_KINDS } from '../../src/domain/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';

describe(`organisation kinds in the database (${BACKEND})`, () => {
  let env: TestEnvironment;
  let runtime: Runtime;

  before(async () => {
    env = testEnvironment();
    runtime = await env.open();
  });
  after(async () => {
    await runtime.close();
    await env.cleanup();
  });

  const insert = (kind: string, id = randomUUID()) =>
    runtime.database.db
      .insertInto('organisations')
      .values({
        id,
        kind,
        name: `Organisme ${kind}`,
        siret: null,
        departement: '33',
        security_posture: JSON.stringify({ mfa: 'required' }),
        status: 'active',
        created_at: new Date().toISOString(),
      })
      .execute();
  const kindOf = async (id: string) =>
    (await runtime.database.db.selectFrom('organisations').select('kind').where('id', '=', id).executeTakeFirst())
      ?.kind;

  it('takes every kind the domain names (a kind added there needs a migration widening the check)', async () => {
    for (const kind of ORGANISATION_KINDS) {
      const id = randomUUID();
      await insert(kind, id);
      assert.equal(await kindOf(id), kind);
    }
  });

  it('refuses an organisation of an unknown kind', async () => {
    const id = randomUUID();
    await assert.rejects(insert('partner', id), /organisations_kind_known|unknown kind of organisation/);
    await assert.rejects(insert('Agency'), /organisations_kind_known|unknown kind of organisation/);
    await assert.rejects(insert(''), /organisations_kind_known|unknown kind of organisation/);
    assert.equal(await kindOf(id), undefined, 'nothing was written');
  });

  it('refuses to change an organisation to an unknown kind, and keeps the one it had', async () => {
    const id = randomUUID();
    await insert('msa', id);
    await assert.rejects(
      runtime.database.db.updateTable('organisations').set({ kind: 'ministry' }).where('id', '=', id).execute(),
      /organisations_kind_known|unknown kind of organisation/,
    );
    assert.equal(await kindOf(id), 'msa');
    await runtime.database.db.updateTable('organisations').set({ kind: 'commune' }).where('id', '=', id).execute();
    assert.equal(await kindOf(id), 'commune', 'a known kind is still a change like any other');
  });
});
