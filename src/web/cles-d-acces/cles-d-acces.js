/* global document, fetch, navigator, window, PublicKeyCredential */
// The page's only script: sign in with a password, then register a passkey or pass the second
// factor with one. No framework, no third-party code; the browser turns the server's JSON
// options into WebAuthn options and the credential back into JSON. Loaded as a module: strict,
// deferred, and nothing it declares leaks into the page's global scope.

/** The session's anti-forgery token: kept in memory only, never in storage a script could read later. */
let csrfToken = null;

const element = (id) => document.getElementById(id);

function say(message, genre = 'info') {
  const status = element('statut');
  status.textContent = message;
  status.dataset.genre = genre;
}

/** Show only the named sections. */
function show(...ids) {
  for (const id of ['connexion', 'second-facteur', 'enregistrement', 'codes-secours', 'session'])
    element(id).hidden = !ids.includes(id);
}

class ApiError extends Error {}

/** POST to the API with the session cookie and the anti-forgery token; the server's French message on failure. */
async function post(path, body) {
  const headers = {};
  if (csrfToken) headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    const details = (payload.issues ?? []).map((issue) => issue.message).join(' ; ');
    throw new ApiError([payload.message ?? `Erreur ${response.status}.`, details].filter(Boolean).join(' '));
  }
  return payload;
}

function explain(error) {
  if (error instanceof ApiError) return error.message;
  // What the browser says when the person cancels, the time runs out or the key is refused.
  if (error && error.name === 'NotAllowedError') return 'Opération annulée ou délai dépassé : réessayez.';
  if (error && error.name === 'InvalidStateError') return 'Cette clé d’accès est déjà enregistrée pour votre compte.';
  return 'Une erreur est survenue : réessayez.';
}

/** Run an action with its button disabled, reporting any failure in the status line. */
function action(buttonId, work) {
  const button = element(buttonId);
  return async (event) => {
    event?.preventDefault();
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      say(explain(error), 'erreur');
    } finally {
      button.disabled = false;
    }
  };
}

function showRecoveryCodes(codes) {
  const list = element('liste-codes');
  list.replaceChildren(
    ...codes.map((code) => {
      const item = document.createElement('li');
      item.textContent = code;
      return item;
    }),
  );
}

async function signIn() {
  const result = await post('/api/auth/login', {
    login: element('identifiant').value,
    password: element('mot-de-passe').value,
  });
  element('mot-de-passe').value = '';
  csrfToken = result.csrfToken;
  if (result.secondFactor === 'required') {
    show('second-facteur', 'session');
    say('Mot de passe accepté. Validez maintenant avec votre clé d’accès.');
  } else {
    show('enregistrement', 'session');
    say(
      result.secondFactor === 'enrolment_required'
        ? 'Mot de passe accepté. Enregistrez une clé d’accès pour protéger votre compte.'
        : 'Connecté·e.',
    );
  }
}

async function register() {
  const options = await post('/api/auth/passkeys/registration/options');
  const credential = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
  });
  const label = element('libelle').value.trim();
  const result = await post('/api/auth/passkeys/registration', {
    response: credential.toJSON(),
    ...(label ? { label } : {}),
  });
  if (result.csrfToken) csrfToken = result.csrfToken;
  if (result.recoveryCodes) {
    showRecoveryCodes(result.recoveryCodes);
    show('enregistrement', 'codes-secours', 'session');
  }
  say('Clé d’accès enregistrée.', 'succes');
}

async function validate() {
  const options = await post('/api/auth/passkeys/authentication/options');
  const credential = await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
  });
  const result = await post('/api/auth/passkeys/authentication', { response: credential.toJSON() });
  csrfToken = result.csrfToken;
  show('enregistrement', 'session');
  say('Second facteur validé : vous êtes connecté·e.', 'succes');
}

async function signOut() {
  await post('/api/auth/logout');
  csrfToken = null;
  element('liste-codes').replaceChildren();
  show('connexion');
  say('Vous êtes déconnecté·e.');
}

function start() {
  if (!window.PublicKeyCredential || typeof PublicKeyCredential.parseCreationOptionsFromJSON !== 'function') {
    say('Ce navigateur ne prend pas en charge les clés d’accès : mettez-le à jour ou utilisez-en un autre.', 'erreur');
  }
  element('formulaire-connexion').addEventListener('submit', action('se-connecter', signIn));
  element('enregistrer').addEventListener('click', action('enregistrer', register));
  element('valider').addEventListener('click', action('valider', validate));
  element('deconnexion').addEventListener('click', action('deconnexion', signOut));
  show('connexion');
}

start();
