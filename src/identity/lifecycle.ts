import { inTransaction, type Executor } from '../store/index.ts';
import { appendEvent } from '../ledger/index.ts';

export const INACTIVE_STAFF_DAYS = 90;

/**
 * Staff accounts nobody has used for 90 days are disabled, their sessions revoked: a
 * forgotten partner account is the one an attacker takes over without anyone noticing.
 * Job seekers' accounts are not touched (people come back after months without work).
 */
export async function disableInactiveStaffAccounts(
  db: Executor,
  now = new Date(),
  days = INACTIVE_STAFF_DAYS,
): Promise<string[]> {
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
  return inTransaction(db, async (trx) => {
    const stale = await trx
      .selectFrom('accounts')
      .select('id')
      .where('kind', '=', 'staff')
      .where('status', '=', 'active')
      .where((eb) =>
        eb.or([
          eb('last_login_at', '<', cutoff),
          eb.and([eb('last_login_at', 'is', null), eb('created_at', '<', cutoff)]),
        ]),
      )
      .execute();
    const ids = stale.map((r) => r.id);
    if (ids.length === 0) return ids;
    await trx.updateTable('accounts').set({ status: 'disabled' }).where('id', 'in', ids).execute();
    await trx
      .updateTable('sessions')
      .set({ revoked_at: now.toISOString(), revoked_reason: 'account_inactive' })
      .where('account_id', 'in', ids)
      .where('revoked_at', 'is', null)
      .execute();
    for (const id of ids)
      await appendEvent(trx, 'account_disabled', { accountId: id, details: { reason: 'inactive', days } });
    return ids;
  });
}
