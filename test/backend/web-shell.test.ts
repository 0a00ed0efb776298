import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { BACKEND } from '../helpers/backend.ts';
import { demoPersons } from '../../src/seed/index.ts';
import {
  browserSkip,
  checkPage,
  DEMO_PASSWORD,
  openPage,
  openWebWorld,
  signInThroughPage,
  type WebWorld,
} from '../helpers/browser.ts';

describe(
  `web application: headers, home, sign-in and first enrolment in a real browser (${BACKEND})`,
  { skip: browserSkip, timeout: 180_000 },
  () => {
    let world: WebWorld;

    before(async () => {
      // FranceConnect registered (never reached here): the sign-in page shows its button.
      world = await openWebWorld({
        config: {
          oidc: {
            franceconnect: { issuer: 'http://127.0.0.1:9/', clientId: 'rempart', clientSecret: 'not-used-here' },
          },
        },
      });
    });
    after(async () => {
      await world?.close();
    });

    it('serves every page with a CSP without unsafe-inline, HSTS and no framing; the API too', async () => {
      for (const path of ['/', '/connexion', '/mon-espace', '/api/health']) {
        const res = await fetch(`${world.origin}${path}`);
        assert.equal(res.status, 200, path);
        const csp = res.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'self'/, path);
        assert.match(csp, /script-src 'self'(;|$)/, `${path}: scripts from this origin only`);
        assert.match(csp, /frame-ancestors 'none'/, path);
        assert.match(csp, /object-src 'none'/, path);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
        assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d{7,}; includeSubDomains/, path);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
      }
      const html = await (await fetch(`${world.origin}/console`)).text();
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in the page');
      assert.doesNotMatch(html, /\sstyle="/, 'no inline style in the page');
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(asset, 'the page loads its script from /assets/');
      const script = await fetch(`${world.origin}${asset}`);
      assert.equal(script.status, 200);
      assert.match(script.headers.get('cache-control') ?? '', /immutable/);
      const unknownApi = await fetch(`${world.origin}/api/nothing-here`);
      assert.equal(unknownApi.status, 404, 'an unknown API address is a JSON 404, not the application');
    });

    it('lists the configured identity providers, and only those', async () => {
      const res = await world.server.app.inject({ method: 'GET', url: '/api/auth/oidc/providers' });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), {
        providers: [{ id: 'franceconnect', name: 'FranceConnect', accountKind: 'job_seeker' }],
      });
    });

    it('shows the home page and the sign-in page, accessible and phone-sized', async () => {
      const watched = await openPage(world);
      await watched.page.goto(`${world.origin}/`);
      await watched.page.getByRole('heading', { level: 1, name: 'Rempart' }).waitFor();
      // The build keeps only the icons the sources name (web/only-used-icons.ts): those still draw.
      const lockIcon = await watched.page.evaluate(() => {
        const g = globalThis as unknown as {
          document: { querySelector(s: string): unknown };
          getComputedStyle(e: unknown, pseudo: string): { maskImage: string; webkitMaskImage: string };
        };
        const style = g.getComputedStyle(g.document.querySelector('.fr-icon-lock-line'), '::before');
        return style.maskImage || style.webkitMaskImage;
      });
      assert.match(lockIcon, /lock-line[^"]*\.svg/);
      await checkPage(watched, 'accueil');
      await watched.page.getByRole('link', { name: /Espace demandeur d’emploi/ }).click();
      // A space needs a session: the browser lands on the sign-in page.
      await watched.page.getByRole('heading', { level: 1, name: 'Se connecter à Rempart' }).waitFor();
      assert.equal(new URL(watched.page.url()).pathname, '/connexion');
      // FranceConnect is configured: its button leads to the server's redirect; ProConnect is not, so no button.
      const franceConnect = watched.page.getByRole('link', { name: /S’identifier avec\s*FranceConnect/ });
      assert.equal(await franceConnect.getAttribute('href'), '/api/auth/oidc/franceconnect/start');
      assert.equal(await watched.page.getByText('ProConnect').count(), 0);
      await checkPage(watched, 'connexion');
      await watched.context.close();
    });

    it('leads from the footer to the accessibility statement and to the API documentation', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      await page.goto(`${world.origin}/connexion`);
      const footer = page.locator('#pied-de-page');
      const statement = footer.getByRole('link', { name: /Accessibilité : partiellement conforme/ });
      assert.equal(await statement.getAttribute('href'), '/accessibilite');
      await statement.click();
      await page.getByRole('heading', { level: 1, name: 'Déclaration d’accessibilité' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/accessibilite');
      // The RGAA model's parts, and no conformity rate claimed without an audit.
      for (const part of ['État de conformité', 'Résultats des tests', 'Contenus non accessibles', 'Voies de recours'])
        await page.getByRole('heading', { level: 2, name: part }).waitFor();
      assert.equal(await page.getByText(/\d+ ?% des critères/).count(), 0);
      await checkPage(watched, 'accessibilite');

      const docs = footer.getByRole('link', { name: 'Documentation de l’API' });
      assert.equal(await docs.getAttribute('href'), '/api/docs');
      await docs.click();
      // The server's page, not the application's « Page introuvable ».
      await page.waitForURL((url) => url.pathname.startsWith('/api/docs'));
      await page.locator('#swagger-ui').waitFor();
      assert.equal(await page.getByRole('heading', { name: 'Page introuvable' }).count(), 0);
      await watched.context.close();
    });

    it('works with the keyboard alone: skip link, sign-in form, menu', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      await page.goto(`${world.origin}/connexion`);
      await page.getByRole('heading', { level: 1, name: 'Se connecter à Rempart' }).waitFor();
      // The first Tab reaches the skip links; « Contenu » moves the focus to the main content.
      await page.keyboard.press('Tab');
      assert.equal(
        await page.evaluate(() =>
          (
            globalThis as unknown as { document: { activeElement: { textContent: string } } }
          ).document.activeElement.textContent.trim(),
        ),
        'Contenu',
      );
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        () => (globalThis as unknown as { location: { hash: string } }).location.hash === '#contenu',
      );
      // From there, Tab order reaches the identifier, the password and the button; Enter submits.
      const login = page.getByLabel('Identifiant');
      for (
        let i = 0;
        i < 10 &&
        !(await login.evaluate((el) => el === (el.ownerDocument as { activeElement: unknown }).activeElement));
        i++
      )
        await page.keyboard.press('Tab');
      await page.keyboard.type((await demoPersons(world.server.runtime.database.db, 1, 1))[0]!.email);
      await page.keyboard.press('Tab');
      await page.keyboard.type(DEMO_PASSWORD);
      await page.keyboard.press('Enter');
      await page.waitForURL(`${world.origin}/mon-espace`);
      // The menu's links are reachable and followed with the keyboard.
      const menuLink = page.getByRole('link', { name: 'Qui a consulté mon dossier' });
      // The focus is on the page's title, just after the menu: Shift+Tab walks back to it.
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { document: { activeElement: { tagName: string } | null } }).document.activeElement
            ?.tagName === 'H1',
        undefined,
        { timeout: 5_000 },
      );
      for (
        let i = 0;
        i < 25 &&
        !(await menuLink.evaluate((el) => el === (el.ownerDocument as { activeElement: unknown }).activeElement));
        i++
      )
        await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Enter');
      await page.waitForURL(`${world.origin}/mon-espace/consultations`);
      await page.getByRole('heading', { level: 1, name: 'Qui a consulté mon dossier' }).waitFor();
      // The new page's title takes the focus once it has rendered, for screen readers.
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { document: { activeElement: { tagName: string } | null } }).document.activeElement
            ?.tagName === 'H1',
        undefined,
        { timeout: 5_000 },
      );
      assert.deepEqual(watched.problems, []);
      await watched.context.close();
    });

    it('refuses a wrong password with a message, and makes a counsellor enrol a second factor before anything opens', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      await signInThroughPage(page, world.origin, 'conseiller.bastide.1', 'pas le bon mot de passe');
      await page.getByText('Identifiant ou mot de passe incorrect.').waitFor();
      assert.ok(watched.refusals.includes('401 POST /api/auth/login'));

      await signInThroughPage(page, world.origin, 'conseiller.bastide.1', DEMO_PASSWORD);
      await page.getByRole('heading', { name: /second facteur obligatoire/ }).waitFor();
      await checkPage(watched, 'connexion-enrolement');
      // The space stays closed while the factor is not enrolled.
      const closed = await page.evaluate(async () => (await fetch('/api/staff/caseload')).status);
      assert.equal(closed, 403);

      await page.getByRole('button', { name: 'Utiliser une application d’authentification' }).click();
      const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
      const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate();
      await page.getByLabel('Premier code').fill(code);
      await page.getByRole('button', { name: 'Activer' }).click();
      await page.getByRole('heading', { name: 'Vos codes de secours' }).waitFor();
      assert.equal(await page.locator('.rempart-codes li').count(), 10);
      await page.getByRole('button', { name: /J’ai conservé mes codes/ }).click();
      await page.waitForURL(`${world.origin}/console`);

      // A reload keeps the session and its anti-forgery token: signing out (a POST) works.
      await page.reload();
      await page.getByRole('button', { name: 'Se déconnecter' }).click();
      await page.waitForURL(`${world.origin}/connexion`);
      const open = await world.server.runtime.database.db
        .selectFrom('sessions')
        .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
        .select('sessions.public_id')
        .where('accounts.login', '=', 'conseiller.bastide.1')
        .where('sessions.revoked_at', 'is', null)
        .execute();
      assert.deepEqual(open, [], 'signing out closed the session on the server');
      assert.deepEqual(watched.problems, []);
      await watched.context.close();
    });
  },
);
