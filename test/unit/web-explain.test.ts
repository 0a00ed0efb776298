import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, explain } from '../../web/src/app/errors.ts';

describe('the message the web application shows for a failure', () => {
  it('says a wrong code once, not once more in brackets in another case', () => {
    const wrongCode = new ApiError(400, 'invalid_code', 'Code incorrect ou déjà utilisé.', [
      { field: 'body.code', rule: 'totp', message: 'code incorrect ou déjà utilisé' },
    ]);
    assert.equal(explain(wrongCode), 'Code incorrect ou déjà utilisé.');
  });

  it('keeps what a field says that the message does not', () => {
    const invalid = new ApiError(400, 'invalid_input', 'Données invalides.', [
      { field: 'body.iban', rule: 'iban', message: 'IBAN invalide' },
      { field: 'body.bic', rule: 'bic', message: 'données invalides' },
    ]);
    assert.equal(explain(invalid), 'Données invalides. (IBAN invalide)');
  });

  it('speaks of the connection when the service did not answer', () => {
    assert.match(explain(new TypeError('fetch failed')), /Le service ne répond pas/);
  });
});
