import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** Machine clients of partner information systems (identity issue). */
export function machineClients(flavour: Flavour) {
  void flavour; // text and integer columns only: the same DDL on both engines
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('machine_clients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('actor_id', 'text', (c) => c.notNull().unique().references('actors.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('jwks', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createIndex('machine_clients_by_organisation')
        .on('machine_clients')
        .column('organisation_id')
        .execute();

      // The primary key is what refuses a replay: two requests racing with one jti cannot both insert.
      await db.schema
        .createTable('machine_assertion_jtis')
        .addColumn('client_id', 'text', (c) => c.notNull().references('machine_clients.id'))
        .addColumn('jti', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('machine_assertion_jtis_pk', ['client_id', 'jti'])
        .execute();
      await db.schema
        .createIndex('machine_assertion_jtis_by_expiry')
        .on('machine_assertion_jtis')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('machine_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('client_id', 'text', (c) => c.notNull().references('machine_clients.id'))
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('machine_tokens_by_client').on('machine_tokens').column('client_id').execute();
      await db.schema.createIndex('machine_tokens_by_expiry').on('machine_tokens').column('expires_at').execute();
    },
  };
}
