/**
 * What a field is called in a sentence, by the last part of its path (`body.bank.iban` → `iban`):
 * an error says « Saisissez l’IBAN », not « body.iban: au moins 1 caractère(s) ». Fields not named
 * here are called « ce champ ».
 */
const LABELS: Readonly<Record<string, { the: string; gender: 'm' | 'f' }>> = {
  iban: { the: 'l’IBAN', gender: 'm' },
  bic: { the: 'le BIC', gender: 'm' },
  holder: { the: 'le titulaire du compte', gender: 'm' },
  nir: { the: 'le NIR', gender: 'm' },
  franceTravailId: { the: 'l’identifiant France Travail', gender: 'm' },
  lastName: { the: 'le nom', gender: 'm' },
  usageName: { the: 'le nom d’usage', gender: 'm' },
  firstName: { the: 'le prénom', gender: 'm' },
  firstNames: { the: 'les prénoms', gender: 'm' },
  birthDate: { the: 'la date de naissance', gender: 'f' },
  birthPlace: { the: 'le lieu de naissance', gender: 'm' },
  email: { the: 'l’adresse électronique', gender: 'f' },
  phone: { the: 'le numéro de téléphone', gender: 'm' },
  address: { the: 'l’adresse', gender: 'f' },
  line1: { the: 'l’adresse', gender: 'f' },
  postalCode: { the: 'le code postal', gender: 'm' },
  communeCode: { the: 'le code INSEE de la commune', gender: 'm' },
  commune: { the: 'la commune', gender: 'f' },
  password: { the: 'le mot de passe', gender: 'm' },
  currentPassword: { the: 'le mot de passe actuel', gender: 'm' },
  newPassword: { the: 'le nouveau mot de passe', gender: 'm' },
  secondFactorCode: { the: 'le code de second facteur', gender: 'm' },
  login: { the: 'l’identifiant de connexion', gender: 'm' },
  code: { the: 'le code', gender: 'm' },
  justification: { the: 'la justification', gender: 'f' },
  caseReference: { the: 'la référence du dossier', gender: 'f' },
  purpose: { the: 'la finalité', gender: 'f' },
  comment: { the: 'le commentaire', gender: 'm' },
  reason: { the: 'le motif', gender: 'm' },
  name: { the: 'le nom', gender: 'm' },
  label: { the: 'le libellé', gender: 'm' },
  title: { the: 'le titre', gender: 'm' },
  summary: { the: 'le résumé', gender: 'm' },
  description: { the: 'la description', gender: 'f' },
  note: { the: 'la note', gender: 'f' },
  at: { the: 'la date et l’heure', gender: 'f' },
  date: { the: 'la date', gender: 'f' },
  kind: { the: 'le type', gender: 'm' },
  page: { the: 'le numéro de page', gender: 'm' },
  pageSize: { the: 'le nombre de lignes par page', gender: 'm' },
  sort: { the: 'l’ordre de tri', gender: 'm' },
  q: { the: 'le texte du filtre', gender: 'm' },
  classes: { the: 'les classes de données', gender: 'f' },
  // An employer's end-of-contract certificate (issue 25 §3).
  person: { the: 'la personne', gender: 'f' },
  employerReference: { the: 'la référence de l’attestation', gender: 'f' },
  supersedes: { the: 'l’attestation corrigée', gender: 'f' },
  employment: { the: 'la période d’emploi', gender: 'f' },
  from: { the: 'la date de début', gender: 'f' },
  to: { the: 'la date de fin', gender: 'f' },
  contractKind: { the: 'le type de contrat', gender: 'm' },
  jobTitle: { the: 'l’emploi occupé', gender: 'm' },
  endReason: { the: 'le motif de fin de contrat', gender: 'm' },
  salaries: { the: 'les salaires de la période de référence', gender: 'm' },
  month: { the: 'le mois', gender: 'm' },
  grossCents: { the: 'le salaire brut (en centimes)', gender: 'm' },
  indemnities: { the: 'les indemnités', gender: 'f' },
  amountCents: { the: 'le montant (en centimes)', gender: 'm' },
  // A registration (issue 25 §1).
  sex: { the: 'le sexe', gender: 'm' },
  soughtJobs: { the: 'les métiers recherchés', gender: 'm' },
  romeCode: { the: 'le métier (code ROME)', gender: 'm' },
  availableFrom: { the: 'la date de disponibilité', gender: 'f' },
  workingTime: { the: 'le temps de travail recherché', gender: 'm' },
  contract: { the: 'le type de contrat recherché', gender: 'm' },
  maxDistanceKm: { the: 'la distance maximale de déplacement', gender: 'f' },
  transport: { the: 'les moyens de déplacement', gender: 'm' },
  drivingLicence: { the: 'le permis de conduire', gender: 'm' },
  hoursLastMonth: { the: 'le nombre d’heures travaillées le mois dernier', gender: 'm' },
};

/** « l’IBAN », « la date de naissance », or « ce champ ». */
export function fieldLabel(field: string): string {
  const parts = field.split('.').filter((p) => !/^\d+$/.test(p));
  return LABELS[parts[parts.length - 1] ?? '']?.the ?? 'ce champ';
}

/** The label with a capital, to start a sentence. */
export function FieldLabel(field: string): string {
  const label = fieldLabel(field);
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/**
 * Field-specific sentences, where the rule alone says too little: the NIR's and the IBAN's shape.
 * Keyed by the last part of the path, then by the rule (or `*` for any rule).
 */
export const FIELD_SENTENCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  nir: {
    '*': 'Le NIR comporte 13 chiffres et sa clé de 2 chiffres (2A ou 2B pour la Corse).',
  },
  iban: {
    '*': 'L’IBAN commence par le code du pays et 2 chiffres de contrôle (FR76…) ; un IBAN français compte 27 caractères.',
  },
  franceTravailId: {
    '*': 'L’identifiant France Travail comporte 7 chiffres suivis d’une lettre ou d’un chiffre.',
  },
  caseReference: {
    '*': 'La référence du dossier compte de 3 à 64 caractères : lettres, chiffres et . _ : / -.',
  },
  salaries: {
    minItems: 'Déclarez au moins un mois de salaire de la période de référence.',
    maxItems: 'Les salaires de la période de référence couvrent 12 mois au plus.',
  },
  indemnities: {
    maxItems: 'Les indemnités comptent 10 lignes au plus.',
  },
  soughtJobs: {
    minItems: 'Choisissez au moins un métier recherché.',
    maxItems: 'Choisissez 10 métiers recherchés au plus.',
  },
  romeCode: {
    '*': 'Le code ROME compte une lettre et 4 chiffres (par exemple M1607) : choisissez le métier dans la liste.',
  },
  maxDistanceKm: {
    '*': 'La distance maximale de déplacement est un nombre entier de kilomètres, de 0 à 1 000.',
  },
  drivingLicence: {
    '*': 'Dites si vous avez le permis de conduire B.',
  },
  secondFactorCode: {
    '*': 'Le code de second facteur compte 6 chiffres (application d’authentification) ou 10 caractères (code de secours).',
  },
};
