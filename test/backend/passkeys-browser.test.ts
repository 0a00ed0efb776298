import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createAccount, hasRecentSecondFactor, type PasskeyData } from '../../src/identity/index.ts';
import type { Executor } from '../../src/store/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { browserSkip, CHROMIUM, freePort } from '../helpers/browser.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'cheval agrafe pile correcte';
const LOGIN = 'karim.appels';

describe(`passkeys in a real browser (${BACKEND})`, { skip: browserSkip, timeout: 60_000 }, () => {
  let server: TestServer;
  let db: Executor;
  let browser: Browser;
  let page: Page;
  let origin = '';
  let accountId = '';
  const pageErrors: string[] = [];

  before(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    server = await openTestServer({ config: { publicUrl: origin } });
    db = server.runtime.database.db;
    // A call-centre agent: the organisation accepts passkeys only, the hardest case for the page.
    const organisationId = randomUUID();
    const actorId = randomUUID();
    await db.insertInto('organisations').values({ id: organisationId, kind: 'subcontractor', name: 'Centre d’appels', siret: null, departement: '33', security_posture: JSON.stringify({ mfa: 'required', passkeyOnly: true }), status: 'active', created_at: new Date().toISOString() }).execute();
    await db.insertInto('actors').values({ id: actorId, organisation_id: organisationId, kind: 'human', login: LOGIN, display_name: 'Karim', roles: '["call_centre_agent"]', status: 'active', created_at: new Date().toISOString() }).execute();
    accountId = await createAccount(db, { kind: 'staff', login: LOGIN, password: PASSWORD, actorId });
    await server.app.listen({ host: '127.0.0.1', port });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // `localhost` straight to the IPv4 loopback the server listens on.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP localhost 127.0.0.1'],
    });
    const context = await browser.newContext({ locale: 'fr-FR' });
    page = await context.newPage();
    // Script errors and CSP violations land here; failed loads are told apart by their URL, so
    // the favicon the browser asks for on its own (Rempart has none) is not taken for one.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400 && new URL(response.url()).pathname !== '/favicon.ico') pageErrors.push(`${response.status()} ${response.url()}`);
    });
    // A platform authenticator that verifies its user, as a laptop's fingerprint reader would.
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const status = () => page.locator('#statut');

  async function signIn(): Promise<void> {
    await page.getByLabel('Identifiant').fill(LOGIN);
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
  }

  it('signs in, registers a passkey, signs out, and passes the second factor with it', async () => {
    const response = await page.goto(`${origin}/securite/cles-d-acces`);
    assert.equal(response?.status(), 200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /default-src 'none'/);
    assert.equal(await page.title(), 'Clés d’accès — Rempart');

    await signIn();
    await status().getByText('Enregistrez une clé d’accès').waitFor();
    await page.getByLabel(/Nom de la clé/).fill('Ordinateur du centre');
    await page.getByRole('button', { name: 'Enregistrer une clé d’accès' }).click();
    await status().getByText('Clé d’accès enregistrée.').waitFor();
    assert.equal(await page.locator('#codes-secours').isHidden(), true, 'no recovery codes where only passkeys pass');

    const factors = await db.selectFrom('account_factors').selectAll().where('account_id', '=', accountId).execute();
    assert.deepEqual(
      factors.map((f) => `${f.kind}:${f.status}:${f.label}`),
      ['passkey:active:Ordinateur du centre'],
    );
    const registered = JSON.parse(factors[0]!.data) as PasskeyData;
    assert.ok(registered.transports.includes('internal'));
    assert.equal((await db.selectFrom('passkey_credentials').select('credential_id').where('account_id', '=', accountId).executeTakeFirstOrThrow()).credential_id, registered.credentialId);

    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await status().getByText('Vous êtes déconnecté·e.').waitFor();
    const open = await db.selectFrom('sessions').select('public_id').where('account_id', '=', accountId).where('revoked_at', 'is', null).execute();
    assert.deepEqual(open, [], 'signing out closed the session');

    await signIn();
    await status().getByText('Validez maintenant avec votre clé d’accès').waitFor();
    const waiting = await db.selectFrom('sessions').select(['second_factor_at', 'requires_second_factor']).where('account_id', '=', accountId).where('revoked_at', 'is', null).executeTakeFirstOrThrow();
    assert.deepEqual(waiting, { second_factor_at: null, requires_second_factor: 1 });
    await page.getByRole('button', { name: 'Valider avec ma clé d’accès' }).click();
    await status().getByText('Second facteur validé').waitFor();

    const sessions = await db.selectFrom('sessions').select(['second_factor_at', 'revoked_reason']).where('account_id', '=', accountId).orderBy('created_at').execute();
    const live = sessions.filter((s) => s.revoked_reason === null);
    assert.equal(live.length, 1);
    assert.ok(hasRecentSecondFactor(live[0]!.second_factor_at), 'the session passed its second factor just now');
    assert.ok(sessions.some((s) => s.revoked_reason === 'rotated'), 'the session id changed with the privilege');
    const [used] = await db.selectFrom('account_factors').select(['data', 'last_used_at']).where('account_id', '=', accountId).execute();
    assert.ok(used!.last_used_at);
    assert.ok((JSON.parse(used!.data) as PasskeyData).counter >= registered.counter);
    const succeeded = (await ledgerEvents(db, 'second_factor_succeeded')).filter((e) => e.account_id === accountId);
    assert.deepEqual(
      succeeded.map((e) => e.details.method),
      ['passkey'],
    );
    assert.deepEqual(pageErrors, [], 'no script error, no CSP violation');
  });
});
