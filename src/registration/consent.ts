import { createHash } from 'node:crypto';
import { Type, type Static } from 'typebox';
import type { ValidationIssue } from '../domain/index.ts';

/**
 * The texts a person is shown at the desk, or signs on the paper form, before an agent registers
 * them (issue 25 §1). Each version stays here once published: a paper form signed weeks ago
 * carries an older version, and the hash the agent records must still name a text Rempart can
 * show. The newest version comes first.
 */
export const CONSENT_TEXTS: ReadonlyArray<{ version: string; text: string }> = [
  {
    version: '2026-12',
    text: [
      'Je demande mon inscription comme demandeur d’emploi auprès de France Travail.',
      'J’atteste sur l’honneur l’exactitude des renseignements que je donne à l’agent qui les saisit pour moi : identité, numéro de sécurité sociale, coordonnées, formation, expérience, métiers recherchés, disponibilité, mobilité et situation.',
      'Ces renseignements servent à mon inscription et à mon accompagnement (Code du travail, art. L. 5411-1 et R. 5411-2). Je peux les consulter, savoir qui les a consultés et demander leur rectification dans mon espace personnel ou par courrier.',
      'Un récépissé d’inscription m’est remis ou envoyé par courrier.',
    ].join('\n'),
  },
];

/** SHA-256, in lowercase hexadecimal, of a consent text as stored (UTF-8, lines joined by « \n »). */
export function consentTextHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const KNOWN_HASHES: ReadonlyMap<string, string> = new Map(
  CONSENT_TEXTS.map((t) => [consentTextHash(t.text), t.version]),
);

/** The version of the text whose hash this is, or undefined for a text Rempart never published. */
export function consentVersionOf(hash: string): string | undefined {
  return KNOWN_HASHES.get(hash);
}

/** How the person consented: present at the desk and signing, or by a signed paper form received. */
export const CONSENT_MODES = ['desk', 'paper'] as const;
export type ConsentMode = (typeof CONSENT_MODES)[number];

export const CONSENT_MODE_LABELS: Readonly<Record<ConsentMode, string>> = {
  desk: 'en présence de la personne, qui a signé',
  paper: 'formulaire papier signé reçu',
};

/** Where the receipt goes: handed over at the desk (the agent downloads it), or posted. */
export const RECEIPT_DELIVERIES = ['handed', 'posted'] as const;
export type ReceiptDelivery = (typeof RECEIPT_DELIVERIES)[number];

export const ConsentSchema = Type.Object(
  {
    given: Type.Enum(CONSENT_MODES, {
      description: '« desk » : la personne est présente et signe ; « paper » : un formulaire papier signé a été reçu',
    }),
    signed: Type.Literal(true, { description: 'la personne a signé le texte (à l’écran ou sur le formulaire)' }),
    textHash: Type.String({
      pattern: '^[0-9a-f]{64}$',
      description: 'SHA-256 (hexadécimal) du texte montré ou signé : GET /api/staff/registrations/consent-text',
    }),
    receivedOn: Type.Optional(
      Type.String({ format: 'date', description: 'pour un formulaire papier : le jour où il a été reçu' }),
    ),
  },
  { additionalProperties: false },
);
export type Consent = Static<typeof ConsentSchema>;

/** How many days a paper form may have waited before it is keyed in: a quarter, then it is asked again. */
export const PAPER_FORM_MAX_AGE_DAYS = 92;

/**
 * The rules the schema cannot say, each naming its field: a text Rempart published, a received
 * date for a paper form only, neither in the future nor older than a quarter.
 */
export function consentIssues(consent: Consent, today: string, prefix = 'body.consent'): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!consentVersionOf(consent.textHash))
    issues.push({
      field: `${prefix}.textHash`,
      rule: 'known_text',
      message: 'ne correspond à aucun texte de consentement publié : montrez ou faites signer le texte en vigueur',
    });
  if (consent.given === 'paper') {
    if (consent.receivedOn === undefined)
      issues.push({
        field: `${prefix}.receivedOn`,
        rule: 'required',
        message: 'obligatoire pour un formulaire papier : le jour où il a été reçu',
      });
    else if (consent.receivedOn > today)
      issues.push({ field: `${prefix}.receivedOn`, rule: 'not_future', message: 'ne peut pas être dans le futur' });
    else if (daysBetween(consent.receivedOn, today) > PAPER_FORM_MAX_AGE_DAYS)
      issues.push({
        field: `${prefix}.receivedOn`,
        rule: 'recent',
        message: `le formulaire a plus de ${PAPER_FORM_MAX_AGE_DAYS} jours : demandez à la personne d’en signer un nouveau`,
      });
  } else if (consent.receivedOn !== undefined)
    issues.push({
      field: `${prefix}.receivedOn`,
      rule: 'paper_only',
      message: 'seulement pour un formulaire papier reçu (la personne présente signe le jour même)',
    });
  return issues;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
