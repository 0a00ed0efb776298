import { randomUUID } from 'node:crypto';
import type { AccountsTable, Executor, FederatedIdentitiesTable } from '../../store/index.ts';
import type { FederationProvider } from './providers.ts';
import type { VerifiedIdentity } from './relying-party.ts';

/** The Rempart account a provider identity was linked to, if any. */
export async function findLinkedAccount(
  db: Executor,
  provider: FederationProvider,
  identity: VerifiedIdentity,
): Promise<{ link: FederatedIdentitiesTable; account: AccountsTable } | undefined> {
  const link = await db
    .selectFrom('federated_identities')
    .selectAll()
    .where('provider', '=', provider)
    .where('issuer', '=', identity.issuer)
    .where('subject', '=', identity.subject)
    .executeTakeFirst();
  if (!link) return undefined;
  const account = await db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', link.account_id)
    .executeTakeFirstOrThrow();
  return { link, account };
}

export type LinkResult =
  | { ok: true; linkId: string; created: boolean }
  /** This provider identity already opens another account. */
  | { ok: false; reason: 'identity_linked_elsewhere' }
  /** The account already holds another identity at this provider: unlink it first. */
  | { ok: false; reason: 'account_already_linked' };

async function existingLink(
  db: Executor,
  provider: FederationProvider,
  identity: VerifiedIdentity,
  accountId: string,
): Promise<LinkResult | undefined> {
  const bySubject = await db
    .selectFrom('federated_identities')
    .select(['id', 'account_id', 'provider'])
    .where('issuer', '=', identity.issuer)
    .where('subject', '=', identity.subject)
    .executeTakeFirst();
  if (bySubject)
    return bySubject.account_id === accountId && bySubject.provider === provider
      ? { ok: true, linkId: bySubject.id, created: false }
      : { ok: false, reason: 'identity_linked_elsewhere' };
  const byAccount = await db
    .selectFrom('federated_identities')
    .select('id')
    .where('account_id', '=', accountId)
    .where('provider', '=', provider)
    .executeTakeFirst();
  if (byAccount) return { ok: false, reason: 'account_already_linked' };
  return undefined;
}

/** Link a provider identity to an account; linking the same pair again changes nothing. */
export async function linkIdentity(
  db: Executor,
  provider: FederationProvider,
  identity: VerifiedIdentity,
  accountId: string,
  now = new Date(),
): Promise<LinkResult> {
  const existing = await existingLink(db, provider, identity, accountId);
  if (existing) return existing;
  const id = randomUUID();
  try {
    await db
      .insertInto('federated_identities')
      .values({
        id,
        account_id: accountId,
        provider,
        issuer: identity.issuer,
        subject: identity.subject,
        linked_at: now.toISOString(),
        last_login_at: null,
      })
      .execute();
  } catch (error) {
    // A concurrent link won the race for one of the unique keys: answer as if it had come first.
    const raced = await existingLink(db, provider, identity, accountId);
    if (raced) return raced;
    throw error;
  }
  return { ok: true, linkId: id, created: true };
}

export async function unlinkIdentity(db: Executor, accountId: string, provider: FederationProvider): Promise<boolean> {
  const result = await db
    .deleteFrom('federated_identities')
    .where('account_id', '=', accountId)
    .where('provider', '=', provider)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listLinkedIdentities(db: Executor, accountId: string) {
  const rows = await db
    .selectFrom('federated_identities')
    .select(['provider', 'linked_at', 'last_login_at'])
    .where('account_id', '=', accountId)
    .orderBy('provider')
    .execute();
  return rows.map((r) => ({ provider: r.provider, linkedAt: r.linked_at, lastLoginAt: r.last_login_at }));
}
