import { ValidationError, type ValidationIssue } from './errors.ts';
import { NewPersonSchema, PersonPatchSchema, type FieldValues, type PersonFile, type PersonPatch } from './person.ts';
import { schemaIssues } from './validation.ts';
import {
  bicMatchesIbanCountry,
  normalizeEmail,
  normalizeFranceTravailId,
  normalizeFrenchPhone,
  normalizeIban,
  normalizeNir,
} from './validators.ts';

/** Canonical forms, so that blind indexes and comparisons see one spelling per value. */
function normalizeClasses<T extends PersonPatch>(file: T): T {
  const out: PersonPatch = { ...file };
  if (out.nir) out.nir = { nir: normalizeNir(out.nir.nir) };
  if (out.bank) out.bank = { ...out.bank, iban: normalizeIban(out.bank.iban), bic: out.bank.bic.trim().toUpperCase() };
  if (out.registration)
    out.registration = {
      ...out.registration,
      franceTravailId: normalizeFranceTravailId(out.registration.franceTravailId),
    };
  if (out.contact) {
    const contact = { ...out.contact };
    if (contact.email !== undefined) contact.email = normalizeEmail(contact.email);
    if (contact.phone !== undefined) contact.phone = normalizeFrenchPhone(contact.phone) ?? contact.phone;
    out.contact = contact;
  }
  return out as T;
}

/**
 * Rules that span fields of one write. A NIR encodes sex, birth year and month: a NIR that
 * contradicts the identity in the same request is a typing error or a fraud attempt.
 */
function crossFieldIssues(file: PersonPatch, prefix: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
  if (file.nir && file.identity) issues.push(...nirIdentityIssues(file.nir, file.identity, at('nir.nir')));
  if (file.bank && !bicMatchesIbanCountry(file.bank.bic, file.bank.iban)) {
    issues.push({
      field: at('bank.bic'),
      rule: 'bic.country_mismatch',
      message: 'le pays du BIC ne correspond pas à celui de l’IBAN',
    });
  }
  return issues;
}

function nirIdentityIssues(
  nir: FieldValues['nir'],
  identity: FieldValues['identity'],
  field: string,
): ValidationIssue[] {
  const n = normalizeNir(nir.nir);
  const sexDigit = n[0];
  const [year, month] = identity.birthDate.split('-');
  const issues: ValidationIssue[] = [];
  if ((sexDigit === '1' && identity.sex !== 'M') || (sexDigit === '2' && identity.sex !== 'F')) {
    issues.push({
      field,
      rule: 'nir.identity_sex',
      message: 'le premier chiffre du NIR ne correspond pas au sexe de l’identité',
    });
  }
  if (year && n.slice(1, 3) !== year.slice(2)) {
    issues.push({
      field,
      rule: 'nir.identity_birth_year',
      message: 'l’année de naissance du NIR ne correspond pas à la date de naissance',
    });
  }
  const nirMonth = Number(n.slice(3, 5));
  if (month && nirMonth >= 1 && nirMonth <= 12 && n.slice(3, 5) !== month) {
    issues.push({
      field,
      rule: 'nir.identity_birth_month',
      message: 'le mois de naissance du NIR ne correspond pas à la date de naissance',
    });
  }
  return issues;
}

/** Cross-field rules and canonical form, for a value that already passed the schema. */
export function canonicalNewPerson(file: PersonFile, prefix = ''): PersonFile {
  const canonical = normalizeClasses(file);
  const cross = crossFieldIssues(canonical, prefix);
  if (cross.length > 0) throw new ValidationError(cross);
  return canonical;
}

export function canonicalPersonPatch(patch: PersonPatch, prefix = ''): PersonPatch {
  if (patch.identity === null) {
    throw new ValidationError([
      {
        field: prefix ? `${prefix}.identity` : 'identity',
        rule: 'required',
        message: 'l’identité ne peut pas être supprimée d’un dossier',
      },
    ]);
  }
  const canonical = normalizeClasses(patch);
  const cross = crossFieldIssues(canonical, prefix);
  if (cross.length > 0) throw new ValidationError(cross);
  return canonical;
}

/** Validate a new file: schema, cross-field rules; returns it in canonical form. */
export function validateNewPerson(input: unknown, prefix = ''): PersonFile {
  const issues = schemaIssues(NewPersonSchema, input, prefix);
  if (issues.length > 0) throw new ValidationError(issues);
  return canonicalNewPerson(input as PersonFile, prefix);
}

/** Validate an update: each class present replaces the stored one, `null` removes it. */
export function validatePersonPatch(input: unknown, prefix = ''): PersonPatch {
  const issues = schemaIssues(PersonPatchSchema, input, prefix);
  if (issues.length > 0) throw new ValidationError(issues);
  return canonicalPersonPatch(input as PersonPatch, prefix);
}
