/**
 * A file's previous contact, kept when the `contact` class changes (any path: an agent's
 * update, the person's own, an import). The value stays sealed as the file held it; only
 * which parts changed, when and by whom are in clear.
 */
export interface ContactHistoryTable {
  id: string;
  person_id: string;
  changed_at: string;
  /** JSON array of the parts that changed: 'email', 'phone', 'address'. */
  changed: string;
  /** The actor (and its organisation) who wrote the change, when an actor did. */
  actor_id: string | null;
  organisation_id: string | null;
  /** The person's own account, when they made the change. */
  account_id: string | null;
  /** The previous contact, sealed under the person's `contact` data key; null when there was none. */
  kek_version: number | null;
  wrapped_key: Buffer | null;
  ciphertext: Buffer | null;
  /** When the change was announced on the channels known before it. */
  announced_at: string | null;
}

export interface ContactHistoryTables {
  contact_history: ContactHistoryTable;
}
