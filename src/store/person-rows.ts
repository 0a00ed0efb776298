import { blindIndex, sealField, type BlindIndexKind, type Keyring } from '../crypto/index.ts';
import {
  FIELD_CLASSES,
  type FieldClass,
  nameWords,
  normalizeEmail,
  normalizeFranceTravailId,
  normalizeIban,
  normalizeNir,
  type PersonFile,
} from '../domain/index.ts';
import type { PersonFieldsTable, PersonLookupsTable } from './schema.ts';

/**
 * Turning a file into rows is pure (keyring in, sealed rows out): the store does it inline,
 * a seeding worker thread does it in parallel with the database writes.
 */

/** Which identifier each blind index is computed from, and how it is spelled canonically. */
const LOOKUPS: ReadonlyArray<{
  kind: BlindIndexKind;
  fieldClass: FieldClass;
  unique: boolean;
  extract: (file: PersonFile) => string | undefined;
  normalize: (v: string) => string;
}> = [
  { kind: 'nir', fieldClass: 'nir', unique: true, extract: (f) => f.nir?.nir, normalize: normalizeNir },
  { kind: 'email', fieldClass: 'contact', unique: false, extract: (f) => f.contact?.email, normalize: normalizeEmail },
  {
    kind: 'france_travail_id',
    fieldClass: 'registration',
    unique: true,
    extract: (f) => f.registration?.franceTravailId,
    normalize: normalizeFranceTravailId,
  },
  {
    kind: 'name_birth',
    fieldClass: 'identity',
    unique: false,
    extract: (f) =>
      f.identity ? nameBirthKey(f.identity.lastName, f.identity.firstNames[0] ?? '', f.identity.birthDate) : undefined,
    normalize: normalizeNameBirth,
  },
  // Not searchable by staff: the bank-details checks use them (one account on unrelated files).
  { kind: 'iban', fieldClass: 'bank', unique: false, extract: (f) => f.bank?.iban, normalize: normalizeIban },
  {
    kind: 'household',
    fieldClass: 'contact',
    unique: false,
    extract: (f) => (f.contact?.address ? householdKey(f.contact.address) : undefined),
    normalize: (v) => v,
  },
];

/** A postal address spelled one way (street line and postal code): who lives under one roof. */
export function householdKey(address: { line1: string; postalCode: string }): string {
  return `${nameWords(address.line1).join(' ')}|${address.postalCode.trim()}`;
}

/** Birth name, first given name and birth date: what a person says on the phone to be found. */
export function nameBirthKey(lastName: string, firstName: string, birthDate: string): string {
  return `${lastName}|${firstName}|${birthDate}`;
}

/** One spelling whatever the accents, case, hyphens and spaces: "Lefèvre-Dupont" and "LEFEVRE DUPONT" meet. */
function normalizeNameBirth(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .split('|')
    .map((part) => part.replace(/[^A-Z0-9]+/g, ' ').trim())
    .join('|');
}

export function sealPersonRows(keyring: Keyring, personId: string, file: PersonFile, now: string): PersonFieldsTable[] {
  const rows: PersonFieldsTable[] = [];
  for (const fieldClass of FIELD_CLASSES) {
    const value = file[fieldClass];
    if (value === undefined) continue;
    const sealed = sealField(keyring, personId, fieldClass, Buffer.from(JSON.stringify(value), 'utf8'));
    rows.push({
      person_id: personId,
      field_class: fieldClass,
      kek_version: sealed.kekVersion,
      wrapped_key: sealed.wrappedKey,
      ciphertext: sealed.ciphertext,
      updated_at: now,
    });
  }
  return rows;
}

/** Blind-index rows of a file, or only of the classes in `only` (an update). */
export function lookupRows(
  keyring: Keyring,
  personId: string,
  file: PersonFile,
  only?: ReadonlySet<FieldClass>,
): PersonLookupsTable[] {
  const rows: PersonLookupsTable[] = [];
  for (const lookup of LOOKUPS) {
    if (only && !only.has(lookup.fieldClass)) continue;
    const value = lookup.extract(file);
    if (value !== undefined)
      rows.push({
        kind: lookup.kind,
        digest: blindIndex(keyring, lookup.kind, lookup.normalize(value)),
        person_id: personId,
      });
  }
  return rows;
}

export function lookupDigest(keyring: Keyring, kind: BlindIndexKind, value: string): Buffer {
  const lookup = LOOKUPS.find((l) => l.kind === kind)!;
  return blindIndex(keyring, kind, lookup.normalize(value));
}

export function isUniqueLookup(kind: string): boolean {
  return LOOKUPS.some((l) => l.kind === kind && l.unique);
}

/** The blind-index kinds an update of these classes must recompute. */
export function lookupKindsOf(classes: ReadonlySet<FieldClass>): BlindIndexKind[] {
  return LOOKUPS.filter((l) => classes.has(l.fieldClass)).map((l) => l.kind);
}
