/**
 * Writing a person's data in French as a reader expects it: phone numbers and the NIR in groups,
 * « 1er » for the first of a month, « né » or « née » as the sex says, « d’Aimable » but
 * « de Paul », « de la Mission locale ». Pure functions, no dependency: the web application
 * imports this file as the server does (notices, letters, the demo's banner).
 *
 * The apostrophe is the typographic one (’), as everywhere the application writes French.
 */

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

/** The overseas departments' calling codes: their numbers are dialled from France as 0 + 9 digits. */
const FRENCH_CALLING_CODES = ['33', '262', '269', '590', '594', '596'];

const pairs = (digits: string) => digits.match(/../g)!.join(' ');

/**
 * A French phone number in pairs, as people say it: « 06 39 98 02 83 » (the stored E.164
 * +33639980283, or 0639980283, or with dots). `international` writes « +33 6 39 98 02 83 »
 * (« +262 692 12 34 56 » overseas). Any other shape (a foreign number, a typo) is left as it is.
 */
export function formatPhone(value: string, form: 'national' | 'international' = 'national'): string {
  const compact = value.replace(/[\s.()-]/g, '');
  let code: string | undefined;
  let national: string | undefined;
  const local = /^0([1-9][0-9]{8})$/.exec(compact);
  if (local) {
    code = '33';
    national = local[1];
  } else {
    const e164 = /^(?:\+|00)([0-9]+)$/.exec(compact);
    code = e164
      ? FRENCH_CALLING_CODES.find((c) => e164[1]!.startsWith(c) && e164[1]!.length === c.length + 9)
      : undefined;
    national = code ? e164![1]!.slice(code.length) : undefined;
  }
  if (!code || !national || national.startsWith('0')) return value;
  if (form === 'national') return pairs(`0${national}`);
  return code === '33'
    ? `+33 ${national[0]} ${pairs(national.slice(1))}`
    : `+${code} ${national.slice(0, 3)} ${pairs(national.slice(3))}`;
}

/**
 * The NIR as the carte Vitale prints it: « 1 03 03 13 001 001 51 » — sex, year, month,
 * département (2A and 2B for Corsica), commune, order, key. Thirteen characters (no key) are
 * grouped the same way; anything else is left as it is.
 */
export function formatNir(value: string): string {
  const nir = value.replace(/[\s.]/g, '').toUpperCase();
  if (!/^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{6}(?:[0-9]{2})?$/.test(nir)) return value;
  return [nir.slice(0, 1), nir.slice(1, 3), nir.slice(3, 5), nir.slice(5, 7), nir.slice(7, 10), nir.slice(10, 13)]
    .concat(nir.length === 15 ? [nir.slice(13)] : [])
    .join(' ');
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

/**
 * A date as `format` writes it, but « 1er » for the first of a month (« 1er janvier 2026 »,
 * « 1er janv. 2026 à 09:00 »): Intl writes « 1 janvier », which French typography does not.
 */
export function formatFrenchDate(format: Intl.DateTimeFormat, date: Date): string {
  return format
    .formatToParts(date)
    .map((part) => (part.type === 'day' && part.value === '1' ? '1er' : part.value))
    .join('');
}

const LONG_DAY = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });
const LONG_INSTANT = new Intl.DateTimeFormat('fr-FR', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: 'Europe/Paris',
});

/** « 1er janvier 2026 », « 14 juillet 2026 » (the day in Paris). */
export function frenchDay(date: Date | string): string {
  return formatFrenchDate(LONG_DAY, typeof date === 'string' ? new Date(date) : date);
}

/** « 1er janvier 2026 à 09:00 » (Paris time). */
export function frenchInstant(date: Date | string): string {
  return formatFrenchDate(LONG_INSTANT, typeof date === 'string' ? new Date(date) : date);
}

// ---------------------------------------------------------------------------------------------
// Words that agree
// ---------------------------------------------------------------------------------------------

/** « 0 personne exposée », « 1 personne exposée », « 2 personnes exposées »: French keeps 0 and 1 singular. */
export function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString('fr-FR')} ${Math.abs(count) < 2 ? one : many}`;
}

/** « né », « née »; « né(e) » only when the sex is not known. */
export function bornLabel(sex: string | null | undefined): string {
  return sex === 'F' ? 'née' : sex === 'M' ? 'né' : 'né(e)';
}

const bare = (text: string) =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();

/**
 * Whether French elides before this word: a vowel, a mute h (first names: d’Hélène, d’Hugo), a
 * y sounded as a vowel (d’Yves, but de Yasmine).
 */
function elides(word: string): boolean {
  const start = bare(word.trim().slice(0, 2));
  if (/^[aeiouh]/.test(start)) return true;
  return /^y[^aeiouy]/.test(start);
}

/** « d’Aimable MARTIN », « d’Hélène », « de Paul ». */
export function ofName(name: string): string {
  return elides(name) ? `d’${name.trim()}` : `de ${name.trim()}`;
}

/**
 * The article an organisation's name takes in a sentence, from its first words: « la Mission
 * locale de Bordeaux », « le Département de la Gironde », « l’Institut… »; a proper name
 * (France Travail Mérignac, Cap emploi Gironde, a company) takes none.
 */
const ARTICLES: ReadonlyArray<[RegExp, 'la' | 'le' | 'l’']> = [
  [/^(mission locale|caf|msa|region|commune|ville|maison|direction|chambre)\b/, 'la'],
  [/^(departement|conseil|centre|groupement|greta)\b/, 'le'],
  [/^(institut|agence|association|ecole|etablissement|afpa|union|office)\b/, 'l’'],
];

function organisationArticle(name: string): 'la' | 'le' | 'l’' | undefined {
  const start = bare(name.trim());
  return ARTICLES.find(([pattern]) => pattern.test(start))?.[1];
}

/** « la Mission locale de Bordeaux », « France Travail Mérignac »: the name as a sentence uses it. */
export function organisationInSentence(name: string): string {
  const article = organisationArticle(name);
  const trimmed = name.trim();
  if (!article) return trimmed;
  return article === 'l’' ? `l’${trimmed}` : `${article} ${trimmed}`;
}

/** « à la Mission locale de Bordeaux », « au Département de la Gironde », « à France Travail Mérignac ». */
export function toOrganisation(name: string): string {
  const article = organisationArticle(name);
  const trimmed = name.trim();
  if (article === 'le') return `au ${trimmed}`;
  if (article === 'la') return `à la ${trimmed}`;
  if (article === 'l’') return `à l’${trimmed}`;
  return `à ${trimmed}`;
}

/** « de la Mission locale de Bordeaux », « du Département de la Gironde », « de France Travail Mérignac ». */
export function ofOrganisation(name: string): string {
  const article = organisationArticle(name);
  const trimmed = name.trim();
  if (article === 'le') return `du ${trimmed}`;
  if (article === 'la') return `de la ${trimmed}`;
  if (article === 'l’') return `de l’${trimmed}`;
  return ofName(trimmed);
}
