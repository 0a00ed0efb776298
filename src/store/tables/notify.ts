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

/**
 * A message waiting to be sent, being sent, or sent: the queue the dispatcher job works from.
 * `sealed` holds the address, subject and body under the `auth_secrets` key, and is wiped once
 * a transport accepted the message; `recipient` is the masked address.
 */
export interface OutgoingMessagesTable {
  id: string;
  created_at: string;
  channel: 'email' | 'sms' | 'letter';
  recipient: string;
  idempotency_key: string | null;
  key_version: number;
  sealed: Buffer | null;
  status: 'queued' | 'sending' | 'sent' | 'failed';
  attempts: number;
  next_attempt_at: string;
  lease_until: string | null;
  last_error: string | null;
  transport: string | null;
  sent_at: string | null;
}

export interface NotifyTables {
  notifications: NotificationsTable;
  outgoing_messages: OutgoingMessagesTable;
}
