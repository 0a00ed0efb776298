import { FIELD_CLASSES, ValidationError, type FieldClass } from '../../domain/index.ts';
import type { Keyring } from '../../crypto/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import { countStaleDataKeys, inTransaction, type Executor } from '../../store/index.ts';

/**
 * Master key versions and backups (issue 24 §2). A purge destroys a class's row in the live
 * store, but a backup taken before still holds it, wrapped under the master key version of the
 * day. Once every data key is rewrapped under a newer version (`keys rotate`), the older one is
 * recorded here as unused since then; `keys retire` drops it from the keyring when the oldest
 * backup still kept is younger than that instant (no kept backup needs it) and no backup older
 * than the retention window is kept. From then on no copy of the store taken before — a backup
 * forgotten somewhere — can be opened: what was purged cannot come back by a restore.
 */

/** Record, for every class, the versions below the active one that no row uses any more (first time seen). */
export async function recordUnusedKeyVersions(db: Executor, keyring: Keyring, now: Date = new Date()): Promise<void> {
  for (const c of FIELD_CLASSES) {
    if ((await countStaleDataKeys(db, keyring, c)) > 0) continue;
    for (const version of keyring.versions(c)) {
      if (version >= keyring.activeVersion(c)) continue;
      await db
        .insertInto('retention_key_versions')
        .values({ purpose: `kek:${c}`, version, unused_since: now.toISOString(), retired_at: null })
        .onConflict((oc) => oc.columns(['purpose', 'version']).doNothing())
        .execute();
    }
  }
}

export interface RetireOutcome {
  keyring: Keyring;
  retired: Array<{ fieldClass: FieldClass; version: number }>;
  /** Versions kept, and why. */
  kept: Array<{ fieldClass: FieldClass; version: number; reason: 'in_use' | 'backup_needs_it' }>;
}

/**
 * Decide and record which versions go; returns the keyring without them, which the caller writes
 * (after this returns: the store forgets the versions first, so a crash in between leaves a
 * keyring with one version too many, which the next `keys retire` drops).
 */
export async function retireKeyVersions(
  db: Executor,
  keyring: Keyring,
  options: { oldestBackup: Date; windowDays: number; now?: Date; by: string },
): Promise<RetireOutcome> {
  const now = options.now ?? new Date();
  if (Number.isNaN(options.oldestBackup.getTime()))
    throw new ValidationError([{ field: 'oldestBackup', rule: 'date', message: 'date invalide' }]);
  if (!Number.isInteger(options.windowDays) || options.windowDays < 1)
    throw new ValidationError([{ field: 'windowDays', rule: 'minimum:1', message: 'un nombre de jours positif' }]);
  const windowStart = new Date(now.getTime() - options.windowDays * 86_400_000);
  if (options.oldestBackup < windowStart)
    throw new ValidationError([
      {
        field: 'oldestBackup',
        rule: `window:${options.windowDays}d`,
        message: `une sauvegarde antérieure à la fenêtre de conservation (avant le ${windowStart.toISOString().slice(0, 10)}) est encore gardée : supprimez-la d’abord, aucune version n’est retirée`,
      },
    ]);
  await recordUnusedKeyVersions(db, keyring, now);
  const unused = await db.selectFrom('retention_key_versions').selectAll().where('retired_at', 'is', null).execute();
  const since = new Map(unused.map((r) => [`${r.purpose}#${r.version}`, r.unused_since]));
  let next = keyring;
  const retired: RetireOutcome['retired'] = [];
  const kept: RetireOutcome['kept'] = [];
  for (const c of FIELD_CLASSES) {
    for (const version of keyring.versions(c)) {
      if (version >= keyring.activeVersion(c)) continue;
      const from = since.get(`kek:${c}#${version}`);
      if (!from) {
        kept.push({ fieldClass: c, version, reason: 'in_use' });
        continue;
      }
      if (options.oldestBackup.toISOString() < from) {
        kept.push({ fieldClass: c, version, reason: 'backup_needs_it' });
        continue;
      }
      next = next.withoutVersion(c, version);
      retired.push({ fieldClass: c, version });
    }
  }
  if (retired.length)
    await inTransaction(db, async (trx) => {
      for (const r of retired) {
        await trx
          .deleteFrom('key_checks')
          .where('purpose', '=', `kek:${r.fieldClass}`)
          .where('version', '=', r.version)
          .execute();
        await trx
          .updateTable('retention_key_versions')
          .set({ retired_at: now.toISOString() })
          .where('purpose', '=', `kek:${r.fieldClass}`)
          .where('version', '=', r.version)
          .execute();
        await appendEvent(trx, 'keys_retired', {
          operation: 'retire',
          at: now,
          classes: [r.fieldClass],
          details: { version: r.version, oldestBackup: options.oldestBackup.toISOString(), by: options.by },
        });
      }
    });
  return { keyring: next, retired, kept };
}
