import { Type, type Static } from 'typebox';
import type { ValidationIssue } from './errors.ts';

/**
 * Employers' end-of-contract certificates (« attestation employeur destinée à France Travail »,
 * issue 25 §3): what an employer's payroll system sends when a contract ends, so that the
 * person's unemployment allowance can be computed. The shapes and rules are here; the route
 * validates a body with them before anything is looked up, and a bad one writes nothing.
 */

/** The kind of contract that ended. */
export const CONTRACT_KINDS = [
  'cdi',
  'cdd',
  'interim',
  'apprentissage',
  'professionnalisation',
  'saisonnier',
  'intermittent',
] as const;
export type ContractKind = (typeof CONTRACT_KINDS)[number];

export const CONTRACT_KIND_LABELS_FR: Readonly<Record<ContractKind, string>> = {
  cdi: 'Contrat à durée indéterminée',
  cdd: 'Contrat à durée déterminée',
  interim: 'Mission d’intérim',
  apprentissage: 'Contrat d’apprentissage',
  professionnalisation: 'Contrat de professionnalisation',
  saisonnier: 'Contrat saisonnier',
  intermittent: 'Contrat intermittent du spectacle',
};

/** Why the contract ended, as the certificate's « motif de la rupture » says it. */
export const END_REASONS = [
  'fin_cdd',
  'fin_mission_interim',
  'licenciement_economique',
  'licenciement_autre_motif',
  'rupture_conventionnelle',
  'demission',
  'fin_periode_essai_employeur',
  'fin_periode_essai_salarie',
  'fin_contrat_apprentissage',
  'depart_retraite',
  'mise_retraite',
  'prise_acte_rupture',
  'resiliation_judiciaire',
  'deces_employeur',
  'autre',
] as const;
export type EndReason = (typeof END_REASONS)[number];

export const END_REASON_LABELS_FR: Readonly<Record<EndReason, string>> = {
  fin_cdd: 'Fin de contrat à durée déterminée',
  fin_mission_interim: 'Fin de mission d’intérim',
  licenciement_economique: 'Licenciement pour motif économique',
  licenciement_autre_motif: 'Licenciement pour un autre motif',
  rupture_conventionnelle: 'Rupture conventionnelle',
  demission: 'Démission',
  fin_periode_essai_employeur: 'Fin de période d’essai à l’initiative de l’employeur',
  fin_periode_essai_salarie: 'Fin de période d’essai à l’initiative du salarié',
  fin_contrat_apprentissage: 'Fin de contrat d’apprentissage',
  depart_retraite: 'Départ volontaire à la retraite',
  mise_retraite: 'Mise à la retraite par l’employeur',
  prise_acte_rupture: 'Prise d’acte de la rupture du contrat',
  resiliation_judiciaire: 'Résiliation judiciaire du contrat',
  deces_employeur: 'Décès de l’employeur',
  autre: 'Autre motif',
};

/** The sums paid when the contract ended. */
export const INDEMNITY_KINDS = [
  'indemnite_legale_licenciement',
  'indemnite_conventionnelle_licenciement',
  'indemnite_rupture_conventionnelle',
  'indemnite_fin_contrat',
  'indemnite_compensatrice_conges_payes',
  'indemnite_compensatrice_preavis',
  'indemnite_supra_legale',
  'autre',
] as const;
export type IndemnityKind = (typeof INDEMNITY_KINDS)[number];

export const INDEMNITY_LABELS_FR: Readonly<Record<IndemnityKind, string>> = {
  indemnite_legale_licenciement: 'Indemnité légale de licenciement',
  indemnite_conventionnelle_licenciement: 'Indemnité conventionnelle de licenciement',
  indemnite_rupture_conventionnelle: 'Indemnité spécifique de rupture conventionnelle',
  indemnite_fin_contrat: 'Indemnité de fin de contrat (précarité)',
  indemnite_compensatrice_conges_payes: 'Indemnité compensatrice de congés payés',
  indemnite_compensatrice_preavis: 'Indemnité compensatrice de préavis',
  indemnite_supra_legale: 'Indemnité supra-légale',
  autre: 'Autre indemnité',
};

/** What a person (or an agent for them) says is wrong with a certificate. */
export const DISPUTE_REASONS = [
  'periode_inexacte',
  'salaires_inexacts',
  'motif_inexact',
  'indemnites_inexactes',
  'pas_mon_employeur',
  'autre',
] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];

export const DISPUTE_REASON_LABELS_FR: Readonly<Record<DisputeReason, string>> = {
  periode_inexacte: 'La période d’emploi est inexacte',
  salaires_inexacts: 'Les salaires déclarés sont inexacts',
  motif_inexact: 'Le motif de fin de contrat est inexact',
  indemnites_inexactes: 'Les indemnités déclarées sont inexactes',
  pas_mon_employeur: 'Je n’ai pas travaillé pour cet employeur',
  autre: 'Autre raison',
};

/** A certificate's life: received, disputed (routed back to its employer), or superseded by a correction. */
export const CERTIFICATE_STATUSES = ['received', 'disputed', 'superseded'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/** Twelve months of salaries at most: the reference period the allowance is computed on. */
export const MAX_SALARY_MONTHS = 12;
export const MAX_INDEMNITIES = 10;
/** A month's gross salary, or an indemnity, in cents: ten million euros at most (a typo, not a wage, above). */
const MAX_CENTS = 1_000_000_000;

const Cents = Type.Integer({ minimum: 0, maximum: MAX_CENTS, description: 'montant en centimes d’euro' });

/** What the certificate says, as it is sealed (the person's identifiers are not kept in it). */
export const CertificateContentSchema = Type.Object(
  {
    employment: Type.Object(
      {
        from: Type.String({ format: 'date', description: 'premier jour d’emploi' }),
        to: Type.String({ format: 'date', description: 'dernier jour d’emploi (fin du contrat)' }),
        contractKind: Type.Enum(CONTRACT_KINDS),
        jobTitle: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
      },
      { additionalProperties: false },
    ),
    endReason: Type.Enum(END_REASONS),
    salaries: Type.Array(
      Type.Object(
        {
          month: Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'mois payé, AAAA-MM' }),
          grossCents: Cents,
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_SALARY_MONTHS, description: 'salaires bruts mensuels de la période de référence' },
    ),
    indemnities: Type.Array(
      Type.Object({ kind: Type.Enum(INDEMNITY_KINDS), amountCents: Cents }, { additionalProperties: false }),
      { maxItems: MAX_INDEMNITIES },
    ),
  },
  { additionalProperties: false },
);
export type CertificateContent = Static<typeof CertificateContentSchema>;

/** The body an employer's system posts: who (NIR and birth date), its own reference, what, and the certificate it corrects. */
export const CertificateSubmissionSchema = Type.Object(
  {
    person: Type.Object(
      {
        nir: Type.String({ format: 'nir', description: 'NIR du salarié : 13 chiffres et la clé' }),
        birthDate: Type.String({ format: 'date', description: 'date de naissance du salarié' }),
      },
      { additionalProperties: false },
    ),
    employerReference: Type.String({
      minLength: 3,
      maxLength: 64,
      pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]*$',
      description: 'référence de l’attestation dans le système de l’employeur',
    }),
    supersedes: Type.Optional(
      Type.String({ format: 'uuid', description: 'attestation contestée que celle-ci corrige' }),
    ),
    ...CertificateContentSchema.properties,
  },
  { additionalProperties: false },
);
export type CertificateSubmission = Static<typeof CertificateSubmissionSchema>;

export const DisputeSchema = Type.Object(
  {
    reason: Type.Enum(DISPUTE_REASONS),
    comment: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type Dispute = Static<typeof DisputeSchema>;

const monthOf = (date: string) => date.slice(0, 7);

/**
 * The rules a schema cannot say, over a body the schema accepted: the period runs forward and
 * is over, the salaries are of distinct months within it, the birth date is past. One issue per
 * field, named as the schema names them (`body.employment.to`), with a French sentence.
 */
export function certificateIssues(
  body: Pick<CertificateSubmission, 'person' | 'employment' | 'salaries'>,
  today: string,
  prefix = 'body',
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const { from, to } = body.employment;
  if (body.person.birthDate >= today)
    issues.push({
      field: `${prefix}.person.birthDate`,
      rule: 'past',
      message: 'La date de naissance doit être passée.',
    });
  if (from > today)
    issues.push({
      field: `${prefix}.employment.from`,
      rule: 'past',
      message: 'La date de début d’emploi ne peut pas être dans le futur.',
    });
  if (to > today)
    issues.push({
      field: `${prefix}.employment.to`,
      rule: 'past',
      message:
        'La date de fin d’emploi ne peut pas être dans le futur : l’attestation est établie à la fin du contrat.',
    });
  else if (from > to)
    issues.push({
      field: `${prefix}.employment.to`,
      rule: 'after_start',
      message: 'La date de fin d’emploi ne peut pas précéder la date de début.',
    });
  const seen = new Set<string>();
  body.salaries.forEach((salary, i) => {
    const field = `${prefix}.salaries.${i}.month`;
    if (seen.has(salary.month))
      issues.push({ field, rule: 'unique', message: `Le mois ${salary.month} est déclaré deux fois.` });
    else if (salary.month < monthOf(from) || salary.month > monthOf(to))
      issues.push({
        field,
        rule: 'within_period',
        message: `Le mois ${salary.month} est hors de la période d’emploi (${monthOf(from)} à ${monthOf(to)}).`,
      });
    seen.add(salary.month);
  });
  return issues;
}
