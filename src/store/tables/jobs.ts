/** The job runner's table (src/jobs): one row per run of a scheduled job and its slot. */
export interface JobRunsTable {
  job: string;
  /** The start of the period this run is for (ISO 8601, UTC): with `job`, the primary key. */
  slot: string;
  state: 'running' | 'done' | 'failed';
  /** The process that holds or held the run (host, pid, a random part). */
  runner: string;
  attempts: number;
  started_at: string;
  /** Past this instant a run still `running` is taken as abandoned (its process died) and may be retried. */
  lease_until: string;
  finished_at: string | null;
  /** Why the last attempt failed (a message, never personal data). */
  error: string | null;
}

export interface JobTables {
  job_runs: JobRunsTable;
}
