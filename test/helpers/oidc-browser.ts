import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** Cookies by name, as a browser keeps them for one site (paths ignored: every test path is under the cookie's). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const expired = attributes.some(
        (a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) <= Date.now()),
      );
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

function setCookiesOf(response: LightMyRequestResponse): string[] {
  const header = response.headers['set-cookie'];
  return header === undefined ? [] : Array.isArray(header) ? header : [String(header)];
}

/**
 * One browser: Rempart reached through Fastify's injector from a fixed address and user agent,
 * the identity provider through real HTTP, each with its own cookies, redirects followed by hand
 * so a test can stop at the callback and tamper with it.
 */
export class OidcBrowser {
  readonly rempartCookies = new CookieJar();
  private providerCookies = new CookieJar();

  constructor(
    private readonly app: FastifyInstance,
    private readonly publicUrl: string,
    readonly address: string,
    private readonly headers: Record<string, string> = {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
      'accept-language': 'fr-FR',
    },
  ) {}

  async rempart(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    options: { csrf?: string; payload?: object } = {},
  ): Promise<LightMyRequestResponse> {
    const path = url.startsWith(this.publicUrl) ? url.slice(this.publicUrl.length) : url;
    const response = await this.app.inject({
      method,
      url: path,
      remoteAddress: this.address,
      headers: {
        ...this.headers,
        cookie: this.rempartCookies.header(),
        ...(options.csrf ? { 'x-csrf-token': options.csrf } : {}),
      },
      ...(options.payload ? { payload: options.payload } : {}),
    });
    this.rempartCookies.store(setCookiesOf(response));
    return response;
  }

  /**
   * Follow the provider's redirects from an authorization URL until it sends the browser back
   * to Rempart; returns that callback URL without visiting it. Each call starts a new provider
   * session, so the provider signs in again with the level the test chose.
   */
  async authorizeAtProvider(authorizationUrl: string): Promise<string> {
    this.providerCookies = new CookieJar();
    let url = authorizationUrl;
    for (let hop = 0; hop < 10; hop++) {
      if (url.startsWith(this.publicUrl)) return url;
      const response = await fetch(url, {
        redirect: 'manual',
        headers: { cookie: this.providerCookies.header(), ...this.headers },
      });
      this.providerCookies.store(response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location)
        throw new Error(`provider answered ${response.status} at ${url}: ${await response.text()}`);
      url = new URL(location, url).toString();
    }
    throw new Error('too many redirects at the provider');
  }

  /** GET /api/auth/oidc/<provider>/start, then the provider: the callback URL it sends back. */
  async startLogin(provider: string): Promise<{ start: LightMyRequestResponse; callbackUrl: string }> {
    const start = await this.rempart('GET', `/api/auth/oidc/${provider}/start`);
    if (start.statusCode !== 302) throw new Error(`start answered ${start.statusCode}: ${start.body}`);
    return { start, callbackUrl: await this.authorizeAtProvider(String(start.headers.location)) };
  }

  callback(callbackUrl: string): Promise<LightMyRequestResponse> {
    return this.rempart('GET', callbackUrl);
  }
}
