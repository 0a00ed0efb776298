/** Notify's table (src/notify): the record of the messages sent. */

/** What was sent to whom and why; the body (which may hold a code) is never stored. */
export interface NotificationsTable {
  id: string;
  at: string;
  kind: string;
  account_id: string | null;
  organisation_id: string | null;
  channel: 'email' | 'sms' | 'letter';
  /** Masked address. */
  recipient: string;
  subject: string;
}

export interface NotifyTables {
  notifications: NotificationsTable;
}
