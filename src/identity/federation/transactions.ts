import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Executor, FederationTransactionsTable } from '../../store/index.ts';
import { hashToken } from '../tokens.ts';
import type { FederationProvider } from './providers.ts';

/** Long enough to sign in at the provider, short enough that a forgotten tab's request dies. */
export const TRANSACTION_TTL_SECONDS = 10 * 60;

const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

export type TransactionIntent = { intent: 'login' } | { intent: 'link'; accountId: string; sessionHash: string };

/** What the callback must find again: the state, the nonce and the PKCE verifier of one request. */
export interface AuthorizationSecrets {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export function newAuthorizationSecrets(): AuthorizationSecrets {
  return { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
}

/**
 * Keep an authorization request server-side until its callback. Returns the random id for the
 * browser's cookie; the table keeps only its hash.
 */
export async function saveTransaction(
  db: Executor,
  provider: FederationProvider,
  purpose: TransactionIntent,
  secrets: AuthorizationSecrets,
  now = new Date(),
): Promise<string> {
  // Requests abandoned at the provider would otherwise pile up: each new one sweeps the expired ones.
  await db.deleteFrom('federation_transactions').where('expires_at', '<=', now.toISOString()).execute();
  const cookieValue = randomBytes(32).toString('base64url');
  await db
    .insertInto('federation_transactions')
    .values({
      id_hash: hashToken(cookieValue),
      provider,
      intent: purpose.intent,
      account_id: purpose.intent === 'link' ? purpose.accountId : null,
      session_hash: purpose.intent === 'link' ? purpose.sessionHash : null,
      state: secrets.state,
      nonce: secrets.nonce,
      code_verifier: secrets.codeVerifier,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + TRANSACTION_TTL_SECONDS * 1000).toISOString(),
    })
    .execute();
  return cookieValue;
}

/**
 * The transaction the browser's cookie names, removed in the same step: whatever the callback
 * then decides, it cannot be presented twice. Undefined if unknown, already used or expired.
 */
export async function takeTransaction(
  db: Executor,
  cookieValue: string | undefined,
  now = new Date(),
): Promise<FederationTransactionsTable | undefined> {
  if (!cookieValue || !COOKIE_VALUE.test(cookieValue)) return undefined;
  const idHash = hashToken(cookieValue);
  const row = await db
    .selectFrom('federation_transactions')
    .selectAll()
    .where('id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row) return undefined;
  const deleted = await db.deleteFrom('federation_transactions').where('id_hash', '=', idHash).executeTakeFirst();
  // A concurrent callback with the same cookie took it first.
  if (Number(deleted.numDeletedRows) !== 1) return undefined;
  if (now >= new Date(row.expires_at)) return undefined;
  return row;
}
