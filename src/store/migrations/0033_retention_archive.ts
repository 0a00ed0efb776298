import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * The intermediate archive (archivage intermédiaire, issue 24 §2): a class of a file whose
 * retention rule says `archive` leaves `person_fields` and lands here as it was sealed — its
 * master key version, its own wrapped data key and its value, nothing decrypted, nothing
 * re-encrypted — with the rule that moved it and when. No purpose of the access pipeline reads
 * this table; only the DPO's archive read does (each read an access event first), and the
 * archive's own rule (record `archive`) destroys its rows in the end: the row holds the only copy
 * of its data key (crypto-shredding).
 */
export function retentionArchive(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('retention_archive')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('field_class', 'text', (c) => c.notNull())
        .addColumn('kek_version', 'integer', (c) => c.notNull())
        .addColumn('wrapped_key', blob, (c) => c.notNull())
        .addColumn('ciphertext', blob, (c) => c.notNull())
        // When the value had last been written in the file, when it was archived, under which rule.
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('archived_at', 'text', (c) => c.notNull())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('retention_archive_by_person')
        .on('retention_archive')
        .columns(['person_id', 'field_class'])
        .execute();
      await db.schema
        .createIndex('retention_archive_by_date')
        .on('retention_archive')
        .columns(['archived_at'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('retention_archive').execute();
    },
  };
}
