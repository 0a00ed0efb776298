import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import Format from 'typebox/format';
import { DOMAIN_FORMATS, FORMAT_MESSAGES_FR, registerDomainFormats } from '../../src/domain/formats.ts';
import {
  bicIssues,
  bicMatchesIbanCountry,
  formatIbanForDisplay,
  ibanIssues,
  isValidBic,
  isValidEmail,
  isValidFranceTravailId,
  isValidFrenchPhone,
  isValidIban,
  isValidInseeCommuneCode,
  isValidIsoDate,
  isValidNir,
  isValidPostalCode,
  isValidRomeCode,
  maskIban,
  nirControlKey,
  nirIssues,
  normalizeBic,
  normalizeEmail,
  normalizeFranceTravailId,
  normalizeFrenchPhone,
  normalizeIban,
  normalizeNir,
} from '../../src/domain/validators.ts';

describe('NIR', () => {
  // Keys computed outside this code base, in a shell:
  //   python3 -c "b='1850578006084'; print('%02d' % (97 - int(b) % 97))"
  // with 2A replaced by 19 and 2B by 18 in the department position before int().
  // '2 69 05 49 588 157 80' is the example of the French Wikipedia article, key included.
  const valid: Array<[string, string]> = [
    ['185057800608491', 'mainland, Yvelines 78006'],
    ['2 69 05 49 588 157 80', 'published example, with spaces'],
    ['2 90 12 2A 004 123 67', 'Corsica 2A (Ajaccio 2A004), key on 19'],
    ['172032B03304590', 'Corsica 2B (Bastia 2B033), key on 18'],
    ['295079741101287', 'overseas: Réunion 974, commune 11'],
    ['188119935212315', 'born abroad: 99 + country 352 (Algeria)'],
    ['783057511500181', 'temporary number, sex digit 7'],
    ['160501305523437', 'unknown month coded 50'],
    ['2.90.12.2a.004.123.67', 'dots and lowercase corsican letter'],
  ];
  for (const [nir, why] of valid) {
    it(`accepts ${why}`, () => {
      assert.deepEqual(nirIssues(nir), []);
      assert.equal(isValidNir(nir), true);
    });
  }

  it('computes the control key', () => {
    assert.equal(nirControlKey('1850578006084'), '91');
    assert.equal(nirControlKey('290122A004123'), '67');
    assert.equal(nirControlKey('172032B033045'), '90');
    assert.equal(nirControlKey('2950797411012'), '87');
    // Extremes, bodies chosen with python3 so that n mod 97 is 0 and 96: the key is 97 (never
    // '00') and '01' (zero-padded).
    assert.equal(nirControlKey('1850578006078'), '97');
    assert.equal(nirControlKey('1850578006174'), '01');
    assert.throws(() => nirControlKey('18505780060'), RangeError);
    assert.throws(() => nirControlKey('18505782C0084'), RangeError);
  });

  it('normalizes spaces, dots and case', () => {
    assert.equal(normalizeNir(' 2 90 12 2a 004.123 67 '), '290122A00412367');
  });

  // Bodies below carry their own correct key (computed as above) so each case breaks one rule only.
  const invalid: Array<[string, string[], string]> = [
    ['185057800608492', ['nir.key'], 'wrong key'],
    ['185057800608400', ['nir.key'], 'key 00 is never produced'],
    ['18505780060849', ['nir.length'], 'one digit short'],
    ['1850578006084911', ['nir.length'], 'one digit too many'],
    ['', ['nir.length'], 'empty'],
    ['1850578006084AB', ['nir.format'], 'letters in the key'],
    ['18505782A008414', ['nir.format'], '2A outside the department position'],
    ['1850X78006084', ['nir.length', 'nir.format'], 'short and with a foreign letter'],
    ['185137800608425', ['nir.month'], 'month 13'],
    ['185050000608463', ['nir.department'], 'department 00'],
    ['185052000608408', ['nir.department'], 'department 20 (Corsica is 2A/2B)'],
    ['185059701101282', ['nir.department'], 'overseas department 970'],
    ['185057800008477', ['nir.commune'], 'commune 000'],
    ['295079740001229', ['nir.commune'], 'overseas commune 00'],
    ['188119900012302', ['nir.commune'], 'country code 000'],
    ['185057800600078', ['nir.order'], 'order 000'],
    ['585057800608485', ['nir.sex'], 'sex 5'],
  ];
  for (const [nir, rules, why] of invalid) {
    it(`rejects ${why}`, () => {
      assert.deepEqual(nirIssues(nir), rules);
      assert.equal(isValidNir(nir), false);
    });
  }

  it('reports several broken rules at once', () => {
    assert.deepEqual(nirIssues('585137800000000'), ['nir.sex', 'nir.month', 'nir.commune', 'nir.order', 'nir.key']);
  });
});

describe('IBAN', () => {
  it('accepts published examples', () => {
    for (const iban of [
      'FR1420041010050500013M02606',
      'FR7630006000011234567890189',
      'DE89370400440532013000',
      'GB82WEST12345698765432',
      'BE68539007547034',
    ]) {
      assert.deepEqual(ibanIssues(iban), [], iban);
      assert.equal(isValidIban(iban), true, iban);
    }
  });

  it('accepts lowercase with spaces, and normalizes it', () => {
    assert.equal(isValidIban('fr14 2004 1010 0505 0001 3m02 606'), true);
    assert.equal(normalizeIban(' fr14 2004 1010 0505 0001 3m02 606 '), 'FR1420041010050500013M02606');
  });

  it('detects a changed digit with the mod-97 checksum', () => {
    assert.deepEqual(ibanIssues('GB82WEST12345698765433'), ['iban.checksum']);
    assert.deepEqual(ibanIssues('DE89370400440532013001'), ['iban.checksum']);
    // In France the same typo also breaks the RIB key inside the BBAN.
    assert.deepEqual(ibanIssues('FR1420041010050500013M02607'), ['iban.bban', 'iban.checksum']);
  });

  it('rejects a wrong length for the country', () => {
    assert.ok(ibanIssues('DE8937040044053201300').includes('iban.length'));
    assert.ok(ibanIssues('FR76300060000112345678901890').includes('iban.length'));
    assert.ok(!ibanIssues('DE8937040044053201300').includes('iban.bban'));
    assert.equal(isValidIban('BE6853900754703'), false);
  });

  it('rejects unknown or non-IBAN countries', () => {
    assert.deepEqual(ibanIssues('XX82WEST12345698765432'), ['iban.country']);
    assert.deepEqual(ibanIssues('US64SVBKUS6S3300958879'), ['iban.country']);
  });

  it('rejects a BBAN that breaks the national structure while the IBAN checksum holds', () => {
    // Check digits recomputed (98 − mod 97) so only the BBAN is wrong: a letter where Germany
    // wants digits, and a French RIB key of 88 instead of 89.
    assert.deepEqual(ibanIssues('DE0537040044053201300A'), ['iban.bban']);
    assert.deepEqual(ibanIssues('FR0630006000011234567890188'), ['iban.bban']);
  });

  it('rejects malformed input', () => {
    for (const iban of [
      '',
      'FR',
      '1234567890',
      'FR7X30006000011234567890189',
      'FR76-3000-6000-0112-3456-7890-189',
      'FR76300060000112345678901é9',
    ]) {
      assert.deepEqual(ibanIssues(iban), ['iban.format'], iban);
    }
  });

  it('formats in groups of four', () => {
    assert.equal(formatIbanForDisplay('fr7630006000011234567890189'), 'FR76 3000 6000 0112 3456 7890 189');
    assert.equal(formatIbanForDisplay('BE68539007547034'), 'BE68 5390 0754 7034');
  });

  it('masks all but country, check digits and last four', () => {
    assert.equal(maskIban('FR7630006000011234567890189'), 'FR76 **** **** **** **** ***0 189');
    assert.equal(maskIban('BE68 5390 0754 7034'), 'BE68 **** **** 7034');
    assert.equal(maskIban('FR763000'), 'FR** ****');
  });
});

describe('BIC', () => {
  it('accepts 8- and 11-character BICs', () => {
    for (const bic of ['BNPAFRPPXXX', 'DEUTDEFF', 'AGRIFRPP882', 'deutdeff', ' BNPAFRPP ']) {
      assert.deepEqual(bicIssues(bic), [], bic);
      assert.equal(isValidBic(bic), true, bic);
    }
    assert.equal(normalizeBic(' agrifrpp882 '), 'AGRIFRPP882');
  });

  it('rejects bad structure and unknown countries', () => {
    assert.deepEqual(bicIssues('BNPAF1PP'), ['bic.format']);
    assert.deepEqual(bicIssues('BNP'), ['bic.format']);
    assert.deepEqual(bicIssues('BNPAFRPPXX'), ['bic.format']);
    assert.deepEqual(bicIssues('BNPA FR PP'), ['bic.format']);
    assert.deepEqual(bicIssues('B1PAFRPP'), ['bic.format']);
    assert.deepEqual(bicIssues('BNPAXXPP'), ['bic.country']);
    assert.equal(isValidBic('BNPAXXPP'), false);
  });

  it('checks that BIC and IBAN name the same country', () => {
    assert.equal(bicMatchesIbanCountry('BNPAFRPPXXX', 'FR7630006000011234567890189'), true);
    assert.equal(bicMatchesIbanCountry('deutdeff', 'de89 3704 0044 0532 0130 00'), true);
    assert.equal(bicMatchesIbanCountry('DEUTDEFF', 'FR7630006000011234567890189'), false);
    assert.equal(bicMatchesIbanCountry('BNPAFRPP', 'BE68539007547034'), false);
    assert.equal(bicMatchesIbanCountry('BNPAXXPP', 'XX82WEST12345698765432'), false);
    assert.equal(bicMatchesIbanCountry('BNPAFRPP', ''), false);
  });
});

describe('email', () => {
  it('normalizes by trimming and lowercasing', () => {
    assert.equal(normalizeEmail('  Jean.Dupont@Example.FR '), 'jean.dupont@example.fr');
  });

  it('accepts ordinary addresses', () => {
    for (const email of [
      'jean.dupont@example.fr',
      '  Jean.Dupont@Example.FR ',
      'a+tag@sub.domain.co.uk',
      "o'brien@example.com",
      'x@xn--bcher-kva.de',
      'a_b-c@my-host.org',
    ]) {
      assert.equal(isValidEmail(email), true, email);
    }
  });

  it('rejects malformed addresses', () => {
    const tooLong = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.fr`;
    assert.ok(tooLong.length > 254);
    for (const email of [
      '',
      'jean',
      'jean@',
      '@example.fr',
      'jean@example',
      'jean dupont@example.fr',
      'jean@exa mple.fr',
      'jean..dupont@example.fr',
      '.jean@example.fr',
      'jean.@example.fr',
      'jean@-example.fr',
      'jean@example-.fr',
      'jean@example..fr',
      'jean@example.f',
      'jean@example.123',
      'a@b@example.fr',
      `${'a'.repeat(65)}@example.fr`,
      tooLong,
    ]) {
      assert.equal(isValidEmail(email), false, email);
    }
  });
});

describe('French phone', () => {
  it('normalizes mainland numbers to E.164', () => {
    assert.equal(normalizeFrenchPhone('06 12 34 56 78'), '+33612345678');
    assert.equal(normalizeFrenchPhone('06.12.34.56.78'), '+33612345678');
    assert.equal(normalizeFrenchPhone('+33 6 12 34 56 78'), '+33612345678');
    assert.equal(normalizeFrenchPhone('0033612345678'), '+33612345678');
    assert.equal(normalizeFrenchPhone('01 23 45 67 89'), '+33123456789');
    assert.equal(normalizeFrenchPhone('0800 123 456'), '+33800123456');
  });

  it('moves overseas numbers to their own country code', () => {
    assert.equal(normalizeFrenchPhone('0690 12 34 56'), '+590690123456'); // Guadeloupe mobile
    assert.equal(normalizeFrenchPhone('0590 12 34 56'), '+590590123456'); // Guadeloupe fixed
    assert.equal(normalizeFrenchPhone('0694 12 34 56'), '+594694123456'); // Guyane
    assert.equal(normalizeFrenchPhone('0696 12 34 56'), '+596696123456'); // Martinique
    assert.equal(normalizeFrenchPhone('0692 12 34 56'), '+262692123456'); // La Réunion
    assert.equal(normalizeFrenchPhone('0262 12 34 56'), '+262262123456');
    assert.equal(normalizeFrenchPhone('0639 01 23 45'), '+262639012345'); // Mayotte
    assert.equal(normalizeFrenchPhone('+33 690 12 34 56'), '+590690123456');
    assert.equal(normalizeFrenchPhone('+262 692 12 34 56'), '+262692123456');
    assert.equal(isValidFrenchPhone('0690123456'), true);
  });

  it('keeps the ARCEP fiction range 06 39 98 on +33, as the seed writes it', () => {
    assert.equal(normalizeFrenchPhone('06 39 98 12 34'), '+33639981234');
    assert.equal(normalizeFrenchPhone('+33639981234'), '+33639981234');
  });

  it('rejects invalid and foreign numbers', () => {
    for (const phone of ['', 'abc', '0612345', '06123456789', '+1 415 555 2671', '+44 20 7946 0958', '+508 41 23 45']) {
      assert.equal(normalizeFrenchPhone(phone), undefined, phone);
      assert.equal(isValidFrenchPhone(phone), false, phone);
    }
  });
});

describe('postal code', () => {
  it('accepts mainland, Corsican and overseas codes', () => {
    for (const code of [
      '75001',
      '01000',
      '13055',
      '20000',
      '20200',
      '95000',
      '97100',
      '97500',
      '97600',
      '98600',
      '98800',
    ]) {
      assert.equal(isValidPostalCode(code), true, code);
    }
  });
  it('rejects the rest', () => {
    for (const code of [
      '00100',
      '96000',
      '97000',
      '97700',
      '98000',
      '98400',
      '99000',
      '7500',
      '750011',
      '7500A',
      ' 75001',
      '',
    ]) {
      assert.equal(isValidPostalCode(code), false, code);
    }
  });
});

describe('INSEE commune code', () => {
  it('accepts COG codes', () => {
    for (const code of ['75056', '01001', '2A004', '2B033', '95500', '97411', '97608', '97105']) {
      assert.equal(isValidInseeCommuneCode(code), true, code);
    }
  });
  it('rejects postal-style and malformed codes', () => {
    for (const code of [
      '20004',
      '00001',
      '96001',
      '75000',
      '2A000',
      '2C004',
      '2a004',
      '97400',
      '97711',
      '9741',
      '974111',
      '99352',
      '',
    ]) {
      assert.equal(isValidInseeCommuneCode(code), false, code);
    }
  });
});

describe('ROME code', () => {
  it('accepts a letter A–N and four digits', () => {
    for (const code of ['M1607', 'K2204', 'A1101', 'N4101']) assert.equal(isValidRomeCode(code), true, code);
  });
  it('rejects the rest', () => {
    for (const code of ['O1234', 'Z1234', 'm1607', 'M160', 'M16077', '11607', 'M 1607', ''])
      assert.equal(isValidRomeCode(code), false, code);
  });
});

describe('ISO date', () => {
  it('accepts real calendar dates in range', () => {
    for (const date of ['2024-02-29', '2000-02-29', '2023-02-28', '2024-04-30', '1900-01-01', '2100-12-31']) {
      assert.equal(isValidIsoDate(date), true, date);
    }
  });
  it('rejects impossible, out-of-range or badly written dates', () => {
    for (const date of [
      '2023-02-29',
      '1900-02-29',
      '2100-02-29',
      '2024-13-01',
      '2024-00-10',
      '2024-04-31',
      '2024-01-00',
      '1899-12-31',
      '2101-01-01',
      '2024-2-29',
      '24-02-29',
      '2024-02-29T00:00:00Z',
      '29/02/2024',
      '',
    ]) {
      assert.equal(isValidIsoDate(date), false, date);
    }
  });
});

describe('France Travail identifier', () => {
  it('normalizes and accepts 7 digits plus a letter or digit', () => {
    assert.equal(normalizeFranceTravailId(' 1234567a '), '1234567A');
    for (const id of ['1234567A', '12345678', ' 1234567a ']) assert.equal(isValidFranceTravailId(id), true, id);
  });
  it('rejects the rest', () => {
    for (const id of ['123456A', '12345678A', '1234567-', 'ABCDEFGH', '1234567É', '1234 567A', ''])
      assert.equal(isValidFranceTravailId(id), false, id);
  });
});

describe('TypeBox formats', () => {
  it('has a French message for every format', () => {
    assert.deepEqual(Object.keys(FORMAT_MESSAGES_FR).sort(), Object.keys(DOMAIN_FORMATS).sort());
    for (const message of Object.values(FORMAT_MESSAGES_FR)) assert.ok(message.length > 20);
  });

  it('registers idempotently and drives compiled schemas', () => {
    registerDomainFormats();
    registerDomainFormats();
    for (const [name, check] of Object.entries(DOMAIN_FORMATS)) assert.equal(Format.Get(name), check, name);

    const nir = Compile(Type.String({ format: 'nir' }));
    assert.equal(nir.Check('185057800608491'), true);
    assert.equal(nir.Check('1 85 05 78 006 084 91'), true);
    assert.equal(nir.Check('185057800608492'), false);

    const bank = Compile(Type.Object({ iban: Type.String({ format: 'iban' }), bic: Type.String({ format: 'bic' }) }));
    assert.equal(bank.Check({ iban: 'FR76 3000 6000 0112 3456 7890 189', bic: 'BNPAFRPP' }), true);
    assert.equal(bank.Check({ iban: 'FR7630006000011234567890188', bic: 'BNPAFRPP' }), false);

    assert.equal(Compile(Type.String({ format: 'date' })).Check('2023-02-29'), false);
    assert.equal(Compile(Type.String({ format: 'rome' })).Check('M1607'), true);
    assert.equal(Compile(Type.String({ format: 'phone-fr' })).Check('06 12 34 56 78'), true);
  });
});
