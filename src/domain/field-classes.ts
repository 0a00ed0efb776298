/**
 * A field class is the unit of access and of encryption (DESIGN.md §3): a policy decision
 * names field classes, and each class of each person has its own data key.
 */
export const FIELD_CLASSES = [
  'identity',
  'nir',
  'contact',
  'id_document',
  'registration',
  'career',
  'follow_up',
  'benefits',
  'bank',
  'health',
  'judicial',
] as const;

export type FieldClass = (typeof FIELD_CLASSES)[number];

/** GDPR Art. 9 (health) and Art. 10 (criminal matters), plus the identifiers that fraudsters reuse. */
export const SENSITIVE_FIELD_CLASSES: ReadonlySet<FieldClass> = new Set<FieldClass>([
  'nir',
  'bank',
  'health',
  'judicial',
]);

export const FIELD_CLASS_LABELS_FR: Readonly<Record<FieldClass, string>> = {
  identity: 'Identité',
  nir: 'Numéro de sécurité sociale (NIR)',
  contact: 'Coordonnées',
  id_document: "Pièce d'identité",
  registration: 'Inscription',
  career: 'Parcours professionnel',
  follow_up: 'Accompagnement',
  benefits: 'Indemnisation',
  bank: 'Coordonnées bancaires',
  health: 'Santé (RQTH)',
  judicial: 'Mesures de justice',
};
