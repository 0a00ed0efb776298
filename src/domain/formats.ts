/**
 * The domain validators exposed as JSON Schema `format`s, so that the API schemas, the OpenAPI
 * document and the store all reject the same values for the same reasons.
 */
import Format from 'typebox/format';
import {
  isValidBic,
  isValidEmail,
  isValidFranceTravailId,
  isValidFrenchPhone,
  isValidIban,
  isValidInseeCommuneCode,
  isValidIsoDate,
  isValidNir,
  isValidPostalCode,
  isValidRomeCode,
} from './validators.ts';

// 'email' and 'date' replace TypeBox's built-ins on purpose: the domain rules are stricter
// (no quoted local parts, years 1900–2100) and one definition must win everywhere.
export const DOMAIN_FORMATS = {
  nir: isValidNir,
  iban: isValidIban,
  bic: isValidBic,
  email: isValidEmail,
  'phone-fr': isValidFrenchPhone,
  'postal-code-fr': isValidPostalCode,
  'insee-commune': isValidInseeCommuneCode,
  rome: isValidRomeCode,
  date: isValidIsoDate,
  'france-travail-id': isValidFranceTravailId,
} as const satisfies Record<string, (value: string) => boolean>;

export type DomainFormat = keyof typeof DOMAIN_FORMATS;

export const FORMAT_MESSAGES_FR: Readonly<Record<DomainFormat, string>> = {
  nir: 'NIR invalide : 15 caractères (13 + clé de contrôle), la clé vaut 97 − (numéro modulo 97) ; Corse : 2A ou 2B.',
  iban: 'IBAN invalide : code pays, 2 chiffres de contrôle puis le numéro de compte, à la longueur fixée pour ce pays (27 caractères pour la France) ; la clé de contrôle ne correspond pas ou le pays n’utilise pas l’IBAN.',
  bic: 'BIC invalide : 8 ou 11 caractères, 4 lettres pour la banque, 2 lettres pour un code pays existant, 2 caractères pour la localité, 3 facultatifs pour l’agence.',
  email: 'Adresse e-mail invalide : nom@domaine.extension, sans espace, 254 caractères au plus.',
  'phone-fr':
    'Numéro de téléphone invalide : numéro français de métropole ou des départements d’outre-mer, par exemple 06 12 34 56 78 ou +33 6 12 34 56 78.',
  'postal-code-fr': 'Code postal invalide : 5 chiffres, commençant par 01 à 95, 971 à 976 ou 986 à 988.',
  'insee-commune':
    'Code commune INSEE invalide : 5 caractères, le département (01 à 95, 2A, 2B, ou 971 à 976) suivi du numéro de commune ; ce n’est pas le code postal.',
  rome: 'Code ROME invalide : une lettre de A à N suivie de 4 chiffres, par exemple M1607.',
  date: 'Date invalide : format AAAA-MM-JJ, date existante du calendrier, année entre 1900 et 2100.',
  'france-travail-id':
    'Identifiant France Travail invalide : 7 chiffres suivis d’une lettre majuscule ou d’un chiffre, par exemple 1234567A.',
};

/** Safe to call from every module that compiles schemas: setting the same function twice is a no-op. */
export function registerDomainFormats(): void {
  for (const [name, check] of Object.entries(DOMAIN_FORMATS)) {
    if (Format.Get(name) !== check) Format.Set(name, check);
  }
}
