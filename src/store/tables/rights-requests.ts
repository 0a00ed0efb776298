/** Privacy's rights requests (src/privacy/rights-requests, migration 0028). */

export interface RightsRequestsTable {
  id: string;
  /** « DDR-2026-1A2B3C4D »: what letters and the desk quote. */
  reference: string;
  person_id: string;
  kind: 'access' | 'rectification' | 'erasure' | 'restriction' | 'objection';
  channel: 'espace' | 'agency_desk' | 'letter' | 'phone' | 'mandate';
  status: 'received' | 'identity_to_confirm' | 'in_progress' | 'extended' | 'answered' | 'closed';
  received_at: string;
  /** The account that recorded it (the person's own in their espace, an agent's otherwise). */
  recorded_by: string | null;
  /** The request in the requester's words, sealed (version byte, then the sealed bytes). */
  details: Buffer | null;
  verification_method: string | null;
  verified_by: string | null;
  verified_at: string | null;
  /** Time spent in identity_to_confirm, closed periods only (milliseconds). */
  paused_ms: number | string | bigint;
  /** Start of the pause in progress, if any. */
  paused_since: string | null;
  extended_at: string | null;
  outcome: 'granted' | 'partly_granted' | 'refused' | null;
  refusal_reason: string | null;
  legal_reference: string | null;
  answer_channel: 'espace' | 'email' | 'letter' | null;
  /** The DPO's words to the person, sealed. */
  answer: Buffer | null;
  answered_at: string | null;
  answered_by: string | null;
  closed_at: string | null;
  overdue_alerted_at: string | null;
}

export interface RightsRequestStepsTable {
  id: string;
  request_id: string;
  position: number;
  at: string;
  action: string;
  from_status: string | null;
  to_status: string;
  account_id: string | null;
  /** A note (what was asked, the extension's reasons), sealed. */
  note: Buffer | null;
  /** Non-personal facts of the step, JSON. */
  details: string;
}

export interface RightsRequestTables {
  rights_requests: RightsRequestsTable;
  rights_request_steps: RightsRequestStepsTable;
}
