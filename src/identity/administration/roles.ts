/**
 * Who may hold which role, by kind of organisation: an organisation's administrators can only
 * hand out the roles that make sense there. Platform roles (security officer, DPO, bootstrap
 * administrator) are never granted through account administration.
 */
export const GRANTABLE_ROLES: Readonly<Record<string, readonly string[]>> = {
  agency: ['counsellor', 'indemnisation_agent', 'org_admin'],
  mission_locale: ['partner_staff', 'org_admin'],
  cap_emploi: ['partner_staff', 'org_admin'],
  departement: ['partner_staff', 'org_admin'],
  region: ['partner_staff', 'org_admin'],
  caf: ['partner_staff', 'org_admin'],
  training_body: ['partner_staff', 'org_admin'],
  subcontractor: ['call_centre_operator', 'org_admin'],
};

export const ORG_ADMIN_ROLE = 'org_admin';

export function grantableRoles(organisationKind: string): readonly string[] {
  return GRANTABLE_ROLES[organisationKind] ?? [];
}
