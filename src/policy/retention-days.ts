import type { Executor } from '../store/index.ts';
import { agreementFromRow } from './agreement.ts';

/**
 * What retention (src/privacy/retention, issue 24 §2) asks of the agreements: how long, after a
 * referral to an organisation has ended, the record of that referral is kept — the longest
 * `retentionDays` among the purposes of the organisation's agreements in force that work through
 * referrals. An organisation with no such purpose is absent (its ended referrals are not purged
 * by that rule: no agreement says how long).
 */
export async function referralRetentionDays(db: Executor): Promise<Map<string, number>> {
  const rows = await db.selectFrom('agreements').selectAll().where('status', '=', 'active').execute();
  const out = new Map<string, number>();
  for (const row of rows) {
    const agreement = agreementFromRow(row);
    for (const purpose of agreement.purposes) {
      if (purpose.relationship !== 'referral') continue;
      out.set(agreement.organisationId, Math.max(out.get(agreement.organisationId) ?? 0, purpose.retentionDays));
    }
  }
  return out;
}
