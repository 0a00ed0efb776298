import { timingSafeEqual } from 'node:crypto';
import type { AccountsTable, Executor, FederationTransactionsTable, SessionsTable } from '../../store/index.ts';
import { awaitsSecondFactor, isSessionLive, type ClientContext } from '../sessions.ts';
import { linkIdentity } from './identities.ts';
import { loginWithFederatedIdentity, type FederatedLoginOutcome, type FederatedLoginRejection } from './login.ts';
import { PROVIDER_RULES, type FederationProvider } from './providers.ts';
import { ProviderError, type ProviderFailure, type RelyingParties, type VerifiedIdentity } from './relying-party.ts';
import { newAuthorizationSecrets, saveTransaction, takeTransaction, type TransactionIntent } from './transactions.ts';
import { appendEvent } from '../../ledger/index.ts';

export interface StartedFlow {
  /** Where to send the browser. */
  authorizationUrl: string;
  /** The random id for the transaction cookie. */
  cookieValue: string;
}

async function start(
  db: Executor,
  parties: RelyingParties,
  provider: FederationProvider,
  purpose: TransactionIntent,
): Promise<StartedFlow> {
  const secrets = newAuthorizationSecrets();
  // Discovery first: a provider out of reach leaves no transaction behind.
  const url = await parties.authorizationUrl(provider, secrets);
  const cookieValue = await saveTransaction(db, provider, purpose, secrets);
  return { authorizationUrl: url.toString(), cookieValue };
}

/** Sign in with a provider: the authorization request, its secrets kept for the callback. Throws ProviderError. */
export function startFederatedLogin(
  db: Executor,
  parties: RelyingParties,
  provider: FederationProvider,
): Promise<StartedFlow> {
  return start(db, parties, provider, { intent: 'login' });
}

export type StartLinkOutcome = ({ ok: true } & StartedFlow) | { ok: false; reason: 'account_kind_mismatch' };

/**
 * Link a provider identity to the signed-in account: the same authorization request, bound to
 * this account and this session. FranceConnect links job seekers only, ProConnect staff only.
 */
export async function startIdentityLink(
  db: Executor,
  parties: RelyingParties,
  provider: FederationProvider,
  account: AccountsTable,
  session: SessionsTable,
  address: string,
): Promise<StartLinkOutcome> {
  if (account.kind !== PROVIDER_RULES[provider].accountKind) {
    await appendEvent(db, 'federated_login_rejected', {
      accountId: account.id,
      address,
      details: { provider, intent: 'link', reason: 'account_kind_mismatch' },
    });
    return { ok: false, reason: 'account_kind_mismatch' };
  }
  const started = await start(db, parties, provider, {
    intent: 'link',
    accountId: account.id,
    sessionHash: session.id_hash,
  });
  return { ok: true, ...started };
}

export type CallbackRejection =
  /** No transaction for this browser and provider: never started, expired, or already used. */
  | 'transaction_unknown'
  | 'state_mismatch'
  | ProviderFailure
  | FederatedLoginRejection
  /** The session that asked for the link was closed, expired or changed hands meanwhile. */
  | 'link_session_ended'
  | 'identity_linked_elsewhere'
  | 'account_already_linked';

export type CallbackOutcome =
  | { ok: true; intent: 'login'; login: Extract<FederatedLoginOutcome, { ok: true }> }
  | { ok: true; intent: 'link'; accountId: string; created: boolean }
  | { ok: false; reason: CallbackRejection };

export interface CallbackInput {
  provider: FederationProvider;
  /** The transaction cookie the browser brought back, if any. */
  cookieValue: string | undefined;
  /** The callback's raw query string, `?code=…&state=…&iss=…` or `?error=…`. */
  query: string;
  client: ClientContext;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The provider sent the browser back. The transaction is consumed first, so nothing here can
 * be replayed; then the state, the provider's answer and the ID token are checked (openid-client
 * validates signature, issuer, audience, expiry, nonce and PKCE) before anything is written.
 */
export async function completeFederation(
  db: Executor,
  parties: RelyingParties,
  input: CallbackInput,
  now = new Date(),
): Promise<CallbackOutcome> {
  const { provider, client } = input;
  const transaction = await takeTransaction(db, input.cookieValue, now);
  const reject = async (
    reason: CallbackRejection,
    accountId: string | null = null,
    extra: Record<string, string> = {},
  ): Promise<CallbackOutcome> => {
    await appendEvent(db, 'federated_login_rejected', {
      accountId,
      address: client.address,
      details: { provider, intent: transaction?.intent ?? null, reason, ...extra },
    });
    return { ok: false, reason };
  };
  if (!transaction || transaction.provider !== provider) return reject('transaction_unknown');
  const state = new URLSearchParams(input.query).get('state');
  if (state === null || !sameText(state, transaction.state)) return reject('state_mismatch', transaction.account_id);

  let identity: VerifiedIdentity;
  try {
    identity = await parties.verifyCallback(provider, input.query, {
      state: transaction.state,
      nonce: transaction.nonce,
      codeVerifier: transaction.code_verifier,
    });
  } catch (error) {
    if (error instanceof ProviderError) return reject(error.failure, transaction.account_id, { code: error.code });
    throw error;
  }

  if (transaction.intent === 'login') {
    const login = await loginWithFederatedIdentity(db, provider, identity, client, now);
    return login.ok ? { ok: true, intent: 'login', login } : { ok: false, reason: login.reason };
  }

  const linking = await linkingAccount(db, transaction, now);
  if (!linking) return reject('link_session_ended', transaction.account_id);
  if (linking.kind !== PROVIDER_RULES[provider].accountKind) return reject('account_kind_mismatch', linking.id);
  const linked = await linkIdentity(db, provider, identity, linking.id, now);
  if (!linked.ok) return reject(linked.reason, linking.id);
  if (linked.created)
    await appendEvent(db, 'federated_identity_linked', {
      accountId: linking.id,
      address: client.address,
      details: { provider, link: linked.linkId },
    });
  return { ok: true, intent: 'link', accountId: linking.id, created: linked.created };
}

/**
 * The account a link transaction was started for, if the session that started it is still
 * good: the callback arrives by a cross-site navigation, which does not carry the SameSite=Strict
 * session cookie, so the session is checked by the id it was recorded with.
 */
async function linkingAccount(
  db: Executor,
  transaction: FederationTransactionsTable,
  now: Date,
): Promise<AccountsTable | undefined> {
  if (!transaction.account_id || !transaction.session_hash) return undefined;
  const session = await db
    .selectFrom('sessions')
    .selectAll()
    .where('id_hash', '=', transaction.session_hash)
    .where('account_id', '=', transaction.account_id)
    .executeTakeFirst();
  if (!session || !isSessionLive(session, now) || awaitsSecondFactor(session)) return undefined;
  const account = await db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', transaction.account_id)
    .executeTakeFirst();
  return account?.status === 'active' ? account : undefined;
}
