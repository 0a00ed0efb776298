import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** Federated identities from OpenID Connect providers (identity issue). */
export function federation(flavour: Flavour) {
  void flavour;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      void db;
    },
  };
}
