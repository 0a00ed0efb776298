/**
 * Errors in plain French (issue 23, item 11): a field's error is a sentence about the field, never
 * « body.iban: au moins 1 caractère(s) ».
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'typebox';
import { schemaIssues } from '../../src/domain/index.ts';

const Form = Type.Object(
  {
    iban: Type.String({ minLength: 1, maxLength: 34 }),
    nir: Type.Optional(Type.String({ minLength: 13, maxLength: 21 })),
    justification: Type.Optional(Type.String({ minLength: 30 })),
    caseReference: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{2,63}$' })),
    kind: Type.Optional(Type.Enum(['entretien', 'atelier'])),
  },
  { additionalProperties: false },
);

const messageOf = (value: unknown, field: string) =>
  schemaIssues(Form, value, 'body').find((i) => i.field === field)?.message;

describe('validation messages are sentences about the field', () => {
  it('an empty field asks for it by name', () => {
    assert.equal(messageOf({ iban: '' }, 'body.iban'), 'Saisissez l’IBAN.');
    assert.equal(messageOf({}, 'body.iban'), 'Saisissez l’IBAN.');
  });

  it('the NIR and the IBAN say their shape', () => {
    assert.equal(
      messageOf({ iban: 'FR76', nir: '1234' }, 'body.nir'),
      'Le NIR comporte 13 chiffres et sa clé de 2 chiffres (2A ou 2B pour la Corse).',
    );
    assert.match(messageOf({ iban: 'x'.repeat(40) }, 'body.iban')!, /^L’IBAN commence par le code du pays/);
  });

  it('lengths, choices and shapes name the field in a sentence', () => {
    assert.equal(
      messageOf({ iban: 'FR76', justification: 'trop court' }, 'body.justification'),
      'La justification comporte au moins 30 caractères.',
    );
    assert.equal(
      messageOf({ iban: 'FR76', kind: 'visio' }, 'body.kind'),
      'Choisissez une des valeurs proposées pour le type.',
    );
    assert.match(messageOf({ iban: 'FR76', caseReference: '*' }, 'body.caseReference')!, /^La référence du dossier/);
  });

  it('no message carries a path, a rule code or « (s) »', () => {
    const issues = schemaIssues(
      Form,
      { iban: '', nir: '1', justification: 'x', caseReference: '!', kind: 'x', extra: 1 },
      'body',
    );
    assert.ok(issues.length >= 5);
    for (const { message } of issues) {
      assert.doesNotMatch(message, /body\.|\(s\)|minLength|pattern/, message);
      assert.match(message, /^[A-ZÀ-ÖØ-Þ«]/u, `${message} starts a sentence`);
      assert.match(message, /[.)]$/, `${message} ends as one`);
    }
  });
});

describe('no internal code in a title', () => {
  it('every signal the guard raises has a French name', async () => {
    const { readFile } = await import('node:fs/promises');
    const { SIGNAL_LABELS } = await import('../../src/guard/signal-labels.ts');
    const source = await readFile(new URL('../../src/guard/guard.ts', import.meta.url), 'utf8');
    const raised = new Set([...source.matchAll(/signal: '([a-z_]+)'/g)].map((m) => m[1]!));
    for (const window of ['hour', 'day']) for (const level of ['hard', 'soft']) raised.add(`budget_${window}_${level}`);
    assert.ok(raised.size > 15, `${raised.size} signals found`);
    for (const signal of raised) assert.ok(SIGNAL_LABELS[signal], `${signal} has a French name`);
  });
});
