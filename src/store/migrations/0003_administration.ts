import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** Four-eyes account administration, notifications, recovery and recertification (identity issue). */
export function administration(flavour: Flavour) {
  void flavour;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      void db;
    },
  };
}
