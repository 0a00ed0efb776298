// The module itself, not the domain's index: the browser reads this table too (web/src/app/session.tsx).
import { isOrganisationKind, isPlatform, type OrganisationKind, type Role } from '../domain/organisations.ts';

/**
 * The platform's own rules: who may do what on the security desk, in account administration
 * and on the ledger. The agreements decide access to person data; everything else a role
 * allows is one row here, read as a sentence — `allow(roles, verb, subject, within)` — and
 * anything without a row is refused. docs/access-matrix.md prints this table beside the
 * agreements' matrix (`npm run matrix`).
 *
 * `within` is where the holder's organisation must be: `platform` (France Travail's own
 * organisations, `PLATFORM_KINDS`) or `any`. Whether the account, actor and organisation are
 * active is the caller's check, as each route or workflow always made it.
 */
export type Within = 'platform' | 'any';

export interface AbilityRow<Verb extends string = string, Subject extends string = string> {
  roles: readonly Role[];
  verb: Verb;
  subject: Subject;
  within: Within;
}

function allow<const Verb extends string, const Subject extends string>(
  roles: readonly Role[],
  verb: Verb,
  subject: Subject,
  within: Within = 'any',
): AbilityRow<Verb, Subject> {
  return { roles, verb, subject, within };
}

export const ABILITIES = [
  // The security desk (/bureau): alerts, containments, posture and derogations, incidents,
  // exports, accesses reported by the persons. The DPO reads; the security officer acts.
  allow(['security_officer', 'dpo'], 'read', 'desk'),
  allow(['security_officer'], 'act_on', 'desk'),
  allow(['security_officer'], 'review', 'break_glass'),
  // Four eyes on the incident desk: a security officer asks, another one or the DPO decides.
  allow(['security_officer'], 'request', 'incident_step', 'platform'),
  allow(['security_officer', 'dpo'], 'decide', 'incident_step', 'platform'),
  // Bulk exports: one officer asks, another approves or refuses.
  allow(['security_officer', 'dpo'], 'request', 'export', 'platform'),
  allow(['security_officer', 'dpo'], 'decide', 'export', 'platform'),
  // Who is told at once, by mail, of the guard's alerts and containments and of a contested or
  // unfollowed change of bank details. Any organisation, as these alerts always went: the role
  // itself is the platform's only (never grantable by an organisation's administrators).
  allow(['security_officer'], 'receive', 'security_alerts'),
  // Rights requests (GDPR Art. 12, 15–21): an agency's desk or the DPO records one received
  // outside the espace; the DPO works the queue (states, extension, answer) and hears of any overdue.
  allow(['counsellor', 'dpo'], 'record', 'rights_requests', 'platform'),
  allow(['dpo'], 'work', 'rights_requests', 'platform'),
  allow(['dpo'], 'receive', 'rights_request_alerts', 'platform'),
  // Restriction of processing (Art. 18): the DPO withholds classes of a person from every purpose, and lifts it.
  allow(['dpo'], 'restrict', 'processing', 'platform'),
  // Rectification (Art. 16): the DPO writes the right value answering a request, and reads the one it replaced.
  allow(['dpo'], 'rectify', 'person_data', 'platform'),
  // Its notices (Art. 19): the staff of an organisation that read the class see them and say their copies are corrected.
  allow(['counsellor', 'indemnisation_agent', 'partner_staff', 'org_admin'], 'acknowledge', 'rectification_notices'),
  // The paper channel (issue 25 §5): the security desk runs the mail room (prints the letters,
  // records them posted or returned); an agency's agent records a person's choice of paper.
  allow(['security_officer'], 'handle', 'paper_letters', 'platform'),
  allow(['counsellor'], 'record', 'correspondence_preference', 'platform'),
  // Mandates to an aidant (issue 25 §4): an agency's agent records a person's letter withdrawing one.
  allow(['counsellor'], 'record', 'mandate_revocation_letters', 'platform'),
  // Registration (issue 25 §1): an agency's counsellor registers a person at the desk or keys in a
  // signed paper form, with the person's consent, and hands over or posts the receipt.
  allow(['counsellor'], 'register', 'persons', 'platform'),
  // A registration that matched a file (by NIR, or by name and birth date) is held: an agency's
  // counsellor compares it with the matched files (each read recorded) and decides, never merged.
  allow(['counsellor'], 'review', 'registration_duplicates', 'platform'),
  // Retention (issue 24 §2): the DPO puts rules in force and sets and lifts litigation holds.
  allow(['dpo'], 'manage', 'retention', 'platform'),
  // The ledger.
  allow(['security_officer', 'dpo'], 'issue', 'checkpoint'),
  // Administration: an organisation's administrators, over its own accounts (never alone).
  allow(['org_admin'], 'administer', 'accounts'),
  // Loading files outside the agreements, with an API token.
  allow(['bootstrap_admin'], 'load', 'person_files'),
] as const;

type AnyAbility = (typeof ABILITIES)[number];
export type AbilitySubject = AnyAbility['subject'];
export type AbilityVerb<S extends AbilitySubject = AbilitySubject> = Extract<AnyAbility, { subject: S }>['verb'];

/** Who asks: an actor's roles and its organisation's kind. */
export interface AbilityHolder {
  roles: readonly string[];
  organisationKind: string;
}

function rowOf<S extends AbilitySubject>(verb: AbilityVerb<S>, subject: S): AbilityRow {
  return ABILITIES.find((row) => row.verb === verb && row.subject === subject)!;
}

/** May this holder do `verb` on `subject`? Deny unless a row allows it. */
export function can<S extends AbilitySubject>(holder: AbilityHolder, verb: AbilityVerb<S>, subject: S): boolean {
  const row = rowOf(verb, subject);
  return (
    (row.within === 'any' || isPlatform(holder.organisationKind)) &&
    holder.roles.some((role) => (row.roles as readonly string[]).includes(role))
  );
}

/** The roles a row names: for a message that says who may, never to decide. */
export function rolesAllowedTo<S extends AbilitySubject>(verb: AbilityVerb<S>, subject: S): readonly Role[] {
  return rowOf(verb, subject).roles;
}

/**
 * The roles an organisation's administrators may hand out, by kind: those that make sense
 * there. The platform's roles (security officer, DPO, bootstrap administrator, bank
 * controller) are never granted through account administration. Every kind has its entry.
 */
export const GRANTABLE_ROLES: Readonly<Record<OrganisationKind, readonly Role[]>> = {
  agency: ['counsellor', 'indemnisation_agent', 'org_admin'],
  mission_locale: ['partner_staff', 'org_admin'],
  cap_emploi: ['partner_staff', 'org_admin'],
  departement: ['partner_staff', 'org_admin'],
  region: ['partner_staff', 'org_admin'],
  commune: ['partner_staff', 'org_admin'],
  caf: ['partner_staff', 'org_admin'],
  msa: ['partner_staff', 'org_admin'],
  training_body: ['partner_staff', 'org_admin'],
  subcontractor: ['call_centre_operator', 'org_admin'],
  // An employer's staff reach nothing: its payroll system (a machine client) sends certificates.
  employer: ['org_admin'],
  // A France Services house: its aidants act for a person only under that person's mandate.
  france_services: ['aidant', 'org_admin'],
};

export function grantableRoles(organisationKind: string): readonly Role[] {
  return isOrganisationKind(organisationKind) ? GRANTABLE_ROLES[organisationKind] : [];
}
