import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';
import { chunks } from '../transaction.ts';

/** The two tables this migration reads and fills, as they stand at this point of the history. */
interface Tables {
  guard_containments: { id: string; scope: string; details: string };
  guard_containment_persons: { containment_id: string; person_id: string };
}

/**
 * The persons an actor had read when the guard contained it, one row each (issue 21): the bank's
 * « was this person read by a contained account? » is then an indexed join, where it was a
 * substring search in the containment's JSON. The containments already recorded are carried over
 * from that JSON (`personsRead`), which stays as the containment's report.
 */
export function containmentPersons(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('guard_containment_persons')
        .addColumn('containment_id', 'text', (c) => c.notNull().references('guard_containments.id'))
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('guard_containment_persons_pk', ['containment_id', 'person_id'])
        .execute();
      await db.schema
        .createIndex('guard_containment_persons_by_person')
        .on('guard_containment_persons')
        .column('person_id')
        .execute();

      const tables = db as unknown as Kysely<Tables>;
      const contained = await tables
        .selectFrom('guard_containments')
        .select(['id', 'details'])
        .where('scope', '=', 'actor')
        .execute();
      for (const { id, details } of contained) {
        const read = (JSON.parse(details) as { personsRead?: unknown }).personsRead;
        const persons = Array.isArray(read) ? [...new Set(read.filter((p): p is string => typeof p === 'string'))] : [];
        const rows = persons.map((person_id) => ({ containment_id: id, person_id }));
        for (const part of chunks(rows, 2)) await tables.insertInto('guard_containment_persons').values(part).execute();
      }
    },
  };
}
