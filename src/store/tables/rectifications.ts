/** The value a rectification replaced, sealed as the file held it (the store's: it goes with its class). */
export interface FieldVersionsTable {
  id: string;
  person_id: string;
  field_class: string;
  recorded_at: string;
  replaced_at: string;
  kek_version: number;
  wrapped_key: Buffer;
  ciphertext: Buffer;
}

/** One class of a person rectified (GDPR Art. 16), answering a rights request. */
export interface RectificationsTable {
  id: string;
  rights_request_id: string;
  person_id: string;
  field_class: string;
  rectified_at: string;
  actor_id: string;
  supplied_by: 'person' | 'organisation';
  supplied_by_organisation_id: string | null;
  version_id: string | null;
  previous_recorded_at: string | null;
}

/** A rectification told to an organisation that read the class since the replaced value was recorded (Art. 19). */
export interface RectificationNoticesTable {
  id: string;
  rectification_id: string;
  organisation_id: string;
  person_id: string;
  field_class: string;
  created_at: string;
  last_read_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}

export interface RectificationTables {
  field_versions: FieldVersionsTable;
  rectifications: RectificationsTable;
  rectification_notices: RectificationNoticesTable;
}
