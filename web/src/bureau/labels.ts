/** French names of the gate requirements and incident actions, as the desk reads them; the guard's signals are named by the guard. */
export { signalLabel } from '../../../src/guard/signal-labels.ts';

const REQUIREMENT_LABELS: Record<string, string> = {
  mfa_enforced: 'Second facteur obligatoire',
  agreement_valid: 'Convention en vigueur',
  security_contact: 'Référent sécurité désigné',
  network_ranges: 'Réseaux déclarés',
  security_audit: 'Audit de sécurité à jour',
  dpia_measures_implemented: 'Mesures de l’AIPD mises en œuvre et prouvées',
  security_baseline_attested: 'Socle de sécurité attesté',
};

export function requirementLabel(requirement: string): string {
  return REQUIREMENT_LABELS[requirement] ?? requirement;
}

export const ACTION_LABELS: Record<string, string> = {
  revoke_access: 'Révoquer les sessions et jetons des identités compromises',
  force_reenrolment: 'Forcer la réinitialisation du mot de passe et des seconds facteurs',
  hold_bank_changes: 'Surveiller les changements de coordonnées bancaires des personnes exposées',
  check_decoys: 'Contrôler les dossiers leurres consultés',
  check_exports: 'Contrôler les exports de fichiers',
};

/** Mirrors src/incidents/four-eyes.ts: what waits for a second person of the desk (the API decides either way). */
export const FOUR_EYES_ACTIONS: readonly string[] = ['force_reenrolment'];
export const PERSONAL_DOCUMENTS: readonly string[] = ['letters_pdf', 'scope_csv'];
export const REQUEST_STATUS_LABELS: Record<string, string> = {
  pending: 'en attente',
  approved: 'approuvée, à télécharger',
  executed: 'approuvée et exécutée',
  used: 'téléchargée',
  refused: 'refusée',
  expired: 'expirée',
  failed: 'en échec',
};

export const ADMIN_REQUEST_LABELS: Record<string, string> = {
  create_staff_account: 'Création d’un compte',
  grant_roles: 'Attribution de rôles',
  reset_staff_credentials: 'Réinitialisation des identifiants',
  register_machine_client: 'Raccordement d’un système partenaire',
};

export const RISK_LABELS: Record<string, string> = {
  low: 'faible',
  medium: 'moyen',
  high: 'élevé',
  critical: 'critique',
};

export const ALERT_KIND_LABELS: Record<string, string> = {
  signal_alert: 'Alerte',
  signal_contain: 'Motif de confinement',
  containment: 'Confinement',
};
