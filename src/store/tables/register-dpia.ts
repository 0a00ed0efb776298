/**
 * Issue 24 (sections 3 and 4), migration 0030: the DPIA of each processing and the partners'
 * security-baseline attestations (policy: the security gate reads them), and the versions of
 * the generated record of processing activities (privacy: GDPR Art. 30).
 */

/** One version of the DPIA (AIPD) of one processing (an agreement purpose), as the DPO wrote it. */
export interface DpiasTable {
  /** The processing: an agreement purpose slug, grouped across agreements. */
  processing: string;
  version: number;
  /** JSON: context, principles, risks, measures with their evidence, action plan, DPO opinion. */
  document: string;
  /** Hex SHA-256 of the canonical JSON (RFC 8785) of `document`. */
  hash: string;
  /** 1 when every measure is implemented with its evidence (what the gate asks). */
  complete: number;
  /** Account id of the DPO who saved this version. */
  updated_by: string;
  created_at: string;
}

/** An organisation's attestation of the security baseline: second factor, scoped authorisations, logs that detect anomalies. */
export interface BaselineAttestationsTable {
  id: string;
  organisation_id: string;
  /** Who attested for the organisation (name and function), as declared. */
  attested_by: string;
  attester_role: string;
  /** When the organisation attested (ISO instant). */
  attested_at: string;
  /** JSON: what was attested, item by item. */
  items: string;
  statement: string | null;
  /** Account id of whoever recorded it at the desk. */
  recorded_by: string;
  recorded_at: string;
}

/** One version of the generated record of processing activities (GDPR Art. 30). */
export interface RegisterVersionsTable {
  version: number;
  /** Hex SHA-256 of the canonical JSON of `document`. */
  hash: string;
  /** JSON: the register's entries and processor records. */
  document: string;
  /** What regenerated it: an agreement import (`agreement:REF:v`) or a change found when read (`drift`). */
  cause: string;
  created_at: string;
}

export interface RegisterDpiaTables {
  dpias: DpiasTable;
  baseline_attestations: BaselineAttestationsTable;
  register_versions: RegisterVersionsTable;
}
