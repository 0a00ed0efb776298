import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { Secret, TOTP } from 'otpauth';

export interface Client {
  remoteAddress: string;
  headers: Record<string, string>;
}

export interface SignedIn {
  cookie: string;
  csrf: string;
  /** Base32 TOTP secret of the factor enrolled at sign-in, when one was. */
  totpSecret?: string;
}

export function cookieOf(res: { headers: Record<string, unknown> }): string {
  const header = res.headers['set-cookie'];
  const first = Array.isArray(header) ? String(header[0]) : String(header);
  return first.split(';')[0]!;
}

/** The current code of an authenticator app holding this secret, `stepsAhead` periods later. */
export function totpCode(secret: string, stepsAhead = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: Date.now() + stepsAhead * 30_000,
  });
}

/** A request from a signed-in browser: cookie, CSRF header, same address and headers. */
export function as(app: FastifyInstance, client: Client, session: SignedIn) {
  return (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({
      method,
      url,
      remoteAddress: client.remoteAddress,
      headers: { ...client.headers, cookie: session.cookie, 'x-csrf-token': session.csrf },
      ...(payload ? { payload } : {}),
    });
}

/**
 * Sign in with a password; a staff account without a factor enrols a TOTP app on the way (with
 * its activation code when it was activated by code), so the session comes back with a fresh
 * second factor (what step-up asks for).
 */
export async function signIn(
  app: FastifyInstance,
  client: Client,
  login: string,
  password: string,
  options: { activationCode?: string } = {},
): Promise<SignedIn> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress: client.remoteAddress,
    headers: client.headers,
    payload: { login, password },
  });
  assert.equal(res.statusCode, 200, res.body);
  const session: SignedIn = { cookie: cookieOf(res), csrf: res.json().csrfToken as string };
  if (res.json().secondFactor !== 'enrolment_required') return session;
  const call = as(app, client, session);
  const begin = await call('POST', '/api/auth/factors/totp');
  assert.equal(begin.statusCode, 200, begin.body);
  const secret = begin.json().secret as string;
  const confirm = await call('POST', '/api/auth/factors/totp/confirm', {
    factorId: begin.json().factorId,
    code: totpCode(secret),
    ...(options.activationCode ? { activationCode: options.activationCode } : {}),
  });
  assert.equal(confirm.statusCode, 200, confirm.body);
  return { cookie: cookieOf(confirm), csrf: confirm.json().csrfToken as string, totpSecret: secret };
}
