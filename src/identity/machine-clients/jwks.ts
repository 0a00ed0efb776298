import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { ValidationIssue } from '../../domain/index.ts';

/** The signature algorithms a client key may carry, by key type: asymmetric only. */
export const ACCEPTED_ALGORITHMS = ['ES256', 'PS256', 'RS256', 'EdDSA', 'Ed25519'] as const;
export type AcceptedAlgorithm = (typeof ACCEPTED_ALGORITHMS)[number];

export const MAX_KEYS = 5;
const RSA_MIN_BITS = 2048;
const RSA_MAX_BITS = 8192;

/** Members that only a private (or secret) key has: their presence means the partner sent what it must keep. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'] as const;

/** A public key as stored: public members only, `kid` and `alg` always set so a key is bound to one algorithm. */
export interface StoredPublicJwk {
  kty: 'EC' | 'RSA' | 'OKP';
  kid: string;
  alg: AcceptedAlgorithm;
  use: 'sig';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

export interface StoredJwks {
  keys: StoredPublicJwk[];
}

type Issue = ValidationIssue;

function issue(field: string, rule: string, message: string): Issue {
  return { field, rule, message };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBase64url(value: unknown, maxLength = 2048): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength && /^[A-Za-z0-9_-]+$/.test(value);
}

function rsaModulusBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(bytes[start]!));
}

/** The algorithm a key is for: the one it declares if acceptable, else the only one its type allows. */
function algorithmOf(key: Record<string, unknown>, field: string, issues: Issue[]): AcceptedAlgorithm | undefined {
  const declared = key.alg;
  const allowed: readonly AcceptedAlgorithm[] =
    key.kty === 'EC' ? ['ES256'] : key.kty === 'RSA' ? ['PS256', 'RS256'] : ['EdDSA', 'Ed25519'];
  if (declared === undefined) {
    // An RSA key could sign PS256 or RS256: the partner must say which, so the key serves one algorithm only.
    if (key.kty === 'RSA') {
      issues.push(issue(`${field}.alg`, 'required', 'algorithme obligatoire pour une clé RSA (PS256 ou RS256)'));
      return undefined;
    }
    return allowed[0];
  }
  if (typeof declared !== 'string' || !(allowed as readonly string[]).includes(declared)) {
    issues.push(
      issue(
        `${field}.alg`,
        'jwk.algorithm',
        `algorithme non accepté pour cette clé (acceptés : ${allowed.join(', ')})`,
      ),
    );
    return undefined;
  }
  return declared as AcceptedAlgorithm;
}

/** Public members of one key, checked for its type; undefined (with issues) if the key cannot be used. */
function publicMembers(
  key: Record<string, unknown>,
  field: string,
  issues: Issue[],
): Omit<StoredPublicJwk, 'kid' | 'alg' | 'use'> | undefined {
  switch (key.kty) {
    case 'EC': {
      if (key.crv !== 'P-256') {
        issues.push(issue(`${field}.crv`, 'jwk.curve', 'courbe non acceptée (P-256 attendue)'));
        return undefined;
      }
      const bad = (['x', 'y'] as const).filter((m) => !isBase64url(key[m], 64));
      for (const m of bad)
        issues.push(issue(`${field}.${m}`, 'jwk.member', 'coordonnée absente ou mal encodée (base64url)'));
      return bad.length ? undefined : { kty: 'EC', crv: 'P-256', x: key.x as string, y: key.y as string };
    }
    case 'RSA': {
      if (!isBase64url(key.n, 4096)) {
        issues.push(issue(`${field}.n`, 'jwk.member', 'module absent ou mal encodé (base64url)'));
        return undefined;
      }
      if (!isBase64url(key.e, 16)) {
        issues.push(issue(`${field}.e`, 'jwk.member', 'exposant absent ou mal encodé (base64url)'));
        return undefined;
      }
      const bits = rsaModulusBits(key.n);
      if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
        issues.push(
          issue(
            `${field}.n`,
            'jwk.rsa_size',
            `clé RSA de ${bits} bits refusée (de ${RSA_MIN_BITS} à ${RSA_MAX_BITS} bits)`,
          ),
        );
        return undefined;
      }
      return { kty: 'RSA', n: key.n, e: key.e };
    }
    case 'OKP': {
      if (key.crv !== 'Ed25519') {
        issues.push(issue(`${field}.crv`, 'jwk.curve', 'courbe non acceptée (Ed25519 attendue)'));
        return undefined;
      }
      if (!isBase64url(key.x, 64)) {
        issues.push(issue(`${field}.x`, 'jwk.member', 'clé publique absente ou mal encodée (base64url)'));
        return undefined;
      }
      return { kty: 'OKP', crv: 'Ed25519', x: key.x };
    }
    default:
      issues.push(issue(`${field}.kty`, 'enum', 'type de clé non accepté (EC, RSA ou OKP attendu)'));
      return undefined;
  }
}

/** The key parses as a real public key (an EC point on its curve, a well-formed modulus...). */
function isImportable(members: Omit<StoredPublicJwk, 'kid' | 'alg' | 'use'>): boolean {
  try {
    return createPublicKey({ key: members as JWK & { kty: string }, format: 'jwk' }).type === 'public';
  } catch {
    return false;
  }
}

async function normaliseKey(key: unknown, field: string, issues: Issue[]): Promise<StoredPublicJwk | undefined> {
  if (!isRecord(key)) {
    issues.push(issue(field, 'type:object', 'type attendu : object'));
    return undefined;
  }
  // Checked first, whatever else is wrong: a secret must be named as such, then discarded.
  if (key.kty === 'oct' || 'k' in key) {
    issues.push(
      issue(
        `${field}.kty`,
        'jwk.symmetric',
        'clé symétrique refusée : seule une clé publique (EC, RSA ou Ed25519) est acceptée',
      ),
    );
    return undefined;
  }
  const secrets = PRIVATE_MEMBERS.filter((m) => m in key);
  for (const m of secrets)
    issues.push(
      issue(`${field}.${m}`, 'jwk.private_key', 'partie privée refusée : ne transmettez que la clé publique'),
    );
  if (secrets.length) return undefined;
  const before = issues.length;
  const members = publicMembers(key, field, issues);
  const alg = members ? algorithmOf(key, field, issues) : undefined;
  if (key.use !== undefined && key.use !== 'sig')
    issues.push(issue(`${field}.use`, 'jwk.use', 'usage « sig » attendu'));
  if (key.key_ops !== undefined && !(Array.isArray(key.key_ops) && key.key_ops.includes('verify')))
    issues.push(issue(`${field}.key_ops`, 'jwk.key_ops', 'opération « verify » attendue'));
  if (key.kid !== undefined && !(typeof key.kid === 'string' && key.kid.length >= 1 && key.kid.length <= 128))
    issues.push(issue(`${field}.kid`, 'jwk.kid', 'identifiant de clé de 1 à 128 caractères attendu'));
  if (!members || !alg || issues.length > before) return undefined;
  if (!isImportable(members)) {
    issues.push(issue(field, 'jwk.invalid', 'clé publique inutilisable (valeurs incohérentes)'));
    return undefined;
  }
  const kid = typeof key.kid === 'string' ? key.kid : await calculateJwkThumbprint(members as JWK);
  return { ...members, kid, alg, use: 'sig' };
}

/**
 * Check a JWK Set sent by a partner and keep only what verifying its assertions needs. Issues
 * name the field (`jwks.keys.0.d`) and never repeat a value: a private key sent by mistake
 * must not end up in an error message or a log either.
 */
export async function normalisePublicJwks(
  jwks: unknown,
  field = 'jwks',
): Promise<{ jwks?: StoredJwks; issues: Issue[] }> {
  if (!isRecord(jwks)) return { issues: [issue(field, 'type:object', 'jeu de clés JWK attendu ({ "keys": [...] })')] };
  const keys = jwks.keys;
  if (!Array.isArray(keys))
    return {
      issues: [
        issue(`${field}.keys`, keys === undefined ? 'required' : 'type:array', 'liste de clés « keys » attendue'),
      ],
    };
  if (keys.length < 1 || keys.length > MAX_KEYS)
    return {
      issues: [issue(`${field}.keys`, keys.length < 1 ? 'minItems' : 'maxItems', `de 1 à ${MAX_KEYS} clés attendues`)],
    };
  const issues: Issue[] = [];
  const normalised: StoredPublicJwk[] = [];
  for (const [index, key] of keys.entries()) {
    const stored = await normaliseKey(key, `${field}.keys.${index}`, issues);
    if (!stored) continue;
    if (normalised.some((k) => k.kid === stored.kid))
      issues.push(
        issue(`${field}.keys.${index}.kid`, 'jwk.duplicate_kid', 'identifiant de clé déjà utilisé dans ce jeu'),
      );
    else normalised.push(stored);
  }
  return issues.length ? { issues } : { jwks: { keys: normalised }, issues };
}
