/**
 * The guard's signals in French, for every title a person reads (the desk's pages, the alert
 * e-mails): a code such as `enumeration_sequential` is for machines (metrics, the API), never a title.
 */
export const SIGNAL_LABELS: Readonly<Record<string, string>> = {
  honeytoken: 'Lecture d’un dossier leurre',
  budget_hour_hard: 'Budget horaire dépassé',
  budget_day_hard: 'Budget journalier dépassé',
  budget_hour_soft: 'Budget horaire presque atteint',
  budget_day_soft: 'Budget journalier presque atteint',
  agreement_ceiling: 'Plafond de la convention atteint',
  agreement_ceiling_soft: 'Plafond de la convention presque atteint',
  baseline_surge: 'Activité très supérieure à l’habitude',
  booking_burst: 'Rendez-vous pris en rafale',
  circuit_breaker: 'Organisation coupée (plusieurs comptes confinés)',
  enumeration_alphabetical: 'Balayage alphabétique',
  enumeration_misses: 'Recherches sans résultat en série',
  enumeration_sequential: 'Balayage d’identifiants consécutifs',
  list_sweep: 'Liste de personnes plus longue qu’aucun portefeuille',
  many_readers: 'Même dossier lu par de nombreux agents',
  new_account_burst: 'Compte récent très actif',
  new_network: 'Accès depuis un réseau inhabituel',
  no_follow_up: 'Lectures sans suite donnée',
  off_hours: 'Accès hors des heures de travail',
  organisation_alerting: 'Plusieurs comptes de l’organisation en alerte',
  probing: 'Tentatives sur des dossiers hors périmètre',
  session_moved: 'Session utilisée depuis un autre poste',
  unexplained_reads: 'Lectures que le travail du jour n’explique pas',
  unexplained_reads_soft: 'Lectures peu expliquées par le travail du jour',
};

/** The signal's French name; an unknown one is said to be a signal, its code kept aside. */
export function signalLabel(signal: string): string {
  return SIGNAL_LABELS[signal] ?? `Signal de la surveillance (${signal})`;
}
