/** An explicit, dated exception to one requirement of the partner security gate (at most 90 days). */
export interface DerogationsTable {
  id: string;
  organisation_id: string;
  requirement: string;
  justification: string;
  /** Account id of the security officer who approved it. */
  approved_by: string;
  approved_at: string;
  expires_at: string;
  revoked_at: string | null;
}

/** A caller proved who they are to a call-centre operator (a code sent to the person's own channel). */
export interface CallerVerificationsTable {
  id: string;
  person_id: string;
  actor_id: string;
  code_hash: string;
  attempts: number;
  created_at: string;
  verified_at: string | null;
  expires_at: string;
}

/** Access outside one's scope, justified, alerted and reviewed afterwards. */
export interface BreakGlassTable {
  id: string;
  actor_id: string;
  organisation_id: string;
  person_id: string;
  purpose: string;
  case_reference: string;
  justification: string;
  /** JSON array of field classes. */
  classes: string;
  granted_at: string;
  expires_at: string;
  review_status: 'pending' | 'justified' | 'abusive';
  reviewed_by: string | null;
  reviewed_at: string | null;
  review_note: string | null;
}

/** The version of what decisions cache about organisations (bumped by triggers on their tables). */
export interface PolicyEpochTable {
  id: number;
  version: number;
}

/** A caller check that reached nobody, answered as sent: its confirmations fail as wrong codes do. */
export interface CallerBlankVerificationsTable {
  id: string;
  actor_id: string;
  attempts: number;
  created_at: string;
  expires_at: string;
}

export interface PolicyTables {
  policy_epoch: PolicyEpochTable;
  derogations: DerogationsTable;
  caller_verifications: CallerVerificationsTable;
  caller_blank_verifications: CallerBlankVerificationsTable;
  break_glass: BreakGlassTable;
}
