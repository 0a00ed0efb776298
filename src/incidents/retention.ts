import { sql } from 'kysely';
import type { Executor } from '../store/index.ts';

/**
 * Retention of the incidents' documents (issue 24 §2, record `incident_documents`): a document
 * produced for an incident — CNIL draft, scope export, batch of letters, sealed since they name
 * people — goes once its own date and its incident's closing are both older than the rule's
 * period. An open incident keeps every document (the Art. 33(5) record is still being written),
 * and so does an incident that exposed a person the purge must keep (a litigation hold: the
 * scope export and the letters name them). The row holds the document's only data key: deleting
 * it destroys the document. The register's steps keep the document's id, as a past fact; the
 * incident, its exposures, notices and steps are not this rule's.
 */
export async function retireIncidentDocuments(
  db: Executor,
  what: { cutoff: string; keep: readonly string[]; dryRun: boolean },
): Promise<number> {
  const keep = [...new Set(what.keep)];
  const notExposingKept = keep.length
    ? sql<boolean>`NOT EXISTS (SELECT 1 FROM incident_exposures e WHERE e.incident_id = incident_documents.incident_id AND e.person_id IN (${sql.join(keep)}))`
    : sql<boolean>`1 = 1`;
  const closedBefore = sql<boolean>`EXISTS (SELECT 1 FROM incidents i WHERE i.id = incident_documents.incident_id AND i.status = 'closed' AND i.closed_at IS NOT NULL AND i.closed_at < ${what.cutoff})`;
  if (what.dryRun)
    return Number(
      (
        await db
          .selectFrom('incident_documents')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('created_at', '<', what.cutoff)
          .where(closedBefore)
          .where(notExposingKept)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return Number(
    (
      await db
        .deleteFrom('incident_documents')
        .where('created_at', '<', what.cutoff)
        .where(closedBefore)
        .where(notExposingKept)
        .executeTakeFirst()
    ).numDeletedRows,
  );
}
