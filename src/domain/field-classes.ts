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

/**
 * Sensitive: GDPR Art. 9 (health) and Art. 10 (criminal matters), plus the identifiers that
 * fraudsters reuse. A new class must say whether it is one; the incident's totals, the CNIL
 * draft and the desk follow.
 */
const SENSITIVITY = {
  identity: false,
  nir: true,
  contact: false,
  id_document: false,
  registration: false,
  career: false,
  follow_up: false,
  benefits: false,
  bank: true,
  health: true,
  judicial: true,
} as const satisfies Record<FieldClass, boolean>;

export type SensitiveFieldClass = { [C in FieldClass]: (typeof SENSITIVITY)[C] extends true ? C : never }[FieldClass];

export const SENSITIVE_FIELD_CLASSES: readonly SensitiveFieldClass[] = FIELD_CLASSES.filter(
  (c): c is SensitiveFieldClass => SENSITIVITY[c],
);

export function isSensitive(fieldClass: FieldClass): fieldClass is SensitiveFieldClass {
  return SENSITIVITY[fieldClass];
}

/** The one French name of each class, wherever a person, an agent or the CNIL reads it. */
export const FIELD_CLASS_LABELS_FR: Readonly<Record<FieldClass, string>> = {
  identity: 'Identité',
  nir: 'Numéro de sécurité sociale (NIR)',
  contact: 'Coordonnées',
  id_document: 'Pièce d’identité',
  registration: 'Inscription',
  career: 'Parcours professionnel',
  follow_up: 'Suivi et accompagnement',
  benefits: 'Allocations et paiements',
  bank: 'Coordonnées bancaires',
  health: 'Santé (RQTH, restrictions)',
  judicial: 'Mesures de justice',
};
