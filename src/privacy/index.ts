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
