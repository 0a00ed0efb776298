import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ORGANISATION_KINDS, ROLES } from '../../src/domain/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';

describe(`organisation kinds and roles in the database (${BACKEND})`, () => {
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

  const UNKNOWN_ROLE = /actors_roles_known|unknown role/;
  const actor = async (roles: string, id = randomUUID()) => {
    const organisationId = randomUUID();
    await insert('agency', organisationId);
    await runtime.database.db
      .insertInto('actors')
      .values({
        id,
        organisation_id: organisationId,
        kind: 'human',
        login: `agent-${id}`,
        display_name: 'Agent',
        roles,
        status: 'active',
        created_at: new Date().toISOString(),
      })
      .execute();
    return id;
  };
  const rolesOf = async (id: string) =>
    (await runtime.database.db.selectFrom('actors').select('roles').where('id', '=', id).executeTakeFirst())?.roles;

  it('takes an actor holding any of the roles the domain names, or none (a role added there needs a migration)', async () => {
    const id = await actor(JSON.stringify(ROLES));
    assert.deepEqual(JSON.parse((await rolesOf(id))!), [...ROLES]);
    assert.equal(await rolesOf(await actor('[]')), '[]');
  });

  it('refuses an actor with an unknown role, or roles that are not a list', async () => {
    const id = randomUUID();
    await assert.rejects(actor(JSON.stringify(['counsellor', 'call_centre_agent']), id), UNKNOWN_ROLE);
    await assert.rejects(actor(JSON.stringify(['Counsellor'])), UNKNOWN_ROLE);
    await assert.rejects(actor(JSON.stringify('counsellor')), UNKNOWN_ROLE);
    await assert.rejects(actor(JSON.stringify({ role: 'counsellor' })), UNKNOWN_ROLE);
    assert.equal(await rolesOf(id), undefined, 'nothing was written');
  });

  it('refuses to give an actor an unknown role, and keeps the roles it had', async () => {
    const id = await actor(JSON.stringify(['counsellor']));
    await assert.rejects(
      runtime.database.db
        .updateTable('actors')
        .set({ roles: JSON.stringify(['counsellor', 'superuser']) })
        .where('id', '=', id)
        .execute(),
      UNKNOWN_ROLE,
    );
    assert.equal(await rolesOf(id), JSON.stringify(['counsellor']));
    await runtime.database.db
      .updateTable('actors')
      .set({ roles: JSON.stringify(['counsellor', 'security_officer']) })
      .where('id', '=', id)
      .execute();
    assert.deepEqual(JSON.parse((await rolesOf(id))!), ['counsellor', 'security_officer']);
  });
});
