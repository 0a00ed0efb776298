/** French names of the guard's signals, gate requirements and incident actions, as the desk reads them. */
const SIGNAL_LABELS: Record<string, string> = {
  honeytoken: 'Lecture d’un dossier leurre',
  budget_hour_hard: 'Budget horaire dépassé',
  budget_day_hard: 'Budget journalier dépassé',
  budget_hour_soft: 'Budget horaire presque atteint',
  budget_day_soft: 'Budget journalier presque atteint',
  agreement_ceiling: 'Plafond de la convention atteint',
  agreement_ceiling_soft: 'Plafond de la convention presque atteint',
  baseline_surge: 'Activité très supérieure à l’habitude',
  circuit_breaker: 'Organisation coupée (plusieurs comptes confinés)',
  enumeration_alphabetical: 'Balayage alphabétique',
  enumeration_misses: 'Recherches sans résultat en série',
  enumeration_sequential: 'Balayage d’identifiants consécutifs',
  many_readers: 'Même dossier lu par de nombreux agents',
  new_account_burst: 'Compte récent très actif',
  new_network: 'Accès depuis un réseau inhabituel',
  no_follow_up: 'Lectures sans suite donnée',
  off_hours: 'Accès hors des heures de travail',
  organisation_alerting: 'Plusieurs comptes de l’organisation en alerte',
  probing: 'Tentatives sur des dossiers hors périmètre',
  session_moved: 'Session utilisée depuis un autre poste',
};

export function signalLabel(signal: string): string {
  return SIGNAL_LABELS[signal] ?? signal;
}

const REQUIREMENT_LABELS: Record<string, string> = {
  mfa_enforced: 'Second facteur obligatoire',
  agreement_valid: 'Convention en vigueur',
  security_contact: 'Référent sécurité désigné',
  network_ranges: 'Réseaux déclarés',
  security_audit: 'Audit de sécurité à jour',
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
