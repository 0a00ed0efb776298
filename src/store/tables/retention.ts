/** Retention's tables (src/privacy/retention, migration 0029). Never a value nor a name. */

/** One imported version of the retention rules file (`rempart.retention/v1`); the highest is in force. */
export interface RetentionRuleSetsTable {
  version: number;
  /** The file, canonical JSON. */
  file: string;
  imported_at: string;
  imported_by: string;
}

/** A litigation hold: while not lifted, no retention rule touches the person. */
export interface RetentionHoldsTable {
  id: string;
  person_id: string;
  reason: string;
  set_at: string;
  set_by: string;
  lifted_at: string | null;
  lifted_by: string | null;
}

/** A purge run: its cursor makes an interrupted run resume where its last committed batch ended. */
export interface RetentionRunsTable {
  id: string;
  started_at: string;
  as_of: string;
  state: 'running' | 'done';
  rules_version: number;
  cursor: string;
  counts: string;
  finished_at: string | null;
}

/** The notice sent before a purge: once per person and rule. */
export interface RetentionNoticesTable {
  person_id: string;
  rule_id: string;
  sent_at: string;
  channel: string;
}

/** What retention did, as year-month counts only (no person, no day). */
export interface RetentionStatsTable {
  month: string;
  rule_id: string;
  subject: string;
  outcome: string;
  count: number;
}

/** When a master key version stopped being used by any row, and when `keys retire` dropped it. */
export interface RetentionKeyVersionsTable {
  purpose: string;
  version: number;
  unused_since: string;
  retired_at: string | null;
}

export interface RetentionTables {
  retention_rule_sets: RetentionRuleSetsTable;
  retention_holds: RetentionHoldsTable;
  retention_runs: RetentionRunsTable;
  retention_notices: RetentionNoticesTable;
  retention_stats: RetentionStatsTable;
  retention_key_versions: RetentionKeyVersionsTable;
}
