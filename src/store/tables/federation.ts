/**
 * An identity at an OpenID Connect provider (its issuer and subject) linked to a Rempart
 * account by the account holder. Only the pairwise identifier is kept: names and emails the
 * provider sends stay with the provider.
 */
export interface FederatedIdentitiesTable {
  id: string;
  account_id: string;
  provider: 'franceconnect' | 'proconnect';
  issuer: string;
  subject: string;
  linked_at: string;
  last_login_at: string | null;
}

/**
 * An authorization request in flight, from the redirect to the provider until its callback:
 * single use, ten minutes at most. The browser holds a random id in a cookie; the table
 * keeps only its SHA-256, with what the callback must check (state, nonce, PKCE verifier).
 */
export interface FederationTransactionsTable {
  id_hash: string;
  provider: 'franceconnect' | 'proconnect';
  intent: 'login' | 'link';
  /** Link only: the account being linked and the session that asked (its id hash), checked again at the callback. */
  account_id: string | null;
  session_hash: string | null;
  state: string;
  nonce: string;
  code_verifier: string;
  created_at: string;
  expires_at: string;
}

/** Tables of this capability, each named by its table name. */
export interface FederationTables {
  federated_identities: FederatedIdentitiesTable;
  federation_transactions: FederationTransactionsTable;
}
