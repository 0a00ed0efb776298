import {
  FIELD_CLASS_LABELS_FR,
  FIELD_CLASSES,
  FILE_FIELD_LABELS,
  frenchDay,
  maskIban,
  type PersonFile,
} from '../../domain/index.ts';

/**
 * The copy of a person's data printed with the answer to their access request (GDPR Art. 15.3):
 * every class the file holds, field by field, in words. The IBAN is masked as the espace and its
 * export mask it (a letter can reach an address someone else put in the file).
 */

/** The espace's names of the fields, but where the letter prints a raw value (cents, codes, a masked IBAN). */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  ...FILE_FIELD_LABELS,
  amountCents: 'Montant (centimes d’euro)',
  dailyAmountCents: 'Montant journalier (centimes d’euro)',
  iban: 'IBAN (masqué)',
  romeCode: 'Métier (code ROME)',
  soughtJobs: 'Métiers recherchés (codes ROME)',
};

/** Coded values in words, where the code alone says little (the espace's words too). */
const VALUE_LABELS: Record<string, Record<string, string>> = {
  sex: { F: 'Féminin', M: 'Masculin' },
  status: { registered: 'Inscription en cours', suspended: 'Inscription suspendue', deregistered: 'Inscription close' },
};

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

function valueText(key: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'oui' : 'non';
  if (key === 'iban' && typeof value === 'string') return maskIban(value);
  if (typeof value === 'string' && VALUE_LABELS[key]?.[value]) return VALUE_LABELS[key][value];
  if (typeof value === 'string' && ISO_DAY.test(value)) return frenchDay(value);
  return String(value);
}

/** One line per scalar, `Libellé : valeur`; lists numbered, nested objects indented by their path. */
function lines(value: unknown, path: string[], key: string): string[] {
  const label = (k: string) => FIELD_LABELS[k] ?? k;
  const prefix = path.length > 0 ? `${path.join(' › ')} › ` : '';
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${prefix}${label(key)} : aucun élément`];
    if (value.every((v) => v === null || typeof v !== 'object'))
      return [`${prefix}${label(key)} : ${value.map((v) => valueText(key, v)).join(', ')}`];
    return value.flatMap((item, i) => lines(item, [...path, `${label(key)} n° ${i + 1}`], ''));
  }
  if (value !== null && typeof value === 'object') {
    const inner = key ? [...path, label(key)] : path;
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => lines(v, inner, k));
  }
  return [`${prefix}${label(key)} : ${valueText(key, value)}`];
}

/** The annex's paragraphs: a heading per class the file holds (a line starting with `## ` is a heading). */
export function dataCopyParagraphs(fields: PersonFile, asOf: Date): string[] {
  const out = [
    `Données enregistrées dans votre dossier le ${frenchDay(asOf.toISOString())}, classe par classe. Les montants sont en centimes d’euro.`,
  ];
  for (const c of FIELD_CLASSES) {
    const value = fields[c];
    if (value === undefined) continue;
    out.push(`## ${FIELD_CLASS_LABELS_FR[c]}`);
    out.push(...lines(value, [], ''));
  }
  return out;
}

/** The annex as plain text, for the letter queued to the post: its title, then the paragraphs. */
export function dataCopyText(fields: PersonFile, asOf: Date): string {
  return [
    'Annexe : copie de vos données (RGPD art. 15.3)',
    ...dataCopyParagraphs(fields, asOf).map((p) => (p.startsWith('## ') ? `\n${p.slice(3)}` : p)),
  ].join('\n');
}
