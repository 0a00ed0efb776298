import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Four eyes on the incident desk (issue 19): what one desk account must not do alone (declare an
 * incident over several organisations, send the notices, download a document that names people,
 * wipe credentials) is a request that a second member of the desk approves or refuses.
 */
export function incidentRequests(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('incident_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        // Null for a declaration: the incident exists only once approved.
        .addColumn('incident_id', 'text', (c) => c.references('incidents.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'text')
        .addColumn('decision_note', 'text')
        .addColumn('usable_until', 'text')
        .addColumn('used_at', 'text')
        .addColumn('outcome', 'text')
        .execute();
      await db.schema
        .createIndex('incident_requests_by_status')
        .on('incident_requests')
        .columns(['status', 'requested_at'])
        .execute();
      await db.schema
        .createIndex('incident_requests_by_incident')
        .on('incident_requests')
        .columns(['incident_id', 'requested_at'])
        .execute();
    },
  };
}
