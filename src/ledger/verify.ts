import type { Executor } from '../store/index.ts';
import { CompactRange } from './compact-range.ts';
import { leafData, parseBody, type EventBody } from './event.ts';
import type { Ledger } from './log.ts';
import { leafHash } from './merkle.ts';

export type FindingKind = 'modified' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'tree' | 'checkpoint';

/** One thing wrong with the log, in French for the operator, with the event's position and id where there is one. */
export interface Finding {
  kind: FindingKind;
  index?: number;
  eventId?: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  /** The last signed checkpoint verified against, if any. */
  checkpoint?: { size: number; at: string };
  checkpointsChecked: number;
  /** Events recomputed from their stored bodies. */
  eventsChecked: number;
  /** Events whose bodies were pruned: taken on their stored leaf hashes. */
  pruned: number;
  /** Events recorded but not yet in the tree. */
  pending: number;
  /** Events in the tree but not yet under a signed checkpoint. */
  unsigned: number;
  findings: Finding[];
  /** True when more findings exist than were kept. */
  truncatedFindings: boolean;
}

export interface VerifyOptions {
  batchSize?: number;
  maxFindings?: number;
  onProgress?: (done: number, total: number) => void;
}

type Row = { id: string; seq: number | null; at: string; kind: string; account_id: string | null; actor_id: string | null; organisation_id: string | null; person_id: string | null; body: string };

/** The body's own hash, or undefined when it is not even an event (a hand edit that broke it). */
function hashOf(row: Row): { hash: Buffer; body: EventBody } | undefined {
  try {
    const body = parseBody(row.body);
    return { hash: leafHash(leafData(body)), body };
  } catch {
    return undefined;
  }
}

function columnsAgree(row: Row, body: EventBody): boolean {
  return (
    row.id === body.id &&
    row.at === body.at &&
    row.kind === body.kind &&
    row.person_id === body.person &&
    row.organisation_id === body.organisation &&
    row.actor_id === body.restricted.actor &&
    row.account_id === body.restricted.account
  );
}

/**
 * `rempart ledger verify`: recompute every leaf from the stored events and the tree from the
 * leaves, compare with every signed checkpoint on the way, and name the first event that was
 * modified, deleted, inserted or reordered. The stored leaf hashes tell which event moved where
 * as long as they themselves still match the signed roots; when they were rewritten too, the
 * signed checkpoints still bound where the first change lies.
 */
export async function verifyLedger(db: Executor, ledger: Ledger, options: VerifyOptions = {}): Promise<VerifyReport> {
  const batch = options.batchSize ?? 10_000;
  const maxFindings = options.maxFindings ?? 20;
  const findings: Finding[] = [];
  let truncatedFindings = false;
  const note = (finding: Finding) => {
    if (findings.length < maxFindings) findings.push(finding);
    else truncatedFindings = true;
  };

  const state = await db.selectFrom('ledger_state').select(['size', 'pruned_below']).where('id', '=', 1).executeTakeFirstOrThrow();
  const size = Number(state.size);
  const prunedBelow = Number(state.pruned_below);

  // Checkpoints: each must carry this log's signature over what the table says.
  const trusted: Array<{ size: number; root: Buffer; at: string }> = [];
  const rows = await db.selectFrom('ledger_checkpoints').selectAll().orderBy('size', 'asc').execute();
  for (const row of rows) {
    try {
      const opened = ledger.openCheckpoint(row.note);
      if (opened.size !== BigInt(row.size) || !opened.root.equals(Buffer.from(row.root))) throw new Error('la note signée ne dit pas la même taille ou la même racine que la table');
      trusted.push({ size: Number(row.size), root: opened.root, at: row.at });
    } catch (error) {
      note({ kind: 'checkpoint', message: `point de contrôle à la taille ${row.size} rejeté : ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  const last = trusted.at(-1);
  const signedSize = last?.size ?? 0;
  if (size < signedSize) note({ kind: 'truncated', index: size, message: `journal tronqué : l'arbre compte ${size} événements, le dernier point de contrôle signé en atteste ${signedSize}` });

  const end = Math.max(size, signedSize);
  const storedRange = new CompactRange();
  const eventRange = new CompactRange();
  let nextCheckpoint = 0;
  let storedTreeFaulty = false;
  let lastGoodSize = 0;
  let eventsChecked = 0;
  let deletedRun: { from: number; eventId?: string } | undefined;
  /** +1 after an insertion that pushed the later events up, −1 after a deletion that pulled them down. */
  let shift = 0;

  for (let start = 0; start < end; start += batch) {
    const stop = Math.min(end, start + batch);
    const leaves = new Map<number, Buffer>();
    for (const leaf of await db.selectFrom('ledger_nodes').select(['idx', 'hash']).where('level', '=', 0).where('idx', '>=', start).where('idx', '<', stop + 2).execute()) {
      leaves.set(Number(leaf.idx), Buffer.from(leaf.hash));
    }
    const bySeq = new Map<number, Row[]>();
    for (const row of await db.selectFrom('ledger_events').selectAll().where('seq', '>=', start).where('seq', '<', stop + 2).orderBy('seq').execute()) {
      const list = bySeq.get(Number(row.seq)) ?? [];
      list.push(row);
      bySeq.set(Number(row.seq), list);
    }
    // Where each stored leaf hash sits, to tell a moved event from a changed one.
    const positionOf = new Map<string, number>();
    for (const [idx, hash] of leaves) positionOf.set(hash.toString('hex'), idx);
    // Each row is hashed once, though the look-ahead below asks for the next one's hash too.
    const computedOf = new Map<Row, ReturnType<typeof hashOf>>();
    const leafOf = (row: Row) => {
      if (!computedOf.has(row)) computedOf.set(row, hashOf(row));
      return computedOf.get(row);
    };
    const hashAt = (p: number) => {
      const list = bySeq.get(p);
      return list?.length === 1 ? leafOf(list[0]!)?.hash : undefined;
    };

    for (let p = start; p < stop; p++) {
      const stored = leaves.get(p);
      if (stored) storedRange.push(stored);
      else {
        note({ kind: 'tree', index: p, message: `l'empreinte stockée de l'événement n° ${p} a disparu de l'arbre` });
        storedRange.push(Buffer.alloc(32));
      }

      let eventLeaf: Buffer;
      if (p < prunedBelow) {
        eventLeaf = stored ?? Buffer.alloc(32);
      } else {
        const list = bySeq.get(p) ?? [];
        if (list.length === 0) {
          deletedRun ??= { from: p };
          eventLeaf = Buffer.alloc(32);
        } else {
          if (deletedRun) {
            note({ kind: 'deleted', index: deletedRun.from, message: `événement n° ${deletedRun.from}${p - deletedRun.from > 1 ? ` à ${p - 1}` : ''} supprimé${p - deletedRun.from > 1 ? 's' : ''} : absent du journal, présent dans l'arbre` });
            deletedRun = undefined;
          }
          eventsChecked += list.length;
          const hashed = list.map((row) => ({ row, computed: leafOf(row) }));
          if (list.length > 1) {
            const intruder = hashed.find((h) => !stored || !h.computed?.hash.equals(stored)) ?? hashed[1]!;
            note({ kind: 'inserted', index: p, eventId: intruder.row.id, message: `événement inséré à la position ${p} (${intruder.row.id}) : deux événements y prétendent` });
            eventLeaf = Buffer.alloc(32);
          } else {
            const { row, computed } = hashed[0]!;
            eventLeaf = computed?.hash ?? Buffer.alloc(32);
            if (computed && stored && computed.hash.equals(stored)) {
              if (!columnsAgree(row, computed.body)) note({ kind: 'modified', index: p, eventId: row.id, message: `événement n° ${p} (${row.id}) modifié : ses colonnes de recherche ne disent plus ce que dit l'événement signé` });
            } else if (!computed) {
              note({ kind: 'modified', index: p, eventId: row.id, message: `événement n° ${p} (${row.id}) modifié : ce n'est plus un événement lisible` });
            } else {
              const signedAt = positionOf.get(computed.hash.toString('hex'));
              if (shift !== 0 && signedAt === p - shift) {
                // A consequence of the insertion or deletion already reported: every later event moved by one.
              } else if (signedAt === undefined && stored && hashAt(p + 1)?.equals(stored)) {
                // An event the tree never saw, and the one signed here now sits one place further.
                note({ kind: 'inserted', index: p, eventId: row.id, message: `événement inséré à la position ${p} (${row.id}) : les suivants ont été décalés d'un rang` });
                shift = 1;
              } else if (signedAt === p + 1 && !(stored && hashAt(p + 1)?.equals(stored))) {
                note({ kind: 'deleted', index: p, message: `événement n° ${p} supprimé : les suivants ont été renumérotés pour combler le vide` });
                shift = -1;
              } else if (signedAt !== undefined) {
                note({ kind: 'reordered', index: p, eventId: row.id, message: `ordre modifié : l'événement en position ${p} (${row.id}) a été signé en position ${signedAt}` });
              } else {
                note({ kind: 'modified', index: p, eventId: row.id, message: `événement n° ${p} (${row.id}) modifié : son contenu ne correspond plus à l'empreinte signée` });
              }
            }
          }
        }
      }
      eventRange.push(eventLeaf);

      while (nextCheckpoint < trusted.length && trusted[nextCheckpoint]!.size === p + 1) {
        const checkpoint = trusted[nextCheckpoint]!;
        if (!storedTreeFaulty && !storedRange.root().equals(checkpoint.root)) {
          storedTreeFaulty = true;
          note({ kind: 'tree', message: `les empreintes stockées de l'arbre ne reproduisent pas la racine signée à la taille ${checkpoint.size} : elles ont été réécrites` });
        }
        if (eventRange.root().equals(checkpoint.root)) lastGoodSize = checkpoint.size;
        else if (!findings.some((f) => f.kind === 'checkpoint' && f.index !== undefined)) {
          note({
            kind: 'checkpoint',
            index: lastGoodSize,
            message: `les événements ne reproduisent pas la racine signée à la taille ${checkpoint.size} : le premier changement est entre les positions ${lastGoodSize} et ${checkpoint.size - 1}`,
          });
        }
        nextCheckpoint += 1;
      }
    }
    options.onProgress?.(stop, end);
  }
  // After a deletion that renumbered the rest, the last position is empty: that is the same deletion.
  if (deletedRun && !(shift === -1 && deletedRun.from === end - 1)) {
    note({ kind: 'truncated', index: deletedRun.from, message: `journal tronqué : les événements n° ${deletedRun.from} à ${end - 1} manquent` });
  }

  const beyond = await db.selectFrom('ledger_events').select(['id', 'seq']).where('seq', '>=', end).orderBy('seq').limit(1).executeTakeFirst();
  if (beyond) note({ kind: 'inserted', index: Number(beyond.seq), eventId: beyond.id, message: `événement inséré (${beyond.id}) à la position ${beyond.seq}, au-delà de la taille de l'arbre (${end})` });

  const pending = Number(
    (
      await db
        .selectFrom('ledger_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('seq', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );
  // The first finding by position is the headline: sort those that have one, keep the others after.
  const rank = (f: Finding) => (f.kind === 'tree' || f.kind === 'checkpoint' ? 1 : 0);
  findings.sort((a, b) => rank(a) - rank(b) || (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER));
  return {
    ok: findings.length === 0,
    ...(last ? { checkpoint: { size: last.size, at: last.at } } : {}),
    checkpointsChecked: trusted.length,
    eventsChecked,
    pruned: Math.min(prunedBelow, end),
    pending,
    unsigned: Math.max(0, size - signedSize),
    findings,
    truncatedFindings,
  };
}
