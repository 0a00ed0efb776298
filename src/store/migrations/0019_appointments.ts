import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * The agenda: appointments between a person and an organisation's agent, in clear like a
 * caseload (who meets whom, when, in what form — never what is said). The guard reads it to
 * tell a read that the day's work explains from one nothing explains (the patient thief).
 */
export function appointments(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('appointments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('actor_id', 'text', (c) => c.notNull().references('actors.id'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.references('actors.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('cancelled_at', 'text')
        .execute();
      await db.schema
        .createIndex('appointments_by_person')
        .on('appointments')
        .columns(['person_id', 'organisation_id', 'at'])
        .execute();
      await db.schema.createIndex('appointments_by_actor').on('appointments').columns(['actor_id', 'at']).execute();
      await db.schema
        .createIndex('appointments_by_creator')
        .on('appointments')
        .columns(['created_by', 'created_at'])
        .execute();
    },
  };
}
