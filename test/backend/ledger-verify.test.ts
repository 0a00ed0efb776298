import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  appendEvents,
  CompactRange,
  formatCheckpoint,
  leafData,
  leafHash,
  parseBody,
  signerFromSeed,
  signNote,
  StoredTree,
  verifyLedger,
  type EventBody,
  type EventInput,
  type EventKind,
  type Finding,
  type Ledger,
  type VerifyReport,
} from '../../src/ledger/index.ts';
import type { VerifyOptions } from '../../src/ledger/verify.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import type { Executor, LedgerEventsTable } from '../../src/store/index.ts';
import { BACKEND, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';

/**
 * `ledger verify` reads pages whole, hashes them on worker threads and takes a clean page by its
 * subtrees (issue 18): it must still say exactly what the verifier said before, for every way of
 * tampering with the log. The verifier as it was is kept below as the oracle; both run on the
 * same tampered store, with pages of several sizes, inline and on worker threads.
 */

const kinds: EventKind[] = ['access_granted', 'access_denied', 'login_succeeded', 'person_search'];

/** Events of every shape the fast path must get right or hand over: nulls, escapes, non-BMP characters, fractions. */
function event(i: number): { kind: EventKind; input: EventInput } {
  const details: Record<string, string | number | boolean | null> = { n: i };
  if (i % 7 === 0) details.note = 'café « guillemets » "quoted" \\ back\tslash';
  if (i % 11 === 0) details.emoji = 'déjà vu 😀 𝄞';
  if (i % 13 === 0) details.ratio = 1.5;
  if (i % 17 === 0) details.big = 2 ** 60;
  if (i % 19 === 0) details.control = 'a\u0001b\u001fc';
  return {
    kind: kinds[i % kinds.length]!,
    input: {
      personId: i % 5 === 0 ? null : `person-${i}`,
      actorId: i % 6 === 0 ? null : `actor-${i % 3}`,
      accountId: i % 4 === 0 ? null : `account-${i % 9}`,
      organisationId: i % 8 === 0 ? null : 'org-1',
      purpose: 'suivi',
      caseReference: `CASE-${i}`,
      operation: 'read',
      classes: ['identity', 'contact'],
      details,
    },
  };
}

describe(`ledger verify, pages on worker threads, against the verifier it replaced (${BACKEND})`, () => {
  let env: TestEnvironment;
  let runtime: Runtime;
  const db = () => runtime.database.db;
  let appended = 0;

  before(async () => {
    env = testEnvironment();
    runtime = await env.open();
    // Signed at sizes that fall inside pages and on page edges, then some integrated but unsigned, then some pending.
    for (const size of [37, 64, 100, 163, 250]) {
      await appendEvents(
        db(),
        Array.from({ length: size - appended }, (_, k) => event(appended + k)),
      );
      appended = size;
      await runtime.ledger.checkpoint();
    }
    await appendEvents(
      db(),
      Array.from({ length: 30 }, (_, k) => event(appended + k)),
    );
    appended += 30;
    await runtime.ledger.integrate();
    await appendEvents(
      db(),
      Array.from({ length: 5 }, (_, k) => event(appended + k)),
    );
  });
  after(async () => {
    await runtime.close();
    await env.cleanup();
  });

  const at = async (seq: number): Promise<LedgerEventsTable> =>
    (await db()
      .selectFrom('ledger_events')
      .selectAll()
      .where('seq', '=', seq)
      .executeTakeFirstOrThrow()) as LedgerEventsTable;
  /** The first integrated row (by position) that matches. */
  const find = async (match: (row: LedgerEventsTable) => boolean): Promise<LedgerEventsTable> =>
    (
      (await db()
        .selectFrom('ledger_events')
        .selectAll()
        .where('seq', 'is not', null)
        .orderBy('seq')
        .execute()) as LedgerEventsTable[]
    ).find(match)!;
  const setBody = async (id: string, body: string) => {
    await db().updateTable('ledger_events').set({ body }).where('id', '=', id).execute();
  };

  const variants: VerifyOptions[] = [
    { batchSize: 16 },
    { batchSize: 64, workers: 0 },
    { batchSize: 50, workers: 2 },
    { batchSize: 7, workers: 1 },
    {},
  ];

  /** Tamper, verify with the oracle and every variant, put everything back. */
  async function compare(name: string, tamper: () => Promise<void>, expectOk?: boolean): Promise<void> {
    const events = await db().selectFrom('ledger_events').selectAll().execute();
    const nodes = await db().selectFrom('ledger_nodes').selectAll().execute();
    const checkpoints = await db().selectFrom('ledger_checkpoints').selectAll().execute();
    try {
      await tamper();
      for (const options of variants) {
        // The oracle at the same page size: its look-ahead stops at a page's end, so what it says after an insertion depends on where pages end.
        const expected = await referenceVerify(db(), runtime.ledger, { batchSize: options.batchSize ?? 16_384 });
        if (expectOk !== undefined)
          assert.equal(
            expected.ok,
            expectOk,
            `${name}: the oracle says ${expected.findings.map((f) => f.message).join(' | ')}`,
          );
        const progress: Array<[number, number]> = [];
        const report = await verifyLedger(db(), runtime.ledger, {
          ...options,
          onProgress: (done, total) => progress.push([done, total]),
        });
        assert.deepEqual(report, expected, `${name}, ${JSON.stringify(options)}`);
        if (progress.length > 0) {
          const total = progress[0]![1];
          assert.deepEqual(progress.at(-1), [total, total], `${name}: progress reaches the end`);
          assert.ok(
            progress.every(([done], i) => i === 0 || done > progress[i - 1]![0]),
            `${name}: progress only goes forward`,
          );
        }
      }
    } finally {
      await db().deleteFrom('ledger_events').execute();
      await db().deleteFrom('ledger_nodes').execute();
      await db().deleteFrom('ledger_checkpoints').execute();
      for (const e of events) await db().insertInto('ledger_events').values(e).execute();
      for (const n of nodes) await db().insertInto('ledger_nodes').values(n).execute();
      for (const c of checkpoints) await db().insertInto('ledger_checkpoints').values(c).execute();
    }
  }

  it('agrees on a clean log, with every kind of body, and takes every page of it whole', async () => {
    await compare('clean', async () => undefined, true);
    for (const options of variants) {
      const pages: boolean[] = [];
      await verifyLedger(db(), runtime.ledger, { ...options, onPage: (page) => pages.push(page.whole) });
      assert.ok(pages.length > 0 && pages.every(Boolean), `${JSON.stringify(options)}: ${pages.join(',')}`);
    }
  });

  it('agrees on modified bodies: changed, re-spelled without a change, unreadable, not an object, non-BMP text changed', async () => {
    await compare(
      'modified',
      async () => {
        const row = await at(7);
        const body = parseBody(row.body);
        body.purpose = 'autre_finalite';
        await setBody(row.id, JSON.stringify(body));
      },
      false,
    );
    // Another spelling of the same event (whitespace, an escape): not a change of the event.
    await compare(
      're-spelled',
      async () => {
        const row = await at(8);
        await setBody(row.id, JSON.stringify(parseBody(row.body), null, 1).replace('suivi', 'suiv\\u0069'));
      },
      true,
    );
    await compare('not JSON', async () => setBody((await at(50)).id, '{"at": oops'), false);
    await compare('not an object', async () => setBody((await at(51)).id, JSON.stringify([1, 2, 3])), false);
    await compare(
      'non-BMP changed',
      async () => {
        const row = await find((r) => r.body.includes('😀'));
        await setBody(row.id, row.body.replace('😀', '😁'));
      },
      false,
    );
    await compare(
      'a fraction re-spelled',
      async () => {
        const row = await find((r) => r.body.includes('"ratio":1.5'));
        await setBody(row.id, row.body.replace('"ratio":1.5', '"ratio":1.50'));
      },
      true,
    );
  });

  it('agrees on changed lookup columns', async () => {
    await compare(
      'person column',
      async () => {
        await db()
          .updateTable('ledger_events')
          .set({ person_id: 'someone-else' })
          .where('id', '=', (await at(9)).id)
          .execute();
      },
      false,
    );
    await compare(
      'actor column to null',
      async () => {
        await db()
          .updateTable('ledger_events')
          .set({ actor_id: null })
          .where('id', '=', (await find((r) => r.actor_id !== null)).id)
          .execute();
      },
      false,
    );
    await compare(
      'kind column',
      async () => {
        await db()
          .updateTable('ledger_events')
          .set({ kind: 'login_failed' })
          .where('id', '=', (await at(70)).id)
          .execute();
      },
      false,
    );
    if (BACKEND === 'sqlite') {
      // SQLite keeps a NUL inside a text, where its length() stops counting.
      await compare(
        'a NUL in a column',
        async () => {
          await sql`UPDATE ledger_events SET person_id = 'person-' || char(0) || 'x' WHERE seq = 71`.execute(db());
        },
        false,
      );
      await compare('a body stored as a blob, same bytes', async () => {
        await sql`UPDATE ledger_events SET body = CAST(body AS BLOB) WHERE seq = 72`.execute(db());
      });
    }
  });

  it('agrees on deleted, inserted, duplicated, reordered and truncated events, and events beyond the tree', async () => {
    await compare(
      'deleted',
      async () => {
        await db().deleteFrom('ledger_events').where('seq', '=', 12).execute();
      },
      false,
    );
    await compare(
      'deleted and renumbered',
      async () => {
        await db().deleteFrom('ledger_events').where('seq', '=', 12).execute();
        await sql`UPDATE ledger_events SET seq = seq - 1 WHERE seq > 12`.execute(db());
      },
      false,
    );
    await compare(
      'deleted run across a page edge',
      async () => {
        await db().deleteFrom('ledger_events').where('seq', '>=', 60).where('seq', '<', 70).execute();
      },
      false,
    );
    await compare(
      'inserted',
      async () => {
        const template = parseBody((await at(0)).body);
        await sql`UPDATE ledger_events SET seq = seq + 1 WHERE seq >= 15`.execute(db());
        const forged: EventBody = { ...template, id: '00000000-0000-4000-8000-000000000015', caseReference: 'ALIBI' };
        await db()
          .insertInto('ledger_events')
          .values({
            id: forged.id,
            seq: 15,
            at: forged.at,
            kind: forged.kind,
            account_id: forged.restricted.account,
            actor_id: forged.restricted.actor,
            organisation_id: forged.organisation,
            person_id: forged.person,
            body: JSON.stringify(forged),
          })
          .execute();
      },
      false,
    );
    await compare(
      'duplicated position',
      async () => {
        await db().updateTable('ledger_events').set({ seq: 61 }).where('seq', '=', 60).execute();
      },
      false,
    );
    await compare(
      'reordered',
      async () => {
        const a = await at(3);
        const b = await at(5);
        await db().updateTable('ledger_events').set({ seq: 5 }).where('id', '=', a.id).execute();
        await db().updateTable('ledger_events').set({ seq: 3 }).where('id', '=', b.id).execute();
      },
      false,
    );
    await compare(
      'truncated',
      async () => {
        await db().deleteFrom('ledger_events').where('seq', '>=', 240).execute();
      },
      false,
    );
    await compare(
      'beyond the tree',
      async () => {
        await db().updateTable('ledger_events').set({ seq: 400 }).where('seq', '=', 279).execute();
      },
      false,
    );
  });

  it('agrees on a rewritten stored tree, missing or malformed leaf hashes, and forged checkpoints', async () => {
    await compare(
      'events and tree rewritten together',
      async () => {
        const row = await at(5);
        const body = parseBody(row.body);
        body.classes = [];
        await setBody(row.id, JSON.stringify(body));
        const rows = await db()
          .selectFrom('ledger_events')
          .select('body')
          .where('seq', 'is not', null)
          .orderBy('seq')
          .execute();
        await db().deleteFrom('ledger_nodes').execute();
        await new StoredTree(db()).append(rows.map((r) => leafHash(leafData(parseBody(r.body)))));
      },
      false,
    );
    await compare(
      'a leaf replaced',
      async () => {
        await db()
          .updateTable('ledger_nodes')
          .set({ hash: randomBytes(32) })
          .where('level', '=', 0)
          .where('idx', '=', 40)
          .execute();
      },
      false,
    );
    await compare(
      'a leaf gone',
      async () => {
        await db().deleteFrom('ledger_nodes').where('level', '=', 0).where('idx', '=', 41).execute();
      },
      false,
    );
    await compare(
      'a leaf of 31 bytes',
      async () => {
        await db()
          .updateTable('ledger_nodes')
          .set({ hash: randomBytes(31) })
          .where('level', '=', 0)
          .where('idx', '=', 42)
          .execute();
      },
      false,
    );
    await compare(
      'a checkpoint signed by another key',
      async () => {
        const stranger = signerFromSeed(runtime.ledger.origin, randomBytes(32));
        const row = await db()
          .selectFrom('ledger_checkpoints')
          .selectAll()
          .where('size', '=', 163)
          .executeTakeFirstOrThrow();
        await db()
          .updateTable('ledger_checkpoints')
          .set({
            note: signNote(
              formatCheckpoint({ origin: runtime.ledger.origin, size: 163n, root: Buffer.from(row.root) }),
              stranger,
            ),
          })
          .where('size', '=', 163)
          .execute();
      },
      false,
    );
  });

  it('keeps only the first findings when there are many, and says so', async () => {
    await compare(
      'many',
      async () => {
        for (let seq = 100; seq < 140; seq++)
          await db()
            .updateTable('ledger_events')
            .set({ person_id: `x-${seq}` })
            .where('seq', '=', seq)
            .execute();
      },
      false,
    );
  });
});

// ——— The verifier before issue 18, verbatim: the oracle. ———

type Row = {
  id: string;
  seq: number | null;
  at: string;
  kind: string;
  account_id: string | null;
  actor_id: string | null;
  organisation_id: string | null;
  person_id: string | null;
  body: string;
};

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
 * (The reference, as it was before issue 18.) `rempart ledger verify`: recompute every leaf from the stored events and the tree from the
 * leaves, compare with every signed checkpoint on the way, and name the first event that was
 * modified, deleted, inserted or reordered. The stored leaf hashes tell which event moved where
 * as long as they themselves still match the signed roots; when they were rewritten too, the
 * signed checkpoints still bound where the first change lies.
 */
async function referenceVerify(db: Executor, ledger: Ledger, options: VerifyOptions = {}): Promise<VerifyReport> {
  const batch = options.batchSize ?? 10_000;
  const maxFindings = options.maxFindings ?? 20;
  const findings: Finding[] = [];
  let truncatedFindings = false;
  const note = (finding: Finding) => {
    if (findings.length < maxFindings) findings.push(finding);
    else truncatedFindings = true;
  };

  const state = await db
    .selectFrom('ledger_state')
    .select(['size', 'pruned_below'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  const size = Number(state.size);
  const prunedBelow = Number(state.pruned_below);

  // Checkpoints: each must carry this log's signature over what the table says.
  const trusted: Array<{ size: number; root: Buffer; at: string }> = [];
  const rows = await db.selectFrom('ledger_checkpoints').selectAll().orderBy('size', 'asc').execute();
  for (const row of rows) {
    try {
      const opened = ledger.openCheckpoint(row.note);
      if (opened.size !== BigInt(row.size) || !opened.root.equals(Buffer.from(row.root)))
        throw new Error('la note signée ne dit pas la même taille ou la même racine que la table');
      trusted.push({ size: Number(row.size), root: opened.root, at: row.at });
    } catch (error) {
      note({
        kind: 'checkpoint',
        message: `point de contrôle à la taille ${row.size} rejeté : ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  const last = trusted.at(-1);
  const signedSize = last?.size ?? 0;
  if (size < signedSize)
    note({
      kind: 'truncated',
      index: size,
      message: `journal tronqué : l'arbre compte ${size} événements, le dernier point de contrôle signé en atteste ${signedSize}`,
    });

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
    for (const leaf of await db
      .selectFrom('ledger_nodes')
      .select(['idx', 'hash'])
      .where('level', '=', 0)
      .where('idx', '>=', start)
      .where('idx', '<', stop + 2)
      .execute()) {
      leaves.set(Number(leaf.idx), Buffer.from(leaf.hash));
    }
    const bySeq = new Map<number, Row[]>();
    for (const row of await db
      .selectFrom('ledger_events')
      .selectAll()
      .where('seq', '>=', start)
      .where('seq', '<', stop + 2)
      .orderBy('seq')
      .execute()) {
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
            note({
              kind: 'deleted',
              index: deletedRun.from,
              message: `événement n° ${deletedRun.from}${p - deletedRun.from > 1 ? ` à ${p - 1}` : ''} supprimé${p - deletedRun.from > 1 ? 's' : ''} : absent du journal, présent dans l'arbre`,
            });
            deletedRun = undefined;
          }
          eventsChecked += list.length;
          const hashed = list.map((row) => ({ row, computed: leafOf(row) }));
          if (list.length > 1) {
            const intruder = hashed.find((h) => !stored || !h.computed?.hash.equals(stored)) ?? hashed[1]!;
            note({
              kind: 'inserted',
              index: p,
              eventId: intruder.row.id,
              message: `événement inséré à la position ${p} (${intruder.row.id}) : deux événements y prétendent`,
            });
            eventLeaf = Buffer.alloc(32);
          } else {
            const { row, computed } = hashed[0]!;
            eventLeaf = computed?.hash ?? Buffer.alloc(32);
            if (computed && stored && computed.hash.equals(stored)) {
              if (!columnsAgree(row, computed.body))
                note({
                  kind: 'modified',
                  index: p,
                  eventId: row.id,
                  message: `événement n° ${p} (${row.id}) modifié : ses colonnes de recherche ne disent plus ce que dit l'événement signé`,
                });
            } else if (!computed) {
              note({
                kind: 'modified',
                index: p,
                eventId: row.id,
                message: `événement n° ${p} (${row.id}) modifié : ce n'est plus un événement lisible`,
              });
            } else {
              const signedAt = positionOf.get(computed.hash.toString('hex'));
              if (shift !== 0 && signedAt === p - shift) {
                // A consequence of the insertion or deletion already reported: every later event moved by one.
              } else if (signedAt === undefined && stored && hashAt(p + 1)?.equals(stored)) {
                // An event the tree never saw, and the one signed here now sits one place further.
                note({
                  kind: 'inserted',
                  index: p,
                  eventId: row.id,
                  message: `événement inséré à la position ${p} (${row.id}) : les suivants ont été décalés d'un rang`,
                });
                shift = 1;
              } else if (signedAt === p + 1 && !(stored && hashAt(p + 1)?.equals(stored))) {
                note({
                  kind: 'deleted',
                  index: p,
                  message: `événement n° ${p} supprimé : les suivants ont été renumérotés pour combler le vide`,
                });
                shift = -1;
              } else if (signedAt !== undefined) {
                note({
                  kind: 'reordered',
                  index: p,
                  eventId: row.id,
                  message: `ordre modifié : l'événement en position ${p} (${row.id}) a été signé en position ${signedAt}`,
                });
              } else {
                note({
                  kind: 'modified',
                  index: p,
                  eventId: row.id,
                  message: `événement n° ${p} (${row.id}) modifié : son contenu ne correspond plus à l'empreinte signée`,
                });
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
          note({
            kind: 'tree',
            message: `les empreintes stockées de l'arbre ne reproduisent pas la racine signée à la taille ${checkpoint.size} : elles ont été réécrites`,
          });
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
    note({
      kind: 'truncated',
      index: deletedRun.from,
      message: `journal tronqué : les événements n° ${deletedRun.from} à ${end - 1} manquent`,
    });
  }

  const beyond = await db
    .selectFrom('ledger_events')
    .select(['id', 'seq'])
    .where('seq', '>=', end)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  if (beyond)
    note({
      kind: 'inserted',
      index: Number(beyond.seq),
      eventId: beyond.id,
      message: `événement inséré (${beyond.id}) à la position ${beyond.seq}, au-delà de la taille de l'arbre (${end})`,
    });

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
  findings.sort(
    (a, b) => rank(a) - rank(b) || (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER),
  );
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
