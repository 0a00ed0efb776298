import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** Federated identities from OpenID Connect providers (identity issue). */
export function federation(flavour: Flavour) {
  // Same column types on both engines: text ids and ISO text instants, nothing engine-specific.
  void flavour;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('federated_identities')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('linked_at', 'text', (c) => c.notNull())
        .addColumn('last_login_at', 'text')
        // One provider identity opens one account; one account holds at most one identity per provider.
        .addUniqueConstraint('federated_identities_issuer_subject', ['issuer', 'subject'])
        .addUniqueConstraint('federated_identities_account_provider', ['account_id', 'provider'])
        .execute();

      await db.schema
        .createTable('federation_transactions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('intent', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.references('accounts.id'))
        .addColumn('session_hash', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('code_verifier', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('federation_transactions_by_expiry')
        .on('federation_transactions')
        .column('expires_at')
        .execute();
    },
  };
}
