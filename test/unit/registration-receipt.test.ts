import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consentIssues, consentTextHash, CONSENT_TEXTS, type Consent } from '../../src/registration/consent.ts';
import { importNoticeText, receiptText, type ReceiptFacts } from '../../src/registration/receipt.ts';
import type { RegistrationInput } from '../../src/registration/index.ts';
import { intakeNir, intakeRecord } from '../helpers/intake.ts';

const input = intakeRecord(7) as unknown as RegistrationInput;
const facts: ReceiptFacts = {
  franceTravailId: '1234567K',
  category: 'A',
  administrativeCategory: 1,
  registeredOn: '2026-12-04',
  input,
  organisationName: 'France Travail Bordeaux Bastide',
  consent: { given: 'paper', receivedOn: '2026-12-01', version: CONSENT_TEXTS[0]!.version },
};
const hash = consentTextHash(CONSENT_TEXTS[0]!.text);

describe('the receipt of a registration by an agent, and the notice of an import', () => {
  it('says the id, the categories, the organisation and what was recorded, never the NIR in full', () => {
    const text = receiptText(facts);
    const all = [text.subject, ...text.paragraphs].join('\n');
    assert.match(all, /Identifiant France Travail : 1234567K/);
    assert.match(all, /catégorie A — sans emploi/);
    assert.match(all, /catégorie 1 — emploi à durée indéterminée à temps plein/);
    assert.match(all, /par un agent de France Travail Bordeaux Bastide\./);
    assert.match(all, /formulaire papier signé reçu le 1er décembre 2026/);
    assert.match(all, /Vente en alimentation \(D1106\)/);
    const nir = intakeNir(7);
    assert.ok(!all.includes(nir), 'no NIR in full');
    assert.ok(all.includes(`se terminant par ${nir.slice(-3)}`));
    assert.deepEqual(text.address?.at(-1), '33000 BORDEAUX');
  });

  it('an import’s notice names the partner and the reason, and how to contest it', () => {
    const text = importNoticeText({ ...facts, organisationName: 'Département de la Gironde' }, 'rsa');
    const all = text.paragraphs.join('\n');
    assert.equal(text.subject, 'Vous avez été inscrit(e) comme demandeur d’emploi');
    assert.match(all, /par le Département de la Gironde, en tant qu’allocataire du RSA/);
    assert.match(all, /Si vous n’êtes pas à l’origine de cette démarche/);
    assert.ok(!all.includes(intakeNir(7)));
  });

  it('consent: a published text, a received date for paper only, not future, not stale', () => {
    const today = '2026-12-04';
    const ok: Consent = { given: 'desk', signed: true, textHash: hash };
    assert.deepEqual(consentIssues(ok, today), []);
    const fields = (c: Consent) => consentIssues(c, today).map((i) => `${i.field}:${i.rule}`);
    assert.deepEqual(fields({ ...ok, textHash: '0'.repeat(64) }), ['body.consent.textHash:known_text']);
    assert.deepEqual(fields({ ...ok, given: 'paper' }), ['body.consent.receivedOn:required']);
    assert.deepEqual(fields({ ...ok, given: 'paper', receivedOn: '2026-12-05' }), [
      'body.consent.receivedOn:not_future',
    ]);
    assert.deepEqual(fields({ ...ok, given: 'paper', receivedOn: '2026-08-01' }), ['body.consent.receivedOn:recent']);
    assert.deepEqual(fields({ ...ok, receivedOn: '2026-12-01' }), ['body.consent.receivedOn:paper_only']);
    assert.deepEqual(fields({ ...ok, given: 'paper', receivedOn: '2026-12-01' }), []);
  });
});
