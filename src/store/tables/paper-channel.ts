/** The paper channel's tables (src/privacy/paper, issue 25 §5). */

/** A person's choice of paper for all correspondence; absent: no letter beyond those a notice always sends. */
export interface CorrespondencePreferencesTable {
  person_id: string;
  /** 1: every notice announced to the person's account is also queued as a letter. */
  paper: number;
  set_at: string;
  /** The account that set it: the person's own, or the agent who recorded it on their behalf. */
  set_by_account: string | null;
  set_by: 'person' | 'agent';
}

export type PaperLetterStatus = 'queued' | 'posted' | 'returned';

/** A letter queued for the print-and-post service, and its life. */
export interface PaperLettersTable {
  id: string;
  person_id: string;
  /** The account the notice was announced to (its verified channels are the fallback). */
  account_id: string | null;
  /** The notice's kind (`factor_added_announcement`, `bank_alert`…): never its text. */
  kind: string;
  key_version: number;
  /** Subject and text of the notice, sealed under the keyring bound to the letter's id. */
  sealed: Buffer | null;
  status: PaperLetterStatus;
  queued_at: string;
  /** When the print-and-post service last took its PDF. */
  printed_at: string | null;
  posted_at: string | null;
  returned_at: string | null;
  /** Why it came back: `adresse_inconnue`, `destinataire_inconnu`, `refuse`, `non_reclame`, `autre`. */
  return_reason: string | null;
  /** Back: how many verified channels the notice was then sent to. */
  reached_channels: number | null;
  /** Back and reached nowhere else: 1 until an agent reaches the person. */
  needs_agent: number;
  /** « Joint par un agent » (migration 0044): how the agent reached the person (`telephone`, `agence`…). */
  reached_how: string | null;
  /** The day the person was reached, as the agent says it. */
  reached_on: string | null;
  reached_recorded_at: string | null;
  /** The agent's account that recorded it. */
  reached_by_account: string | null;
}

export interface PaperChannelTables {
  correspondence_preferences: CorrespondencePreferencesTable;
  paper_letters: PaperLettersTable;
}
