export {
  accessJournal,
  journalLeafHash,
  JOURNAL_KINDS,
  JOURNAL_MAX_PAGE_SIZE,
  type JournalEntry,
  type JournalPage,
} from './journal.ts';
export { listAccessReports, reportAccess, type AccessReport, type ReportForDpo } from './reports.ts';
export {
  journalEvents,
  SECURITY_EVENT_LABELS,
  SECURITY_EVENTS_MAX_PAGE_SIZE,
  securityEvents,
  type SecurityEvent,
  type SecurityEventsPage,
} from './activity.ts';
export * from './rights-requests/index.ts';
export * from './retention/index.ts';
// Rectification (Art. 16) and its notices to the recipients (Art. 19).
export * from './rectification/index.ts';
// The paper channel (issue 25 §5): the choice of paper for all correspondence, and the letters' life.
export * from './paper/index.ts';
// Issue 24: the record of processing activities (GDPR Art. 30), generated from the agreements in force.
export {
  CNIL_REGISTER_COLUMNS,
  CONTROLLER,
  dpiaStatusByProcessing,
  generateRegister,
  NO_TRANSFER_OUTSIDE_EU,
  processingOf,
  processingsCreatedAt,
  regenerateRegister,
  REGISTER_FORMAT,
  registerCsv,
  registerHash,
  registerVersion,
  registerVersions,
  type ProcessorRecord,
  type RegisterDocument,
  type RegisterEntry,
  type RegisterVersion,
} from './register.ts';
