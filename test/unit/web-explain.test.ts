import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, explain, fieldError } from '../../web/src/app/errors.ts';

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

  it('says next to a field what the server said of it, as a sentence, and nothing next to the others', () => {
    const weak = new ApiError(400, 'validation_failed', 'Au moins 12 caractères.', [
      { field: 'body.newPassword', rule: 'password.length', message: 'au moins 12 caractères' },
    ]);
    assert.equal(fieldError(weak, 'newPassword'), 'Au moins 12 caractères.');
    assert.equal(fieldError(weak, 'currentPassword'), '');
    const wrong = new ApiError(400, 'invalid_current_password', 'Le mot de passe actuel est incorrect.', [
      {
        field: 'body.currentPassword',
        rule: 'current_password_invalid',
        message: 'Le mot de passe actuel est incorrect.',
      },
    ]);
    assert.equal(fieldError(wrong, 'currentPassword'), 'Le mot de passe actuel est incorrect.');
    assert.equal(fieldError(new TypeError('fetch failed'), 'currentPassword'), '');
  });

  it('speaks of the connection when the service did not answer', () => {
    assert.match(explain(new TypeError('fetch failed')), /Le service ne répond pas/);
  });
});

describe('a passkey at another address than its relying party (issue 23, item 13)', () => {
  it('is said with the address to open, not as a service that does not answer', async () => {
    const { PasskeyAddressError, passkeyAddressMatches } = await import('../../web/src/app/errors.ts');
    assert.equal(passkeyAddressMatches('localhost', '127.0.0.1'), false);
    assert.equal(passkeyAddressMatches('localhost', 'localhost'), true);
    assert.equal(passkeyAddressMatches('rempart.example', 'espace.rempart.example'), true);
    assert.equal(passkeyAddressMatches('rempart.example', 'evilrempart.example'), false);
    const error = new PasskeyAddressError('localhost', '127.0.0.1:3000', 'http://localhost:3000/securite');
    assert.equal(
      explain(error),
      'Les clés d’accès de Rempart ne fonctionnent qu’à l’adresse localhost : vous êtes sur 127.0.0.1:3000. Ouvrez http://localhost:3000/securite et recommencez ; l’application d’authentification, elle, fonctionne ici.',
    );
    // The browser's own refusal (WebAuthn SecurityError, as @simplewebauthn/browser names it).
    const refused = Object.assign(new Error('The RP ID "localhost" is invalid for this domain'), {
      name: 'SecurityError',
      code: 'ERROR_INVALID_RP_ID',
    });
    assert.match(explain(refused), /^Les clés d’accès ne fonctionnent pas à cette adresse/);
    assert.doesNotMatch(explain(refused), /ne répond pas/);
  });
});
