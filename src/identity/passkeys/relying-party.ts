/** Who the browser talks to: WebAuthn scopes every passkey to this name, host and origin. */
export interface RelyingParty {
  /** Shown by the authenticator next to the account name. */
  name: string;
  /** The host name: a passkey made for it is usable on it (and its subdomains) only. */
  id: string;
  /** Scheme, host and port the ceremony must have run on, as the browser writes it in the client data. */
  origin: string;
}

export const RELYING_PARTY_NAME = 'Rempart';

export function relyingPartyFor(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return { name: RELYING_PARTY_NAME, id: url.hostname, origin: url.origin };
}
