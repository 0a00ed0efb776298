import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createAccount, hasRecentSecondFactor, type PasskeyData } from '../../src/identity/index.ts';
import type { Executor } from '../../src/store/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { browserSkip, CHROMIUM, ensureWebBuilt, freePort } from '../helpers/browser.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { attestationRoot } from '../helpers/x509.ts';

const PASSWORD = 'cheval agrafe pile correcte';
/** A call-centre agent: the organisation accepts only passkeys of an allowed model. */
const CALL_CENTRE_LOGIN = 'karim.appels';
const LOGIN = 'nadia.agence';
/** The model Chromium's virtual authenticator says it is ('packed' attestation, self-signed batch certificate). */
const CHROMIUM_VIRTUAL_AAGUID = '01020304-0506-0708-0102-030405060708';

describe(`passkeys in a real browser (${BACKEND})`, { skip: browserSkip, timeout: 90_000 }, () => {
  let server: TestServer;
  let db: Executor;
  let browser: Browser;
  let page: Page;
  let origin = '';
  let accountId = '';
  let callCentreAccountId = '';
  const pageErrors: string[] = [];

  before(async () => {
    // The passkey page is the web application's « Sécurité du compte ».
    ensureWebBuilt();
    const port = await freePort();
    origin = `http://localhost:${port}`;
    // One model allowed, from a manufacturer whose root did not sign the browser's virtual key.
    const manufacturer = attestationRoot('Fabricant homologué');
    server = await openTestServer({
      config: {
        publicUrl: origin,
        passkeyAuthenticators: [
          { aaguid: '6d44ba9b-f6ec-2e49-b930-0c8fe920cb73', name: 'Clé homologuée (test)', roots: [manufacturer.pem] },
        ],
      },
    });
    db = server.runtime.database.db;
    const staff = async (login: string, kind: string, posture: object, roles: string[]) => {
      const organisationId = randomUUID();
      const actorId = randomUUID();
      await db
        .insertInto('organisations')
        .values({
          id: organisationId,
          kind,
          name: kind,
          siret: null,
          departement: '33',
          security_posture: JSON.stringify(posture),
          status: 'active',
          created_at: new Date().toISOString(),
        })
        .execute();
      await db
        .insertInto('actors')
        .values({
          id: actorId,
          organisation_id: organisationId,
          kind: 'human',
          login,
          display_name: login,
          roles: JSON.stringify(roles),
          status: 'active',
          created_at: new Date().toISOString(),
        })
        .execute();
      return createAccount(db, { kind: 'staff', login, password: PASSWORD, actorId });
    };
    callCentreAccountId = await staff(CALL_CENTRE_LOGIN, 'subcontractor', { mfa: 'required', passkeyOnly: true }, [
      'call_centre_operator',
    ]);
    accountId = await staff(LOGIN, 'agency', { mfa: 'required', passkeyOnly: false }, ['counsellor']);
    await server.app.listen({ host: '127.0.0.1', port });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // `localhost` straight to the IPv4 loopback the server listens on.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--host-resolver-rules=MAP localhost 127.0.0.1',
      ],
    });
    const context = await browser.newContext({ locale: 'fr-FR' });
    page = await context.newPage();
    // Script errors and CSP violations land here; failed loads are told apart by their URL, so
    // the favicon the browser asks for on its own (Rempart has none) is not taken for one.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400 && new URL(response.url()).pathname !== '/favicon.ico')
        pageErrors.push(`${response.status()} ${new URL(response.url()).pathname}`);
    });
    // A platform authenticator that verifies its user, as a laptop's fingerprint reader would.
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The identifier and password on the sign-in page, where the page sends anyone not signed in. */
  async function signIn(login: string): Promise<void> {
    await page.waitForURL(`${origin}/connexion`);
    await page.getByLabel('Identifiant').fill(login);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  }

  /** A page loaded without a session asks whether there is one: that 401 is the only refusal expected. */
  const NO_SESSION_YET = '401 /api/auth/session';

  it('a passkey-only organisation refuses the browser’s own key, of no allowed model: the page says why, nothing is kept', async () => {
    const response = await page.goto(`${origin}/securite/cles-d-acces`);
    assert.equal(response?.status(), 200);
    await signIn(CALL_CENTRE_LOGIN);
    await page.getByRole('heading', { name: /second facteur obligatoire/ }).waitFor();
    await page.getByRole('button', { name: 'Enregistrer une clé d’accès' }).click();
    const refusal = page.getByRole('alert');
    await refusal
      .getByText(/Clé d’accès refusée : votre organisation n’accepte que les clés de sécurité d’un modèle autorisé/)
      .waitFor();
    assert.match(
      (await refusal.textContent()) ?? '',
      new RegExp(`AAGUID ${CHROMIUM_VIRTUAL_AAGUID}\\) absent de la liste des modèles autorisés`),
    );

    assert.deepEqual(
      await db.selectFrom('account_factors').select('id').where('account_id', '=', callCentreAccountId).execute(),
      [],
      'no factor kept',
    );
    assert.deepEqual(
      await db
        .selectFrom('passkey_credentials')
        .select('credential_id')
        .where('account_id', '=', callCentreAccountId)
        .execute(),
      [],
    );
    const rejected = (await ledgerEvents(db, 'passkey_rejected')).filter((e) => e.account_id === callCentreAccountId);
    assert.deepEqual(
      rejected.map((e) => `${e.details.refusal}:${e.details.fmt}:${e.details.aaguid}`),
      [`authenticator_not_allowed:packed:${CHROMIUM_VIRTUAL_AAGUID}`],
      'the browser sent the attestation asked for, and it was read',
    );
    // The one refusal expected; nothing else went wrong on the page.
    assert.deepEqual(pageErrors.splice(0), [NO_SESSION_YET, '400 /api/auth/passkeys/registration']);
    // Nothing opens to this session before a factor is enrolled; the next test starts without it.
    await page.context().clearCookies();
  });

  it('elsewhere: signs in, registers a named passkey, signs out, and passes the second factor with it; the old address leads to « Sécurité du compte »', async () => {
    const response = await page.goto(`${origin}/securite/cles-d-acces`);
    assert.equal(response?.status(), 200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);

    await signIn(LOGIN);
    await page.getByRole('heading', { name: /second facteur obligatoire/ }).waitFor();
    await page.getByLabel(/Nom de la clé/).fill('Ordinateur du bureau');
    await page.getByRole('button', { name: 'Enregistrer une clé d’accès' }).click();
    await page.getByRole('heading', { name: 'Vos codes de secours' }).waitFor();
    assert.equal(await page.locator('.rempart-codes li').count(), 10, 'the first factor comes with recovery codes');

    const factors = await db
      .selectFrom('account_factors')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('kind', '=', 'passkey')
      .execute();
    assert.deepEqual(
      factors.map((f) => `${f.kind}:${f.status}:${f.label}`),
      ['passkey:active:Ordinateur du bureau'],
    );
    const registered = JSON.parse(factors[0]!.data) as PasskeyData;
    assert.ok(registered.transports.includes('internal'));
    assert.equal(
      (
        await db
          .selectFrom('passkey_credentials')
          .select('credential_id')
          .where('account_id', '=', accountId)
          .executeTakeFirstOrThrow()
      ).credential_id,
      registered.credentialId,
    );

    await page.getByRole('button', { name: /J’ai conservé mes codes/ }).click();
    // Back to the page asked for, which lists the key by the name it was given.
    await page.waitForURL(`${origin}/securite`);
    await page.getByRole('heading', { level: 1, name: 'Sécurité du compte' }).waitFor();
    await page.waitForFunction(`document.title === ${JSON.stringify('Sécurité du compte — Rempart')}`);
    await page.getByText(/Clé d’accès — Ordinateur du bureau/).waitFor();

    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(`${origin}/connexion`);
    const open = await db
      .selectFrom('sessions')
      .select('public_id')
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .execute();
    assert.deepEqual(open, [], 'signing out closed the session');

    await page.goto(`${origin}/securite/cles-d-acces`);
    await signIn(LOGIN);
    await page.getByRole('button', { name: 'Utiliser ma clé d’accès' }).waitFor();
    const waiting = await db
      .selectFrom('sessions')
      .select(['second_factor_at', 'requires_second_factor'])
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    assert.deepEqual(waiting, { second_factor_at: null, requires_second_factor: 1 });
    await page.getByRole('button', { name: 'Utiliser ma clé d’accès' }).click();
    await page.waitForURL(`${origin}/securite`);
    await page.getByText(/Clé d’accès — Ordinateur du bureau, ajouté le .*, dernière utilisation le/).waitFor();

    const sessions = await db
      .selectFrom('sessions')
      .select(['second_factor_at', 'revoked_reason'])
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
    const live = sessions.filter((s) => s.revoked_reason === null);
    assert.equal(live.length, 1);
    assert.ok(hasRecentSecondFactor(live[0]!.second_factor_at), 'the session passed its second factor just now');
    assert.ok(
      sessions.some((s) => s.revoked_reason === 'rotated'),
      'the session id changed with the privilege',
    );
    const [used] = await db
      .selectFrom('account_factors')
      .select(['data', 'last_used_at'])
      .where('account_id', '=', accountId)
      .where('kind', '=', 'passkey')
      .execute();
    assert.ok(used!.last_used_at);
    assert.ok((JSON.parse(used!.data) as PasskeyData).counter >= registered.counter);
    const succeeded = (await ledgerEvents(db, 'second_factor_succeeded')).filter((e) => e.account_id === accountId);
    assert.deepEqual(
      succeeded.map((e) => e.details.method),
      ['passkey'],
    );
    assert.deepEqual(
      pageErrors.filter((e) => e !== NO_SESSION_YET),
      [],
      'no script error, no CSP violation, no refusal',
    );
  });
});
