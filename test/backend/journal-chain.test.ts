import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import {
  appendEvent,
  appendEvents,
  JOURNAL_KINDS,
  parseBody,
  pruneLedger,
  verifyEventInclusion,
  verifyLedger,
  type PublicEvent,
} from '../../src/ledger/index.ts';
import { storedLeafHash } from '../../src/ledger/stored-leaf.ts';
import { journalLeafHash } from '../../src/privacy/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { demoPersons, seedDatabase } from '../../src/seed/index.ts';
import type { LedgerEventsTable } from '../../src/store/index.ts';
import { checkChain, type ChainReport, type ChainState } from '../../web/src/espace/chain.ts';
import { BACKEND } from '../helpers/backend.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';
import { as, signIn, type Client, type SignedIn } from '../helpers/sign-in.ts';

const SEED = 11;

interface JournalPageView {
  page: number;
  pageSize: number;
  total: number;
  checkpoint: { size: number; note: string } | null;
  verifierKey: string;
  chain: ChainState;
  entries: Array<{ event: PublicEvent; index: number; proof: string[]; pending?: boolean }>;
}

/**
 * Issue 20: deletions must not be invisible to the job seeker. Each person's journal events are
 * numbered and linked at integration (`chain` in the body, under the leaf), the journal states
 * the person's head, and the browser's check (web/src/espace/chain.ts, run here as is) names
 * what is missing: a row deleted in the middle, the newest one, or — with the head rolled back
 * too — what the browser remembers having seen.
 */
describe(`each person's journal is a chain the job seeker checks complete (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let app: FastifyInstance;
  const db = () => runtime.database.db;
  let seeker = '';
  let seekerPerson = '';
  let otherPerson = '';
  let session: SignedIn;
  const client: Client = {
    remoteAddress: '10.50.60.70',
    headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
  };

  async function journal(query = 'pageSize=100'): Promise<JournalPageView> {
    const res = await as(app, client, session)('GET', `/api/me/journal?${query}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as JournalPageView;
  }

  /** What the page does: recompute each entry's leaf from what it shows, then check the numbers. */
  function browserCheck(page: JournalPageView, remembered = 0): ChainReport {
    return checkChain({
      entries: page.entries.map((e) => ({
        index: e.index,
        leafHash: journalLeafHash(e.event).toString('base64url'),
        chain: e.event.chain,
      })),
      page: page.page,
      pageSize: page.pageSize,
      total: page.total,
      chain: page.chain,
      remembered,
    });
  }

  /** The person's journal rows, in the order of the log. */
  async function journalRows(personId: string): Promise<LedgerEventsTable[]> {
    const rows = await db()
      .selectFrom('ledger_events')
      .selectAll()
      .where('person_id', '=', personId)
      .where('kind', 'in', JOURNAL_KINDS)
      .where('seq', 'is not', null)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
  }

  const access = (personId: string, caseReference: string) => ({
    kind: 'access_granted' as const,
    input: {
      personId,
      organisationId: 'org-chain',
      purpose: 'accompagnement',
      caseReference,
      operation: 'read',
      classes: ['identity'],
    },
  });

  before(async () => {
    server = await openTestServer();
    ({ runtime, app } = server);
    await seedDatabase(db(), runtime.persons, runtime.keyring, {
      persons: 60,
      seed: SEED,
      batchSize: 60,
      parallel: false,
    });
    const shown = new Set((await ensureDemoAccounts(runtime, SEED)).map((s) => s.login));
    for (const person of await demoPersons(db(), SEED, 8)) {
      if (shown.has(person.email) && !seeker) {
        seeker = person.email;
        seekerPerson = person.id;
      } else if (!otherPerson) otherPerson = person.id;
    }
    assert.ok(seeker && otherPerson, 'a demo job seeker with an account, and another person');
    session = await signIn(app, client, seeker, DEMO_PASSWORD);
  });
  after(async () => {
    await server?.close();
  });

  it('numbers a person’s journal events 1…k when they are integrated, each linked to the previous one by leaf hash and index, under the tree', async () => {
    await appendEvents(db(), [
      access(seekerPerson, 'CHAIN-1'),
      access(otherPerson, 'OTHER-1'),
      {
        kind: 'access_denied',
        input: {
          personId: seekerPerson,
          organisationId: 'org-chain',
          purpose: 'accompagnement',
          caseReference: 'CHAIN-2',
        },
      },
      // Not a journal kind: never chained, and it does not count.
      { kind: 'subject_access', input: { personId: seekerPerson, operation: 'read' } },
      access(seekerPerson, 'CHAIN-3'),
    ]);
    await appendEvent(db(), 'access_granted', access(seekerPerson, 'CHAIN-4').input);
    await runtime.ledger.integrate();

    for (const personId of [seekerPerson, otherPerson]) {
      const rows = await journalRows(personId);
      assert.ok(rows.length >= (personId === seekerPerson ? 4 : 1));
      for (const [i, row] of rows.entries()) {
        const chain = parseBody(row.body).chain;
        const previous = rows[i - 1];
        assert.deepEqual(
          chain,
          {
            n: i + 1,
            prev: previous ? storedLeafHash(previous.body).toString('base64url') : null,
            prevIndex: previous ? previous.seq : null,
          },
          `entry ${i + 1}`,
        );
        // What the tree holds is the leaf of the body as stored, link included.
        assert.deepEqual(await runtime.ledger.leafHashAt(row.seq!), storedLeafHash(row.body));
      }
      const head = await db()
        .selectFrom('ledger_person_heads')
        .selectAll()
        .where('person_id', '=', personId)
        .executeTakeFirstOrThrow();
      const last = rows.at(-1)!;
      assert.deepEqual(
        { n: Number(head.n), seq: Number(head.seq), head: head.head },
        { n: rows.length, seq: last.seq, head: storedLeafHash(last.body).toString('base64url') },
      );
    }
    const own = await db()
      .selectFrom('ledger_events')
      .select('body')
      .where('person_id', '=', seekerPerson)
      .where('kind', '=', 'subject_access')
      .execute();
    assert.ok(
      own.length > 0 && own.every((r) => parseBody(r.body).chain === undefined),
      'events of other kinds are not chained',
    );
    await runtime.ledger.checkpoint();
    const report = await verifyLedger(db(), runtime.ledger);
    assert.equal(report.ok, true, JSON.stringify(report.findings));
  });

  it('GET /api/me/journal gives each entry its link and states the head; the browser’s check says complete, page by page', async () => {
    await appendEvent(db(), 'access_granted', access(seekerPerson, 'CHAIN-5').input);
    const page = await journal();
    const rows = await journalRows(seekerPerson);
    assert.equal(page.chain.head, rows.length, 'the pending access was integrated and counted');
    assert.equal(page.chain.headIndex, rows.at(-1)!.seq);
    assert.deepEqual(
      page.entries.map((e) => e.event.chain?.n),
      rows.map((_, i) => rows.length - i),
      'newest first, in the order of the log',
    );
    // Entries the last signed checkpoint does not cover yet come without a proof (`pending`): not the chain's concern.
    for (const e of page.entries.filter((entry) => !entry.pending)) {
      const checkpoint = verifyEventInclusion(
        page.checkpoint!.note,
        page.verifierKey,
        BigInt(e.index),
        journalLeafHash(e.event),
        e.proof.map((p) => Buffer.from(p, 'base64')),
      );
      assert.equal(Number(checkpoint.size), page.checkpoint!.size);
    }
    const report = browserCheck(page);
    assert.equal(report.complete, true, JSON.stringify(report.finding));
    assert.equal(report.head, rows.length);
    for (let p = 1; p <= Math.ceil(rows.length / 2); p++)
      assert.equal(browserCheck(await journal(`page=${p}&pageSize=2`)).complete, true, `page ${p}`);
  });

  it('an entry deleted from the store: the journal shows the gap and the browser’s check names the missing number', async () => {
    await runtime.ledger.checkpoint();
    const rows = await journalRows(seekerPerson);
    const victim = rows[rows.length - 3]!;
    const n = parseBody(victim.body).chain!.n;
    await db().deleteFrom('ledger_events').where('id', '=', victim.id).execute();
    try {
      const page = await journal();
      assert.equal(page.chain.head, rows.length, 'the head still counts it');
      assert.ok(!page.entries.some((e) => e.event.chain?.n === n));
      // Every entry left still proves its inclusion: only the chain shows the loss.
      assert.ok(page.entries.every((e) => !e.pending));
      for (const e of page.entries)
        verifyEventInclusion(
          page.checkpoint!.note,
          page.verifierKey,
          BigInt(e.index),
          journalLeafHash(e.event),
          e.proof.map((p) => Buffer.from(p, 'base64')),
        );
      const report = browserCheck(page);
      assert.equal(report.complete, false);
      assert.deepEqual(report.finding, { kind: 'missing', from: n, to: n, reason: 'gap' });
      // On a later page, the loss shows too: the page starts lower than the head allows.
      const second = await journal('page=2&pageSize=1');
      assert.equal(browserCheck(second).complete, true, 'n − 1 is still second');
      const fourth = await journal('page=3&pageSize=1');
      assert.deepEqual(browserCheck(fourth).finding, { kind: 'earlier', count: 1 });
    } finally {
      await db().insertInto('ledger_events').values(victim).execute();
    }
    assert.equal(browserCheck(await journal()).complete, true, 'restored, the journal is complete again');
  });

  it('the newest entry deleted: the head stated is above it; with the head rolled back too, the browser’s memory names it', async () => {
    const before = await journal();
    const remembered = browserCheck(before).highest;
    const rows = await journalRows(seekerPerson);
    const last = rows.at(-1)!;
    const previous = rows.at(-2)!;
    assert.equal(remembered, rows.length);
    const head = await db()
      .selectFrom('ledger_person_heads')
      .selectAll()
      .where('person_id', '=', seekerPerson)
      .executeTakeFirstOrThrow();
    await db().deleteFrom('ledger_events').where('id', '=', last.id).execute();
    try {
      const truncated = await journal();
      assert.equal(truncated.chain.head, rows.length);
      assert.equal(truncated.entries[0]!.event.chain!.n, rows.length - 1);
      assert.deepEqual(browserCheck(truncated).finding, {
        kind: 'missing',
        from: rows.length,
        to: rows.length,
        reason: 'head',
      });

      // Whoever deleted the row rewinds the head as well: the store alone now looks whole,
      // but not to a browser that saw the entry before.
      await db()
        .updateTable('ledger_person_heads')
        .set({ n: rows.length - 1, seq: previous.seq!, head: storedLeafHash(previous.body).toString('base64url') })
        .where('person_id', '=', seekerPerson)
        .execute();
      const rewound = await journal();
      assert.equal(rewound.chain.head, rows.length - 1);
      assert.equal(browserCheck(rewound).complete, true, 'a first visit cannot tell');
      assert.deepEqual(browserCheck(rewound, remembered).finding, {
        kind: 'missing',
        from: rows.length,
        to: rows.length,
        reason: 'remembered',
      });
    } finally {
      await db().insertInto('ledger_events').values(last).execute();
      await db()
        .updateTable('ledger_person_heads')
        .set({ n: head.n, seq: head.seq, head: head.head })
        .where('person_id', '=', seekerPerson)
        .execute();
    }
    assert.equal(browserCheck(await journal(), remembered).complete, true);
  });

  it('an erased person’s later events keep their chain', async () => {
    const before = (await journalRows(otherPerson)).length;
    await runtime.persons.erase(otherPerson);
    await appendEvents(db(), [
      { kind: 'person_erased', input: { personId: otherPerson, operation: 'erase' } },
      {
        kind: 'access_denied',
        input: { personId: otherPerson, organisationId: 'org-chain', purpose: 'accompagnement' },
      },
    ]);
    await runtime.ledger.integrate();
    const rows = await journalRows(otherPerson);
    assert.equal(rows.length, before + 1, 'the refusal counts, the erasure (not a journal kind) does not');
    assert.deepEqual(parseBody(rows.at(-1)!.body).chain, {
      n: before + 1,
      prev: storedLeafHash(rows.at(-2)!.body).toString('base64url'),
      prevIndex: rows.at(-2)!.seq,
    });
  });

  it('after pruning, the chain goes on from the pruned entries: complete, saying how many went; a deletion after it still shows', async () => {
    const count = (await journalRows(seekerPerson)).length;
    // A clock far enough ahead that every event here is past the retention period.
    const now = new Date(Date.now() + 400 * 86_400_000);
    const result = await pruneLedger(db(), runtime.ledger, new Date(now.getTime() - 200 * 86_400_000), now);
    assert.ok(result.pruned > 0);
    assert.equal((await journalRows(seekerPerson)).length, 0, 'every body of the person went');
    const empty = await journal();
    assert.equal(empty.chain.head, count);
    assert.equal(empty.chain.prunedBelow, result.prunedBelow);
    assert.equal(browserCheck(empty).complete, true, 'all pruned, lawfully');

    await appendEvent(db(), 'access_granted', access(seekerPerson, 'CHAIN-6').input);
    const page = await journal();
    assert.equal(page.entries.length, 1);
    assert.equal(page.entries[0]!.event.chain!.n, count + 1);
    assert.ok(page.entries[0]!.event.chain!.prevIndex! < page.chain.prunedBelow);
    const report = browserCheck(page);
    assert.equal(report.complete, true, JSON.stringify(report.finding));
    assert.equal(report.pruned, count);

    const [row] = await journalRows(seekerPerson);
    await db().deleteFrom('ledger_events').where('id', '=', row!.id).execute();
    const gone = await journal();
    assert.equal(gone.entries.length, 0);
    assert.deepEqual(browserCheck(gone).finding, { kind: 'missing', from: count + 1, to: count + 1, reason: 'start' });
  });
});
