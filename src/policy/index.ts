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
  AUDIT_VALIDITY_DAYS,
  DEROGATION_MAX_DAYS,
  evaluateGate,
  GATE_REQUIREMENTS,
  parsePosture,
  type Derogation,
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
export { alertSecurityContact, securityContactOf } from './security-contact.ts';
// Questions the other capabilities ask of the agreements, rather than reading policy's tables.
export {
  activeAgreements,
  dpoContactsFor,
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
