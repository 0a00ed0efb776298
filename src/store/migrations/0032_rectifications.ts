import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Rectification (GDPR Art. 16 and 19). `field_versions`: the value a rectification replaced,
 * its sealed row copied as the file held it (its own wrapped data key), readable by the DPO until
 * the class's retention destroys it with the class. `rectifications`: who rectified which class
 * of whom, answering which request, and which body supplied the new value. `rectification_notices`:
 * one per organisation that read the class since the replaced value was recorded (from the
 * ledger), until someone of it acknowledges having corrected its copies.
 */
export function rectifications(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('field_versions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('field_class', 'text', (c) => c.notNull())
        // When the replaced value had been written, and when it was replaced.
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .addColumn('replaced_at', 'text', (c) => c.notNull())
        .addColumn('kek_version', 'integer', (c) => c.notNull())
        .addColumn('wrapped_key', blob, (c) => c.notNull())
        .addColumn('ciphertext', blob, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('field_versions_by_person')
        .on('field_versions')
        .columns(['person_id', 'field_class'])
        .execute();
      await db.schema
        .createTable('rectifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('rights_request_id', 'text', (c) => c.notNull().references('rights_requests.id'))
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('field_class', 'text', (c) => c.notNull())
        .addColumn('rectified_at', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text', (c) => c.notNull().references('actors.id'))
        // 'person' (the person supplied the right value) or 'organisation' (a body did: supplied_by_organisation_id).
        .addColumn('supplied_by', 'text', (c) => c.notNull())
        .addColumn('supplied_by_organisation_id', 'text', (c) => c.references('organisations.id'))
        // Null when the class was empty: nothing was replaced. The version goes with its class.
        .addColumn('version_id', 'text')
        .addColumn('previous_recorded_at', 'text')
        .execute();
      await db.schema
        .createIndex('rectifications_by_request')
        .on('rectifications')
        .columns(['rights_request_id', 'rectified_at'])
        .execute();
      await db.schema
        .createTable('rectification_notices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('rectification_id', 'text', (c) => c.notNull().references('rectifications.id'))
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('field_class', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        // The organisation's last read of the class before the rectification (what it may hold a copy of).
        .addColumn('last_read_at', 'text', (c) => c.notNull())
        .addColumn('acknowledged_at', 'text')
        .addColumn('acknowledged_by', 'text', (c) => c.references('actors.id'))
        .addUniqueConstraint('rectification_notices_once', ['rectification_id', 'organisation_id'])
        .execute();
      await db.schema
        .createIndex('rectification_notices_by_organisation')
        .on('rectification_notices')
        .columns(['organisation_id', 'acknowledged_at', 'created_at'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('rectification_notices').execute();
      await db.schema.dropTable('rectifications').execute();
      await db.schema.dropTable('field_versions').execute();
    },
  };
}
