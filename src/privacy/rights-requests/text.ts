import { FIELD_CLASS_LABELS_FR, frenchDay, type FieldClass } from '../../domain/index.ts';
import {
  CNIL_COMPLAINT,
  OUTCOME_LABELS,
  RIGHTS_REQUEST_KIND_LABELS,
  type Outcome,
  type Refusal,
  type RightsRequestKind,
} from './model.ts';

/** What an answer says: built from what the request row keeps, so the espace, the mail and the letter say the same. */
export interface AnswerFacts {
  reference: string;
  kind: RightsRequestKind;
  receivedAt: string;
  outcome: Outcome;
  /** The DPO's own words (what was done, what is attached), if any. */
  message: string | null;
  refusal: Refusal | null;
  dpoContact: string;
  /** A restriction granted (or partly): the classes restricted by the answer. */
  restrictedClasses: readonly FieldClass[];
}

/** Whether the answer gives the person a copy of their data (Art. 15.3): an access request granted. */
export function givesDataCopy(facts: Pick<AnswerFacts, 'kind' | 'outcome'>): boolean {
  return facts.kind === 'access' && facts.outcome === 'granted';
}

/**
 * Where the copy of the data is: in the espace's export for the answer read on screen or by mail;
 * in the letter's annex for the letter (which also names the export).
 */
function dataCopyParagraphs(facts: AnswerFacts, medium: 'text' | 'letter'): string[] {
  const espace =
    'dans votre espace personnel, page « Sécurité du compte », bouton « Télécharger mes données » : un fichier qui contient votre dossier classe par classe, le journal des accès à votre dossier, vos sessions et l’activité de votre compte';
  return [
    '## Copie de vos données',
    medium === 'letter'
      ? `Vous trouverez en annexe de ce courrier une copie des données de votre dossier, classe par classe, telles qu’elles sont enregistrées à la date de ce courrier (RGPD art. 15.3). Par sécurité, votre numéro de compte bancaire (IBAN) n’y figure qu’en partie. Vous pouvez aussi les télécharger à tout moment ${espace}.`
      : `Une copie de toutes les données de votre dossier est à votre disposition ${espace} (RGPD art. 15.3). Si vous ne pouvez pas vous connecter à votre espace, demandez-la au délégué à la protection des données en citant la référence ${facts.reference} : elle vous sera envoyée par courrier.`,
  ];
}

function restrictionParagraphs(facts: AnswerFacts): string[] {
  if (facts.restrictedClasses.length === 0) return [];
  return [
    '## Limitation du traitement',
    `Le traitement des données suivantes de votre dossier est limité : ${facts.restrictedClasses.map((c) => FIELD_CLASS_LABELS_FR[c]).join(' ; ')}. Elles sont conservées mais ne sont plus utilisées, sauf pour la constatation, l’exercice ou la défense de droits en justice (RGPD art. 18.2). Vous continuez d’y accéder dans votre espace personnel, et vous serez informé(e) avant que cette limitation ne soit levée (RGPD art. 18.3).`,
  ];
}

const OPENINGS: Record<Outcome, string> = {
  granted: 'Nous avons fait droit à votre demande.',
  partly_granted:
    'Nous avons fait droit à une partie de votre demande seulement ; voici pourquoi nous ne pouvons pas aller plus loin.',
  refused: 'Nous ne pouvons pas faire droit à votre demande, pour la raison suivante.',
};

/** The answer's paragraphs (a line starting with `## ` is a heading), as read on screen or by mail (`text`) or printed (`letter`). */
export function answerParagraphs(facts: AnswerFacts, medium: 'text' | 'letter' = 'text'): string[] {
  const paragraphs = [
    `Vous nous avez adressé le ${frenchDay(facts.receivedAt)} une demande d’exercice de vos droits sur vos données personnelles : ${RIGHTS_REQUEST_KIND_LABELS[facts.kind].toLowerCase()} du règlement général sur la protection des données (RGPD). Référence : ${facts.reference}.`,
    `## Notre réponse : ${OUTCOME_LABELS[facts.outcome]}`,
    OPENINGS[facts.outcome],
  ];
  if (facts.message) paragraphs.push(facts.message);
  if (givesDataCopy(facts)) paragraphs.push(...dataCopyParagraphs(facts, medium));
  paragraphs.push(...restrictionParagraphs(facts));
  if (facts.refusal) {
    paragraphs.push('## Motif');
    paragraphs.push(facts.refusal.label);
    if (facts.refusal.processing) paragraphs.push(`Traitement concerné : ${facts.refusal.processing.purposeLabel}.`);
    paragraphs.push(`Fondement : ${facts.refusal.legalReference}.`);
    paragraphs.push('## Vos recours');
    paragraphs.push(CNIL_COMPLAINT);
  }
  paragraphs.push(
    `Pour toute question, contactez notre délégué à la protection des données : ${facts.dpoContact}, en citant la référence ${facts.reference}.`,
  );
  return paragraphs;
}

/** The answer as plain text (the espace and the mail; the letter queued to the post with `letter`). */
export function answerText(facts: AnswerFacts, medium: 'text' | 'letter' = 'text'): string {
  return answerParagraphs(facts, medium)
    .map((p) => (p.startsWith('## ') ? `\n${p.slice(3)}` : p))
    .join('\n');
}

export function answerSubject(reference: string): string {
  return `Réponse à votre demande sur vos données personnelles (réf. ${reference})`;
}

/** The reasoned notice of an extension (Art. 12.3): the reasons, and the new due date. */
export function extensionNotice(reference: string, reasons: string, dueAt: string, dpoContact: string): string {
  return [
    `Votre demande d’exercice de vos droits (référence ${reference}) demande plus de temps que prévu.`,
    `Comme l’article 12.3 du RGPD le permet, nous prolongeons le délai de réponse de deux mois : vous recevrez notre réponse au plus tard le ${frenchDay(dueAt)}.`,
    `Les raisons de cette prolongation : ${reasons}`,
    `Pour toute question, contactez notre délégué à la protection des données : ${dpoContact}.`,
  ].join('\n');
}
