export { accessJournal, journalLeafHash, JOURNAL_KINDS, JOURNAL_MAX_PAGE_SIZE, type JournalEntry, type JournalPage } from './journal.ts';
export { dpoContactsFor, listAccessReports, reportAccess, type AccessReport, type ReportForDpo } from './reports.ts';
