import { chunks, type Executor } from '../store/index.ts';

/**
 * What retention (src/privacy/retention, issue 24 §2) asks of identity: when a job seeker last
 * used the online service, and the purge of identity's own old records.
 */

/** Each person's online account: its last sign-in, or its creation for one never used. */
export async function lastUseOfPersons(db: Executor, personIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const part of chunks([...personIds], 1, 5_000)) {
    if (part.length === 0) continue;
    const rows = await db
      .selectFrom('accounts')
      .select(['person_id', 'last_login_at', 'created_at'])
      .where('kind', '=', 'job_seeker')
      .where('person_id', 'in', part)
      .execute();
    for (const r of rows) {
      if (!r.person_id) continue;
      const at = r.last_login_at ?? r.created_at;
      const before = out.get(r.person_id);
      if (!before || at > before) out.set(r.person_id, at);
    }
  }
  return out;
}

/**
 * Sessions ended before `cutoff` (deleted, or their network and browser fingerprint blanked), or
 * the first stores' security events older than it (deleted, or stripped of account and address).
 * With `dryRun`, only counted. Returns the records concerned.
 */
export async function retireIdentityRecords(
  db: Executor,
  what: { record: 'sessions' | 'security_events'; cutoff: string; anonymise: boolean; dryRun: boolean },
): Promise<number> {
  const { cutoff, anonymise, dryRun } = what;
  if (what.record === 'sessions') {
    if (dryRun) {
      let q = db.selectFrom('sessions').where('expires_at', '<', cutoff);
      if (anonymise) q = q.where((eb) => eb.or([eb('network', '!=', ''), eb('fingerprint', '!=', '')]));
      return Number((await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    }
    if (anonymise)
      return Number(
        (
          await db
            .updateTable('sessions')
            .set({ network: '', fingerprint: '' })
            .where('expires_at', '<', cutoff)
            .where((eb) => eb.or([eb('network', '!=', ''), eb('fingerprint', '!=', '')]))
            .executeTakeFirst()
        ).numUpdatedRows,
      );
    return Number((await db.deleteFrom('sessions').where('expires_at', '<', cutoff).executeTakeFirst()).numDeletedRows);
  }
  if (dryRun) {
    let q = db.selectFrom('security_events').where('at', '<', cutoff);
    if (anonymise) q = q.where((eb) => eb.or([eb('account_id', 'is not', null), eb('address', 'is not', null)]));
    return Number((await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  }
  if (anonymise)
    return Number(
      (
        await db
          .updateTable('security_events')
          .set({ account_id: null, address: null, details: '{}' })
          .where('at', '<', cutoff)
          .where((eb) => eb.or([eb('account_id', 'is not', null), eb('address', 'is not', null)]))
          .executeTakeFirst()
      ).numUpdatedRows,
    );
  return Number((await db.deleteFrom('security_events').where('at', '<', cutoff).executeTakeFirst()).numDeletedRows);
}
