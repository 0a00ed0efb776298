import { createHash } from 'node:crypto';
import {
  MANDATE_CONSENT_LABELS,
  MANDATE_DURATION_LABELS,
  MANDATE_SCOPE_LABELS,
  type MandateConsent,
  type MandateDuration,
  type MandateScope,
} from '../domain/mandates.ts';

const DAY = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long' });

export function frenchDay(iso: string): string {
  return DAY.format(new Date(iso));
}

/**
 * The mandate's text, rendered here and only here: what the person reads (on the aidant's screen,
 * printed, in their espace) is these words, and its SHA-256 is kept with the mandate, so that
 * what they agreed to can be shown unchanged later. It names the aidant, their house, the steps,
 * the duration and the way of consenting; never a value of the person's file.
 */
export function mandateText(input: {
  id: string;
  helper: string;
  organisation: string;
  scopes: readonly MandateScope[];
  duration: MandateDuration;
  consent: MandateConsent;
  createdAt: string;
}): string {
  return [
    `Mandat n° ${input.id}`,
    '',
    `Je donne mandat à ${input.helper}, aidant(e) de ${input.organisation}, pour agir en mon nom auprès de France Travail, pour les démarches suivantes :`,
    ...input.scopes.map((s) => `- ${MANDATE_SCOPE_LABELS[s]}`),
    '',
    `Durée : ${MANDATE_DURATION_LABELS[input.duration]} à partir de ma confirmation.`,
    `Consentement : ${MANDATE_CONSENT_LABELS[input.consent]}.`,
    '',
    'Ce mandat ne permet jamais de voir ni de modifier mes coordonnées bancaires, ni aucune autre donnée que celles de ces démarches.',
    'Chaque action faite avec ce mandat figure dans mon journal « Qui a consulté mon dossier ».',
    'Je peux le retirer à tout moment, démarche par démarche, dans mon espace personnel (« Mes mandats ») ou par courrier à mon agence France Travail.',
    '',
    `Préparé le ${frenchDay(input.createdAt)}.`,
  ].join('\n');
}

export function textDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
