import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

export function initial(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('organisations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('siret', 'text')
        .addColumn('departement', 'text', (c) => c.notNull())
        .addColumn('security_posture', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('agreements')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('reference', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('legal_basis', 'text', (c) => c.notNull())
        .addColumn('purposes', 'text', (c) => c.notNull())
        .addColumn('dpo_contact', 'text', (c) => c.notNull())
        .addColumn('security_contact', 'text', (c) => c.notNull())
        .addColumn('valid_from', 'text', (c) => c.notNull())
        .addColumn('valid_until', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('agreements_reference_version', ['reference', 'version'])
        .execute();
      await db.schema.createIndex('agreements_by_organisation').on('agreements').column('organisation_id').execute();

      await db.schema
        .createTable('actors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('login', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('actors_by_organisation').on('actors').column('organisation_id').execute();

      await db.schema
        .createTable('actor_credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('actor_id', 'text', (c) => c.notNull().references('actors.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createIndex('actor_credentials_by_secret')
        .on('actor_credentials')
        .columns(['kind', 'secret_hash'])
        .unique()
        .execute();
      await db.schema.createIndex('actor_credentials_by_actor').on('actor_credentials').column('actor_id').execute();

      await db.schema
        .createTable('persons')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('erased_at', 'text')
        .execute();

      await db.schema
        .createTable('person_fields')
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('field_class', 'text', (c) => c.notNull())
        .addColumn('kek_version', 'integer', (c) => c.notNull())
        .addColumn('wrapped_key', blob, (c) => c.notNull())
        .addColumn('ciphertext', blob, (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('person_fields_pk', ['person_id', 'field_class'])
        .execute();
      // Rotation walks one class below the active version, batch after batch. No person id in
      // this key: rows then land at the end of their (class, version) run, not at random places.
      await db.schema
        .createIndex('person_fields_by_class_version')
        .on('person_fields')
        .columns(['field_class', 'kek_version'])
        .execute();

      await db.schema
        .createTable('person_lookups')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('digest', blob, (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addPrimaryKeyConstraint('person_lookups_pk', ['kind', 'digest', 'person_id'])
        .execute();
      await db.schema.createIndex('person_lookups_by_person').on('person_lookups').column('person_id').execute();
      // A NIR or a France Travail id names one person: enforced here too, not only by the store's check.
      await db.schema
        .createIndex('person_lookups_unique_identifiers')
        .on('person_lookups')
        .columns(['kind', 'digest'])
        .unique()
        .where(sql.ref('kind'), 'in', ['nir', 'france_travail_id'])
        .execute();

      await db.schema
        .createTable('referrals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('referred_by_actor_id', 'text', (c) => c.references('actors.id'))
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('starts_on', 'text', (c) => c.notNull())
        .addColumn('ends_on', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('referrals_by_organisation')
        .on('referrals')
        .columns(['organisation_id', 'person_id'])
        .execute();
      await db.schema.createIndex('referrals_by_person').on('referrals').column('person_id').execute();

      await db.schema
        .createTable('caseloads')
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('actor_id', 'text', (c) => c.notNull().references('actors.id'))
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('since', 'text', (c) => c.notNull())
        .addColumn('until', 'text')
        .addPrimaryKeyConstraint('caseloads_pk', ['person_id', 'actor_id'])
        .execute();
      await db.schema.createIndex('caseloads_by_actor').on('caseloads').columns(['actor_id', 'person_id']).execute();

      await db.schema
        .createTable('key_checks')
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('key_checks_pk', ['purpose', 'version'])
        .execute();

      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
