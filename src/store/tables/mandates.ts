/** A mandate a person gave (or is asked to give) one aidant of a France Services house (issue 25 §4). */
export interface MandatesTable {
  id: string;
  person_id: string;
  organisation_id: string;
  actor_id: string;
  duration: string;
  consent: string;
  /** The mandate's text as the person saw it; no value of their file. */
  text: string;
  text_sha256: string;
  status: 'pending' | 'active' | 'refused';
  created_at: string;
  confirmed_at: string | null;
  /** How the person confirmed: in their espace, or the code read out on the aidant's screen. */
  confirmed_via: string | null;
  expires_at: string | null;
  code_hash: string | null;
  code_attempts: number;
  code_expires_at: string | null;
  notice_sent_at: string | null;
  expiry_sent_at: string | null;
}

/** One step a mandate grants, revocable on its own. */
export interface MandateScopesTable {
  mandate_id: string;
  scope: string;
  revoked_at: string | null;
  /** `espace` (the person) or `letter` (recorded by an agent). */
  revoked_via: string | null;
  revoked_by_actor: string | null;
}

export interface MandateTables {
  mandates: MandatesTable;
  mandate_scopes: MandateScopesTable;
}
