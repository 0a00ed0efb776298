import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Employers' end-of-contract certificates (issue 25 §3). Two changes:
 *
 * - the kinds of organisation grow by `employer` (a company whose payroll system sends the
 *   certificates as a machine client): migration 0023's check is replaced by one naming this
 *   migration's own list (a CHECK constraint on PostgreSQL, two triggers on SQLite);
 * - `employer_certificates`: one row per certificate received, sealed like a bank change — its
 *   own random data key, wrapped under the `benefits` class's master key and bound to
 *   `employer-certificate:<id>` — with in clear only what routes it: the person, the employer
 *   (organisation, machine client and its actor), the employer's own reference, the status
 *   (received, disputed, superseded), the dispute's reason code and the correction that
 *   supersedes it. Never the NIR, never an amount in clear.
 */
const KINDS = [
  'agency',
  'region',
  'departement',
  'commune',
  'mission_locale',
  'cap_emploi',
  'caf',
  'msa',
  'training_body',
  'subcontractor',
  'employer',
] as const;

export function employerCertificates(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const known = sql.join(KINDS.map((kind) => sql.lit(kind)));
      if (flavour === 'postgres') {
        await sql`ALTER TABLE organisations DROP CONSTRAINT organisations_kind_known`.execute(db);
        await sql`ALTER TABLE organisations ADD CONSTRAINT organisations_kind_known CHECK (kind IN (${known}))`.execute(
          db,
        );
      } else {
        for (const [event, name] of [
          ['INSERT', 'organisations_kind_known_on_insert'],
          ['UPDATE OF kind', 'organisations_kind_known_on_update'],
        ] as const) {
          await sql`DROP TRIGGER IF EXISTS ${sql.raw(name)}`.execute(db);
          await sql`CREATE TRIGGER ${sql.raw(name)} BEFORE ${sql.raw(event)} ON organisations
            WHEN NEW.kind NOT IN (${known})
            BEGIN SELECT RAISE(ABORT, 'organisations.kind: unknown kind of organisation'); END`.execute(db);
        }
      }

      await db.schema
        .createTable('employer_certificates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('employer_reference', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('received', 'disputed', 'superseded')`))
        .addColumn('received_at', 'text', (c) => c.notNull())
        // The certificate this one corrects (a disputed one of the same employer and person).
        .addColumn('supersedes', 'text')
        .addColumn('superseded_by', 'text')
        .addColumn('superseded_at', 'text')
        .addColumn('disputed_at', 'text')
        // A reason code (DISPUTE_REASONS), who disputed: the person's account or an agent.
        .addColumn('dispute_reason', 'text')
        .addColumn('disputed_by_account', 'text')
        .addColumn('disputed_by_actor', 'text')
        .addColumn('kek_version', 'integer', (c) => c.notNull())
        .addColumn('wrapped_key', blob, (c) => c.notNull())
        .addColumn('ciphertext', blob, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('employer_certificates_by_employer')
        .on('employer_certificates')
        .columns(['organisation_id', 'status', 'received_at'])
        .execute();
      await db.schema
        .createIndex('employer_certificates_by_person')
        .on('employer_certificates')
        .columns(['person_id', 'organisation_id'])
        .execute();
    },
  };
}
