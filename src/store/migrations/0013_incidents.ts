import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Incidents (issue 8): a declared compromise, the persons × classes it exposed (from the
 * ledger), the documents produced (CNIL draft, notices, scope exports, sealed since they name
 * people), the notices to people with their delivery, and the register's timeline.
 */
export function incidentTables(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('incidents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('reference', 'text', (c) => c.notNull().unique())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('vector', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        // One incident per guard containment: a second delivery of the same alert opens nothing.
        .addColumn('containment_id', 'text', (c) => c.unique())
        .addColumn('compromised', 'text', (c) => c.notNull())
        .addColumn('window_from', 'text', (c) => c.notNull())
        .addColumn('window_to', 'text', (c) => c.notNull())
        .addColumn('aware_at', 'text', (c) => c.notNull())
        .addColumn('declared_at', 'text', (c) => c.notNull())
        .addColumn('declared_by', 'text')
        .addColumn('scope_summary', 'text')
        .addColumn('cnil_reference', 'text')
        .addColumn('cnil_filed_at', 'text')
        .addColumn('closed_at', 'text')
        .addColumn('closed_by', 'text')
        .addColumn('closing_note', 'text')
        .execute();
      await db.schema.createIndex('incidents_by_declared').on('incidents').column('declared_at').execute();

      await db.schema
        .createTable('incident_exposures')
        .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('decoy', 'integer', (c) => c.notNull())
        .addColumn('classes', 'text', (c) => c.notNull())
        .addColumn('first_at', 'text', (c) => c.notNull())
        .addColumn('last_at', 'text', (c) => c.notNull())
        .addColumn('via', 'text', (c) => c.notNull())
        .addColumn('events', 'integer', (c) => c.notNull())
        .addColumn('risk', 'text', (c) => c.notNull())
        .addColumn('rules', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('incident_exposures_pk', ['incident_id', 'person_id'])
        .execute();
      await db.schema
        .createIndex('incident_exposures_by_person')
        .on('incident_exposures')
        .columns(['person_id', 'incident_id'])
        .execute();

      await db.schema
        .createTable('incident_documents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('media_type', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('ledger_size', 'bigint', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addColumn('kek_version', 'integer', (c) => c.notNull())
        .addColumn('wrapped_key', blob, (c) => c.notNull())
        .addColumn('ciphertext', blob, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('incident_documents_by_incident')
        .on('incident_documents')
        .columns(['incident_id', 'kind', 'version'])
        .unique()
        .execute();

      await db.schema
        .createTable('incident_notices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('to_masked', 'text')
        .addColumn('document_id', 'text')
        .addColumn('page', 'integer')
        .addColumn('error', 'text')
        .addColumn('planned_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('incident_notices_one')
        .on('incident_notices')
        .columns(['incident_id', 'person_id', 'channel'])
        .unique()
        .execute();
      await db.schema
        .createIndex('incident_notices_by_status')
        .on('incident_notices')
        .columns(['incident_id', 'status', 'channel'])
        .execute();

      await db.schema
        .createTable('incident_steps')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('document_id', 'text')
        .execute();
      // The register's order: steps taken within the same millisecond keep the order they were taken in.
      await db.schema
        .createIndex('incident_steps_in_order')
        .on('incident_steps')
        .columns(['incident_id', 'position'])
        .unique()
        .execute();
    },
  };
}
