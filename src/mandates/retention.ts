import type { Executor } from '../store/index.ts';
import { MANDATE_PENDING_HOURS } from './service.ts';

/**
 * Retention of mandates (issue 24 §2 meeting issue 25 §4, record `mandates`, trigger
 * `mandate_end`): a mandate is the proof that the person let this aidant act for them, so it is
 * kept as long as an act done under it can be contested, then goes with its steps. It ended when
 * it expired, when its last step was withdrawn, or — never confirmed — when it lapsed or was
 * cancelled. Never one still in force, nor a held person's (`keep`: a litigation hold).
 */
export async function retireMandates(
  db: Executor,
  what: { cutoff: string; keep: readonly string[]; dryRun: boolean },
): Promise<number> {
  const keep = new Set(what.keep);
  const candidates = await db
    .selectFrom('mandates')
    .select(['id', 'person_id', 'status', 'created_at', 'expires_at'])
    .where('created_at', '<=', what.cutoff)
    .execute();
  if (candidates.length === 0) return 0;
  const scopes = await db
    .selectFrom('mandate_scopes')
    .select(['mandate_id', 'revoked_at'])
    .where(
      'mandate_id',
      'in',
      candidates.map((c) => c.id),
    )
    .execute();
  const cutoff = new Date(what.cutoff).getTime();
  const ended = candidates.filter((m) => {
    if (keep.has(m.person_id)) return false;
    const endedAt = endOf(
      m,
      scopes.filter((s) => s.mandate_id === m.id),
    );
    return endedAt !== null && endedAt <= cutoff;
  });
  if (what.dryRun || ended.length === 0) return ended.length;
  const ids = ended.map((m) => m.id);
  await db.deleteFrom('mandate_scopes').where('mandate_id', 'in', ids).execute();
  await db.deleteFrom('mandates').where('id', 'in', ids).execute();
  return ended.length;
}

/** When a mandate stopped working, in ms, or null while it still can work (pending in its day, or in force). */
function endOf(
  mandate: { status: string; created_at: string; expires_at: string | null },
  scopes: ReadonlyArray<{ revoked_at: string | null }>,
): number | null {
  const revoked = scopes.map((s) => s.revoked_at);
  const allWithdrawn = revoked.length > 0 && revoked.every((r) => r !== null);
  const lastWithdrawal = allWithdrawn ? Math.max(...revoked.map((r) => Date.parse(r!))) : null;
  if (mandate.status === 'active') {
    const expiry = mandate.expires_at === null ? null : Date.parse(mandate.expires_at);
    if (lastWithdrawal !== null && (expiry === null || lastWithdrawal < expiry)) return lastWithdrawal;
    return expiry;
  }
  // Pending or cancelled: it never worked; it stopped when it lapsed (or earlier, if cancelled).
  return Date.parse(mandate.created_at) + MANDATE_PENDING_HOURS * 3_600_000;
}
