/**
 * The intermediate archive (issue 24 §2, migration 0033): a class of a file moved out of
 * `person_fields` by a retention rule whose outcome is `archive`, sealed as the file held it (its
 * own wrapped data key): readable only by the DPO's archive read, destroyed by the archive's rule.
 */
export interface RetentionArchiveTable {
  id: string;
  person_id: string;
  field_class: string;
  kek_version: number;
  wrapped_key: Buffer;
  ciphertext: Buffer;
  /** When the value had last been written in the file. */
  updated_at: string;
  archived_at: string;
  /** The retention rule that archived it. */
  rule_id: string;
}

export interface RetentionArchiveTables {
  retention_archive: RetentionArchiveTable;
}
