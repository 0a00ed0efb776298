import { resolve } from 'node:path';
import type { KeyringSource } from './crypto/index.ts';

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
  /** OpenID Connect providers Rempart accepts logins from; absent when none is configured. */
  oidc?: OidcConfig;
  /** Where the guard posts its alerts (the security operations centre), and the key that signs them. */
  guardWebhook?: { url: string; secret?: string };
  /** Hours between a change of bank details and the first payment to the new account. */
  bankCoolingOffHours: number;
  /** Who the CNIL draft and the notices to people name: the controller, and its DPO's contact. */
  controller: string;
  dpoContact: string;
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
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number, got "${portText}"`);
  const demoText = env.REMPART_DEMO_PERSONS || '2000';
  const demoPersons = Number(demoText);
  if (!Number.isInteger(demoPersons) || demoPersons < 0 || demoPersons > 1_000_000) {
    throw new ConfigError(`REMPART_DEMO_PERSONS must be a whole number from 0 to 1000000, got "${demoText}"`);
  }
  const checkpointText = env.REMPART_CHECKPOINT_SECONDS || '10';
  const checkpointSeconds = Number(checkpointText);
  if (!Number.isInteger(checkpointSeconds) || checkpointSeconds < 1 || checkpointSeconds > 3600) {
    throw new ConfigError(`REMPART_CHECKPOINT_SECONDS must be a whole number of seconds from 1 to 3600, got "${checkpointText}"`);
  }
  const coolingText = env.REMPART_BANK_COOLING_OFF_HOURS || '72';
  const bankCoolingOffHours = Number(coolingText);
  if (!Number.isInteger(bankCoolingOffHours) || bankCoolingOffHours < 24 || bankCoolingOffHours > 720) {
    throw new ConfigError(`REMPART_BANK_COOLING_OFF_HOURS must be a whole number of hours from 24 to 720, got "${coolingText}"`);
  }
  const poolText = env.REMPART_PG_POOL_SIZE || '20';
  const pgPoolSize = Number(poolText);
  if (!Number.isInteger(pgPoolSize) || pgPoolSize < 1 || pgPoolSize > 500) {
    throw new ConfigError(`REMPART_PG_POOL_SIZE must be a whole number of connections from 1 to 500, got "${poolText}"`);
  }
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
    bankCoolingOffHours,
    controller: env.REMPART_CONTROLLER_NAME || 'France Travail (démonstration Rempart)',
    dpoContact: env.REMPART_DPO_CONTACT || 'Délégué à la protection des données, dpo@rempart.example, TSA 00000, 75000 Paris',
    publicUrl: publicUrlFrom(env.REMPART_PUBLIC_URL || `http://localhost:${port}`),
    ...oidcFrom(env),
    ...guardWebhookFrom(env),
  };
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
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) throw new ConfigError(`REMPART_GUARD_WEBHOOK_URL must use https (http only for localhost), got "${text}"`);
  return { guardWebhook: { url: url.toString(), ...(env.REMPART_GUARD_WEBHOOK_SECRET ? { secret: env.REMPART_GUARD_WEBHOOK_SECRET } : {}) } };
}

const OIDC_ENV_PREFIXES: Record<OidcProviderName, string> = { franceconnect: 'REMPART_FRANCECONNECT', proconnect: 'REMPART_PROCONNECT' };

function oidcFrom(env: NodeJS.ProcessEnv): { oidc?: OidcConfig } {
  const oidc: OidcConfig = {};
  for (const [provider, prefix] of Object.entries(OIDC_ENV_PREFIXES) as [OidcProviderName, string][]) {
    const names = { issuer: `${prefix}_ISSUER`, clientId: `${prefix}_CLIENT_ID`, clientSecret: `${prefix}_CLIENT_SECRET` };
    const values = { issuer: env[names.issuer] || '', clientId: env[names.clientId] || '', clientSecret: env[names.clientSecret] || '' };
    const missing = (Object.keys(names) as (keyof typeof names)[]).filter((key) => !values[key]);
    if (missing.length === 3) continue;
    // Half a registration is a typo, not a choice: refuse to start rather than silently disable the provider.
    if (missing.length > 0) throw new ConfigError(`${missing.map((key) => names[key]).join(', ')} must be set to enable ${provider} (or unset ${prefix}_* entirely)`);
    oidc[provider] = { issuer: issuerFrom(names.issuer, values.issuer), clientId: values.clientId, clientSecret: values.clientSecret };
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
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new ConfigError(`${variable} must use https (http only for localhost), got "${text}"`);
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
