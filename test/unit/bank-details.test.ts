import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertNoDirectBankWrite,
  bankDetailsIssues,
  canonicalBankDetails,
  holderNamesPerson,
  ValidationError,
} from '../../src/domain/index.ts';

const person = { lastName: 'Lefèvre-Dupont', usageName: 'Martin', firstNames: ['Zoé', 'Marie'] };
const FR = { iban: 'FR14 2004 1010 0505 0001 3M02 606', bic: 'PSSTFRPPXXX', holder: 'MME ZOE LEFEVRE DUPONT' };
const rules = (input: Partial<typeof FR>, identity: typeof person | undefined = person) =>
  bankDetailsIssues({ ...FR, ...input }, identity).map((i) => `${i.field}:${i.rule}`);

describe('bank details: IBAN, BIC and holder checks', () => {
  it('accepts a French RIB typed with spaces and lower case, and spells it one way', () => {
    assert.deepEqual(rules({ iban: 'fr14 2004 1010 0505 0001 3m02 606' }), []);
    assert.deepEqual(canonicalBankDetails({ ...FR, holder: '  mme  Zoé lefèvre ' }), {
      iban: 'FR1420041010050500013M02606',
      bic: 'PSSTFRPPXXX',
      holder: 'MME ZOÉ LEFÈVRE',
    });
  });

  it('names each IBAN failure: format, length, national check (RIB key), mod-97 checksum', () => {
    assert.deepEqual(rules({ iban: '1234' }), ['iban:iban.format']);
    assert.deepEqual(rules({ iban: 'FR1420041010050500013M0260' }), ['iban:iban.length', 'iban:iban.checksum']);
    // One digit of the account changed: both the RIB key and the mod-97 catch it.
    assert.deepEqual(rules({ iban: 'FR1420041010050500013M02607' }), ['iban:iban.bban', 'iban:iban.checksum']);
    // Check digits swapped: only the mod-97 is wrong.
    assert.deepEqual(rules({ iban: 'FR4120041010050500013M02606' }), ['iban:iban.checksum']);
    assert.deepEqual(rules({ iban: 'QQ1420041010050500013M02606' }), ['iban:iban.country']);
  });

  it('refuses a valid IBAN of a country outside SEPA (allowances go by SEPA transfer), accepts one inside', () => {
    assert.deepEqual(rules({ iban: 'BR9700360305000010009795493P1', bic: 'BBDEBRSPXXX' }), [
      'iban:iban.country_unsupported',
    ]);
    assert.deepEqual(rules({ iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' }), []);
    assert.deepEqual(rules({ iban: 'GB29NWBK60161331926819', bic: 'NWBKGB2L' }), []);
  });

  it('checks the BIC format and that its country is the IBAN’s', () => {
    assert.deepEqual(rules({ bic: 'PSST' }), ['bic:bic.format']);
    assert.deepEqual(rules({ bic: 'PSSTQQPPXXX' }), ['bic:bic.country']);
    assert.deepEqual(rules({ bic: 'COBADEFFXXX' }), ['bic:bic.country_mismatch']);
  });

  it('compares the holder with the person: surname (birth or usage) and first name or initial, civilities and joint holders allowed', () => {
    for (const holder of [
      'LEFEVRE DUPONT ZOE',
      'Mme Zoé Lefèvre-Dupont',
      'Z LEFEVRE DUPONT',
      'M OU MME JEAN MARTIN ET ZOE MARTIN',
      'MARTIN Z.',
    ]) {
      assert.ok(holderNamesPerson(holder, person), holder);
    }
    for (const holder of ['JEAN MARTIN', 'LEFEVRE ZOE', 'SARL LEFEVRE DUPONT', 'Zoé Durand', 'Lefèvre-Dupont']) {
      assert.equal(holderNamesPerson(holder, person), false, holder);
    }
    assert.deepEqual(rules({ holder: 'JEAN MARTIN' }), ['holder:holder.mismatch']);
    assert.deepEqual(rules({ holder: ' -- ' }), ['holder:holder.required']);
  });

  it('reports every failure at once, each with a French message naming what to fix', () => {
    const issues = bankDetailsIssues(
      { iban: 'FR1420041010050500013M02607', bic: 'PSST', holder: 'Jean Martin Durand' },
      { lastName: 'Petit', firstNames: ['Léa'] },
    );
    assert.deepEqual(
      issues.map((i) => i.field),
      ['iban', 'iban', 'bic', 'holder'],
    );
    for (const issue of issues) assert.match(issue.message, /[a-zé]{4,}.*[ée]/);
    assert.match(issues.find((i) => i.rule === 'holder.mismatch')!.message, /titulaire du compte doit être vous/);
  });

  it('a plain update of the file cannot carry bank details', () => {
    assert.doesNotThrow(() => assertNoDirectBankWrite({}, 'X'));
    assert.throws(
      () => assertNoDirectBankWrite({ bank: FR }, 'POST /x'),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.issues[0]!.field === 'body.bank' &&
        e.issues[0]!.rule === 'bank.change_procedure',
    );
    assert.throws(
      () => assertNoDirectBankWrite({ bank: null }, 'POST /x'),
      ValidationError,
      'removing them is a change too',
    );
  });
});
