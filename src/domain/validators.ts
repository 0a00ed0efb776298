/**
 * Pure validators for the French identifiers a job seeker's file holds. No I/O, no state:
 * the same functions back the TypeBox formats (formats.ts), the cross-field rules and the seed.
 *
 * Convention: `normalizeX` gives the canonical stored spelling, `isValidX` accepts what a user
 * types (it normalizes first), `xIssues` names every broken rule with a stable code so that
 * clients can map codes to their own wording.
 */
import { getCountrySpecifications, validateIBAN, ValidationErrorsIBAN } from 'ibantools';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

// ---------------------------------------------------------------------------------------------
// NIR (numéro d'inscription au répertoire, « numéro de sécurité sociale »)
// ---------------------------------------------------------------------------------------------

export function normalizeNir(input: string): string {
  return input.replace(/[\s.]/g, '').toUpperCase();
}

const NIR_BODY = /^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{6}$/;

/**
 * Key = 97 − (n mod 97). Corsican department codes are letters, so INSEE substitutes
 * 2A → 19 and 2B → 18 to get a number. BigInt keeps the arithmetic exact and obvious.
 */
export function nirControlKey(body13: string): string {
  const body = normalizeNir(body13);
  if (!NIR_BODY.test(body))
    throw new RangeError('NIR body must be 13 characters: 5 digits, department (digits, 2A or 2B), 6 digits');
  const department = body.slice(5, 7);
  const numeric =
    department === '2A'
      ? `${body.slice(0, 5)}19${body.slice(7)}`
      : department === '2B'
        ? `${body.slice(0, 5)}18${body.slice(7)}`
        : body;
  const key = 97n - (BigInt(numeric) % 97n);
  return key.toString().padStart(2, '0');
}

function inRange(twoDigits: string, min: number, max: number): boolean {
  const n = Number(twoDigits);
  return n >= min && n <= max;
}

/**
 * Month 20–42 and 50–99 are what INSEE assigns when the civil-status record has no known
 * month; rejecting them would lock out real people.
 */
function isNirMonth(month: string): boolean {
  return inRange(month, 1, 12) || inRange(month, 20, 42) || inRange(month, 50, 99);
}

/**
 * Department codes as the NIR spells them. '20' is refused: Corsica has been coded 2A/2B
 * since 1976 and the project decided to treat a bare '20' as a typing error rather than guess
 * a century from a two-digit year. Overseas: 971–978 (DOM and the COM split from them) and
 * 984–989 (TAAF, Mayotte before 2011, Wallis-et-Futuna, Polynésie, Nouvelle-Calédonie,
 * Clipperton); 91–96 are kept because INSEE still carries them for people born in Algeria,
 * Morocco and Tunisia before independence.
 */
function nirDepartmentIssue(nir: string): boolean {
  const department = nir.slice(5, 7);
  if (department === '2A' || department === '2B') return false;
  if (department === '97') return !/^[1-8]$/.test(nir.charAt(7));
  if (department === '98') return !/^[4-9]$/.test(nir.charAt(7));
  if (department === '99') return false;
  return !(inRange(department, 1, 19) || inRange(department, 21, 96));
}

export function nirIssues(input: string): string[] {
  const nir = normalizeNir(input);
  const issues: string[] = [];
  if (nir.length !== 15) {
    issues.push('nir.length');
    if (!/^[0-9AB]*$/.test(nir)) issues.push('nir.format');
    return issues;
  }
  if (!/^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$/.test(nir)) return ['nir.format'];

  // 3/4 are provisional numbers for people not yet certified by INSEE, 7/8 temporary ones
  // (NIA) given by the CNAV to people born abroad; all of them reach a job seeker's file.
  if (!'123478'.includes(nir.charAt(0))) issues.push('nir.sex');
  if (!isNirMonth(nir.slice(3, 5))) issues.push('nir.month');
  if (nirDepartmentIssue(nir)) issues.push('nir.department');
  // Overseas departments take the 8th character, leaving two digits for the commune.
  const overseas = nir.startsWith('97', 5) || nir.startsWith('98', 5);
  const commune = overseas ? nir.slice(8, 10) : nir.slice(7, 10);
  if (/^0+$/.test(commune)) issues.push('nir.commune');
  if (nir.slice(10, 13) === '000') issues.push('nir.order');
  const key = nir.slice(13, 15);
  if (!inRange(key, 1, 97) || key !== nirControlKey(nir.slice(0, 13))) issues.push('nir.key');
  return issues;
}

export function isValidNir(input: string): boolean {
  return nirIssues(input).length === 0;
}

// ---------------------------------------------------------------------------------------------
// IBAN (ISO 13616) and BIC (ISO 9362)
// ---------------------------------------------------------------------------------------------

export function normalizeIban(input: string): string {
  return input.replace(/\s/g, '').toUpperCase();
}

export function ibanIssues(input: string): string[] {
  const iban = normalizeIban(input);
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/.test(iban)) return ['iban.format'];
  const spec = getCountrySpecifications()[iban.slice(0, 2)];
  // ibantools lists every ISO country; those without an IBAN scheme have no length.
  if (!spec?.chars) return ['iban.country'];

  const issues: string[] = [];
  const { errorCodes } = validateIBAN(iban);
  const lengthOk = iban.length === spec.chars;
  if (!lengthOk) issues.push('iban.length');
  // A BBAN of the wrong length necessarily fails its pattern too: report the cause only.
  // WrongAccountBankBranchChecksum is the national check (e.g. the French RIB key).
  if (
    lengthOk &&
    (errorCodes.includes(ValidationErrorsIBAN.WrongBBANFormat) ||
      errorCodes.includes(ValidationErrorsIBAN.WrongAccountBankBranchChecksum))
  ) {
    issues.push('iban.bban');
  }
  if (!hasIbanChecksum(iban)) issues.push('iban.checksum');
  return issues;
}

/**
 * ISO 7064 mod 97-10, computed here rather than read from ibantools, which also flags the
 * checksum whenever the BBAN pattern fails: 'iban.checksum' must mean a typo, nothing else.
 */
function hasIbanChecksum(iban: string): boolean {
  const digits = (iban.slice(4) + iban.slice(0, 4)).replace(/[A-Z]/g, (letter) => String(letter.charCodeAt(0) - 55));
  return BigInt(digits) % 97n === 1n;
}

export function isValidIban(input: string): boolean {
  return ibanIssues(input).length === 0;
}

export function formatIbanForDisplay(iban: string): string {
  return normalizeIban(iban).replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * Keeps what a person needs to recognise their own account (country, check digits, last 4)
 * and nothing that would let someone else reuse it. Too short to have a middle: only the
 * country survives, so a malformed value never leaks whole.
 */
export function maskIban(iban: string): string {
  const value = normalizeIban(iban);
  const masked =
    value.length > 8
      ? value.slice(0, 4) + '*'.repeat(value.length - 8) + value.slice(-4)
      : value.slice(0, 2) + '*'.repeat(Math.max(0, value.length - 2));
  return formatIbanForDisplay(masked);
}

/** BICs are stored as typed once trimmed and uppercased; inner spaces are a typing error. */
export function normalizeBic(input: string): string {
  return input.trim().toUpperCase();
}

export function bicIssues(input: string): string[] {
  const bic = normalizeBic(input);
  if (!/^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/.test(bic)) return ['bic.format'];
  // ibantools' table is the ISO 3166-1 alpha-2 list (plus XK, which SWIFT uses for Kosovo).
  if (!(bic.slice(4, 6) in getCountrySpecifications())) return ['bic.country'];
  return [];
}

export function isValidBic(input: string): boolean {
  return bicIssues(input).length === 0;
}

/**
 * Strict equality of country codes. Some banks in the overseas departments hold an FR IBAN
 * with a GP/MQ/RE… BIC, but no authoritative equivalence table was at hand, so such pairs are
 * reported as mismatches for a human to confirm rather than silently accepted.
 */
export function bicMatchesIbanCountry(bic: string, iban: string): boolean {
  if (!isValidBic(bic)) return false;
  const ibanCountry = normalizeIban(iban).slice(0, 2);
  return /^[A-Z]{2}$/.test(ibanCountry) && normalizeBic(bic).slice(4, 6) === ibanCountry;
}

// ---------------------------------------------------------------------------------------------
// Contact
// ---------------------------------------------------------------------------------------------

/**
 * Lowercasing the local part is technically lossy (RFC 5321 lets it be case-sensitive) but no
 * mainstream provider uses that, and one spelling per address is what deduplication needs.
 */
export function normalizeEmail(input: string): string {
  return input.trim().toLowerCase();
}

const EMAIL_LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LEVEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** Dot-atom syntax only: quoted local parts and IP literals are legal but never seen from real people. */
export function isValidEmail(input: string): boolean {
  const email = normalizeEmail(input);
  if (email.length > 254) return false;
  const at = email.lastIndexOf('@');
  if (at <= 0) return false;
  const local = email.slice(0, at);
  const labels = email.slice(at + 1).split('.');
  if (local.length > 64 || !EMAIL_LOCAL.test(local)) return false;
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) return false;
  return TOP_LEVEL.test(labels[labels.length - 1] ?? '');
}

/**
 * Overseas departments are dialled from France with a 0 + 9-digit number, like the mainland,
 * but internationally they have their own country codes. libphonenumber, given FR as default,
 * would turn '0690…' into '+33690…', a number that does not ring anywhere: these prefixes
 * (ARCEP national numbering plan) are moved to the right country code first.
 */
const OVERSEAS_PREFIXES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(?:590|690|691)/, '590'], // Guadeloupe, Saint-Barthélemy, Saint-Martin
  [/^(?:594|694)/, '594'], // Guyane
  [/^(?:596|696|697)/, '596'], // Martinique
  // 06 39 98 xx xx is carved out of Mayotte's block and reserved by ARCEP for fiction (films,
  // demo data such as the seed): it stays on +33, where the seed and the demos write it.
  [/^(?:262|263|269|639(?!98)|692|693)/, '262'], // La Réunion, Mayotte
];

// BL and MF are not departments but share Guadeloupe's +590 plan, so their numbers come out
// of the 0590/0690 ranges people type.
const FRENCH_PHONE_COUNTRIES: ReadonlySet<CountryCode> = new Set<CountryCode>([
  'FR',
  'GP',
  'MQ',
  'GF',
  'RE',
  'YT',
  'BL',
  'MF',
]);

export function normalizeFrenchPhone(input: string): string | undefined {
  let phone = parsePhoneNumberFromString(input.trim(), 'FR');
  if (phone?.countryCallingCode === '33') {
    const national = String(phone.nationalNumber);
    const overseas = OVERSEAS_PREFIXES.find(([prefix]) => prefix.test(national));
    if (overseas) phone = parsePhoneNumberFromString(`+${overseas[1]}${national}`);
  }
  if (!phone?.isValid() || !phone.country || !FRENCH_PHONE_COUNTRIES.has(phone.country)) return undefined;
  return phone.number;
}

export function isValidFrenchPhone(input: string): boolean {
  return normalizeFrenchPhone(input) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Geography, jobs, dates, France Travail
// ---------------------------------------------------------------------------------------------

/**
 * La Poste codes, not INSEE ones: Corsica keeps 20xxx, Saint-Barthélemy and Saint-Martin use
 * 971xx, Monaco's 980xx is foreign, and only the Pacific COM (986–988) are French 98xxx.
 */
export function isValidPostalCode(input: string): boolean {
  if (!/^[0-9]{5}$/.test(input)) return false;
  return inRange(input.slice(0, 2), 1, 95) || /^97[1-6]/.test(input) || /^98[6-8]/.test(input);
}

/** Code officiel géographique: the INSEE commune code, which is not the postal code. */
export function isValidInseeCommuneCode(input: string): boolean {
  const mainland = /^(?:0[1-9]|1[0-9]|2[1-9]|[3-8][0-9]|9[0-5]|2A|2B)([0-9]{3})$/.exec(input);
  if (mainland) return mainland[1] !== '000';
  const overseas = /^97[1-6]([0-9]{2})$/.exec(input);
  return overseas !== null && overseas[1] !== '00';
}

/** ROME families run from A (agriculture) to N (transport and logistics). */
export function isValidRomeCode(input: string): boolean {
  return /^[A-N][0-9]{4}$/.test(input);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** 1900–2100 bounds every date a living job seeker's file can carry and catches 0202-style typos. */
export function isValidIsoDate(input: string): boolean {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(input);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1900 || year > 2100 || month < 1 || month > 12) return false;
  return day >= 1 && day <= daysInMonth(year, month);
}

export function normalizeFranceTravailId(input: string): string {
  return input.trim().toUpperCase();
}

export function isValidFranceTravailId(input: string): boolean {
  return /^[0-9]{7}[A-Z0-9]$/.test(normalizeFranceTravailId(input));
}
