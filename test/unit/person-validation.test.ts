import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../src/domain/errors.ts';
import { validateNewPerson, validatePersonPatch } from '../../src/domain/person-rules.ts';
import { nirFor, samplePerson } from '../helpers/fixtures.ts';

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected ValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected a ValidationError');
}

describe('person file validation', () => {
  it('accepts a complete file and returns it in canonical form', () => {
    const input = samplePerson();
    input.nir = {
      nir: nirFor(1)
        .replace(/(.{5})/g, '$1 ')
        .trim(),
    };
    input.contact!.email = '  Elodie.Marchand1@Demo.Rempart.Example ';
    input.bank!.iban = 'fr14 2004 1010 0505 0001 3m02 606';
    const file = validateNewPerson(input);
    assert.equal(file.nir!.nir, nirFor(1));
    assert.equal(file.contact!.email, 'elodie.marchand1@demo.rempart.example');
    assert.equal(file.bank!.iban, 'FR1420041010050500013M02606');
  });

  it('names each bad field and its rule', () => {
    const input = samplePerson() as any;
    input.identity.birthDate = '1990-02-30';
    input.nir.nir = '290033306300199';
    input.contact.address.postalCode = '00000';
    input.bank.iban = 'FR1420041010050500013M02607';
    input.career.soughtJobs = ['Z9999'];
    const issues = issuesOf(() => validateNewPerson(input));
    const byField = Object.fromEntries(issues.map((i) => [i.field, i.rule]));
    assert.equal(byField['identity.birthDate'], 'format:date');
    assert.equal(byField['nir.nir'], 'format:nir');
    assert.equal(byField['contact.address.postalCode'], 'format:postal-code-fr');
    assert.equal(byField['bank.iban'], 'format:iban');
    assert.equal(byField['career.soughtJobs.0'], 'format:rome');
    for (const issue of issues) assert.ok(issue.message.length > 5, 'a French explanation');
  });

  it('requires identity, refuses unknown fields and classes', () => {
    const noIdentity = samplePerson() as any;
    delete noIdentity.identity;
    assert.deepEqual(
      issuesOf(() => validateNewPerson(noIdentity)).map((i) => [i.field, i.rule]),
      [['identity', 'required']],
    );
    const extra = { ...samplePerson(), favouriteColour: 'bleu' };
    assert.deepEqual(
      issuesOf(() => validateNewPerson(extra)).map((i) => [i.field, i.rule]),
      [['favouriteColour', 'additionalProperties']],
    );
    const nested = samplePerson() as any;
    nested.identity.password = 'x';
    assert.deepEqual(
      issuesOf(() => validateNewPerson(nested)).map((i) => i.field),
      ['identity.password'],
    );
  });

  it('refuses a NIR that contradicts the identity given with it', () => {
    const input = samplePerson();
    input.nir = { nir: nirFor(1, '1') };
    const issues = issuesOf(() => validateNewPerson(input));
    assert.deepEqual(
      issues.map((i) => i.rule),
      ['nir.identity_sex'],
    );
    input.nir = { nir: nirFor(1, '2', '9004') };
    assert.deepEqual(
      issuesOf(() => validateNewPerson(input)).map((i) => i.rule),
      ['nir.identity_birth_month'],
    );
    input.nir = { nir: nirFor(1, '2', '9103') };
    assert.deepEqual(
      issuesOf(() => validateNewPerson(input)).map((i) => i.rule),
      ['nir.identity_birth_year'],
    );
  });

  it('refuses a BIC from another country than the IBAN', () => {
    const input = samplePerson();
    input.bank = { iban: 'FR1420041010050500013M02606', bic: 'DEUTDEFFXXX', holder: 'X' };
    assert.deepEqual(
      issuesOf(() => validateNewPerson(input)).map((i) => [i.field, i.rule]),
      [['bank.bic', 'bic.country_mismatch']],
    );
  });

  it('patches: null removes a class, identity cannot be removed, empty patch refused', () => {
    assert.deepEqual(validatePersonPatch({ health: null }), { health: null });
    assert.deepEqual(
      issuesOf(() => validatePersonPatch({ identity: null })).map((i) => i.field),
      ['identity'],
    );
    assert.deepEqual(
      issuesOf(() => validatePersonPatch({})).map((i) => i.rule),
      ['minProperties'],
    );
  });

  it('prefixes fields with where they came from', () => {
    const input = samplePerson() as any;
    input.identity.sex = 'Z';
    assert.deepEqual(
      issuesOf(() => validateNewPerson(input, 'body')).map((i) => [i.field, i.rule]),
      [['body.identity.sex', 'enum']],
    );
  });
});
