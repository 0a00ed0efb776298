import { frenchDay, ofOrganisation, organisationInSentence, plural, romeLabel } from '../domain/index.ts';
import { addressee, postalBlock, renderLetters, type LetterLayout } from '../incidents/index.ts';
import { CONSENT_MODE_LABELS, type ConsentMode } from './consent.ts';
import type { AdministrativeCategory, RegistrationInput, StatisticalCategory } from './model.ts';

/**
 * The « récépissé d'inscription » an agent hands over at the desk or has posted (issue 25 §1), and
 * the notice a person registered by a partner's import receives. Its text is built once, when the
 * file is created, from what was registered, then kept sealed with the intake: the download and
 * the letter print that text, never read the file again. It names what was recorded without
 * repeating it all, and never the NIR in full (its last three digits only, so the person can
 * check it is theirs).
 */

export const STATISTICAL_CATEGORY_LABELS: Readonly<Record<StatisticalCategory, string>> = {
  A: 'catégorie A — sans emploi, immédiatement disponible',
  B: 'catégorie B — activité réduite courte (78 heures ou moins dans le mois)',
  C: 'catégorie C — activité réduite longue (plus de 78 heures dans le mois)',
  D: 'catégorie D — sans emploi, pas immédiatement disponible (formation, maladie…)',
  E: 'catégorie E — en emploi, à la recherche d’un autre emploi',
};

export const ADMINISTRATIVE_CATEGORY_LABELS: Readonly<Record<AdministrativeCategory, string>> = {
  1: 'catégorie 1 — emploi à durée indéterminée à temps plein',
  2: 'catégorie 2 — emploi à durée indéterminée à temps partiel',
  3: 'catégorie 3 — emploi à durée déterminée, temporaire ou saisonnier',
  4: 'catégorie 4 — pas immédiatement disponible',
  5: 'catégorie 5 — en emploi, à la recherche d’un autre emploi',
};

/** What a receipt is built from: the file as registered, and who registered it. */
export interface ReceiptFacts {
  franceTravailId: string;
  category: StatisticalCategory;
  administrativeCategory: AdministrativeCategory;
  registeredOn: string;
  input: RegistrationInput;
  /** The organisation of the agent (desk, paper) or the one the person comes from (import). */
  organisationName: string;
  /** How the person consented (desk, paper); absent for an import (the partner answers for its referral). */
  consent?: { given: ConsentMode; receivedOn?: string | undefined; version: string };
}

/** The sealed content of a receipt or a notice: what a letter or a download prints. */
export interface ReceiptText {
  /** The postal block, when the registration gave an address. */
  address: string[] | null;
  greeting: string;
  subject: string;
  paragraphs: string[];
}

/** The lines of « ce qui a été enregistré »: each part named, counted, never the NIR in full. */
export function recordedLines(input: RegistrationInput): string[] {
  const id = input.identity;
  const names = `${id.firstNames.join(' ')} ${(id.usageName ?? id.lastName).toUpperCase()}`;
  const contact = [
    input.contact.address ? 'adresse postale' : null,
    input.contact.email ? 'adresse électronique' : null,
    input.contact.phone ? 'téléphone' : null,
  ].filter((x): x is string => x !== null);
  return [
    `– Identité : ${names}, né(e) le ${frenchDay(id.birthDate)}`,
    `– Numéro de sécurité sociale : ${input.nir ? `enregistré (se terminant par ${input.nir.slice(-3)})` : 'non communiqué'}`,
    `– Coordonnées : ${contact.length ? contact.join(', ') : 'aucune'}`,
    `– Formation : ${plural(input.education.length, 'diplôme ou formation', 'diplômes ou formations')}`,
    `– Expérience : ${plural(input.experience.length, 'emploi', 'emplois')}`,
    `– Métiers recherchés : ${input.soughtJobs.map((code) => `${romeLabel(code)} (${code})`).join(', ')}`,
    `– Disponibilité à partir du ${frenchDay(input.availability.availableFrom)} ; mobilité jusqu’à ${input.mobility.maxDistanceKm} km`,
  ];
}

/** The desk's and the paper form's receipt. */
export function receiptText(facts: ReceiptFacts): ReceiptText {
  const consent = facts.consent;
  return {
    address: postalBlock(facts.input.identity, facts.input.contact) ?? null,
    greeting: addressee(facts.input.identity),
    subject: 'Récépissé d’inscription comme demandeur d’emploi',
    paragraphs: [
      `Votre inscription comme demandeur d’emploi a été enregistrée le ${frenchDay(facts.registeredOn)} par un agent ${ofOrganisation(facts.organisationName)}.`,
      '## Votre inscription',
      `Identifiant France Travail : ${facts.franceTravailId}`,
      `Catégorie : ${STATISTICAL_CATEGORY_LABELS[facts.category]}`,
      `Catégorie administrative : ${ADMINISTRATIVE_CATEGORY_LABELS[facts.administrativeCategory]}`,
      ...(consent
        ? [
            `Votre accord : ${CONSENT_MODE_LABELS[consent.given]}${consent.receivedOn ? ` le ${frenchDay(consent.receivedOn)}` : ''} (texte de consentement, version ${consent.version}).`,
          ]
        : []),
      '## Ce qui a été enregistré',
      ...recordedLines(facts.input),
      '## Et maintenant',
      'Chaque mois, entre le 28 et le 15 du mois suivant, vous déclarez votre situation (actualisation). Vous pouvez consulter votre dossier, savoir qui l’a consulté et demander la correction d’une information dans votre espace personnel, auprès de votre agence ou par courrier.',
      'Conservez ce récépissé : il prouve votre inscription.',
    ],
  };
}

/** What each kind of partner sends, as a person reads it. */
export const IMPORT_SOURCE_LABELS = {
  rsa: 'en tant qu’allocataire du RSA',
  young_person: 'dans le cadre de votre accompagnement par la mission locale',
  cap_emploi: 'dans le cadre de votre accompagnement par Cap emploi',
} as const;
export type ImportSource = keyof typeof IMPORT_SOURCE_LABELS;

/** The notice of a registration by a partner's import: « vous avez été inscrit(e) par … ». */
export function importNoticeText(facts: ReceiptFacts, source: ImportSource): ReceiptText {
  return {
    address: postalBlock(facts.input.identity, facts.input.contact) ?? null,
    greeting: addressee(facts.input.identity),
    subject: 'Vous avez été inscrit(e) comme demandeur d’emploi',
    paragraphs: [
      `Vous avez été inscrit(e) comme demandeur d’emploi auprès de France Travail le ${frenchDay(facts.registeredOn)} par ${organisationInSentence(facts.organisationName)}, ${IMPORT_SOURCE_LABELS[source]} (Code du travail, art. L. 5411-1, loi pour le plein emploi du 18 décembre 2023).`,
      '## Votre inscription',
      `Identifiant France Travail : ${facts.franceTravailId}`,
      `Catégorie : ${STATISTICAL_CATEGORY_LABELS[facts.category]}`,
      '## Ce qui nous a été transmis',
      ...recordedLines(facts.input),
      '## Vos droits',
      'Si une information est inexacte, vous pouvez en demander la correction dans votre espace personnel, auprès de votre agence ou par courrier. Vous pouvez savoir à tout moment qui a consulté votre dossier.',
      'Si vous n’êtes pas à l’origine de cette démarche et ne la reconnaissez pas, signalez-le à votre agence : votre dossier sera vérifié par un agent.',
    ],
  };
}

/** The receipt as a PDF to hand over: the State's letterhead, the person's postal block, the text. */
export async function renderReceipt(
  text: ReceiptText,
  issuedAt: Date,
  reference: string,
  sender: string[],
  layout: LetterLayout,
): Promise<Buffer> {
  const rendered = await renderLetters(
    issuedAt,
    text.subject,
    sender,
    [
      {
        address: text.address ?? [text.greeting],
        place: 'Paris',
        date: frenchDay(issuedAt),
        reference,
        subject: text.subject,
        paragraphs: [`${text.greeting},`, ...text.paragraphs],
        signature: ['France Travail'],
      },
    ],
    layout,
  );
  return rendered.content;
}

/** The same text as the body of a queued letter (the paper channel prints subject and body). */
export function letterBody(text: ReceiptText): string {
  return text.paragraphs.join('\n');
}
