export {
  createPgSchema,
  dropPgSchema,
  migrateToLatest,
  openDatabase,
  type Database,
  type DatabaseLocation,
} from './database.ts';
export type { Flavour } from './flavour.ts';
export { isStoreUnavailable, isUniqueViolation, StoreUnavailableError, STORE_LOCK_BOUND_MS } from './errors.ts';
export { countStaleDataKeys, isStoreBoundToKeyring, recordKeyring, rewrapDataKeys, verifyKeyring } from './keys.ts';
export {
  contactChangesSince,
  CONTACT_PARTS,
  PersonStore,
  type ChangeAuthor,
  type ContactChange,
  type ContactPart,
  type PersonRecord,
  type SealedFile,
} from './persons.ts';
export type { Schema } from './schema.ts';
export { groupCommitOf, part, type GroupCommit, type GroupWriter } from './group-commit.ts';
export { afterCommit, chunks, inTransaction, locksRows, yieldToEventLoop, type Executor } from './transaction.ts';
export { householdKey, lookupDigest, lookupRows, nameBirthKey, sealPersonRows } from './person-rows.ts';
export { eraseEmptied, shredClasses } from './shred.ts';
export { updateObligations, UPDATING_CATEGORIES } from './update-obligations.ts';
export { archiveClasses, archivedClasses, retireArchive, type ArchivedRow } from './archive.ts';
export {
  EmployerCertificateStore,
  type CertificateRecord,
  type CertificateRow,
  type SealedCertificate,
} from './employer-certificates.ts';
export { retentionTriggerDates, type RetentionTriggerDates } from './retention-triggers.ts';
export type {
  AccountFactorsTable,
  AccountsTable,
  ActorCredentialsTable,
  ActorsTable,
  AgreementsTable,
  CaseloadsTable,
  OrganisationsTable,
  PersonFieldsTable,
  PersonLookupsTable,
  PersonsTable,
  ReferralsTable,
  SecurityEventsTable,
  SessionsTable,
} from './schema.ts';
export type * from './tables/administration.ts';
export type * from './tables/federation.ts';
export type * from './tables/machine-clients.ts';
export type * from './tables/passkeys.ts';
export type * from './tables/policy.ts';
export type * from './tables/ledger.ts';
export type * from './tables/guard.ts';
export type * from './tables/exports.ts';
export type * from './tables/bank-details.ts';
export type * from './tables/incidents.ts';
export type * from './tables/contact-history.ts';
export type * from './tables/appointments.ts';
export type * from './tables/notify.ts';
export type * from './tables/privacy.ts';
export type * from './tables/register-dpia.ts';
export type * from './tables/retention.ts';
export type * from './tables/rectifications.ts';
export type * from './tables/monthly-updates.ts';
export type * from './tables/registration.ts';
export type * from './tables/registration-intake.ts';
export type * from './tables/mandates.ts';
export type * from './tables/retention-archive.ts';
export type * from './tables/employer-certificates.ts';
export type * from './tables/rights-requests.ts';
export type * from './tables/paper-channel.ts';
