import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ORGANISATION_KINDS, PLATFORM_KINDS, ROLES, type Role } from '../../src/domain/index.ts';
import { ABILITIES, can, GRANTABLE_ROLES, grantableRoles, rolesAllowedTo } from '../../src/policy/index.ts';

const platform = (...roles: string[]) => ({ roles, organisationKind: 'agency' });
const partner = (...roles: string[]) => ({ roles, organisationKind: 'cap_emploi' });

describe('the platform’s abilities', () => {
  it('lets the security officer read and act on the desk, the DPO only read it', () => {
    assert.equal(can(platform('security_officer'), 'read', 'desk'), true);
    assert.equal(can(platform('security_officer'), 'act_on', 'desk'), true);
    assert.equal(can(platform('dpo'), 'read', 'desk'), true);
    assert.equal(can(platform('dpo'), 'act_on', 'desk'), false);
    assert.equal(can(platform('dpo'), 'review', 'break_glass'), false);
    assert.equal(can(platform('security_officer'), 'review', 'break_glass'), true);
  });

  it('keeps four eyes: the security officer asks, the DPO decides but never asks', () => {
    assert.equal(can(platform('security_officer'), 'request', 'incident_step'), true);
    assert.equal(can(platform('dpo'), 'request', 'incident_step'), false);
    assert.equal(can(platform('dpo'), 'decide', 'incident_step'), true);
    for (const verb of ['request', 'decide'] as const) {
      assert.equal(can(platform('security_officer'), verb, 'export'), true);
      assert.equal(can(platform('dpo'), verb, 'export'), true);
    }
  });

  it('holds the platform-only rows to the platform’s organisations, the others to the role alone', () => {
    for (const row of ABILITIES) {
      const holder = partner(...row.roles);
      const allowed = can(holder, row.verb as never, row.subject);
      assert.equal(allowed, row.within === 'any', `${row.verb} ${row.subject}`);
      for (const kind of PLATFORM_KINDS)
        assert.equal(can({ roles: row.roles, organisationKind: kind }, row.verb as never, row.subject), true);
    }
  });

  it('refuses by default: no role outside a row, no role at all, an unknown role', () => {
    for (const row of ABILITIES) {
      const others = ROLES.filter((role) => !row.roles.includes(role));
      assert.equal(can(platform(...others), row.verb as never, row.subject), false, `${row.verb} ${row.subject}`);
      assert.equal(can(platform(), row.verb as never, row.subject), false);
      assert.equal(can(platform('Security_Officer', 'admin', ''), row.verb as never, row.subject), false);
    }
  });

  it('lets an organisation’s administrators administer accounts, and the bootstrap administrator load files', () => {
    assert.equal(can(partner('org_admin'), 'administer', 'accounts'), true);
    assert.equal(can(partner('partner_staff'), 'administer', 'accounts'), false);
    assert.equal(can(platform('bootstrap_admin'), 'load', 'person_files'), true);
    assert.equal(can(platform('security_officer'), 'load', 'person_files'), false);
  });

  it('says who may, for messages', () => {
    assert.deepEqual(rolesAllowedTo('read', 'desk'), ['security_officer', 'dpo']);
    assert.deepEqual(rolesAllowedTo('act_on', 'desk'), ['security_officer']);
  });

  it('has one row per verb and subject', () => {
    const keys = ABILITIES.map((row) => `${row.verb} ${row.subject}`);
    assert.equal(new Set(keys).size, keys.length);
  });
});

describe('grantable roles', () => {
  const PLATFORM_ROLES: readonly Role[] = ['security_officer', 'dpo', 'bootstrap_admin', 'bank_controller'];

  it('has an entry for every kind of organisation, each with its administrators', () => {
    for (const kind of ORGANISATION_KINDS) {
      assert.ok(GRANTABLE_ROLES[kind].length > 0, kind);
      assert.ok(GRANTABLE_ROLES[kind].includes('org_admin'), kind);
    }
  });

  it('never hands out a platform role nor a machine’s', () => {
    for (const kind of ORGANISATION_KINDS)
      for (const role of [...PLATFORM_ROLES, 'partner_system' as const])
        assert.ok(!GRANTABLE_ROLES[kind].includes(role), `${kind}: ${role}`);
  });

  it('gives the MSA what the CAF has, and a commune what the other local authorities have', () => {
    assert.deepEqual(grantableRoles('msa'), grantableRoles('caf'));
    assert.deepEqual(grantableRoles('commune'), grantableRoles('departement'));
    assert.deepEqual(grantableRoles('commune'), grantableRoles('region'));
  });

  it('grants nothing in an organisation of unknown kind', () => {
    for (const kind of ['partner', '', 'toString', '__proto__', 'AGENCY']) assert.deepEqual(grantableRoles(kind), []);
  });
});
