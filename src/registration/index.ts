export {
  MATCH_KINDS,
  REGISTRATION_CHANNELS,
  RegistrationInputSchema,
  REVIEW_DECISIONS,
  type AdministrativeCategory,
  type Attachment,
  type CandidateView,
  type Decider,
  type DuplicateConfirmedEvent,
  type HeldAsDuplicate,
  type MatchKind,
  type Registered,
  type RegisteredEvent,
  type RegistrationChannel,
  type RegistrationChannelKind,
  type RegistrationInput,
  type RegistrationOutcome,
  type ReviewDecision,
  type ReviewSummary,
  type StatisticalCategory,
} from './model.ts';
export { categoriesOf, REDUCED_ACTIVITY_SHORT_MAX_HOURS } from './category.ts';
export { Registrations, type RegisterOptions, type RegistrationDeps } from './service.ts';
// Registration by an agent (desk, paper form) and by a partner's import (docs/registration-intake.md).
export {
  CONSENT_MODES,
  CONSENT_TEXTS,
  ConsentSchema,
  consentTextHash,
  RECEIPT_DELIVERIES,
  type Consent,
  type ReceiptDelivery,
} from './consent.ts';
export {
  IMPORT_MAX_RECORDS,
  IMPORT_SOURCES,
  RegistrationIntake,
  type Agent,
  type DeskRequest,
  type Importer,
  type ImportResult,
  type IntakeOutcome,
} from './intake.ts';
export {
  CODE_MAX_ATTEMPTS,
  CODE_TTL_MS,
  DRAFT_TTL_MS,
  OnlineRegistration,
  REGISTRATION_LIMITS,
  RegistrationThrottled,
  RenewalSchema,
  SubmitBodySchema,
  type DraftView,
  type OnlineRegistrationDeps,
  type SubmitAnswer,
} from './online.ts';
