import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * A returned letter's last step (issue 25 §5): when the letter came back and reached the person on
 * no other channel, an agent reaches them another way (by telephone, at the agency…) and records
 * how and on which day, and who recorded it. Only the means and the day: never what was said, nor
 * a new address (that goes into the file, through its own procedure).
 */
export function paperLettersReached(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('paper_letters').addColumn('reached_how', 'text').execute();
      await db.schema.alterTable('paper_letters').addColumn('reached_on', 'text').execute();
      await db.schema.alterTable('paper_letters').addColumn('reached_recorded_at', 'text').execute();
      await db.schema.alterTable('paper_letters').addColumn('reached_by_account', 'text').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const column of ['reached_by_account', 'reached_recorded_at', 'reached_on', 'reached_how'])
        await db.schema.alterTable('paper_letters').dropColumn(column).execute();
    },
  };
}
