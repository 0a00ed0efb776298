import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * The paper channel (issue 25 §5): a person's choice of paper for all correspondence, and the
 * letters queued for the print-and-post service with their life (queued → posted → returned, with
 * the reason a letter came back and how the person was then reached). A letter row holds the
 * notice's subject and text sealed (for the letter and for the fallback when it comes back),
 * never the address: the address is read from the file, through the access pipeline, when the
 * letter is printed.
 */
export function paperChannel(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('correspondence_preferences')
        .addColumn('person_id', 'text', (c) => c.primaryKey().references('persons.id'))
        .addColumn('paper', 'integer', (c) => c.notNull())
        .addColumn('set_at', 'text', (c) => c.notNull())
        .addColumn('set_by_account', 'text')
        .addColumn('set_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('paper_letters')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('account_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('key_version', 'integer', (c) => c.notNull())
        .addColumn('sealed', blob)
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('queued_at', 'text', (c) => c.notNull())
        .addColumn('printed_at', 'text')
        .addColumn('posted_at', 'text')
        .addColumn('returned_at', 'text')
        .addColumn('return_reason', 'text')
        .addColumn('reached_channels', 'integer')
        .addColumn('needs_agent', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('paper_letters_status')
        .on('paper_letters')
        .columns(['status', 'queued_at'])
        .execute();
      await db.schema.createIndex('paper_letters_person').on('paper_letters').columns(['person_id']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('paper_letters').execute();
      await db.schema.dropTable('correspondence_preferences').execute();
    },
  };
}
