import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { KeyringSource } from './crypto/index.ts';
import { parseCosignerKey } from './ledger/cosignature.ts';
import { isJobName, JOB_PERIODS, type JobName } from './jobs/schedule.ts';
import { notifySettingsFrom, type NotifySettings } from './notify/settings.ts';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** A SQLite file path, or a postgres:// URL. */
  databaseUrl: string;
  /** PostgreSQL connections per process (REMPART_PG_POOL_SIZE): about one per request in flight. */
  pgPoolSize: number;
  keyring: KeyringSource;
  /** True when the keyring is the development one kept in the data folder. */
  devKeyring: boolean;
  logLevel: string;
  /** Size of the synthetic population created on a fresh store by `start`. */
  demoPersons: number;
  /**
   * The address users reach Rempart at (scheme, host, port, no path): the WebAuthn relying
   * party and origin, OIDC redirect URIs and the OAuth token endpoint's audience derive from it.
   */
  publicUrl: string;
  /** Seconds between two signed checkpoints of the ledger while it grows. */
  checkpointSeconds: number;
  /**
   * The ledger's background verification (issue 20): the incremental pass every
   * `incrementalSeconds` (REMPART_LEDGER_VERIFY_SECONDS, 5; 0: none), the whole log every
   * `fullSeconds` after the previous pass ended (REMPART_LEDGER_FULL_VERIFY_SECONDS, 900; 0:
   * none), paced to `cpuShare` of one core (REMPART_LEDGER_VERIFY_CPU, 0.25).
   */
  ledgerVerify: { incrementalSeconds: number; fullSeconds: number; cpuShare: number };
  /** The latest checkpoint kept outside the database (REMPART_LEDGER_WITNESS_FILE, `<data>/ledger-witness.json`). */
  ledgerWitnessFile: string;
  /** A C2SP tlog-witness that cosigns the checkpoints (REMPART_LEDGER_WITNESS_URL), and its cosigner key (REMPART_LEDGER_WITNESS_KEY). */
  ledgerWitness?: { url: string; key?: string };
  /** OpenID Connect providers Rempart accepts logins from; absent when none is configured. */
  oidc?: OidcConfig;
  /** Where the guard posts its alerts (the security operations centre), and the key that signs them. */
  guardWebhook?: { url: string; secret?: string };
  /** Hours between a change of bank details and the first payment to the new account. */
  bankCoolingOffHours: number;
  /** Who the CNIL draft and the notices to people name: the controller, and its DPO's contact. */
  controller: string;
  dpoContact: string;
  /**
   * The authenticator models an organisation whose posture says `passkeyOnly` accepts
   * (REMPART_PASSKEY_AUTHENTICATORS_FILE): a passkey registers there only with an attestation
   * whose certificate chain leads to its model's roots. Empty: no passkey registers there.
   */
  passkeyAuthenticators: PasskeyAuthenticator[];
  /**
   * The reverse proxies (load balancers) whose `X-Forwarded-For` is believed
   * (REMPART_TRUST_PROXY: addresses or CIDR ranges, IPv4 or IPv6). Behind them the client's
   * address, the one the guard, the partner network gate and the sign-in throttle judge, is the
   * first one not trusted walking the header from the right. Empty: the socket's address, the
   * header ignored, so a client cannot choose the address it is judged by.
   */
  trustProxy: string[];
  /** Periods of the background jobs that differ from their defaults, in seconds (REMPART_JOB_PERIODS: `name=seconds,…`). */
  jobPeriods: Partial<Record<JobName, number>>;
  /** pg-boss's own PostgreSQL connections per process (REMPART_JOBS_PG_POOL_SIZE, 4), beside the store's pool. */
  jobsPoolSize: number;
  /** Where messages go: an SMTP server and an SMS gateway when configured, else the outbox folder (src/notify/settings.ts). */
  notify: NotifySettings;
  /** Seconds a stopping process gives requests in flight and jobs in hand before it exits (REMPART_SHUTDOWN_SECONDS, 20). */
  shutdownSeconds: number;
  /**
   * Prometheus metrics (issue 22): on a listener of their own when `port` is set
   * (REMPART_METRICS_PORT, bound to `host`, REMPART_METRICS_HOST, 127.0.0.1 by default), and at
   * `GET /api/metrics` on the main port when `token` is set (REMPART_METRICS_TOKEN, at least 32
   * characters, presented as `Authorization: Bearer`). Neither: no metrics are served.
   */
  metrics: { host: string; port?: number; token?: string };
}

/** An authenticator model a passkey-only organisation accepts, and how to recognise a genuine one. */
export interface PasskeyAuthenticator {
  /** The model's AAGUID, in lower case with hyphens (as the authenticator data carries it). */
  aaguid: string;
  /** What the model is called (shown to the security desk, recorded with the passkey). */
  name: string;
  /** The manufacturer's attestation root certificates (PEM): the attestation chain must end at one. */
  roots: string[];
}

export type OidcProviderName = 'franceconnect' | 'proconnect';

/** One relying-party registration: the provider's issuer and the client Rempart holds there. */
export interface OidcProviderConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** Each provider is enabled only when its issuer, client id and client secret are all set. */
export type OidcConfig = Partial<Record<OidcProviderName, OidcProviderConfig>>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.REMPART_DATA_DIR || './data');
  const portText = env.PORT || '3000';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`PORT must be a port number, got "${portText}"`);
  const demoText = env.REMPART_DEMO_PERSONS || '2000';
  const demoPersons = Number(demoText);
  if (!Number.isInteger(demoPersons) || demoPersons < 0 || demoPersons > 1_000_000) {
    throw new ConfigError(`REMPART_DEMO_PERSONS must be a whole number from 0 to 1000000, got "${demoText}"`);
  }
  const checkpointSeconds = wholeNumberFrom(env, 'REMPART_CHECKPOINT_SECONDS', 10, 1, 3600, 'seconds');
  const bankCoolingOffHours = wholeNumberFrom(env, 'REMPART_BANK_COOLING_OFF_HOURS', 72, 24, 720, 'hours');
  const pgPoolSize = wholeNumberFrom(env, 'REMPART_PG_POOL_SIZE', 20, 1, 500, 'connections');
  let keyring: KeyringSource;
  let devKeyring = false;
  if (env.REMPART_KEYRING) keyring = { kind: 'env', variable: 'REMPART_KEYRING', json: env.REMPART_KEYRING };
  else if (env.REMPART_KEYRING_FILE) keyring = { kind: 'file', path: resolve(env.REMPART_KEYRING_FILE) };
  else {
    keyring = { kind: 'file', path: resolve(dataDir, 'keyring.dev.json') };
    devKeyring = true;
  }
  return {
    port,
    host: env.HOST || '127.0.0.1',
    dataDir,
    databaseUrl: env.DATABASE_URL || resolve(dataDir, 'rempart.sqlite'),
    pgPoolSize,
    keyring,
    devKeyring,
    logLevel: env.LOG_LEVEL || 'info',
    demoPersons,
    checkpointSeconds,
    ledgerVerify: ledgerVerifyFrom(env),
    ledgerWitnessFile: resolve(env.REMPART_LEDGER_WITNESS_FILE || resolve(dataDir, 'ledger-witness.json')),
    bankCoolingOffHours,
    controller: env.REMPART_CONTROLLER_NAME || 'France Travail (démonstration Rempart)',
    dpoContact:
      env.REMPART_DPO_CONTACT || 'Délégué à la protection des données, dpo@rempart.example, TSA 00000, 75000 Paris',
    publicUrl: publicUrlFrom(env.REMPART_PUBLIC_URL || `http://localhost:${port}`),
    passkeyAuthenticators: passkeyAuthenticatorsFrom(env),
    trustProxy: trustProxyFrom(env.REMPART_TRUST_PROXY),
    jobPeriods: jobPeriodsFrom(env.REMPART_JOB_PERIODS),
    jobsPoolSize: wholeNumberFrom(env, 'REMPART_JOBS_PG_POOL_SIZE', 4, 1, 50, 'connections'),
    notify: notifySettingsFrom(env),
    shutdownSeconds: wholeNumberFrom(env, 'REMPART_SHUTDOWN_SECONDS', 20, 1, 600, 'seconds'),
    metrics: metricsFrom(env),
    ...oidcFrom(env),
    ...guardWebhookFrom(env),
    ...ledgerWitnessFrom(env),
  };
}

function wholeNumberFrom(
  env: NodeJS.ProcessEnv,
  variable: string,
  fallback: number,
  min: number,
  max: number,
  unit: string,
): number {
  const text = env[variable] || String(fallback);
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(`${variable} must be a whole number of ${unit} from ${min} to ${max}, got "${text}"`);
  return value;
}

/** `bank.settle=30,accounts.sweep=3600`: known job names, whole seconds from 1 to 604800 (a week). */
export function jobPeriodsFrom(text: string | undefined): Partial<Record<JobName, number>> {
  const periods: Partial<Record<JobName, number>> = {};
  if (!text?.trim()) return periods;
  for (const part of text.split(',')) {
    const [name = '', seconds = ''] = part.split('=').map((s) => s.trim());
    if (!isJobName(name))
      throw new ConfigError(
        `REMPART_JOB_PERIODS: unknown job "${name}"; known jobs: ${Object.keys(JOB_PERIODS).join(', ')}`,
      );
    const value = Number(seconds);
    if (!/^\d+$/.test(seconds) || value < 1 || value > 604_800)
      throw new ConfigError(
        `REMPART_JOB_PERIODS: the period of ${name} must be a whole number of seconds from 1 to 604800, got "${seconds}"`,
      );
    periods[name] = value;
  }
  return periods;
}

const TRUST_PROXY_EXPECTED =
  'attendu : des adresses IPv4 ou IPv6 ou des plages CIDR (adresse/longueur de préfixe, 1 à 32 en IPv4, 1 à 128 en IPv6), séparées par des virgules, par exemple « 10.0.0.5,10.1.0.0/16,fd00::/8 »';

/**
 * REMPART_TRUST_PROXY, strictly: a typo must stop the start, because a proxy silently left out
 * blocks its whole clientele as one address, and a range wider than meant lets clients choose
 * the address they are judged by. Fastify's own parser would also take names ("loopback") and
 * netmasks; only what the README documents is accepted.
 */
export function trustProxyFrom(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  const entries = text.split(',').map((entry) => entry.trim());
  const refuse = (why: string) => new ConfigError(`REMPART_TRUST_PROXY : ${why} ; ${TRUST_PROXY_EXPECTED}.`);
  return [
    ...new Set(
      entries.map((entry, i) => {
        if (entry === '') throw refuse(`entrée vide en position ${i + 1} dans « ${text} »`);
        const slash = entry.indexOf('/');
        const address = slash === -1 ? entry : entry.slice(0, slash);
        // isIP takes an IPv6 zone ("fe80::1%eth0"), which the proxy matcher would reject at start.
        const family = address.includes('%') ? 0 : isIP(address);
        if (family === 0) throw refuse(`« ${entry} » n'est pas une adresse IP ni une plage CIDR`);
        if (slash === -1) return entry;
        const prefixText = entry.slice(slash + 1);
        const max = family === 4 ? 32 : 128;
        if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max)
          throw refuse(`« ${entry} » : longueur de préfixe invalide (de 1 à ${max} en IPv${family})`);
        // A /0 trusts every address: any client could then forge the address it is judged by.
        if (Number(prefixText) === 0)
          throw refuse(`« ${entry} » ferait confiance à toutes les adresses, donc à tout en-tête forgé`);
        return `${address}/${Number(prefixText)}`;
      }),
    ),
  ];
}

/** REMPART_METRICS_PORT, REMPART_METRICS_HOST and REMPART_METRICS_TOKEN, checked as a whole. */
function metricsFrom(env: NodeJS.ProcessEnv): Config['metrics'] {
  const host = env.REMPART_METRICS_HOST || '127.0.0.1';
  const portText = env.REMPART_METRICS_PORT;
  let port: number | undefined;
  if (portText) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535)
      throw new ConfigError(`REMPART_METRICS_PORT must be a port number from 1 to 65535, got "${portText}"`);
  } else if (env.REMPART_METRICS_HOST) {
    throw new ConfigError('REMPART_METRICS_HOST is set without REMPART_METRICS_PORT');
  }
  const token = env.REMPART_METRICS_TOKEN;
  if (token !== undefined && token !== '') {
    // The token is compared as given: a space or a line break would be a copy-paste accident.
    if (!/^[\x21-\x7e]+$/.test(token))
      throw new ConfigError('REMPART_METRICS_TOKEN must be printable ASCII without spaces');
    if (token.length < 32)
      throw new ConfigError(`REMPART_METRICS_TOKEN must be at least 32 characters long, got ${token.length}`);
  }
  return { host, ...(port !== undefined ? { port } : {}), ...(token ? { token } : {}) };
}

function ledgerVerifyFrom(env: NodeJS.ProcessEnv): Config['ledgerVerify'] {
  const seconds = (variable: string, fallback: string, max: number) => {
    const text = env[variable] || fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0 || value > max)
      throw new ConfigError(`${variable} must be a whole number of seconds from 0 (off) to ${max}, got "${text}"`);
    return value;
  };
  const shareText = env.REMPART_LEDGER_VERIFY_CPU || '0.25';
  const cpuShare = Number(shareText);
  if (!Number.isFinite(cpuShare) || cpuShare < 0.01 || cpuShare > 1)
    throw new ConfigError(`REMPART_LEDGER_VERIFY_CPU must be a share of one core from 0.01 to 1, got "${shareText}"`);
  return {
    incrementalSeconds: seconds('REMPART_LEDGER_VERIFY_SECONDS', '5', 3600),
    fullSeconds: seconds('REMPART_LEDGER_FULL_VERIFY_SECONDS', '900', 7 * 86_400),
    cpuShare,
  };
}

function ledgerWitnessFrom(env: NodeJS.ProcessEnv): Pick<Config, 'ledgerWitness'> {
  const text = env.REMPART_LEDGER_WITNESS_URL;
  if (!text) {
    if (env.REMPART_LEDGER_WITNESS_KEY)
      throw new ConfigError('REMPART_LEDGER_WITNESS_KEY is set without REMPART_LEDGER_WITNESS_URL');
    return {};
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`REMPART_LEDGER_WITNESS_URL must be an absolute URL, got "${text}"`);
  }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local))
    throw new ConfigError(`REMPART_LEDGER_WITNESS_URL must use https (http only for localhost), got "${text}"`);
  const key = env.REMPART_LEDGER_WITNESS_KEY;
  if (key) {
    try {
      parseCosignerKey(key);
    } catch (error) {
      throw new ConfigError(`REMPART_LEDGER_WITNESS_KEY: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { ledgerWitness: { url: text.replace(/\/$/, ''), ...(key ? { key } : {}) } };
}

function guardWebhookFrom(env: NodeJS.ProcessEnv): Pick<Config, 'guardWebhook'> {
  const text = env.REMPART_GUARD_WEBHOOK_URL;
  if (!text) return {};
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`REMPART_GUARD_WEBHOOK_URL must be an absolute URL, got "${text}"`);
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local))
    throw new ConfigError(`REMPART_GUARD_WEBHOOK_URL must use https (http only for localhost), got "${text}"`);
  return {
    guardWebhook: {
      url: url.toString(),
      ...(env.REMPART_GUARD_WEBHOOK_SECRET ? { secret: env.REMPART_GUARD_WEBHOOK_SECRET } : {}),
    },
  };
}

const OIDC_ENV_PREFIXES: Record<OidcProviderName, string> = {
  franceconnect: 'REMPART_FRANCECONNECT',
  proconnect: 'REMPART_PROCONNECT',
};

function oidcFrom(env: NodeJS.ProcessEnv): { oidc?: OidcConfig } {
  const oidc: OidcConfig = {};
  for (const [provider, prefix] of Object.entries(OIDC_ENV_PREFIXES) as [OidcProviderName, string][]) {
    const names = {
      issuer: `${prefix}_ISSUER`,
      clientId: `${prefix}_CLIENT_ID`,
      clientSecret: `${prefix}_CLIENT_SECRET`,
    };
    const values = {
      issuer: env[names.issuer] || '',
      clientId: env[names.clientId] || '',
      clientSecret: env[names.clientSecret] || '',
    };
    const missing = (Object.keys(names) as (keyof typeof names)[]).filter((key) => !values[key]);
    if (missing.length === 3) continue;
    // Half a registration is a typo, not a choice: refuse to start rather than silently disable the provider.
    if (missing.length > 0)
      throw new ConfigError(
        `${missing.map((key) => names[key]).join(', ')} must be set to enable ${provider} (or unset ${prefix}_* entirely)`,
      );
    oidc[provider] = {
      issuer: issuerFrom(names.issuer, values.issuer),
      clientId: values.clientId,
      clientSecret: values.clientSecret,
    };
  }
  return Object.keys(oidc).length > 0 ? { oidc } : {};
}

/** An issuer identifier: https, or plain http on the loopback interface for a provider run locally. */
function issuerFrom(variable: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${variable} must be an absolute URL, got "${text}"`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new ConfigError(`${variable} must use https (http only for localhost), got "${text}"`);
  if (url.search || url.hash) throw new ConfigError(`${variable} must not have a query or a fragment, got "${text}"`);
  return text;
}

function publicUrlFrom(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`REMPART_PUBLIC_URL must be an absolute URL, got "${text}"`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && url.hostname === 'localhost')) {
    throw new ConfigError(`REMPART_PUBLIC_URL must use https (http only for localhost), got "${text}"`);
  }
  return url.origin;
}

const PASSKEY_AUTHENTICATORS_VARIABLE = 'REMPART_PASSKEY_AUTHENTICATORS_FILE';

function passkeyAuthenticatorsFrom(env: NodeJS.ProcessEnv): PasskeyAuthenticator[] {
  const path = env[PASSKEY_AUTHENTICATORS_VARIABLE];
  if (!path) return [];
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (error) {
    throw new ConfigError(
      `${PASSKEY_AUTHENTICATORS_VARIABLE}: cannot read "${path}" (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`${PASSKEY_AUTHENTICATORS_VARIABLE}: "${path}" is not JSON`);
  }
  return parsePasskeyAuthenticators(parsed, PASSKEY_AUTHENTICATORS_VARIABLE);
}

const AAGUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NO_MODEL = '00000000-0000-0000-0000-000000000000';

/**
 * The list of accepted authenticator models: `[{ "aaguid", "name", "roots": ["-----BEGIN
 * CERTIFICATE-----…"] }]`. Every entry needs at least one root, a certification authority still
 * valid: without one, nothing tells a genuine key of the model from a software key claiming its
 * AAGUID. Refused as a whole, naming the entry and field, at the first fault.
 */
export function parsePasskeyAuthenticators(value: unknown, source: string): PasskeyAuthenticator[] {
  if (!Array.isArray(value)) throw new ConfigError(`${source}: expected a JSON array of { aaguid, name, roots }`);
  const seen = new Set<string>();
  return value.map((entry: unknown, i): PasskeyAuthenticator => {
    const where = `${source}[${i}]`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry))
      throw new ConfigError(`${where}: expected an object { aaguid, name, roots }`);
    const { aaguid, name, roots, ...extra } = entry as Record<string, unknown>;
    const unknownKeys = Object.keys(extra);
    if (unknownKeys.length > 0) throw new ConfigError(`${where}: unknown member ${unknownKeys.join(', ')}`);
    if (typeof aaguid !== 'string' || !AAGUID.test(aaguid.toLowerCase()))
      throw new ConfigError(`${where}.aaguid: expected an AAGUID such as "cb69481e-8ff7-4039-93ec-0a2729a154a8"`);
    const model = aaguid.toLowerCase();
    if (model === NO_MODEL)
      throw new ConfigError(
        `${where}.aaguid: the all-zero AAGUID names no model (authenticators that do not say, U2F keys)`,
      );
    if (seen.has(model)) throw new ConfigError(`${where}.aaguid: ${model} is listed twice`);
    seen.add(model);
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100)
      throw new ConfigError(`${where}.name: expected the model's name (1 to 100 characters)`);
    if (!Array.isArray(roots) || roots.length === 0)
      throw new ConfigError(`${where}.roots: expected at least one root certificate (PEM) of the manufacturer`);
    const pems = roots.map((root: unknown, j) => {
      let certificate: X509Certificate;
      try {
        if (typeof root !== 'string') throw new TypeError('not a string');
        certificate = new X509Certificate(root);
      } catch {
        throw new ConfigError(`${where}.roots[${j}]: not a PEM certificate`);
      }
      if (!certificate.ca)
        throw new ConfigError(
          `${where}.roots[${j}]: "${certificate.subject.replace(/\n/g, ', ')}" is not a certification authority`,
        );
      if (Date.parse(certificate.validTo) <= Date.now())
        throw new ConfigError(`${where}.roots[${j}]: expired on ${certificate.validTo}`);
      return certificate.toString();
    });
    return { aaguid: model, name: name.trim(), roots: pems };
  });
}
