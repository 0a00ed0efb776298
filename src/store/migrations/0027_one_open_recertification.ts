import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

interface Tables {
  recertification_campaigns: { id: string; organisation_id: string; started_at: string; closed_at: string | null };
}

/**
 * At most one open account review per organisation (issue 22): two processes running the daily
 * sweep together, or an administrator opening a review while the sweep does, opened two reviews
 * and sent two notices. Reviews already opened twice are closed but for the oldest, which holds
 * the decisions taken so far.
 */
export function oneOpenRecertification(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const tables = db as unknown as Kysely<Tables>;
      const open = await tables
        .selectFrom('recertification_campaigns')
        .select(['id', 'organisation_id'])
        .where('closed_at', 'is', null)
        .orderBy('started_at')
        .orderBy('id')
        .execute();
      const kept = new Set<string>();
      const now = new Date().toISOString();
      for (const campaign of open) {
        if (!kept.has(campaign.organisation_id)) {
          kept.add(campaign.organisation_id);
          continue;
        }
        await tables
          .updateTable('recertification_campaigns')
          .set({ closed_at: now })
          .where('id', '=', campaign.id)
          .execute();
      }
      await db.schema
        .createIndex('recertification_campaigns_one_open')
        .unique()
        .on('recertification_campaigns')
        .column('organisation_id')
        .where(sql.ref('closed_at'), 'is', null)
        .execute();
    },
  };
}
