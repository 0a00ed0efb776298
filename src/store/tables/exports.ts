/**
 * Bulk exports (guard issue): a file of the persons in a partner's scope, requested by one
 * security officer or DPO and approved by another, encrypted under a passphrase handed over
 * out of band, expiring. The passphrase is never stored; the sealed file is, until expiry.
 */
export interface ExportsTable {
  id: string;
  recipient_organisation_id: string;
  purpose: string;
  /** JSON array: the field classes exported (the purpose's `read` classes, never more). */
  classes: string;
  /** Account id of the requester. */
  requested_by: string;
  reason: string;
  /** Days the file stays downloadable after approval. */
  days: number;
  status: 'requested' | 'approved' | 'refused' | 'expired';
  /** Account id of the second person, who approved or refused. */
  decided_by: string | null;
  decision_note: string | null;
  requested_at: string;
  decided_at: string | null;
  expires_at: string | null;
  /** Persons in the recipient's scope before the cap. */
  scope_count: number | null;
  /** Persons exported (without the canary rows). */
  row_count: number | null;
  /** 1 when the scope was larger than the purpose's daily ceiling and cut to it. */
  capped: number;
  /** The sealed envelope (JSON, format rempart-export/1); null before approval and after expiry. */
  file: Buffer | null;
  /** Hex SHA-256 of the envelope, for the recipient to check what they downloaded. */
  file_sha256: string | null;
  downloads: number;
}

/**
 * Keyed digests (HMAC) of the identifiers of the synthetic rows planted in one export only:
 * a leaked file that holds one of them names the export it came from. Never the values.
 */
export interface ExportCanariesTable {
  export_id: string;
  /** Which of the export's canary rows (0, 1, 2). */
  canary: number;
  /** 'id', 'nir', 'email' or 'france_travail_id'. */
  kind: string;
  digest: Buffer;
}

export interface ExportTables {
  exports: ExportsTable;
  export_canaries: ExportCanariesTable;
}
