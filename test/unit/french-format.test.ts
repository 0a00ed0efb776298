import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bornLabel,
  formatNir,
  formatPhone,
  frenchDay,
  frenchInstant,
  ofName,
  ofOrganisation,
  organisationInSentence,
  plural,
  toOrganisation,
} from '../../src/domain/french.ts';
import { ROME_LABELS, romeLabel } from '../../src/domain/rome.ts';
import { isValidRomeCode, nirControlKey } from '../../src/domain/validators.ts';
import { ROME_JOBS } from '../../src/guard/synthetic/reference-data.ts';
import { formatDate, formatDateTime } from '../../web/src/app/format.ts';

describe('a person’s data written in French', () => {
  it('writes phone numbers in pairs, from the stored E.164 or as typed; other shapes as they are', () => {
    assert.equal(formatPhone('+33639980283'), '06 39 98 02 83');
    assert.equal(formatPhone('0639980283'), '06 39 98 02 83');
    assert.equal(formatPhone('06.39.98.02.83'), '06 39 98 02 83');
    assert.equal(formatPhone('+262692123456'), '06 92 12 34 56', 'La Réunion, dialled from France');
    assert.equal(formatPhone('+33639980283', 'international'), '+33 6 39 98 02 83');
    assert.equal(formatPhone('0556001122', 'international'), '+33 5 56 00 11 22');
    assert.equal(formatPhone('+262692123456', 'international'), '+262 692 12 34 56');
    for (const other of ['+4930123456', '063998', '+330639980283', 'inconnu', ''])
      assert.equal(formatPhone(other), other);
  });

  it('writes the NIR as the carte Vitale does, Corsica included', () => {
    assert.equal(formatNir('103031300100151'), '1 03 03 13 001 001 51');
    const corsican = '285052A004123';
    const withKey = `${corsican}${nirControlKey(corsican)}`;
    assert.equal(formatNir(withKey), `2 85 05 2A 004 123 ${nirControlKey(corsican)}`);
    assert.equal(formatNir('1 03 03 13 001 001'), '1 03 03 13 001 001', 'without its key');
    for (const other of ['12345', 'pas un NIR', '10303130010015X']) assert.equal(formatNir(other), other);
  });

  it('writes « 1er » for the first of a month, and the other days as Intl does', () => {
    assert.equal(frenchDay('2026-01-01T10:00:00Z'), '1er janvier 2026');
    assert.equal(frenchDay('2026-07-14T10:00:00Z'), '14 juillet 2026');
    assert.equal(frenchDay('2026-03-11T10:00:00Z'), '11 mars 2026', '11 is not the first');
    assert.equal(frenchInstant('2026-05-01T07:30:00Z'), '1er mai 2026 à 09:30');
    assert.equal(formatDate('2026-01-01'), '1er janvier 2026');
    assert.equal(formatDate('1987-10-21'), '21 octobre 1987');
    assert.match(formatDateTime('2026-02-01T08:00:00Z'), /^1er févr\. 2026,? 09:00$/);
  });

  it('keeps 0 and 1 singular', () => {
    assert.equal(plural(0, 'personne exposée', 'personnes exposées'), '0 personne exposée');
    assert.equal(plural(1, 'leurre consulté', 'leurres consultés'), '1 leurre consulté');
    assert.equal(plural(1234, 'avis planifié', 'avis planifiés'), `${(1234).toLocaleString('fr-FR')} avis planifiés`);
  });

  it('says « né » or « née » as the sex is known, « né(e) » only when it is not', () => {
    assert.equal(bornLabel('F'), 'née');
    assert.equal(bornLabel('M'), 'né');
    assert.equal(bornLabel(undefined), 'né(e)');
  });

  it('elides « de » before a vowel, a mute h and a vocalic y', () => {
    assert.equal(ofName('Aimable MARTIN'), 'd’Aimable MARTIN');
    assert.equal(ofName('Émile'), 'd’Émile');
    assert.equal(ofName('Hélène DURAND'), 'd’Hélène DURAND');
    assert.equal(ofName('Yves'), 'd’Yves');
    assert.equal(ofName('Yasmine'), 'de Yasmine');
    assert.equal(ofName('Paul'), 'de Paul');
    assert.equal(ofName('Foulques LE GALL'), 'de Foulques LE GALL');
  });

  it('gives an organisation’s name its article in a sentence', () => {
    assert.equal(ofOrganisation('Mission locale de Bordeaux'), 'de la Mission locale de Bordeaux');
    assert.equal(ofOrganisation('CAF de la Gironde'), 'de la CAF de la Gironde');
    assert.equal(ofOrganisation('Département de la Gironde'), 'du Département de la Gironde');
    assert.equal(ofOrganisation('Région Nouvelle-Aquitaine'), 'de la Région Nouvelle-Aquitaine');
    assert.equal(
      ofOrganisation('Institut aquitain de formation professionnelle'),
      'de l’Institut aquitain de formation professionnelle',
    );
    assert.equal(ofOrganisation('France Travail Mérignac'), 'de France Travail Mérignac');
    assert.equal(ofOrganisation('Cap emploi Gironde'), 'de Cap emploi Gironde');
    assert.equal(toOrganisation('Mission locale de Bordeaux'), 'à la Mission locale de Bordeaux');
    assert.equal(toOrganisation('Département de la Gironde'), 'au Département de la Gironde');
    assert.equal(toOrganisation('Institut aquitain'), 'à l’Institut aquitain');
    assert.equal(toOrganisation('Cap emploi Gironde'), 'à Cap emploi Gironde');
    assert.equal(organisationInSentence('Mission locale de Bordeaux'), 'la Mission locale de Bordeaux');
    assert.equal(organisationInSentence('France Travail Libourne'), 'France Travail Libourne');
  });

  it('shows a ROME code with its label, an unknown one alone', () => {
    assert.equal(romeLabel('K2204'), 'K2204 — Nettoyage de locaux');
    assert.equal(romeLabel('Z9999'), 'Z9999');
    for (const code of Object.keys(ROME_LABELS)) assert.ok(isValidRomeCode(code), code);
  });

  it('has a label for every job the synthetic population holds', () => {
    for (const job of ROME_JOBS) {
      assert.ok(ROME_LABELS[job.code], `${job.code} has a label`);
      assert.equal(ROME_LABELS[job.code], job.title.replaceAll("'", '’'), job.code);
    }
  });
});
