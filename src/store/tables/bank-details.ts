/**
 * A change of a person's bank details, from request to effect: payments follow it only once
 * its cooling-off has passed and no verification is pending. The new details are sealed with
 * a data key of their own, bound to the change (not to the file, so they cannot be pasted
 * into the file's `bank` class to skip the wait).
 */
export interface BankChangesTable {
  id: string;
  person_id: string;
  /** The person's id while the change is open (unique), null once closed. */
  open_slot: string | null;
  status: BankChangeStatus;
  requested_via: 'job_seeker' | 'agent';
  /** The job seeker's account that asked, when they did. */
  account_id: string | null;
  /** The agent who entered it on the person's documented request, when one did. */
  actor_id: string | null;
  /** How the agent received the request (letter, at the desk, by phone) and its reference. */
  request_kind: string | null;
  request_reference: string | null;
  requested_at: string;
  /** When payments may follow the change: the request plus the cooling-off, or later. */
  effective_at: string;
  applied_at: string | null;
  /** When the out-of-band notices went out: a change nobody was told of never takes effect. */
  notified_at: string | null;
  /** Blind index of the new IBAN: the shared-account check, without the IBAN. */
  iban_digest: Buffer;
  kek_version: number;
  wrapped_key: Buffer;
  ciphertext: Buffer;
  /** JSON array of the reasons the change waits for a verification (empty when none). */
  reasons: string;
  /** SHA-256 of the "ce n'est pas moi" code sent with the notices. */
  freeze_code_hash: string;
  freeze_code_used_at: string | null;
  frozen_at: string | null;
  /** Actor who verified (approved or rejected) it. */
  decided_by: string | null;
  decided_at: string | null;
  decision_note: string | null;
  /** JSON array of the contact changes (ids) an agent of another team verified for this change, after reaching the person. */
  contact_cleared: string;
}

export type BankChangeStatus = 'cooling_off' | 'awaiting_verification' | 'frozen' | 'rejected' | 'effective';

/** A hold on a person's bank details: while one is in force, any change waits for an agent. */
export interface BankHoldsTable {
  id: string;
  person_id: string;
  source: 'counsellor' | 'agent' | 'freeze' | 'incident' | 'guard';
  /** A reason code, shown to the person in plain French. */
  reason: string;
  note: string | null;
  /** Actor who placed it (null for the system: a freeze, an incident). */
  placed_by: string | null;
  /** An incident's or a request's reference. */
  reference: string | null;
  placed_at: string;
  lifted_at: string | null;
  lifted_by: string | null;
  lift_note: string | null;
}

export interface BankDetailsTables {
  bank_changes: BankChangesTable;
  bank_holds: BankHoldsTable;
}
