import { Type } from 'typebox';
import type { HOLD_REASONS } from '../../bank/index.ts';
import { AGENT_REQUEST_KINDS } from '../../bank/index.ts';

/** New bank details as typed from a RIB; spaces in the IBAN are allowed, the checks are the server's. */
export const BankDetailsBody = {
  iban: Type.String({ minLength: 1, maxLength: 50, description: 'IBAN (ISO 13616), espaces permis' }),
  bic: Type.String({ minLength: 1, maxLength: 15, description: 'BIC (ISO 9362), 8 ou 11 caractères' }),
  holder: Type.String({
    minLength: 1,
    maxLength: 140,
    description: 'titulaire du compte, tel qu’il figure sur le RIB',
  }),
};

export const AgentRequestBody = Type.Object(
  {
    kind: Type.Enum(Object.keys(AGENT_REQUEST_KINDS), {
      description: 'comment la demande écrite de la personne a été reçue',
    }),
    reference: Type.String({
      minLength: 3,
      maxLength: 64,
      pattern: '^[A-Za-z0-9][A-Za-z0-9_./-]*$',
      description: 'référence du courrier ou de la pièce',
    }),
  },
  { additionalProperties: false },
);

const Reason = Type.Object({ code: Type.String(), label: Type.String() });

export const ChangeOutcomeView = Type.Object({
  changeId: Type.String(),
  status: Type.Enum(['cooling_off', 'awaiting_verification']),
  requestedAt: Type.String(),
  effectiveAt: Type.String({ description: 'date à partir de laquelle les paiements suivront, si rien ne l’arrête' }),
  reasons: Type.Array(Reason),
  notices: Type.Array(Type.String(), { description: 'canaux sur lesquels la personne a été prévenue' }),
  maskedIban: Type.String(),
});

export const ChangeView = Type.Object({
  id: Type.String(),
  status: Type.String(),
  statusLabel: Type.String(),
  requestedVia: Type.String(),
  requestedAt: Type.String(),
  effectiveAt: Type.String(),
  appliedAt: Type.Union([Type.String(), Type.Null()]),
  maskedIban: Type.String(),
  reasons: Type.Array(Reason),
});

export const HoldView = Type.Object({
  id: Type.String(),
  source: Type.String(),
  reason: Type.String(),
  label: Type.String(),
  since: Type.String(),
});

export const HoldBody = Type.Object(
  {
    reason: Type.Enum(['counsellor_concern', 'incident_exposure', 'guard_exposure'] satisfies Array<
      keyof typeof HOLD_REASONS
    >),
    note: Type.String({
      minLength: 10,
      maxLength: 1000,
      description: 'ce qui motive la mise sous surveillance (lu par l’agent qui vérifiera)',
    }),
  },
  { additionalProperties: false },
);

export const NoteBody = Type.Object(
  { note: Type.String({ minLength: 10, maxLength: 1000 }) },
  { additionalProperties: false },
);

export const ContactChangeView = Type.Object({
  id: Type.String(),
  changedAt: Type.String(),
  changed: Type.Array(Type.String(), { description: 'ce qui a changé : email, phone, address (jamais les valeurs)' }),
  by: Type.Enum(['agent', 'job_seeker', 'unknown']),
  announced: Type.Boolean({ description: 'annoncé aux coordonnées connues avant le changement' }),
});
