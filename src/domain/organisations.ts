/**
 * The kinds of organisation of the réseau pour l'emploi (DESIGN.md §3) and the roles their
 * actors hold. Both are closed lists: the database refuses another kind (migration 0023), and
 * what each role may do lives in the agreements (person data) and in the platform's abilities
 * table (`policy/abilities.ts`, everything else). Adding a kind or a role starts here; the
 * compiler then names the tables that must say what it may do.
 */
export const ORGANISATION_KINDS = [
  'agency',
  'region',
  'departement',
  'commune',
  'mission_locale',
  'cap_emploi',
  'caf',
  'msa',
  'training_body',
  'subcontractor',
  // An employer sending end-of-contract certificates from its payroll system (issue 25 §3).
  'employer',
  // A France Services house whose agents (« aidants ») act for a person under their mandate (issue 25 §4).
  'france_services',
] as const;

export type OrganisationKind = (typeof ORGANISATION_KINDS)[number];

/** France Travail's own organisations run the platform: the security desk and the DPO sit there. */
export const PLATFORM_KINDS: readonly OrganisationKind[] = ['agency'];

export const ROLES = [
  'counsellor',
  'indemnisation_agent',
  'bank_controller',
  'partner_staff',
  'call_centre_operator',
  // A France Services agent helping a person with their steps, only under that person's mandate.
  'aidant',
  'partner_system',
  'org_admin',
  'security_officer',
  'dpo',
  'bootstrap_admin',
] as const;

export type Role = (typeof ROLES)[number];

/** The roles as people say them (the banner, the desk): never `indemnisation_agent` in a sentence. */
export const ROLE_LABELS_FR: Readonly<Record<Role, string>> = {
  counsellor: 'conseiller',
  indemnisation_agent: 'agent d’indemnisation',
  bank_controller: 'contrôleur bancaire',
  partner_staff: 'agent partenaire',
  call_centre_operator: 'téléconseiller',
  aidant: 'aidant France Services',
  partner_system: 'système d’information partenaire',
  org_admin: 'administrateur des comptes',
  security_officer: 'responsable de la sécurité',
  dpo: 'délégué à la protection des données',
  bootstrap_admin: 'administrateur d’amorçage',
};

/** A role's French name, or the role itself for one this version does not know. */
export function roleLabel(role: string): string {
  return isRole(role) ? ROLE_LABELS_FR[role] : role;
}

export function isOrganisationKind(value: string): value is OrganisationKind {
  return (ORGANISATION_KINDS as readonly string[]).includes(value);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isPlatform(kind: string): boolean {
  return (PLATFORM_KINDS as readonly string[]).includes(kind);
}
