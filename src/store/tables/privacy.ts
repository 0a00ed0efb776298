/** Privacy's table (src/privacy): the persons' reports about their journal. */

/** "Signaler un accès suspect": a job seeker's report to the DPO about one event of their journal. */
export interface AccessReportsTable {
  id: string;
  at: string;
  person_id: string;
  account_id: string;
  event_id: string;
  /** The job seeker's words, sealed like every personal value. */
  comment: Buffer | null;
  status: string;
}

export interface PrivacyTables {
  access_reports: AccessReportsTable;
}
