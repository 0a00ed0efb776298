import type { Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/** Machine clients of partner information systems (identity issue). */
export function machineClients(flavour: Flavour) {
  void flavour;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      void db;
    },
  };
}
