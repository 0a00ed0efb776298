const dateTime = new Intl.DateTimeFormat('fr-FR', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'Europe/Paris',
});
const date = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  return Number.isNaN(d.getTime()) ? iso : date.format(d);
}

/** French labels of the field classes (DESIGN.md §3), as the interface names them. */
const CLASS_LABELS: Record<string, string> = {
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

export const FIELD_CLASS_ORDER = Object.keys(CLASS_LABELS);

export function classLabel(fieldClass: string): string {
  return CLASS_LABELS[fieldClass] ?? fieldClass;
}
