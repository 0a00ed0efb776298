import type { Executor } from '../../store/index.ts';
import { inTransaction } from '../../store/index.ts';
import { requiresPasskey } from './policy.ts';
import { appendEvent } from '../../ledger/index.ts';

export type PasskeyRevocation = 'revoked' | 'not_found' | 'last_factor';

/** Revoke one of the account's own passkeys (see `revokeSecondFactor`). */
export function revokePasskey(
  db: Executor,
  accountId: string,
  factorId: string,
  address: string | null,
  now = new Date(),
): Promise<PasskeyRevocation> {
  return revokeSecondFactor(db, accountId, factorId, 'passkey', address, now);
}

/**
 * Revoke one of the account's own second factors (a passkey or an authenticator app). Staff
 * must keep a second factor that can still pass (a passkey, where only passkeys pass): removing
 * the last one is refused. When a job seeker removes their last factor, their recovery codes go
 * with it, as they would open nothing.
 */
export async function revokeSecondFactor(
  db: Executor,
  accountId: string,
  factorId: string,
  kind: 'passkey' | 'totp',
  address: string | null,
  now = new Date(),
): Promise<PasskeyRevocation> {
  const passkeyOnly = await requiresPasskey(db, accountId);
  return inTransaction(db, async (trx) => {
    // Touching the account row first makes two revocations of the same account queue on
    // PostgreSQL (SQLite runs one write transaction at a time anyway): each sees what the other left.
    const account = await trx
      .updateTable('accounts')
      .set((eb) => ({ status: eb.ref('status') }))
      .where('id', '=', accountId)
      .returning(['kind'])
      .executeTakeFirst();
    if (!account) return 'not_found';
    const factors = await trx
      .selectFrom('account_factors')
      .select(['id', 'kind'])
      .where('account_id', '=', accountId)
      .where('kind', 'in', ['totp', 'passkey'])
      .where('status', '=', 'active')
      .where('revoked_at', 'is', null)
      .execute();
    const target = factors.find((f) => f.id === factorId && f.kind === kind);
    if (!target) return 'not_found';
    const remaining = factors.filter((f) => f.id !== factorId && (!passkeyOnly || f.kind === 'passkey'));
    if (account.kind === 'staff' && remaining.length === 0) return 'last_factor';
    await trx
      .updateTable('account_factors')
      .set({ revoked_at: now.toISOString() })
      .where('id', '=', factorId)
      .execute();
    const noFactorLeft = factors.length === 1;
    if (noFactorLeft) {
      await trx
        .updateTable('account_factors')
        .set({ revoked_at: now.toISOString() })
        .where('account_id', '=', accountId)
        .where('kind', '=', 'recovery_codes')
        .where('revoked_at', 'is', null)
        .execute();
    }
    await appendEvent(trx, 'factor_revoked', {
      accountId,
      address,
      details: { kind, factor: factorId, recoveryCodesRevoked: noFactorLeft },
    });
    return 'revoked';
  });
}
