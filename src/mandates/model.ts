import { Type, type Static } from 'typebox';
import {
  MANDATE_CONSENTS,
  MANDATE_DURATIONS,
  MANDATE_SCOPES,
  type MandateConsent,
  type MandateDuration,
  type MandateScope,
} from '../domain/mandates.ts';

const Scopes = Type.Array(Type.Enum(MANDATE_SCOPES, { description: 'démarche' }), {
  minItems: 1,
  maxItems: MANDATE_SCOPES.length,
  uniqueItems: true,
  description: 'les démarches du mandat',
});

/** What the aidant fills in with the person: whom, which steps, how long, how the person consents. */
export const MandateRequestSchema = Type.Object(
  {
    franceTravailId: Type.String({
      format: 'france-travail-id',
      maxLength: 16,
      description: 'l’identifiant France Travail de la personne',
    }),
    scopes: Scopes,
    duration: Type.Enum(MANDATE_DURATIONS, { description: 'la durée du mandat' }),
    consent: Type.Enum(MANDATE_CONSENTS, { description: 'la façon dont la personne consent' }),
    /** In person: the aidant attests that the person signed the printed mandate before them. */
    signatureAttested: Type.Optional(Type.Boolean({ description: 'la signature du mandat imprimé' })),
  },
  { additionalProperties: false },
);
export type MandateRequest = Static<typeof MandateRequestSchema>;

export const MandateCodeSchema = Type.Object(
  { code: Type.String({ pattern: '^[0-9 -]{8,12}$', description: 'le code reçu par la personne' }) },
  { additionalProperties: false },
);

/** A revocation: the steps withdrawn (none: every step of the mandate). */
export const MandateRevocationSchema = Type.Object({ scopes: Type.Optional(Scopes) }, { additionalProperties: false });

/** A revocation by letter, as an agent records it: the steps the letter withdraws and the day it arrived. */
export const MandateLetterSchema = Type.Object(
  {
    scopes: Type.Optional(Scopes),
    receivedOn: Type.String({ format: 'date', description: 'la date de réception du courrier' }),
  },
  { additionalProperties: false },
);

export type MandateState = 'pending' | 'active' | 'expired' | 'revoked' | 'refused' | 'lapsed';

/** A mandate as the person, the aidant or an agent sees it: never a value of the person's file. */
export interface MandateView {
  id: string;
  personId: string;
  helper: { actorId: string; name: string };
  organisation: { id: string; name: string };
  scopes: Array<{ scope: MandateScope; revokedAt: string | null; revokedVia: string | null }>;
  duration: MandateDuration;
  consent: MandateConsent;
  state: MandateState;
  createdAt: string;
  confirmedAt: string | null;
  confirmedVia: string | null;
  expiresAt: string | null;
  text: string;
  textSha256: string;
}
