import { resolve } from 'node:path';
import type { KeyringSource } from './crypto/index.ts';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** A SQLite file path, or a postgres:// URL. */
  databaseUrl: string;
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
}

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
    keyring,
    devKeyring,
    logLevel: env.LOG_LEVEL || 'info',
    demoPersons,
    publicUrl: publicUrlFrom(env.REMPART_PUBLIC_URL || `http://localhost:${port}`),
  };
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
