import { ValidationError, type ValidationIssue } from './errors.ts';
import { bicIssues, ibanIssues, normalizeBic, normalizeIban } from './validators.ts';

/**
 * Allowances are paid by SEPA credit transfer: an IBAN of a country outside the SEPA scheme
 * (valid as it may be) cannot receive them. EU and EEA members, then the other participants
 * (EPC list, 2025); the French overseas departments and collectivities use FR IBANs.
 */
export const SEPA_COUNTRIES: ReadonlySet<string> = new Set([
  'AT',
  'BE',
  'BG',
  'CY',
  'CZ',
  'DE',
  'DK',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'HU',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SE',
  'SI',
  'SK',
  'IS',
  'LI',
  'NO',
  'AD',
  'AL',
  'CH',
  'GB',
  'GI',
  'MC',
  'MD',
  'ME',
  'MK',
  'SM',
  'VA',
]);

const IBAN_MESSAGES: Record<string, string> = {
  'iban.format':
    'IBAN illisible : il commence par 2 lettres (le pays) et 2 chiffres de contrôle, suivis du numéro de compte.',
  'iban.country': 'IBAN invalide : ce code pays n’existe pas ou n’utilise pas l’IBAN.',
  'iban.length':
    'IBAN invalide : sa longueur ne correspond pas à celle de ce pays (27 caractères pour la France). Un caractère manque ou est en trop.',
  'iban.bban':
    'IBAN invalide : le numéro de compte ne suit pas le format de ce pays (pour la France, la clé RIB ne correspond pas).',
  'iban.checksum':
    'IBAN invalide : les 2 chiffres de contrôle ne correspondent pas. Vérifiez qu’aucun caractère n’a été mal recopié.',
};

const BIC_MESSAGES: Record<string, string> = {
  'bic.format':
    'BIC invalide : 8 ou 11 caractères, 4 lettres pour la banque, 2 lettres pour le pays, 2 caractères pour la localité, 3 facultatifs pour l’agence.',
  'bic.country': 'BIC invalide : le code pays (5e et 6e caractères) n’existe pas.',
};

export interface BankDetailsInput {
  iban: string;
  bic: string;
  holder: string;
}

/** The names a holder line is compared with: birth name, usage name, given names. */
export interface HolderIdentity {
  lastName: string;
  usageName?: string | undefined;
  firstNames: readonly string[];
}

/** Upper case, no accents, words only: "Mme Lefèvre-Dupont Zoé" → ["MME", "LEFEVRE", "DUPONT", "ZOE"]. */
export function nameWords(value: string): string[] {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
}

/**
 * The holder line must name the person: every word of their birth or usage name, and their
 * first given name (or its initial, as banks often print it). Civilities, "OU"/"ET" of joint
 * accounts and a co-holder's names may surround it. A line that does not name them is an
 * account someone else holds: the allowance would be paid to a third party.
 */
export function holderNamesPerson(holder: string, identity: HolderIdentity): boolean {
  const words = nameWords(holder);
  const present = new Set(words);
  const surnames = [identity.lastName, identity.usageName].filter((n): n is string => Boolean(n)).map(nameWords);
  const surnameFound = surnames.some((surname) => surname.length > 0 && surname.every((w) => present.has(w)));
  if (!surnameFound) return false;
  const first = nameWords(identity.firstNames[0] ?? '');
  if (first.length === 0) return true;
  const fullFirst = first.every((w) => present.has(w));
  const initial = words.some((w) => w.length === 1 && w === first[0]![0]);
  return fullFirst || initial;
}

/**
 * Every reason new bank details cannot be used, each naming its field, in plain French: the
 * IBAN (ISO 13616 length and mod-97, national check), its country (SEPA only), the BIC (ISO
 * 9362) and its country against the IBAN's, and the holder against the person's names.
 */
export function bankDetailsIssues(input: BankDetailsInput, identity: HolderIdentity | undefined): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const iban = normalizeIban(input.iban);
  const ibanRules = ibanIssues(iban);
  for (const rule of ibanRules) issues.push({ field: 'iban', rule, message: IBAN_MESSAGES[rule] ?? 'IBAN invalide.' });
  if (ibanRules.length === 0 && !SEPA_COUNTRIES.has(iban.slice(0, 2))) {
    issues.push({
      field: 'iban',
      rule: 'iban.country_unsupported',
      message: `Les allocations sont versées par virement SEPA : un compte ouvert dans ce pays (${iban.slice(0, 2)}) ne peut pas les recevoir. Indiquez un compte dans l’espace SEPA.`,
    });
  }
  const bic = normalizeBic(input.bic);
  const bicRules = bicIssues(bic);
  for (const rule of bicRules) issues.push({ field: 'bic', rule, message: BIC_MESSAGES[rule] ?? 'BIC invalide.' });
  const ibanCountryKnown = !ibanRules.includes('iban.format') && !ibanRules.includes('iban.country');
  if (bicRules.length === 0 && ibanCountryKnown && bic.slice(4, 6) !== iban.slice(0, 2)) {
    issues.push({
      field: 'bic',
      rule: 'bic.country_mismatch',
      message: `Le BIC désigne une banque d’un autre pays (${bic.slice(4, 6)}) que celui de l’IBAN (${iban.slice(0, 2)}) : vérifiez-les sur votre RIB.`,
    });
  }
  const holder = input.holder.trim();
  if (nameWords(holder).length === 0) {
    issues.push({
      field: 'holder',
      rule: 'holder.required',
      message: 'Indiquez le titulaire du compte, tel qu’il figure sur le RIB.',
    });
  } else if (identity && !holderNamesPerson(holder, identity)) {
    issues.push({
      field: 'holder',
      rule: 'holder.mismatch',
      message:
        'Le titulaire du compte doit être vous : votre nom et votre prénom (ou son initiale) doivent figurer sur le RIB. Un compte au nom d’un tiers ne peut pas recevoir vos allocations.',
    });
  }
  return issues;
}

/** One spelling of the details once they are valid. */
export function canonicalBankDetails(input: BankDetailsInput): BankDetailsInput {
  return {
    iban: normalizeIban(input.iban),
    bic: normalizeBic(input.bic),
    holder: input.holder.trim().replace(/\s+/g, ' ').toUpperCase(),
  };
}

/**
 * Bank details never change through a plain update of the file: only the change procedure
 * (checks, notices to the person, cooling-off) may move where an allowance is paid.
 */
export function assertNoDirectBankWrite(patch: { bank?: unknown }, route: string): void {
  if (patch.bank === undefined) return;
  throw new ValidationError([
    {
      field: 'body.bank',
      rule: 'bank.change_procedure',
      message: `Les coordonnées bancaires ne se modifient pas par une mise à jour du dossier : utilisez ${route} (contrôles, avis à la personne, délai de sécurité).`,
    },
  ]);
}
