export {
  ABILITIES,
  can,
  GRANTABLE_ROLES,
  grantableRoles,
  rolesAllowedTo,
  type AbilityHolder,
  type AbilityRow,
  type AbilitySubject,
  type AbilityVerb,
  type Within,
} from './abilities.ts';
export {
  agreementFromRow,
  agreementInForce,
  RELATIONSHIPS,
  type Agreement,
  type PurposeRule,
  type Relationship,
} from './agreement.ts';
export { loadActor, loadOrganisation, notEndedBefore } from './context.ts';
export {
  decide,
  declarablePurposes,
  DENIAL_REASONS,
  governingRule,
  isCaseReference,
  LISTED_IDENTITY_FIELDS,
  LISTED_RELATIONSHIPS,
  type Decision,
  type DecisionActor,
  type DecisionOrganisation,
  type DecisionRequest,
  type DenialReason,
  type Obligations,
  type Operation,
  type RelationshipFacts,
} from './decide.ts';
export {
  addressAllowed,
  ATTESTATION_VALIDITY_DAYS,
  AUDIT_VALIDITY_DAYS,
  baselineAttested,
  COMING_INTO_FORCE_REQUIREMENTS,
  comingIntoForceGate,
  DEROGATION_MAX_DAYS,
  evaluateGate,
  GATE_REQUIREMENTS,
  NO_ASSURANCE,
  parsePosture,
  processingsWithoutCompleteDpia,
  type Derogation,
  type GateAssurance,
  type GateRequirement,
  type GateResult,
  type SecurityPosture,
} from './gate.ts';
export {
  CASELOAD_MAX_PAGE_SIZE,
  LISTED_MAX,
  listCaseload,
  listedPersons,
  type CaseloadPage,
  type ListedPerson,
} from './caseload.ts';
export { alertSecurityContact, dpoContactOf, securityContactOf } from './security-contact.ts';
// Questions the other capabilities ask of the agreements, rather than reading policy's tables.
export {
  activeAgreements,
  dpoContactsFor,
  objectionExclusionOf,
  purposeLabelsOf,
  type ActiveAgreement,
  type AgreementPurpose,
} from './questions.ts';
export {
  BREAK_GLASS_MINUTES,
  grantBreakGlass,
  listBreakGlass,
  reviewBreakGlass,
  type BreakGlassReview,
  type BreakGlassVerdict,
  type BreakGlassView,
} from './break-glass.ts';
export {
  liftRestriction,
  restrictedAmong,
  restrictedClassesOf,
  restrictionsOf,
  restrictProcessing,
  type Restriction,
} from './restrictions.ts';
export {
  CALLER_CODE_MINUTES,
  confirmCallerVerification,
  startBlankVerification,
  startCallerVerification,
  VERIFIED_CALLER_MINUTES,
  type CallerCode,
  type CallerConfirmation,
} from './verified-callers.ts';
export {
  ageInYears,
  authorize,
  authorizeEach,
  authorizeWithoutPerson,
  type AccessDecision,
  type AccessRequest,
} from './access.ts';
export {
  AGREEMENT_FORMAT,
  agreementFileOf,
  AgreementFileSchema,
  agreementHistory,
  exportAgreement,
  findAgreementVersion,
  importAgreement,
  validateAgreementFile,
  type AgreementFile,
  type ImportedAgreement,
} from './agreements-file.ts';
export {
  complianceReport,
  DerogationRequestSchema,
  grantDerogation,
  listDerogations,
  PosturePatchSchema,
  revokeDerogation,
  updatePosture,
  type ComplianceReport,
  type DerogationView,
  type OrganisationCompliance,
  type PolicyTarget,
  type PosturePatch,
} from './derogations.ts';
// Issue 24: the DPIA of each processing and the partners' security-baseline attestations (gate inputs).
export {
  CONTROL_IDS,
  documentHash,
  dpiaComplete,
  DpiaSchema,
  EVIDENCE_KINDS,
  findDpia,
  listDpias,
  MEASURE_STATUSES,
  PROCESSING_PATTERN,
  REMPART_CONTROLS,
  RISK_KIND_LABELS,
  RISK_KINDS,
  saveDpia,
  validateDpia,
  type DpiaDocument,
  type DpiaVersion,
  type RempartControl,
  type RiskKind,
} from './dpia.ts';
export {
  BASELINE_ITEMS,
  BaselineAttestationSchema,
  listBaselineAttestations,
  recordBaselineAttestation,
  type BaselineAttestation,
  type BaselineAttestationRequest,
} from './baseline.ts';
export { allAgreementsInForce, assuranceOf, completeDpias, latestAttestations } from './assurance.ts';
export { referralRetentionDays } from './retention-days.ts';
