import { createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { FIELD_CLASSES } from '../domain/index.ts';
import { KeyringError } from './errors.ts';

/**
 * Key-encryption key series: one per field class, plus one for authentication secrets
 * (TOTP seeds), which belong to accounts rather than to a person's file.
 */
export const KEY_SERIES = [...FIELD_CLASSES, 'auth_secrets'] as const;
export type KeySeries = (typeof KEY_SERIES)[number];
const keySeriesSet: ReadonlySet<string> = new Set(KEY_SERIES);

/** The identifiers that can be looked up exactly without decrypting anything. */
export const BLIND_INDEX_KINDS = ['nir', 'email', 'france_travail_id', 'name_birth', 'iban', 'household'] as const;
export type BlindIndexKind = (typeof BLIND_INDEX_KINDS)[number];

const FORMAT = 'rempart-keyring/1';
const KEY_BYTES = 32;

interface KeyringDocument {
  format: typeof FORMAT;
  id: string;
  createdAt: string;
  /** Key-encryption keys, one series of versions per field class. */
  keks: Record<string, { active: number; versions: Record<string, string> }>;
  /** One HMAC key per looked-up identifier, so one index leaking says nothing of another. */
  blindIndex: Record<string, string>;
  /** Ed25519 seed that signs the ledger's checkpoints (absent from keyrings older than the ledger). */
  ledgerSigning?: string;
}

/**
 * Blind indexes added after keyrings were already issued: a keyring without the key derives it
 * (HKDF-SHA256, its own label) from an older index key it holds, so existing keyrings keep
 * working and every keyring generated from now on carries the key itself.
 */
const DERIVED_BLIND_INDEX_KEYS: Partial<Record<BlindIndexKind, BlindIndexKind>> = {
  name_birth: 'nir',
  iban: 'nir',
  household: 'nir',
};

function derivedBlindIndexKey(keys: ReadonlyMap<BlindIndexKind, Buffer>, kind: BlindIndexKind): Buffer {
  const source = DERIVED_BLIND_INDEX_KEYS[kind]!;
  const from = keys.get(source);
  if (!from) throw new KeyringError(`keyring has no blind-index key for "${source}"`);
  return Buffer.from(hkdfSync('sha256', from, Buffer.alloc(0), `rempart/blind-index/${kind}/v1`, KEY_BYTES));
}

/** A fingerprint that proves which key is meant without revealing it: HMAC of a fixed label. */
export function keyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('rempart key check value v1').digest('hex').slice(0, 32);
}

export interface KeyFingerprint {
  /** `kek:<field class>` or `blind:<kind>` */
  purpose: string;
  version: number;
  fingerprint: string;
}

/**
 * The operator-held master keys. They live in a file outside the database (or in an
 * environment variable) and never enter the store, the logs or the backups.
 */
export class Keyring {
  readonly #keks: Map<KeySeries, { active: number; versions: Map<number, Buffer> }>;
  readonly #blind: Map<BlindIndexKind, Buffer>;
  readonly #ledgerSigning: Buffer;
  readonly id: string;
  readonly createdAt: string;

  private constructor(doc: KeyringDocument) {
    this.id = doc.id;
    this.createdAt = doc.createdAt;
    this.#keks = new Map();
    this.#blind = new Map();
    for (const fieldClass of KEY_SERIES) {
      const entry = doc.keks[fieldClass];
      if (!entry) throw new KeyringError(`keyring has no key-encryption key for field class "${fieldClass}"`);
      const versions = new Map<number, Buffer>();
      for (const [v, b64] of Object.entries(entry.versions)) {
        const version = Number(v);
        if (!Number.isInteger(version) || version < 1)
          throw new KeyringError(`keyring: "${fieldClass}" has an invalid version "${v}"`);
        versions.set(version, decodeKey(b64, `kek ${fieldClass} v${v}`));
      }
      if (!versions.has(entry.active))
        throw new KeyringError(`keyring: active version ${entry.active} of "${fieldClass}" is missing`);
      this.#keks.set(fieldClass, { active: entry.active, versions });
    }
    for (const kind of BLIND_INDEX_KINDS) {
      const b64 = doc.blindIndex[kind];
      if (b64) this.#blind.set(kind, decodeKey(b64, `blind index ${kind}`));
      else if (kind in DERIVED_BLIND_INDEX_KEYS) this.#blind.set(kind, derivedBlindIndexKey(this.#blind, kind));
      else throw new KeyringError(`keyring has no blind-index key for "${kind}"`);
    }
    // A keyring issued before the ledger derives its signing seed from a key it already holds.
    this.#ledgerSigning =
      doc.ledgerSigning !== undefined
        ? decodeKey(doc.ledgerSigning, 'ledger signing seed')
        : Buffer.from(
            hkdfSync(
              'sha256',
              this.blindIndexKey('nir'),
              Buffer.alloc(0),
              'rempart/ledger/checkpoint-signing/v1',
              KEY_BYTES,
            ),
          );
    for (const name of Object.keys(doc.keks)) {
      if (!keySeriesSet.has(name)) throw new KeyringError(`keyring names an unknown field class "${name}"`);
    }
  }

  static generate(): Keyring {
    const keks: KeyringDocument['keks'] = {};
    for (const fieldClass of KEY_SERIES)
      keks[fieldClass] = { active: 1, versions: { '1': randomBytes(KEY_BYTES).toString('base64') } };
    const blindIndex: KeyringDocument['blindIndex'] = {};
    for (const kind of BLIND_INDEX_KINDS) blindIndex[kind] = randomBytes(KEY_BYTES).toString('base64');
    return new Keyring({
      format: FORMAT,
      id: randomUUID(),
      createdAt: new Date().toISOString(),
      keks,
      blindIndex,
      ledgerSigning: randomBytes(KEY_BYTES).toString('base64'),
    });
  }

  static parse(json: string, origin: string): Keyring {
    let doc: unknown;
    try {
      doc = JSON.parse(json);
    } catch {
      throw new KeyringError(`${origin} is not valid JSON`);
    }
    if (!isKeyringDocument(doc))
      throw new KeyringError(`${origin} is not a Rempart keyring (expected format "${FORMAT}")`);
    return new Keyring(doc);
  }

  activeVersion(fieldClass: KeySeries): number {
    return this.#series(fieldClass).active;
  }

  versions(fieldClass: KeySeries): number[] {
    return [...this.#series(fieldClass).versions.keys()].sort((a, b) => a - b);
  }

  hasKek(fieldClass: KeySeries, version: number): boolean {
    return this.#series(fieldClass).versions.has(version);
  }

  kek(fieldClass: KeySeries, version: number): Buffer {
    const key = this.#series(fieldClass).versions.get(version);
    if (!key) throw new KeyringError(`keyring lacks version ${version} of the "${fieldClass}" key-encryption key`);
    return key;
  }

  blindIndexKey(kind: BlindIndexKind): Buffer {
    const key = this.#blind.get(kind);
    if (!key) throw new KeyringError(`keyring lacks the blind-index key for "${kind}"`);
    return key;
  }

  /** The Ed25519 seed of the checkpoint signing key: it signs, it never leaves the process. */
  ledgerSigningSeed(): Buffer {
    return Buffer.from(this.#ledgerSigning);
  }

  /**
   * The guard's key for the digests of search neighbourhoods (never an identifier): derived from
   * the NIR blind-index key, so every process holding the keyring computes the same digests.
   */
  guardKey(): Buffer {
    return Buffer.from(
      hkdfSync(
        'sha256',
        this.blindIndexKey('nir'),
        Buffer.alloc(0),
        'rempart/guard/search-neighbourhood/v1',
        KEY_BYTES,
      ),
    );
  }

  /** A new keyring with one more version of a class's key, made active. */
  withNewVersion(fieldClass: KeySeries): Keyring {
    const doc = this.#document();
    const entry = doc.keks[fieldClass]!;
    const next = Math.max(...Object.keys(entry.versions).map(Number)) + 1;
    entry.versions[String(next)] = randomBytes(KEY_BYTES).toString('base64');
    entry.active = next;
    return new Keyring(doc);
  }

  /**
   * A keyring without one version of a class's key (`keys retire`): never the active one. What
   * was wrapped only under it can no longer be opened by anyone — backups included.
   */
  withoutVersion(fieldClass: KeySeries, version: number): Keyring {
    const doc = this.#document();
    const entry = doc.keks[fieldClass]!;
    if (entry.active === version) throw new KeyringError(`version ${version} of "${fieldClass}" is the active one`);
    if (!(String(version) in entry.versions))
      throw new KeyringError(`keyring lacks version ${version} of the "${fieldClass}" key-encryption key`);
    delete entry.versions[String(version)];
    return new Keyring(doc);
  }

  fingerprints(): KeyFingerprint[] {
    const out: KeyFingerprint[] = [];
    for (const [fieldClass, series] of this.#keks) {
      for (const [version, key] of series.versions)
        out.push({ purpose: `kek:${fieldClass}`, version, fingerprint: keyFingerprint(key) });
    }
    for (const [kind, key] of this.#blind)
      out.push({ purpose: `blind:${kind}`, version: 1, fingerprint: keyFingerprint(key) });
    out.push({ purpose: 'ledger:signing', version: 1, fingerprint: keyFingerprint(this.#ledgerSigning) });
    return out;
  }

  /** Only for writing the keyring file itself; never log or store this. */
  serialize(): string {
    return JSON.stringify(this.#document(), null, 2) + '\n';
  }

  /** Keys must not end up in logs by accident. */
  toJSON(): { id: string } {
    return { id: this.id };
  }

  #series(fieldClass: KeySeries) {
    const series = this.#keks.get(fieldClass);
    if (!series) throw new KeyringError(`keyring has no key-encryption key for field class "${fieldClass}"`);
    return series;
  }

  #document(): KeyringDocument {
    const keks: KeyringDocument['keks'] = {};
    for (const [fieldClass, series] of this.#keks) {
      keks[fieldClass] = {
        active: series.active,
        versions: Object.fromEntries([...series.versions].map(([v, k]) => [String(v), k.toString('base64')])),
      };
    }
    const blindIndex = Object.fromEntries([...this.#blind].map(([kind, k]) => [kind, k.toString('base64')]));
    return {
      format: FORMAT,
      id: this.id,
      createdAt: this.createdAt,
      keks,
      blindIndex,
      ledgerSigning: this.#ledgerSigning.toString('base64'),
    };
  }
}

function decodeKey(b64: unknown, name: string): Buffer {
  if (typeof b64 !== 'string') throw new KeyringError(`keyring: ${name} is not a base64 string`);
  const key = Buffer.from(b64, 'base64');
  if (key.length !== KEY_BYTES || key.toString('base64') !== b64)
    throw new KeyringError(`keyring: ${name} must be ${KEY_BYTES} bytes in base64`);
  return key;
}

function isKeyringDocument(doc: unknown): doc is KeyringDocument {
  if (typeof doc !== 'object' || doc === null) return false;
  const d = doc as Partial<KeyringDocument>;
  return (
    d.format === FORMAT &&
    typeof d.id === 'string' &&
    typeof d.keks === 'object' &&
    d.keks !== null &&
    typeof d.blindIndex === 'object' &&
    d.blindIndex !== null
  );
}

export type KeyringSource = { kind: 'file'; path: string } | { kind: 'env'; variable: string; json: string };

export function readKeyring(source: KeyringSource): Keyring {
  if (source.kind === 'env') return Keyring.parse(source.json, `environment variable ${source.variable}`);
  if (!existsSync(source.path)) throw new KeyringError(`keyring file not found: ${source.path}`);
  return Keyring.parse(readFileSync(source.path, 'utf8'), `keyring file ${source.path}`);
}

/** Write-then-rename with fsync, so a crash leaves either the old or the new keyring, whole. */
export function writeKeyringFile(path: string, keyring: Keyring): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, keyring.serialize());
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
