/** Registration by an agent and by a partner's import (src/registration/intake.ts, issue 25 §1). */

/**
 * One registration keyed in by an agent (at the desk, or from a signed paper form) or sent in a
 * partner's batch: who answers for it, how the person consented, where the receipt or notice
 * goes, and the file it created once created (at once, or after an agent's review of a match).
 */
export interface RegistrationIntakesTable {
  id: string;
  channel: 'desk' | 'paper' | 'import';
  /** The file, once created (null while a match waits for an agent, and for good on « même personne »). */
  person_id: string | null;
  /** The candidate held for an agent when it matched an existing file. */
  review_id: string | null;
  /** The agent's organisation, or the partner that sent the batch. */
  organisation_id: string;
  actor_id: string;
  account_id: string | null;
  batch_id: string | null;
  /** `desk`: present and signing; `paper`: a signed form received (then `consent_received_on`). Null for an import. */
  consent_given: 'desk' | 'paper' | null;
  consent_received_on: string | null;
  /** SHA-256 of the consent text the person was shown or signed (a published version). */
  consent_text_hash: string | null;
  /** `handed`: downloaded by the agent; `posted`: queued as a letter; `notice`: an import's letter. */
  receipt: 'handed' | 'posted' | 'notice';
  /** The letter queued (posted receipt, import notice). */
  letter_id: string | null;
  key_version: number | null;
  /** The receipt's or notice's text, sealed under the keyring bound to the intake's id (null until the file exists). */
  sealed: Buffer | null;
  recorded_at: string;
  registered_at: string | null;
  /** The first time the agent downloaded a handed receipt. */
  receipt_issued_at: string | null;
}

/** A partner's batch: all its records registered or held, or none (a refused batch leaves no row). */
export interface RegistrationImportBatchesTable {
  id: string;
  organisation_id: string;
  client_id: string | null;
  actor_id: string;
  /** `rsa` (a département), `young_person` (a mission locale), `cap_emploi`. */
  source: string;
  /** The partner's own reference for the batch (its `Rempart-Case-Reference`). */
  reference: string;
  records: number;
  registered: number;
  held: number;
  received_at: string;
}

export interface RegistrationIntakeTables {
  registration_intakes: RegistrationIntakesTable;
  registration_import_batches: RegistrationImportBatchesTable;
}
