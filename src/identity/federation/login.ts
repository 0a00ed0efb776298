import type { AccountsTable, Executor } from '../../store/index.ts';
import { hasUsableSecondFactor } from '../passkeys/index.ts';
import { createSession, type ClientContext, type IssuedSession } from '../sessions.ts';
import { findLinkedAccount } from './identities.ts';
import { PROVIDER_RULES, type FederationProvider } from './providers.ts';
import type { VerifiedIdentity } from './relying-party.ts';
import { appendEvent } from '../../ledger/index.ts';

/**
 * Where the new session stands with the second factor: `passed` when the provider vouched for
 * one (eIDAS substantial or high); otherwise exactly what a password login would require.
 */
export type FederatedSecondFactor = 'passed' | 'required' | 'enrolment_required' | 'not_required';

export type FederatedLoginRejection = 'identity_unknown' | 'account_disabled' | 'account_kind_mismatch';

export type FederatedLoginOutcome =
  | { ok: true; account: AccountsTable; session: IssuedSession; secondFactor: FederatedSecondFactor }
  | { ok: false; reason: FederatedLoginRejection };

export function secondFactorAfterFederation(
  provider: FederationProvider,
  acr: string | null,
  accountKind: AccountsTable['kind'],
  enrolled: boolean,
): FederatedSecondFactor {
  if (acr !== null && PROVIDER_RULES[provider].secondFactorAcrs.includes(acr)) return 'passed';
  // Same rule as the password login: staff must hold a second factor, anyone who enrolled one must present it.
  return enrolled ? 'required' : accountKind === 'staff' ? 'enrolment_required' : 'not_required';
}

/**
 * Open a session for the account a verified provider identity was linked to. An identity
 * nobody linked opens nothing and creates nothing: the holder signs in once with the Rempart
 * password and links it.
 */
export async function loginWithFederatedIdentity(
  db: Executor,
  provider: FederationProvider,
  identity: VerifiedIdentity,
  client: ClientContext,
  now = new Date(),
): Promise<FederatedLoginOutcome> {
  const reject = async (
    reason: FederatedLoginRejection,
    accountId: string | null = null,
  ): Promise<FederatedLoginOutcome> => {
    await appendEvent(db, 'federated_login_rejected', {
      accountId,
      address: client.address,
      details: { provider, intent: 'login', reason },
    });
    return { ok: false, reason };
  };
  const found = await findLinkedAccount(db, provider, identity);
  if (!found) return reject('identity_unknown');
  const { account, link } = found;
  if (account.status !== 'active') return reject('account_disabled', account.id);
  // Linking enforces this already; checked again so a stray row can never open a staff account through FranceConnect.
  if (account.kind !== PROVIDER_RULES[provider].accountKind) return reject('account_kind_mismatch', account.id);

  const enrolled = await hasUsableSecondFactor(db, account.id);
  const secondFactor = secondFactorAfterFederation(provider, identity.acr, account.kind, enrolled);
  const session = await createSession(db, account.id, account.kind, client, {
    now,
    // Required as for a password login; a factor proven at the provider is recorded as passed now.
    requiresSecondFactor: enrolled || account.kind === 'staff',
    secondFactorAt: secondFactor === 'passed' ? now.toISOString() : null,
  });
  await db.updateTable('accounts').set({ last_login_at: now.toISOString() }).where('id', '=', account.id).execute();
  await db
    .updateTable('federated_identities')
    .set({ last_login_at: now.toISOString() })
    .where('id', '=', link.id)
    .execute();
  await appendEvent(db, 'federated_login', {
    accountId: account.id,
    address: client.address,
    details: { provider, acr: identity.acr, secondFactor, session: session.publicId },
  });
  return { ok: true, account, session, secondFactor };
}
