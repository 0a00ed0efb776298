/**
 * A registration held because it matched an existing file (issue 25 §1): the candidate sealed
 * until an agent decides, then only the decision kept.
 */
export interface RegistrationReviewsTable {
  id: string;
  created_at: string;
  channel: 'online' | 'desk' | 'paper' | 'import';
  account_id: string | null;
  actor_id: string | null;
  organisation_id: string | null;
  source_organisation_id: string | null;
  /** Which blind indexes matched, comma-separated: `nir`, `name_birth`. */
  matched_on: string;
  /** The matched files' ids, a JSON array. */
  matched_person_ids: string;
  /** The candidate (input and channel attachment), sealed under the platform's secrets key; null once decided. */
  secret_version: number | null;
  sealed: Buffer | null;
  status: 'pending' | 'same_person' | 'different_persons';
  decided_at: string | null;
  decided_by_account: string | null;
  decided_by_actor: string | null;
  /** The existing file (same person) or the one created (different persons). */
  person_id: string | null;
}

/**
 * An online registration in progress, bound to an e-mail address its author proved with a
 * one-time code; kept 15 days after its last save.
 */
export interface RegistrationDraftsTable {
  id: string;
  /** The address's keyed digest (the blind index of e-mail addresses): found again, never readable. */
  email_digest: Buffer;
  code_hash: string | null;
  code_expires_at: string | null;
  code_attempts: number;
  verified_at: string | null;
  /** The digest of the token the browser holds once the address is proved. */
  token_hash: string | null;
  secret_version: number | null;
  sealed: Buffer | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
}

export interface RegistrationTables {
  registration_reviews: RegistrationReviewsTable;
  registration_drafts: RegistrationDraftsTable;
}
