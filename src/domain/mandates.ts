/**
 * Assisted access (issue 25 §4, modelled on Aidants Connect): the steps a person may let an aidant
 * of a France Services house do for them, and for how long. Bank details are never a step: no
 * mandate reaches them, whatever an agreement says (the decision refuses it too).
 */
export const MANDATE_SCOPES = ['registration', 'update', 'documents'] as const;
export type MandateScope = (typeof MANDATE_SCOPES)[number];

export const MANDATE_SCOPE_LABELS: Readonly<Record<MandateScope, string>> = {
  registration: 'suivre votre inscription (votre inscription et vos coordonnées)',
  update: 'faire votre actualisation mensuelle avec vous',
  documents: 'consulter vos documents (attestations d’employeur, paiements)',
};

export const MANDATE_DURATIONS = ['1d', '1m', '6m', '1y'] as const;
export type MandateDuration = (typeof MANDATE_DURATIONS)[number];

export const MANDATE_DURATION_LABELS: Readonly<Record<MandateDuration, string>> = {
  '1d': '1 jour',
  '1m': '1 mois',
  '6m': '6 mois',
  '1y': '1 an',
};

/**
 * How the person consented: `in_person`, the person signed the printed mandate before the aidant
 * (who attests it); `code`, at a distance. Either way the mandate works only once the person
 * confirms it themself — in their espace, or with the code sent to their own verified channel.
 */
export const MANDATE_CONSENTS = ['in_person', 'code'] as const;
export type MandateConsent = (typeof MANDATE_CONSENTS)[number];

export const MANDATE_CONSENT_LABELS: Readonly<Record<MandateConsent, string>> = {
  in_person: 'en personne, mandat imprimé signé devant l’aidant',
  code: 'à distance, par un code envoyé sur votre moyen de contact vérifié',
};

/** When a mandate of `duration` confirmed at `from` ends (calendar months, as a person counts them). */
export function mandateEnd(from: Date, duration: MandateDuration): Date {
  const end = new Date(from.getTime());
  if (duration === '1d') end.setUTCDate(end.getUTCDate() + 1);
  else end.setUTCMonth(end.getUTCMonth() + (duration === '1m' ? 1 : duration === '6m' ? 6 : 12));
  return end;
}
