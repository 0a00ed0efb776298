import { frenchDay } from '../../domain/index.ts';
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
}

const OPENINGS: Record<Outcome, string> = {
  granted: 'Nous avons fait droit à votre demande.',
  partly_granted:
    'Nous avons fait droit à une partie de votre demande seulement ; voici pourquoi nous ne pouvons pas aller plus loin.',
  refused: 'Nous ne pouvons pas faire droit à votre demande, pour la raison suivante.',
};

/** The answer's paragraphs (a line starting with `## ` is a heading). */
export function answerParagraphs(facts: AnswerFacts): string[] {
  const paragraphs = [
    `Vous nous avez adressé le ${frenchDay(facts.receivedAt)} une demande d’exercice de vos droits sur vos données personnelles : ${RIGHTS_REQUEST_KIND_LABELS[facts.kind].toLowerCase()} du règlement général sur la protection des données (RGPD). Référence : ${facts.reference}.`,
    `## Notre réponse : ${OUTCOME_LABELS[facts.outcome]}`,
    OPENINGS[facts.outcome],
  ];
  if (facts.message) paragraphs.push(facts.message);
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

/** The answer as plain text (the espace and the mail). */
export function answerText(facts: AnswerFacts): string {
  return answerParagraphs(facts)
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
