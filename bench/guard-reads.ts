/**
 * One process's share of the guard benchmark: reads of one person each (the access event, then
 * `identity` decrypted), with and without the guard in front, alternating in blocks so both see
 * the same store and load. Used in-process and as a child process (two servers on one PostgreSQL).
 */
import { appendEvent } from '../src/ledger/index.ts';
import type { Runtime } from '../src/runtime/index.ts';

export interface ReadTimings {
  reads: number;
  /** Mean microseconds per read. */
  withGuard: number;
  withoutGuard: number;
  /** Mean microseconds spent in guard.admit, the access event's commit included. */
  admit: number;
}

export async function timeReads(
  runtime: Runtime,
  actor: { id: string; organisationId: string },
  personIds: readonly string[],
  reads: number,
): Promise<ReadTimings> {
  const db = runtime.database.db;
  const event = (personId: string) => ({
    actorId: actor.id,
    organisationId: actor.organisationId,
    personId,
    purpose: 'bench',
    operation: 'read',
    classes: ['identity'],
  });
  // Without the guard: the event (group commit), then the decryption.
  const readOne = async (personId: string) => {
    await appendEvent(db, 'access_granted', event(personId));
    await runtime.persons.read(personId, ['identity']);
  };
  let guarded = 0;
  let plain = 0;
  let admitting = 0;
  let n = 0;
  const block = 50;
  for (let i = 0; n < reads; i++) {
    for (let j = 0; j < block; j++) {
      const personId = personIds[(n + j) % personIds.length]!;
      const t0 = performance.now();
      // With the guard, as the routes do it: the event written in the guard's transaction, then the decryption.
      const admission = await runtime.guard.admit(
        {
          actor,
          network: '10.9.9.0/24',
          purpose: 'bench',
          dailyCeiling: 1_000_000,
          followUpExpected: false,
          personIds: [personId],
        },
        async (trx) => {
          await appendEvent(trx, 'access_granted', event(personId));
        },
      );
      const t1 = performance.now();
      if (!admission.allowed) throw new Error(`the guard refused a benchmark read: ${admission.reason}`);
      await runtime.persons.read(personId, ['identity']);
      guarded += performance.now() - t0;
      admitting += t1 - t0;
    }
    for (let j = 0; j < block; j++) {
      const t0 = performance.now();
      await readOne(personIds[(n + j) % personIds.length]!);
      plain += performance.now() - t0;
    }
    n += block;
  }
  return { reads: n, withGuard: (guarded / n) * 1000, withoutGuard: (plain / n) * 1000, admit: (admitting / n) * 1000 };
}
