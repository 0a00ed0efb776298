import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** The monthly update's reminders (issue 25 §2 and §5): who was reminded for which month, so that each is reminded once. */
export function monthlyUpdateReminders(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('monthly_update_reminders')
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('reminded_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('monthly_update_reminders_pk', ['person_id', 'period'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('monthly_update_reminders').execute();
    },
  };
}
