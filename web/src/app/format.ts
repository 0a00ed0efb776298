import { FIELD_CLASS_LABELS_FR, FIELD_CLASSES } from '../../../src/domain/field-classes.ts';
import { formatFrenchDate } from '../../../src/domain/french.ts';

export { formatFrenchDate };

// Phone numbers and NIR in groups, « né » or « née », « d’Aimable », ROME codes with their label:
// the domain's (src/domain), the notices and letters write them the same way.
export {
  bornLabel,
  formatNir,
  formatPhone,
  ofName,
  ofOrganisation,
  organisationInSentence,
  plural,
  toOrganisation,
} from '../../../src/domain/french.ts';
export { romeLabel } from '../../../src/domain/rome.ts';

const dateTime = new Intl.DateTimeFormat('fr-FR', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'Europe/Paris',
});
const date = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : formatFrenchDate(dateTime, d);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  return Number.isNaN(d.getTime()) ? iso : formatFrenchDate(date, d);
}

// The classes and their one French label are the domain's (src/domain): the interface names a
// class as the letters, the CNIL draft and the access matrix do.
export { SENSITIVE_FIELD_CLASSES } from '../../../src/domain/field-classes.ts';

export const FIELD_CLASS_ORDER: readonly string[] = FIELD_CLASSES;

export function classLabel(fieldClass: string): string {
  return (FIELD_CLASS_LABELS_FR as Readonly<Record<string, string>>)[fieldClass] ?? fieldClass;
}
