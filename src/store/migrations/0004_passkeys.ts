import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** WebAuthn ceremonies (identity issue). */
export function passkeys(flavour: Flavour) {
  void flavour;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      void db;
    },
  };
}
