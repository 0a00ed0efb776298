/**
 * A declared compromise: which identities (actors, organisations, machine clients, sessions),
 * over which window, through which vector; when the agency became aware (the 72-hour clock of
 * GDPR Art. 33 starts there). The incident record of Art. 33(5) is this row, its steps and its
 * documents.
 */
export interface IncidentsTable {
  id: string;
  /** INC-<year>-<number>, what staff say and the CNIL form quotes. */
  reference: string;
  title: string;
  vector: string;
  description: string;
  status: 'open' | 'closed';
  /** 'manual' (declared by a security officer or DPO) or 'guard' (opened by a containment). */
  source: 'manual' | 'guard';
  containment_id: string | null;
  /** JSON: { actors, organisations, clients, sessions } (ids; sessions by public id). */
  compromised: string;
  window_from: string;
  window_to: string;
  aware_at: string;
  declared_at: string;
  /** Account id of who declared it; null when the guard opened it. */
  declared_by: string | null;
  /** JSON summary of the last blast-radius run (totals, ledger size and checkpoint cited). */
  scope_summary: string | null;
  /** The CNIL's case number once the initial notification was filed. */
  cnil_reference: string | null;
  cnil_filed_at: string | null;
  closed_at: string | null;
  closed_by: string | null;
  closing_note: string | null;
}

/** One person exposed by an incident: the classes, when, through whom; the risk assessed. Ids only. */
export interface IncidentExposuresTable {
  incident_id: string;
  person_id: string;
  /** 1 for a decoy: evidence of the theft, not a person to notify. */
  decoy: number;
  /** JSON array of field classes. */
  classes: string;
  first_at: string;
  last_at: string;
  /** JSON array of the actor ids the data left through. */
  via: string;
  events: number;
  risk: 'high' | 'medium' | 'low';
  /** JSON array of the rule ids that set the risk. */
  rules: string;
}

/**
 * A document produced for an incident, sealed like a personal value (a letter names its
 * addressee): CNIL draft (JSON, PDF), scope export (CSV), a batch of letters (PDF).
 */
export interface IncidentDocumentsTable {
  id: string;
  incident_id: string;
  kind: 'scope_csv' | 'cnil_json' | 'cnil_pdf' | 'letters_pdf';
  /** 1, 2, … per incident and kind (each CNIL draft, each batch of letters). */
  version: number;
  title: string;
  media_type: string;
  created_at: string;
  created_by: string | null;
  /** The ledger's size the document was computed from (the same size gives the same content). */
  ledger_size: number;
  /** Hex SHA-256 of the plain document. */
  sha256: string;
  bytes: number;
  kek_version: number;
  wrapped_key: Buffer;
  ciphertext: Buffer;
}

/** One notice to one exposed person on one channel, and where its delivery stands. */
export interface IncidentNoticesTable {
  id: string;
  incident_id: string;
  person_id: string;
  channel: 'email' | 'letter';
  /** pending → sending → sent (email) or printed (letter); failed; no_address when the file has none. */
  status: 'pending' | 'sending' | 'sent' | 'printed' | 'failed' | 'no_address';
  attempts: number;
  /** The address, masked, for the register. */
  to_masked: string | null;
  /** The batch of letters (incident_documents) and the page the letter starts on. */
  document_id: string | null;
  page: number | null;
  error: string | null;
  planned_at: string;
  updated_at: string;
}

/** The register's timeline: every step, who took it, what it produced. */
export interface IncidentStepsTable {
  id: string;
  incident_id: string;
  /** 1, 2, … within the incident: the order steps were taken in. */
  position: number;
  at: string;
  kind: string;
  account_id: string | null;
  /** One sentence in French, for the register. */
  summary: string;
  /** JSON: figures (never a personal value). */
  details: string;
  document_id: string | null;
}

/**
 * Four eyes on the desk: a request by one security officer that another member of the desk
 * approves (then it is carried out) or refuses; a document's approval lets its requester
 * download it once.
 */
export interface IncidentRequestsTable {
  id: string;
  /** Null for a declaration (the incident is created when approved). */
  incident_id: string | null;
  kind: 'declare' | 'amend' | 'notices_run' | 'document' | 'action';
  /** JSON: what to carry out (the declaration, the change, the batch options, the document id, the action). Never a personal value. */
  payload: string;
  /** One sentence in French, for the approver. */
  summary: string;
  /** pending → executed (or approved, for a document, then used), refused, expired, failed. */
  status: 'pending' | 'approved' | 'executed' | 'used' | 'refused' | 'expired' | 'failed';
  requested_by: string;
  requested_at: string;
  /** A request nobody approved by then lapses. */
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_note: string | null;
  /** A document: its requester downloads it once, before this instant. */
  usable_until: string | null;
  used_at: string | null;
  /** JSON: figures of what was carried out, or the reason it failed. */
  outcome: string | null;
}

export interface IncidentTables {
  incidents: IncidentsTable;
  incident_exposures: IncidentExposuresTable;
  incident_documents: IncidentDocumentsTable;
  incident_notices: IncidentNoticesTable;
  incident_steps: IncidentStepsTable;
  incident_requests: IncidentRequestsTable;
}
