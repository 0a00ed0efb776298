import type { FieldClass } from '../domain/index.ts';
import type { MandateScope } from '../domain/mandates.ts';
import type { AgreementsTable } from '../store/index.ts';

/**
 * What ties a person to the caller, per purpose:
 * - `caseload`: the person is in the acting counsellor's own active caseload;
 * - `agency`: the person is followed by the acting agent's agency (any of its counsellors);
 * - `referral`: the person has an active referral to the acting organisation;
 * - `verified_caller`: the person called and proved who they are to this operator in the last 15 minutes.
 */
/**
 * What ties an actor to a person: the actor's caseload, its agency's, a referral to its
 * organisation, a caller it verified, or — for a regional control team — a bank change of the
 * person held until someone outside the teams involved reaches them; or, for an employer's
 * payroll system (`employment`, issue 25 §3), a person it named by NIR and birth date together
 * (what an employer holds of its employees, and a stranger rarely does), or one it already sent a
 * certificate for (a dispute to answer, a correction). The access pipeline establishes that tie
 * itself: the caller never asserts it. Or, for a France Services aidant (`mandate`, issue 25 §4),
 * a mandate of the person to this very aidant, confirmed by the person, in force, covering the
 * purpose's step (`mandateScope`) and not revoked for it.
 */
export const RELATIONSHIPS = [
  'caseload',
  'agency',
  'referral',
  'verified_caller',
  'held_bank_change',
  'employment',
  'mandate',
] as const;
export type Relationship = (typeof RELATIONSHIPS)[number];

/** One purpose of an agreement: who may act for it, on what, for whom, how much, how long. */
export interface PurposeRule {
  purpose: string;
  label: string;
  /** Roles of the organisation's actors that may act under this purpose. */
  roles: string[];
  read: FieldClass[];
  write: FieldClass[];
  relationship: Relationship;
  /** Distinct persons per organisation per day (the guard enforces it). */
  dailyCeiling: number;
  retentionDays: number;
  conditions?: { maxAge?: number };
  /**
   * Whether a person may object to this processing (GDPR Art. 21). Absent: objection is weighed
   * case by case. `allowed: false` names the legal reference that excludes it (a legal obligation
   * or a public task, e.g. France Travail's missions, Code du travail L. 5312-1): a refused
   * objection quotes it, never silently.
   */
  objection?: { allowed: boolean; legalReference?: string };
  /**
   * A purpose for the establishment, exercise or defence of legal claims (GDPR Art. 18.2): the
   * only one that still reads or writes a person's classes under a restriction of processing.
   */
  legalClaims?: boolean;
  /** For a purpose over the `mandate` relationship: the step of the person's mandate it acts in. */
  mandateScope?: MandateScope;
}

export interface Agreement {
  id: string;
  organisationId: string;
  reference: string;
  version: number;
  legalBasis: string;
  purposes: PurposeRule[];
  dpoContact: string;
  securityContact: string;
  validFrom: string;
  validUntil: string;
  status: AgreementsTable['status'];
}

export function agreementFromRow(row: AgreementsTable): Agreement {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    reference: row.reference,
    version: row.version,
    legalBasis: row.legal_basis,
    purposes: JSON.parse(row.purposes) as PurposeRule[],
    dpoContact: row.dpo_contact,
    securityContact: row.security_contact,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    status: row.status,
  };
}

/** Signed (active) and within its validity dates, both inclusive, on the day of `now` (UTC). */
export function agreementInForce(agreement: Agreement, now: Date): boolean {
  const today = now.toISOString().slice(0, 10);
  return agreement.status === 'active' && agreement.validFrom <= today && today <= agreement.validUntil;
}
