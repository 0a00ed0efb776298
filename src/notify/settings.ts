import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config.ts';

/**
 * The mail server (REMPART_SMTP_*). TLS is always on except on the loopback interface:
 * - `smtps://` — implicit TLS from the first byte (port 465 by default);
 * - `smtp://` — STARTTLS, required: a server that does not offer it, or whose certificate does
 *   not verify, gets no message and no password (port 587 by default);
 * - `smtp://` with REMPART_SMTP_TLS=off, loopback host only — plain SMTP to a local relay
 *   (STARTTLS not even attempted), which then carries the mail on its own TLS.
 * The server's certificate is checked against the system's authorities, or against the private
 * authority of REMPART_SMTP_CA_FILE; REMPART_SMTP_TLS_INSECURE=1 (loopback host only) skips the check.
 */
export interface SmtpSettings {
  scheme: 'smtp' | 'smtps';
  /** `implicit` for smtps, `starttls` (required) for smtp, `off` for a loopback relay without TLS. */
  tls: 'implicit' | 'starttls' | 'off';
  /** The host name or IP address, IPv6 without brackets. */
  host: string;
  port: number;
  /** From the URL's user information, percent-decoded; absent: no AUTH. */
  auth?: { user: string; pass: string };
  /** The From header and the envelope sender: `noreply@example.org` or `Name <noreply@example.org>`. */
  from: string;
  /** PEM of the authorities trusted for the server's certificate instead of the system's (REMPART_SMTP_CA_FILE). */
  ca?: string;
  /** Where `ca` was read from (shown in the description). */
  caFile?: string;
  /** The certificate is not checked (REMPART_SMTP_TLS_INSECURE=1, loopback host only). */
  insecure: boolean;
}

/** The SMS gateway (REMPART_SMS_*): a signed JSON POST per message. */
export interface SmsGatewaySettings {
  /** https, or http on the loopback interface. */
  url: string;
  /** The HMAC-SHA256 key the gateway checks the signature with (32 characters or more). */
  key: string;
}

/** How messages leave Rempart; a channel without settings goes to the outbox folder. */
export interface NotifySettings {
  smtp?: SmtpSettings;
  sms?: SmsGatewaySettings;
}

const SMTP_VARIABLES = ['REMPART_SMTP_FROM', 'REMPART_SMTP_CA_FILE', 'REMPART_SMTP_TLS', 'REMPART_SMTP_TLS_INSECURE'];

/** Host names that reach this machine only: a local relay, a test server. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '127.0.0.1' || host === '::1';
}

/**
 * The notification transports' settings, strictly: a mistake stops the start (a ConfigError
 * naming the variable) rather than sending codes in clear or to nowhere. Never echoes a password
 * or a key.
 */
export function notifySettingsFrom(env: NodeJS.ProcessEnv): NotifySettings {
  const smtp = smtpFrom(env);
  const sms = smsFrom(env);
  return { ...(smtp ? { smtp } : {}), ...(sms ? { sms } : {}) };
}

function smtpFrom(env: NodeJS.ProcessEnv): SmtpSettings | undefined {
  const text = env.REMPART_SMTP_URL;
  if (!text) {
    const stray = SMTP_VARIABLES.find((name) => env[name]);
    // Half a configuration is a typo, not a choice: the operator believes mail goes out.
    if (stray) throw new ConfigError(`${stray} is set without REMPART_SMTP_URL`);
    return undefined;
  }
  const expected =
    'expected smtp://[user:password@]host[:port] (STARTTLS) or smtps://[user:password@]host[:port] (TLS)';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`REMPART_SMTP_URL is not a URL; ${expected}`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'smtp' && scheme !== 'smtps')
    throw new ConfigError(`REMPART_SMTP_URL: scheme "${scheme}" refused; ${expected}`);
  if (!url.hostname) throw new ConfigError(`REMPART_SMTP_URL has no host; ${expected}`);
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash)
    throw new ConfigError(`REMPART_SMTP_URL must have no path, query or fragment; ${expected}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const loopback = isLoopbackHost(host);
  const shown = `${scheme}://${url.host}`;

  let auth: SmtpSettings['auth'];
  if (url.username || url.password) {
    if (!url.username || !url.password)
      throw new ConfigError(`REMPART_SMTP_URL (${shown}) must give both a user and a password, or neither`);
    try {
      auth = { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
    } catch {
      throw new ConfigError(`REMPART_SMTP_URL (${shown}): the user or the password is not properly percent-encoded`);
    }
  }

  const from = env.REMPART_SMTP_FROM;
  if (!from) throw new ConfigError('REMPART_SMTP_FROM must be set with REMPART_SMTP_URL (the sender address)');
  if (!isMailbox(from))
    throw new ConfigError(
      `REMPART_SMTP_FROM must be an address, "noreply@example.org" or "Name <noreply@example.org>", got "${from}"`,
    );

  const tlsText = env.REMPART_SMTP_TLS || 'required';
  if (tlsText !== 'required' && tlsText !== 'off')
    throw new ConfigError(`REMPART_SMTP_TLS must be "required" (the default) or "off", got "${tlsText}"`);
  if (tlsText === 'off' && scheme === 'smtps')
    throw new ConfigError('REMPART_SMTP_TLS=off contradicts REMPART_SMTP_URL smtps:// (implicit TLS)');
  if (tlsText === 'off' && !loopback)
    throw new ConfigError(
      `REMPART_SMTP_TLS=off is allowed only for a relay on localhost, 127.0.0.1 or ::1, not ${host}`,
    );

  const insecureText = env.REMPART_SMTP_TLS_INSECURE || '0';
  if (insecureText !== '0' && insecureText !== '1')
    throw new ConfigError(`REMPART_SMTP_TLS_INSECURE must be 1 or 0, got "${insecureText}"`);
  const insecure = insecureText === '1';
  if (insecure && !loopback)
    throw new ConfigError(
      `REMPART_SMTP_TLS_INSECURE=1 is allowed only for localhost, 127.0.0.1 or ::1, not ${host}: trust a private authority with REMPART_SMTP_CA_FILE`,
    );

  let ca: string | undefined;
  let caFile: string | undefined;
  if (env.REMPART_SMTP_CA_FILE) {
    caFile = resolve(env.REMPART_SMTP_CA_FILE);
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `REMPART_SMTP_CA_FILE: cannot read ${caFile} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
    }
    try {
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
      new X509Certificate(ca);
    } catch {
      throw new ConfigError(`REMPART_SMTP_CA_FILE: ${caFile} holds no PEM certificate`);
    }
  }

  return {
    scheme,
    tls: scheme === 'smtps' ? 'implicit' : tlsText === 'off' ? 'off' : 'starttls',
    host,
    port: url.port ? Number(url.port) : scheme === 'smtps' ? 465 : 587,
    ...(auth ? { auth } : {}),
    from,
    ...(ca ? { ca, caFile } : {}),
    insecure,
  };
}

/** `local@domain` or `Display Name <local@domain>`, without line breaks (no header injection). */
function isMailbox(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) return false;
  const address = /^[^\s@<>",;]+@[^\s@<>",;]+$/;
  const angle = /^(.*)<([^<>]+)>$/.exec(text.trim());
  return angle ? address.test(angle[2]!) && !/[<>]/.test(angle[1]!) : address.test(text.trim());
}

function smsFrom(env: NodeJS.ProcessEnv): SmsGatewaySettings | undefined {
  const text = env.REMPART_SMS_URL;
  const key = env.REMPART_SMS_KEY;
  if (!text) {
    if (key) throw new ConfigError('REMPART_SMS_KEY is set without REMPART_SMS_URL');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('REMPART_SMS_URL is not an absolute URL');
  }
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname)))
    throw new ConfigError(`REMPART_SMS_URL must use https (http only for localhost), got ${shown}`);
  if (url.username || url.password)
    throw new ConfigError(`REMPART_SMS_URL must not carry credentials (${shown}): the gateway checks the signature`);
  if (url.hash) throw new ConfigError(`REMPART_SMS_URL must not have a fragment (${shown})`);
  if (!key) throw new ConfigError('REMPART_SMS_KEY must be set with REMPART_SMS_URL (the signing key)');
  if (key.length < 32)
    throw new ConfigError(`REMPART_SMS_KEY must be at least 32 characters long, it has ${key.length}`);
  return { url: url.toString(), key };
}
