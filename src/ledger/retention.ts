import { sql } from 'kysely';
import { ValidationError } from '../domain/index.ts';
import type { Executor, Flavour } from '../store/index.ts';
import { appendEvent } from './append.ts';
import type { Ledger } from './log.ts';
import { lockLedgerState } from './state.ts';

/** Access logs are kept at least this long (the CNIL recommends six months to a year). */
export const LEDGER_MIN_RETENTION_DAYS = 180;

const MONTH = /^(\d{4})-(\d{2})$/;

function nextMonth(month: string): string {
  const [, y, m] = MONTH.exec(month)!;
  const date = new Date(Date.UTC(Number(y), Number(m), 1));
  return date.toISOString().slice(0, 7);
}

function partitionName(month: string): string {
  return `ledger_events_${month.replace('-', '_')}`;
}

/**
 * PostgreSQL: the partition of one month ('YYYY-MM'), created if missing. A month whose rows
 * already went to the default partition keeps them there (PostgreSQL refuses to carve them
 * out); that is reported, not fatal. SQLite has no partitions: nothing to do.
 */
export async function ensureLedgerPartition(
  db: Executor,
  flavour: Flavour,
  month: string,
): Promise<'created' | 'exists' | 'in_default' | 'not_partitioned'> {
  if (flavour !== 'postgres') return 'not_partitioned';
  if (!MONTH.test(month)) throw new RangeError(`a month is YYYY-MM, not "${month}"`);
  const name = partitionName(month);
  const found = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE c.relname = ${name} AND s.nspname = current_schema()`.execute(
    db,
  );
  if (found.rows[0]!.n > 0) return 'exists';
  try {
    await sql`CREATE TABLE ${sql.id(name)} PARTITION OF ledger_events FOR VALUES FROM (${sql.lit(month)}) TO (${sql.lit(nextMonth(month))})`.execute(
      db,
    );
    return 'created';
  } catch (error) {
    if (/default partition/i.test(error instanceof Error ? error.message : '')) return 'in_default';
    throw error;
  }
}

/** This month's and next month's partitions, so that events never land in the default one. */
export async function ensureCurrentLedgerPartitions(
  db: Executor,
  flavour: Flavour,
  now: Date = new Date(),
): Promise<void> {
  const month = now.toISOString().slice(0, 7);
  await ensureLedgerPartition(db, flavour, month);
  await ensureLedgerPartition(db, flavour, nextMonth(month));
}

export interface PruneResult {
  /** Events below this index have their bodies pruned; their leaf hashes stay in the tree. */
  prunedBelow: number;
  pruned: number;
  droppedPartitions: string[];
}

/**
 * Retention: delete the bodies of events older than `before`, keeping every leaf hash, so the
 * tree, the checkpoints and the proofs of the remaining events all still verify. Only events
 * already under a signed checkpoint go, in index order (a prefix of the log), and the pruning
 * is itself an event, recorded in the same transaction. On PostgreSQL, month partitions left
 * empty are dropped.
 */
export async function pruneLedger(
  db: Executor,
  ledger: Ledger,
  before: Date,
  now: Date = new Date(),
): Promise<PruneResult> {
  if (Number.isNaN(before.getTime()))
    throw new ValidationError([{ field: 'before', rule: 'date', message: 'date invalide' }]);
  const oldest = new Date(now.getTime() - LEDGER_MIN_RETENTION_DAYS * 86_400_000);
  if (before > oldest) {
    throw new ValidationError([
      {
        field: 'before',
        rule: `retention.min:${LEDGER_MIN_RETENTION_DAYS}d`,
        message: `les événements sont conservés au moins ${LEDGER_MIN_RETENTION_DAYS} jours : date au plus tard ${oldest.toISOString().slice(0, 10)}`,
      },
    ]);
  }
  const checkpoint = await ledger.checkpoint();
  const signed = checkpoint ? Number(checkpoint.size) : 0;
  const cutoff = before.toISOString();
  const result = await db.transaction().execute(async (trx) => {
    const from = (await lockLedgerState(trx)).prunedBelow;
    // The prefix of the log dated before the cutoff: up to the first newer (or unsigned) event.
    const firstKept = await trx
      .selectFrom('ledger_events')
      .select('seq')
      .where('seq', '>=', from)
      .where('at', '>=', cutoff)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    const prunedBelow = Math.max(from, Math.min(firstKept ? Number(firstKept.seq) : signed, signed));
    if (prunedBelow === from) return { prunedBelow, pruned: 0 };
    const deleted = await trx
      .deleteFrom('ledger_events')
      .where('seq', '>=', from)
      .where('seq', '<', prunedBelow)
      .executeTakeFirst();
    await trx.updateTable('ledger_state').set({ pruned_below: prunedBelow }).where('id', '=', 1).execute();
    const pruned = Number(deleted.numDeletedRows);
    await appendEvent(trx, 'ledger_pruned', {
      operation: 'prune',
      details: { before: cutoff, from, prunedBelow, pruned },
    });
    return { prunedBelow, pruned };
  });
  const droppedPartitions: string[] = [];
  if (ledger.flavour === 'postgres' && result.pruned > 0) {
    const partitions = await sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace s ON s.oid = p.relnamespace WHERE p.relname = 'ledger_events' AND s.nspname = current_schema()`.execute(
      db,
    );
    for (const { name } of partitions.rows) {
      const match = /^ledger_events_(\d{4})_(\d{2})$/.exec(name);
      if (!match || `${match[1]}-${match[2]}` >= cutoff.slice(0, 7)) continue;
      const left = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.id(name)}`.execute(db);
      if (left.rows[0]!.n === 0) {
        await sql`DROP TABLE ${sql.id(name)}`.execute(db);
        droppedPartitions.push(name);
      }
    }
  }
  return { ...result, droppedPartitions };
}
