import type { FieldClass } from '../domain/index.ts';
import { agreementInForce, type Agreement, type PurposeRule, type Relationship } from './agreement.ts';

/**
 * What is done with a person's data: read it, write it, or see them in a list (a caseload, the
 * persons referred to a partner). A list shows who is there and nothing more: it is granted only
 * for a purpose whose relationship is a list (`LISTED_RELATIONSHIPS`) and which reads `identity`,
 * and it releases `identity` alone, of which `LISTED_IDENTITY_FIELDS` leave.
 */
export type Operation = 'read' | 'write' | 'list';

/** Relationships that are a list of persons held by the actor or its organisation. */
export const LISTED_RELATIONSHIPS: readonly Relationship[] = ['caseload', 'referral'];

/** Of `identity`, what a list shows: enough to know whom one is about to open, nothing else. */
export const LISTED_IDENTITY_FIELDS = ['lastName', 'usageName', 'firstNames', 'birthDate'] as const;

export interface DecisionActor {
  id: string;
  organisationId: string;
  roles: readonly string[];
  status: string;
}

export interface DecisionOrganisation {
  id: string;
  kind: string;
  status: string;
  agreements: readonly Agreement[];
  /** The partner security gate, already evaluated for this request (posture, derogations, network). */
  gate: { compliant: boolean; unmet: readonly string[] };
}

/** What ties this person to this actor, established from the store before deciding. */
export interface RelationshipFacts {
  caseload: boolean;
  agency: boolean;
  referral: boolean;
  verifiedCaller: boolean;
  /** The person has a bank change held for verification. */
  heldBankChange: boolean;
  /**
   * The caller's organisation employed the person, as the access pipeline established it: the
   * request named them by NIR and birth date, or the organisation already certified for them.
   */
  employment: boolean;
  /**
   * A mandate of the person to the acting aidant covers the purpose's step, as the access pipeline
   * established it (the mandates capability answers): confirmed, in force, that step not revoked.
   */
  mandate?: boolean;
  /** Age in whole years, when a purpose's conditions need it. */
  ageYears?: number;
  /** The person's field classes under a restriction of processing (GDPR Art. 18), if any. */
  restrictedClasses?: readonly FieldClass[];
}

export interface DecisionRequest {
  actor: DecisionActor;
  organisation: DecisionOrganisation;
  purpose: string | undefined;
  caseReference: string | undefined;
  operation: Operation;
  /** Field classes asked for; none means all the purpose grants for the operation. */
  classes?: readonly FieldClass[];
  facts: RelationshipFacts;
  now: Date;
}

/** Every reason a request is refused; 422 for what the caller failed to declare, 403 for the rest. */
export const DENIAL_REASONS = {
  purpose_missing: 422,
  case_reference_missing: 422,
  purpose_unknown: 422,
  actor_inactive: 403,
  actor_other_organisation: 403,
  organisation_suspended: 403,
  agreement_expired: 403,
  role_not_allowed: 403,
  posture_non_compliant: 403,
  person_out_of_scope: 403,
  condition_not_met: 403,
  operation_not_granted: 403,
  field_class_not_granted: 403,
  processing_restricted: 403,
} as const;
export type DenialReason = keyof typeof DENIAL_REASONS;

export interface Obligations {
  /** The access is recorded, field classes and all, before any value leaves. */
  recordAccess: true;
  dailyCeiling: number;
  retentionDays: number;
  /**
   * The purpose lets the actor record a follow-up (the `follow_up` class): a counsellor or a
   * partner adviser does something with the files they read, so reading many and following
   * none up is a signal. Paying allowances or checking rights is reading.
   */
  followUpExpected: boolean;
}

export type Decision =
  | {
      allowed: true;
      classes: FieldClass[];
      purpose: string;
      caseReference: string;
      agreement: { id: string; reference: string; version: number };
      relationship: Relationship;
      obligations: Obligations;
      /** The purpose's conditions on the person (a list applies them to each person it shows). */
      conditions?: { maxAge?: number };
      /** Classes the purpose grants that a restriction of processing withholds from this person. */
      restricted?: FieldClass[];
    }
  | { allowed: false; reason: DenialReason; detail?: string };

const CASE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{2,63}$/;

export function isCaseReference(value: string | undefined): value is string {
  return value !== undefined && CASE_REFERENCE.test(value);
}

/** Whether the facts establish the tie a purpose's relationship requires. */
export function related(relationship: Relationship, facts: RelationshipFacts): boolean {
  switch (relationship) {
    case 'caseload':
      return facts.caseload;
    case 'agency':
      return facts.agency;
    case 'referral':
      return facts.referral;
    case 'verified_caller':
      return facts.verifiedCaller;
    case 'held_bank_change':
      return facts.heldBankChange;
    case 'employment':
      return facts.employment;
    case 'mandate':
      return facts.mandate === true;
  }
}

/**
 * The classes asked for (none: all those granted), and those of them not granted. `asked` is a
 * copy: whoever holds a decision cannot widen the grant it came from.
 */
export function classesWithin(
  requested: readonly FieldClass[] | undefined,
  granted: readonly FieldClass[],
): { asked: FieldClass[]; refused: FieldClass[] } {
  const asked = requested && requested.length > 0 ? [...new Set(requested)] : [...granted];
  return { asked, refused: asked.filter((c) => !granted.includes(c)) };
}

const deny = (reason: DenialReason, detail?: string): Decision =>
  detail === undefined ? { allowed: false, reason } : { allowed: false, reason, detail };

/**
 * The access decision, deny by default. Each check below is a reason to refuse, in the order a
 * reader would ask: who acts, for which organisation, under which declared purpose and
 * agreement, with which role, from a compliant organisation, for a person tied to them, on
 * which field classes. Only if every answer is yes does a decision name field classes, and
 * the store decrypts those and nothing else.
 */
/**
 * The rule that governs `purpose` for an organisation: from its own agreements only (whatever
 * list the caller passed), the highest version in force that declares the purpose.
 */
export function governingRule(
  organisation: Pick<DecisionOrganisation, 'id' | 'agreements'>,
  purpose: string,
  now: Date,
): { agreement: Agreement; rule: PurposeRule } | 'purpose_unknown' | 'agreement_expired' {
  const declaring = organisation.agreements.filter(
    (a) => a.organisationId === organisation.id && a.purposes.some((p) => p.purpose === purpose),
  );
  if (declaring.length === 0) return 'purpose_unknown';
  const agreement = declaring.filter((a) => agreementInForce(a, now)).sort((a, b) => b.version - a.version)[0];
  if (!agreement) return 'agreement_expired';
  return { agreement, rule: agreement.purposes.find((p) => p.purpose === purpose)! };
}

/**
 * The purposes an actor may declare, as `decide` reads them: each purpose its organisation's
 * agreements declare whose governing rule is in force and names one of the actor's roles. A
 * suspended organisation declares nothing (`decide` refuses it every purpose).
 */
export function declarablePurposes(
  organisation: Pick<DecisionOrganisation, 'id' | 'status' | 'agreements'>,
  roles: readonly string[],
  now: Date,
): Array<{ agreement: Agreement; rule: PurposeRule }> {
  if (organisation.status !== 'active') return [];
  const names = [
    ...new Set(
      organisation.agreements
        .filter((a) => a.organisationId === organisation.id)
        .flatMap((a) => a.purposes.map((p) => p.purpose)),
    ),
  ];
  return names
    .map((name) => governingRule(organisation, name, now))
    .filter(
      (governing): governing is { agreement: Agreement; rule: PurposeRule } =>
        typeof governing !== 'string' && governing.rule.roles.some((role) => roles.includes(role)),
    );
}

/** The classes a purpose grants for an operation; a list, `identity` at most, and only over a list relationship. */
function grantedFor(rule: PurposeRule, operation: Operation): readonly FieldClass[] {
  // A mandate never reaches bank details (issue 25 §4), whatever an agreement was made to say.
  if (rule.relationship === 'mandate' && operation !== 'list')
    return (operation === 'read' ? rule.read : rule.write).filter((c) => c !== 'bank');
  if (operation === 'read') return rule.read;
  if (operation === 'write') return rule.write;
  return LISTED_RELATIONSHIPS.includes(rule.relationship) && rule.read.includes('identity') ? ['identity'] : [];
}

export function decide(request: DecisionRequest): Decision {
  const { actor, organisation, facts, now } = request;
  if (actor.status !== 'active') return deny('actor_inactive');
  if (actor.organisationId !== organisation.id) return deny('actor_other_organisation');
  if (organisation.status !== 'active') return deny('organisation_suspended');
  if (!request.purpose) return deny('purpose_missing');
  if (!isCaseReference(request.caseReference)) return deny('case_reference_missing');

  const governing = governingRule(organisation, request.purpose, now);
  if (governing === 'purpose_unknown') return deny('purpose_unknown', request.purpose);
  if (governing === 'agreement_expired') return deny('agreement_expired');
  const { agreement, rule } = governing;

  if (!rule.roles.some((role) => actor.roles.includes(role))) return deny('role_not_allowed');
  if (!organisation.gate.compliant) return deny('posture_non_compliant', organisation.gate.unmet.join(','));
  if (!related(rule.relationship, facts)) return deny('person_out_of_scope');
  if (
    rule.conditions?.maxAge !== undefined &&
    !(facts.ageYears !== undefined && facts.ageYears <= rule.conditions.maxAge)
  )
    return deny('condition_not_met');

  const granted = grantedFor(rule, request.operation);
  if (granted.length === 0) return deny('operation_not_granted');
  const { asked, refused } = classesWithin(request.classes, granted);
  if (refused.length) return deny('field_class_not_granted', refused.join(','));

  // A restriction of processing (Art. 18) withholds its classes from every purpose but one for
  // legal claims: asked for by name, refused; implied by a whole file, left out and said so.
  const restricted = rule.legalClaims ? [] : asked.filter((c) => facts.restrictedClasses?.includes(c));
  const explicit = request.classes !== undefined && request.classes.length > 0;
  if (restricted.length && (explicit || restricted.length === asked.length))
    return deny('processing_restricted', restricted.join(','));
  const released = asked.filter((c) => !restricted.includes(c));

  return {
    allowed: true,
    classes: released,
    purpose: rule.purpose,
    caseReference: request.caseReference,
    agreement: { id: agreement.id, reference: agreement.reference, version: agreement.version },
    relationship: rule.relationship,
    obligations: {
      recordAccess: true,
      dailyCeiling: rule.dailyCeiling,
      retentionDays: rule.retentionDays,
      followUpExpected: rule.write.includes('follow_up'),
    },
    ...(rule.conditions ? { conditions: { ...rule.conditions } } : {}),
    ...(restricted.length ? { restricted } : {}),
  };
}
