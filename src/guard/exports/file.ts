import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import type { TSchema } from 'typebox';
import {
  FIELD_CLASS_SCHEMAS,
  FIELD_CLASSES,
  ValidationError,
  type FieldClass,
  type PersonFile,
} from '../../domain/index.ts';

/**
 * The export file: a CSV with one column per field of the exported classes, sealed with
 * AES-256-GCM under a key derived (scrypt) from a passphrase that only the recipient is given.
 */

export const EXPORT_FORMAT = 'rempart-export/1';

// scrypt cost: about 100 ms and 32 MiB per try, on the recipient's machine as on an attacker's.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const SCRYPT_MAXMEM = 128 * SCRYPT.N * SCRYPT.r * 2;

export interface ExportEnvelope {
  format: typeof EXPORT_FORMAT;
  /** The export's id, bound to the ciphertext (additional data): an envelope cannot be relabelled. */
  export: string;
  kdf: { name: 'scrypt'; N: number; r: number; p: number };
  salt: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

/** The dotted names of the leaves of a field class's schema: nested objects flattened, arrays kept whole. */
function leaves(schema: TSchema, prefix: string): string[] {
  const s = schema as { type?: string; properties?: Record<string, TSchema> };
  if (s.type === 'object' && s.properties)
    return Object.entries(s.properties).flatMap(([key, child]) => leaves(child, `${prefix}.${key}`));
  return [prefix];
}

/** The file's columns: `id`, then every field of the exported classes in the canonical class order. */
export function exportColumns(classes: readonly FieldClass[]): string[] {
  const wanted = new Set(classes);
  return ['id', ...FIELD_CLASSES.filter((c) => wanted.has(c)).flatMap((c) => leaves(FIELD_CLASS_SCHEMAS[c], c))];
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(cell).join(';');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${cell(v)}`)
      .join(', ');
  }
  return String(value);
}

function at(file: PersonFile, path: string): unknown {
  let current: unknown = file;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** One line per row, exactly the columns given: a class not exported has no column and no value. */
export function exportCsv(columns: readonly string[], rows: ReadonlyArray<{ id: string; file: PersonFile }>): string {
  const records = rows.map((row) => columns.map((column) => (column === 'id' ? row.id : cell(at(row.file, column)))));
  return stringify(records, { header: true, columns: [...columns] });
}

function deriveKey(passphrase: string, salt: Buffer, kdf: ExportEnvelope['kdf']): Promise<Buffer> {
  const options: ScryptOptions = {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: Math.max(SCRYPT_MAXMEM, 128 * kdf.N * kdf.r * 2),
  };
  return new Promise((resolve, reject) =>
    scrypt(passphrase.normalize('NFC'), salt, 32, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** 24 base64url characters (144 bits): read over the phone or sent by another channel, never stored. */
export function newPassphrase(): string {
  return randomBytes(18).toString('base64url');
}

export async function sealExportFile(exportId: string, csv: string, passphrase: string): Promise<Buffer> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const kdf = { name: 'scrypt' as const, ...SCRYPT };
  const key = await deriveKey(passphrase, salt, kdf);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${EXPORT_FORMAT}\n${exportId}`, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(csv, 'utf8'), cipher.final()]);
  const envelope: ExportEnvelope = {
    format: EXPORT_FORMAT,
    export: exportId,
    kdf,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const invalid = (field: string, rule: string, message: string) => new ValidationError([{ field, rule, message }]);

function parseEnvelope(text: string): ExportEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('file', 'format', 'le fichier n’est pas une enveloppe d’export Rempart (JSON attendu)');
  }
  const e = value as Partial<ExportEnvelope>;
  if (!e || e.format !== EXPORT_FORMAT) throw invalid('file', 'format', `format ${EXPORT_FORMAT} attendu`);
  const fields = ['export', 'salt', 'iv', 'tag', 'ciphertext'] as const;
  for (const f of fields) if (typeof e[f] !== 'string') throw invalid(`file.${f}`, 'type', 'champ manquant');
  const kdf = e.kdf;
  if (
    !kdf ||
    kdf.name !== 'scrypt' ||
    ![kdf.N, kdf.r, kdf.p].every((n) => Number.isInteger(n) && n > 0) ||
    kdf.N > 2 ** 20 ||
    kdf.r > 32 ||
    kdf.p > 16
  ) {
    throw invalid('file.kdf', 'kdf', 'paramètres de dérivation de clé non pris en charge');
  }
  if (Buffer.from(e.tag!, 'base64').length !== 16 || Buffer.from(e.iv!, 'base64').length !== 12)
    throw invalid('file.tag', 'length', 'étiquette ou vecteur d’initialisation de longueur inattendue');
  return e as ExportEnvelope;
}

/** The CSV of a sealed export; a wrong passphrase or an altered file is a ValidationError naming `passphrase`. */
export async function openExportFile(envelope: Buffer | string, passphrase: string): Promise<string> {
  const e = parseEnvelope(typeof envelope === 'string' ? envelope : envelope.toString('utf8'));
  const key = await deriveKey(passphrase, Buffer.from(e.salt, 'base64'), e.kdf);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(e.iv, 'base64'));
  decipher.setAAD(Buffer.from(`${EXPORT_FORMAT}\n${e.export}`, 'utf8'));
  decipher.setAuthTag(Buffer.from(e.tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(e.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw invalid('passphrase', 'decrypt', 'phrase de passe incorrecte, ou fichier altéré');
  }
}
