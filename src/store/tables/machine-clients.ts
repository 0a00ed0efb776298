/**
 * A partner information system calling the API machine to machine. It authenticates with a
 * JWT signed by a private key only the partner holds (private_key_jwt): we keep the public JWK
 * Set, never a private key, so a copy of this table lets nobody impersonate the partner.
 */
export interface MachineClientsTable {
  /** The OAuth client_id: the `iss` and `sub` of the client's assertions. */
  id: string;
  organisation_id: string;
  /** The actor of kind 'machine' that acts for the organisation through this client. */
  actor_id: string;
  name: string;
  /** JSON: the public JWK Set, normalised (public members only, `kid` and `alg` always set). */
  jwks: string;
  status: 'active' | 'revoked';
  created_at: string;
  revoked_at: string | null;
}

/**
 * The `jti` of every assertion accepted, kept until the assertion could no longer pass the
 * expiry check: a replay is refused even by another process or after a restart.
 */
export interface MachineAssertionJtisTable {
  client_id: string;
  jti: string;
  expires_at: string;
}

/** Access tokens handed to machine clients: only their SHA-256, with what they allow and until when. */
export interface MachineTokensTable {
  /** Safe to show and to name in an event, unlike the token. */
  id: string;
  token_hash: string;
  client_id: string;
  organisation_id: string;
  /** Space-separated purposes granted (OAuth scope). */
  scope: string;
  issued_at: string;
  expires_at: string;
}

export interface MachineClientTables {
  machine_clients: MachineClientsTable;
  machine_assertion_jtis: MachineAssertionJtisTable;
  machine_tokens: MachineTokensTable;
}
