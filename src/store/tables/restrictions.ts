/** The policy's restrictions of processing (GDPR Art. 18), one row per person and field class in force. */
export interface PersonRestrictionsTable {
  person_id: string;
  class: string;
  /** Why, in the DPO's words (the person contests the accuracy, objects, needs the data for a claim…). */
  reason: string;
  rights_request_id: string | null;
  set_by: string;
  set_at: string;
}

export interface RestrictionTables {
  person_restrictions: PersonRestrictionsTable;
}
