export { ConflictError, ForbiddenError, NotFoundError, ValidationError, type ValidationIssue } from './errors.ts';
export {
  FIELD_CLASSES,
  FIELD_CLASS_LABELS_FR,
  isSensitive,
  SENSITIVE_FIELD_CLASSES,
  type FieldClass,
  type SensitiveFieldClass,
} from './field-classes.ts';
export {
  isOrganisationKind,
  isPlatform,
  isRole,
  ORGANISATION_KINDS,
  PLATFORM_KINDS,
  ROLE_LABELS_FR,
  roleLabel,
  ROLES,
  type OrganisationKind,
  type Role,
} from './organisations.ts';
export { DOMAIN_FORMATS, FORMAT_MESSAGES_FR, registerDomainFormats } from './formats.ts';
export {
  AvailabilitySchema,
  ContactSchema,
  DECLARED_FLAGS,
  DeclaredMonthSchema,
  DiplomaSchema,
  ExperienceSchema,
  FIELD_CLASS_SCHEMAS,
  IdentitySchema,
  MobilitySchema,
  NewPersonSchema,
  PersonPatchSchema,
  SituationSchema,
  type DeclaredFlag,
  type DeclaredMonth,
  type FieldValue,
  type FieldValues,
  type PersonFile,
  type PersonPatch,
} from './person.ts';
export { canonicalNewPerson, canonicalPersonPatch, validateNewPerson, validatePersonPatch } from './person-rules.ts';
export { schemaIssues, validate } from './validation.ts';
export * from './validators.ts';
export { systemClock, type Clock } from './clock.ts';
export {
  bornLabel,
  formatFrenchDate,
  formatNir,
  formatPhone,
  frenchDay,
  frenchInstant,
  ofName,
  ofOrganisation,
  organisationInSentence,
  plural,
  toOrganisation,
} from './french.ts';
export { ROME_LABELS, romeLabel } from './rome.ts';
export {
  assertNoDirectBankWrite,
  bankDetailsIssues,
  canonicalBankDetails,
  holderNamesPerson,
  nameWords,
  SEPA_COUNTRIES,
  type BankDetailsInput,
  type HolderIdentity,
} from './bank.ts';
export { FILE_FIELD_LABELS } from './file-fields.ts';
export {
  CERTIFICATE_STATUSES,
  certificateIssues,
  CertificateContentSchema,
  CertificateSubmissionSchema,
  CONTRACT_KIND_LABELS_FR,
  CONTRACT_KINDS,
  DISPUTE_REASON_LABELS_FR,
  DISPUTE_REASONS,
  DisputeSchema,
  END_REASON_LABELS_FR,
  END_REASONS,
  INDEMNITY_KINDS,
  INDEMNITY_LABELS_FR,
  MAX_SALARY_MONTHS,
  type CertificateContent,
  type CertificateStatus,
  type CertificateSubmission,
  type ContractKind,
  type Dispute,
  type DisputeReason,
  type EndReason,
  type IndemnityKind,
} from './employer-certificates.ts';
export { endOfParisDay, parisDate, startOfParisDay } from './paris-time.ts';
