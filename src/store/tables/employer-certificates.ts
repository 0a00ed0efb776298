/**
 * Employers' end-of-contract certificates (issue 25 §3, migration 0034): the certificate's values
 * sealed under their own data key (`benefits` class master key, context
 * `employer-certificate:<id>`), and in clear only what routes it.
 */
export interface EmployerCertificatesTable {
  id: string;
  person_id: string;
  /** The employer: its organisation, the machine client that sent it and that client's actor. */
  organisation_id: string;
  client_id: string;
  actor_id: string;
  /** The employer's own reference of the certificate (its payroll system's). */
  employer_reference: string;
  status: 'received' | 'disputed' | 'superseded';
  received_at: string;
  /** The disputed certificate this one corrects. */
  supersedes: string | null;
  superseded_by: string | null;
  superseded_at: string | null;
  disputed_at: string | null;
  /** A code of DISPUTE_REASONS; the comment, if any, is sealed with the certificate. */
  dispute_reason: string | null;
  disputed_by_account: string | null;
  disputed_by_actor: string | null;
  kek_version: number;
  wrapped_key: Buffer;
  ciphertext: Buffer;
}

export interface EmployerCertificateTables {
  employer_certificates: EmployerCertificatesTable;
}
