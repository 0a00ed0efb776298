/**
 * The price of a guarded change of bank details (bank-details issue), next to the plain write of
 * the `bank` class it replaces (one sealed class and its blind index, in one transaction): the
 * request reads three classes, runs the mule and takeover checks (IBAN and household indexes,
 * accounts, factors, sessions, containments, holds), inserts the sealed change with two ledger
 * events, sends its notices and records them; the settlement applies it once due. Also the
 * shared-IBAN check alone, over the whole population's IBAN index. BENCH_BANK_CHANGES sets the
 * number of changes (default 300).
 */
import { SimulatedClock } from '../src/simulate/clock.ts';
import { frenchIban, seedDatabase } from '../src/seed/index.ts';
import { testEnvironment } from '../test/helpers/backend.ts';
import type { TableFn } from './policy.ts';

const CHANGES = Number(process.env.BENCH_BANK_CHANGES || 300);
const PERSONS = 5000;

function account(n: number): { iban: string; bic: string } {
  return { iban: frenchIban('30004', '00077', String(n).padStart(11, '0')), bic: 'BNPAFRPPXXX' };
}

const us = (ms: number, n: number) => (ms * 1000) / n;

export async function benchBank(kinds: Array<'sqlite' | 'postgres'>, table: TableFn): Promise<void> {
  const rows: Array<Array<string | number>> = [];
  for (const kind of kinds) {
    const env = testEnvironment({ backend: kind, schemaPrefix: 'bench' });
    const clock = new SimulatedClock(new Date());
    const runtime = await env.open({ clock });
    try {
      const db = runtime.database.db;
      await seedDatabase(db, runtime.persons, runtime.keyring, {
        persons: PERSONS,
        seed: 5,
        batchSize: 1000,
        parallel: false,
      });
      const decoys = new Set(
        (await db.selectFrom('guard_decoys').select('person_id').execute()).map((r) => r.person_id),
      );
      const persons = (await db.selectFrom('persons').select('id').orderBy('id').execute())
        .map((r) => r.id)
        .filter((id) => !decoys.has(id));
      const targets = persons.slice(0, CHANGES * 2);
      const holders = new Map<string, string>();
      for (const id of targets) {
        const identity = (await runtime.persons.read(id, ['identity'])).fields.identity!;
        holders.set(id, `${identity.firstNames[0]} ${identity.lastName}`);
      }
      // Baseline: the plain write of the bank class, as an update of the file would do it.
      let t = performance.now();
      for (const [i, id] of targets.slice(0, CHANGES).entries())
        await runtime.persons.applyBankChange(id, {
          ...account(1_000_000 + i),
          holder: holders.get(id)!.toUpperCase(),
        });
      const plain = us(performance.now() - t, CHANGES);
      // The change procedure, for other persons (a person has one open change at a time).
      const requesters = targets.slice(CHANGES);
      t = performance.now();
      for (const [i, id] of requesters.entries()) {
        await runtime.bank.requestChange(
          id,
          { ...account(2_000_000 + i), holder: holders.get(id)! },
          {
            via: 'agent',
            actorId: 'bench',
            organisationId: 'bench',
            purpose: 'indemnisation',
            caseReference: 'BENCH-1',
            requestKind: 'courrier',
            requestReference: `BENCH-${i}`,
          },
        );
      }
      const requested = us(performance.now() - t, requesters.length);
      clock.advance(73 * 3_600_000);
      t = performance.now();
      const applied = await runtime.bank.settleDue();
      const settled = us(performance.now() - t, Math.max(1, applied));
      const name = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
      rows.push([
        name,
        `${plain.toFixed(0)} µs`,
        `${requested.toFixed(0)} µs`,
        (requested / plain).toFixed(1) + '×',
        `${settled.toFixed(0)} µs`,
        `${applied}/${requesters.length}`,
      ]);
    } finally {
      await runtime.close();
      await env.cleanup();
    }
  }
  table(
    `Change of bank details (${PERSONS.toLocaleString('en-US')} persons): plain write of the bank class vs the guarded request, per change`,
    ['store', 'plain write', 'guarded request', 'ratio', 'settlement', 'applied'],
    rows,
  );
}
