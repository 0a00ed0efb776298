import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Mandates (issue 25 §4, modelled on Aidants Connect): a person lets one named aidant of a France
 * Services house act for them in some steps for a while. `mandates` holds who, for whom, how long,
 * how consent was given, the SHA-256 of the text the person saw (and the text itself: it names the
 * aidant, the house, the steps and the duration, never a value of the person's file), the state,
 * and the one-time code's hash and tries while it waits for the person's confirmation.
 * `mandate_scopes` holds one row per step granted, each revocable on its own (by the person in
 * their espace, or by a letter an agent records).
 */
export function mandates(_flavour: Flavour) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('mandates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('actor_id', 'text', (c) => c.notNull().references('actors.id'))
        .addColumn('duration', 'text', (c) => c.notNull())
        .addColumn('consent', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('text_sha256', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('confirmed_at', 'text')
        .addColumn('confirmed_via', 'text')
        .addColumn('expires_at', 'text')
        .addColumn('code_hash', 'text')
        .addColumn('code_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('code_expires_at', 'text')
        .addColumn('notice_sent_at', 'text')
        .addColumn('expiry_sent_at', 'text')
        .execute();
      await db.schema.createIndex('mandates_person').on('mandates').columns(['person_id', 'status']).execute();
      await db.schema.createIndex('mandates_actor').on('mandates').columns(['actor_id', 'status']).execute();
      await db.schema.createIndex('mandates_expiry').on('mandates').columns(['status', 'expires_at']).execute();
      await db.schema
        .createTable('mandate_scopes')
        .addColumn('mandate_id', 'text', (c) => c.notNull().references('mandates.id'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('revoked_via', 'text')
        .addColumn('revoked_by_actor', 'text')
        .addPrimaryKeyConstraint('mandate_scopes_pk', ['mandate_id', 'scope'])
        .execute();
    },
  };
}
