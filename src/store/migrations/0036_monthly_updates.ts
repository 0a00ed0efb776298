import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * The monthly update (actualisation, issue 25 §2): each declaration a person makes for a month,
 * sealed (a sworn statement: work, training, sickness…), a new version for each correction; and,
 * per month, when the check of missed updates ran and how many registrations it ended.
 */
export function monthlyUpdates(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('monthly_updates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        // The month declared, YYYY-MM.
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('declared_at', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        // The declaration, sealed under the platform's secrets key, bound to this row's id.
        .addColumn('secret_version', 'integer', (c) => c.notNull())
        .addColumn('sealed', blob, (c) => c.notNull())
        .addUniqueConstraint('monthly_updates_version', ['person_id', 'period', 'version'])
        .execute();
      await db.schema
        .createIndex('monthly_updates_by_period')
        .on('monthly_updates')
        .columns(['period', 'person_id'])
        .execute();
      await db.schema
        .createTable('monthly_update_checks')
        .addColumn('period', 'text', (c) => c.primaryKey())
        .addColumn('checked_at', 'text', (c) => c.notNull())
        .addColumn('ceased', 'integer', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('monthly_update_checks').execute();
      await db.schema.dropTable('monthly_updates').execute();
    },
  };
}
