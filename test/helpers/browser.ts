import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { runSeed } from '../../src/cli/commands/seed.ts';
import type { Config } from '../../src/config.ts';
import type { Clock } from '../../src/domain/index.ts';
import { BACKEND } from './backend.ts';
import { openTestServer, type TestServer } from './server.ts';
import { totpCode } from './sign-in.ts';

/** What the page-side functions below touch (they run in the browser, not in Node). */
declare const document: { documentElement: { scrollWidth: number; clientWidth: number } };

export const CHROMIUM = '/usr/bin/chromium';
export { DEMO_PASSWORD };
const root = new URL('../../', import.meta.url).pathname;

// CI must run the browser tests; elsewhere a missing browser is said, not hidden.
const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI_REQUIRE_BROWSER === '1')
  throw new Error(`CI_REQUIRE_BROWSER=1 but Chromium is missing at ${CHROMIUM}`);
/** `skip` option for a browser suite: false, or why it cannot run here. */
export const browserSkip: string | false = missing
  ? `Chromium is not installed at ${CHROMIUM} (apt-get install chromium); set CI_REQUIRE_BROWSER=1 to make this a failure`
  : false;

/** A port free right now on the loopback, so the public URL can name it before the server starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The built application (web/dist), built now when a single test file runs without `npm test`. */
export function ensureWebBuilt(): void {
  const result = spawnSync(process.execPath, [join(root, 'scripts/build-web.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(result.status, 0, `the web application did not build: ${result.stderr}`);
}

export interface WebWorld {
  server: TestServer;
  origin: string;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * The demo as `npm start` shows it, on a private store: the seeded network and population
 * (seed 1), the demo accounts, the whole server listening on the loopback, and Chromium.
 */
export async function openWebWorld(
  options: { persons?: number; config?: Partial<Config>; clock?: Clock } = {},
): Promise<WebWorld> {
  ensureWebBuilt();
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const server = await openTestServer({
    config: { ...options.config, publicUrl: origin },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await runSeed(server.runtime, { persons: options.persons ?? 120, seed: 1, batch: 500 }, true);
  await ensureDemoAccounts(server.runtime, 1);
  await server.app.listen({ host: '127.0.0.1', port });
  const browser = await chromium.launch({
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
  return {
    server,
    origin,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Script errors and CSP violations: a test asserts there are none. */
  problems: string[];
  /** API answers of 400 and above, as `status METHOD path`: a refusal the test expects shows here. */
  refusals: string[];
}

/** A new browser profile (own cookies) with one page, in French, watched for errors. */
export async function openPage(
  world: WebWorld,
  options: { width?: number; height?: number; virtualAuthenticator?: boolean } = {},
): Promise<WatchedPage> {
  const context = await world.browser.newContext({
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const refusals: string[] = [];
  page.on('console', (message) => {
    // A refused API call is logged by the browser as a failed resource: it is in `refusals` instead.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400)
      refusals.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
  });
  if (options.virtualAuthenticator) {
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
  }
  return { context, page, problems, refusals };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/**
 * axe-core on the page as it is now (WCAG 2.x A and AA rules): no serious or critical
 * violation. Injected through the DevTools protocol, which the page's CSP does not govern:
 * the page itself keeps refusing inline scripts.
 */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })),
    }));
  });
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    blocking.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `accessibility of « ${name} »`,
  );
}

/** A full-page screenshot under test-results/<backend>/, named after the page. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const folder = join(root, 'test-results', BACKEND);
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${name}.png`);
  // Headless Chromium now and then never delivers the frame of a full-page capture (seen once in
  // several CI runs, on a loaded machine): animations stopped, and one more try before failing.
  try {
    await page.screenshot({ path, fullPage: true, animations: 'disabled', timeout: 15_000 });
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'TimeoutError') throw error;
    await page.screenshot({ path, fullPage: true, animations: 'disabled', timeout: 30_000 });
  }
  return path;
}

/** Nothing wider than a phone's screen (375 CSS pixels): the page scrolls down, never sideways. */
export async function assertFitsPhone(page: Page, name: string): Promise<void> {
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 800 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  if (viewport) await page.setViewportSize(viewport);
  assert.ok(overflow <= 1, `« ${name} » is ${overflow}px wider than a phone screen`);
}

/**
 * No button whose words are cut: a DSFR button with an icon in a group without
 * `fr-btns-group--icon-left` collapses to a 40 px icon, its label hidden (issue 23, item 12).
 */
export async function assertButtonsShowTheirText(page: Page, name: string): Promise<void> {
  const clipped = await page.evaluate(() => {
    interface Box {
      offsetParent: unknown;
      textContent: string | null;
      className: string;
      scrollWidth: number;
      clientWidth: number;
    }
    const doc = (globalThis as unknown as { document: { querySelectorAll(selector: string): ArrayLike<Box> } })
      .document;
    return (
      Array.from(doc.querySelectorAll('.fr-btn'))
        .filter((b) => b.offsetParent !== null && (b.textContent ?? '').trim().length > 0)
        // DSFR's own icon buttons: closing a dialog, and the phone's « Menu » (its word is for screen readers).
        .filter((b) => !/fr-btn--(close|menu)\b/.test(b.className) && b.scrollWidth > b.clientWidth + 1)
        .map((b) => `${(b.textContent ?? '').trim()} (${b.clientWidth}px for ${b.scrollWidth}px)`)
    );
  });
  assert.deepEqual(clipped, [], `« ${name} »: buttons whose label is cut`);
  // The Marianne block whole, and the page no wider than the window, whatever the account's label (item 12).
  const layout = await page.evaluate(() => {
    const doc = (
      globalThis as unknown as {
        document: {
          documentElement: { scrollWidth: number; clientWidth: number };
          querySelector(selector: string): { scrollWidth: number; clientWidth: number } | null;
        };
      }
    ).document;
    const logo = doc.querySelector('.fr-header__logo');
    return {
      overflow: doc.documentElement.scrollWidth - doc.documentElement.clientWidth,
      logoCut: logo ? logo.scrollWidth - logo.clientWidth : 0,
    };
  });
  assert.ok(layout.overflow <= 1, `« ${name} » is ${layout.overflow}px wider than its window`);
  assert.ok(layout.logoCut <= 1, `« ${name} »: the Marianne block is cut by ${layout.logoCut}px`);
}

/** Every check a page gets once it has loaded: accessible, fits a phone, buttons show their words, a screenshot, no script error or CSP violation. */
export async function checkPage(watched: WatchedPage, name: string): Promise<void> {
  await assertAccessible(watched.page, name);
  await assertFitsPhone(watched.page, name);
  await assertButtonsShowTheirText(watched.page, name);
  await screenshot(watched.page, name);
  assert.deepEqual(watched.problems, [], `script errors or CSP violations on « ${name} »`);
}

/** Sign in through the page: identifier and password, then a code when a second factor is asked. */
export async function signInThroughPage(
  page: Page,
  origin: string,
  login: string,
  password: string,
  code?: () => string,
): Promise<void> {
  await page.goto(`${origin}/connexion`);
  await page.getByLabel('Identifiant').fill(login);
  await page.getByLabel('Mot de passe', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  if (code) {
    await page.getByLabel('Code à usage unique').fill(code());
    await page.getByRole('button', { name: 'Valider le code' }).click();
  }
}

/**
 * A staff account's first sign-in through the page: password, then an authenticator app enrolled
 * (its secret read from the page and returned, for the codes of later sign-ins and step-ups), the
 * recovery codes acknowledged; resolves once the page has left the sign-in.
 */
export async function signInEnrollingThroughPage(page: Page, origin: string, login: string): Promise<string> {
  await signInThroughPage(page, origin, login, DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Utiliser une application d’authentification' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  await page.getByLabel('Premier code').fill(totpCode(secret));
  await page.getByRole('button', { name: 'Activer' }).click();
  await page.getByRole('button', { name: /J’ai conservé mes codes/ }).click();
  await page.waitForURL((url) => url.pathname !== '/connexion');
  return secret;
}
