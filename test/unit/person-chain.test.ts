import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, leafData, leafHash, parseBody, type ChainLink } from '../../src/ledger/index.ts';
import { buildEvent, eventRow } from '../../src/ledger/event.ts';
import { withChainLink } from '../../src/ledger/person-chain.ts';
import { chainLinkIn, PersonChainCheck } from '../../src/ledger/person-chain-check.ts';
import { checkChain, describeChain, type ChainEntry, type ChainInput } from '../../web/src/espace/chain.ts';

/**
 * Each person's journal is a chain (issue 20): the integrator puts `chain: { n, prev, prevIndex }`
 * into canonical bodies (in place, exactly as canonicalize would write them), and the job
 * seeker's browser checks the numbers with `checkChain` (web/src/espace/chain.ts, run here as is).
 */

const LINK: ChainLink = { n: 7, prev: 'x4kwJjJWzxeymDkjTCi90nSeSxsz1DKg-Wkopz-45S4', prevIndex: 41 };

describe('the chain link written into a stored body', () => {
  const bodies = [null, 'DOSSIER-2026-0001', 'a "quoted" \\ case\nwith a line', 'accentué €', '\u0001'].map(
    (caseReference) =>
      eventRow(
        buildEvent('access_granted', {
          personId: 'p-1',
          organisationId: 'org',
          purpose: 'accompagnement',
          caseReference,
          classes: ['identity'],
          details: { relationship: 'caseload' },
        }),
      ).body,
  );

  it('is exactly canonicalize’s spelling of the event with the link, and the leaf is its leaf', () => {
    for (const text of bodies) {
      for (const link of [LINK, { n: 1, prev: null, prevIndex: null }]) {
        const { body, leaf } = withChainLink(text, link);
        assert.equal(body, canonicalJson({ ...JSON.parse(text), chain: link }));
        assert.deepEqual(parseBody(body).chain, link);
        assert.deepEqual(leaf, leafHash(leafData(parseBody(body))));
      }
    }
  });

  it('takes the slow way for a body stored in another spelling, and a link already there is replaced', () => {
    const original = JSON.parse(bodies[1]!) as Record<string, unknown>;
    const spaced = JSON.stringify({ ...original, chain: { n: 99, prev: null, prevIndex: null } }, null, 1);
    const { body, leaf } = withChainLink(spaced, LINK);
    assert.equal(body, canonicalJson({ ...original, chain: LINK }));
    assert.deepEqual(leaf, leafHash(leafData(parseBody(body))));
    assert.throws(() => withChainLink('not json', LINK));
  });
});

const HASH = (n: number) => `leaf-${n}`;
/** A person's entries n = from…to, newest first, each linked to the one before (leaf index 10·n). */
function entries(from: number, to: number): ChainEntry[] {
  const out: ChainEntry[] = [];
  for (let n = to; n >= from; n--)
    out.push({
      index: 10 * n,
      leafHash: HASH(n),
      chain: { n, prev: n === 1 ? null : HASH(n - 1), prevIndex: n === 1 ? null : 10 * (n - 1) },
    });
  return out;
}
const without = (list: ChainEntry[], n: number) => list.filter((e) => e.chain?.n !== n);
function input(list: ChainEntry[], extra: Partial<ChainInput> = {}): ChainInput {
  return {
    entries: list,
    page: 1,
    pageSize: 20,
    total: list.length,
    chain: { head: 5, headIndex: 50, prunedBelow: 0 },
    remembered: 0,
    ...extra,
  };
}

describe('the browser’s check that the journal is complete', () => {
  it('says complete for 1…N without a gap, under the head the server states', () => {
    const report = checkChain(input(entries(1, 5)));
    assert.equal(report.complete, true);
    assert.equal(report.finding, null);
    assert.equal(report.highest, 5);
    assert.equal(describeChain(report).text, 'Journal complet : 5 entrées, chaînées.');
  });

  it('names an entry deleted in the middle', () => {
    const report = checkChain(input(without(entries(1, 5), 3)));
    assert.equal(report.complete, false);
    assert.deepEqual(report.finding, { kind: 'missing', from: 3, to: 3, reason: 'gap' });
    assert.match(describeChain(report).text, /^Journal incomplet : l’entrée n°3 manque\./);
    assert.equal(describeChain(report).severity, 'error');
  });

  it('names the newest entry deleted: the head stated is above the newest shown', () => {
    const report = checkChain(input(without(entries(1, 5), 5)));
    assert.deepEqual(report.finding, { kind: 'missing', from: 5, to: 5, reason: 'head' });
    assert.match(describeChain(report).text, /l’entrée n°5 manque : le registre annonce 5 entrées/);
  });

  it('names the oldest entries deleted, unless they were pruned at the end of the retention period', () => {
    assert.deepEqual(checkChain(input(entries(3, 5))).finding, { kind: 'missing', from: 1, to: 2, reason: 'start' });
    const pruned = checkChain(input(entries(3, 5), { chain: { head: 5, headIndex: 50, prunedBelow: 21 } }));
    assert.equal(pruned.complete, true);
    assert.equal(pruned.pruned, 2);
    assert.match(
      describeChain(pruned).text,
      /^Journal complet : 5 entrées, chaînées \(dont les 2 plus anciennes supprimées au terme de la durée de conservation\)\.$/,
    );
    // Pruning stops below an index: an entry at or above it cannot have gone that way.
    assert.equal(
      checkChain(input(entries(3, 5), { chain: { head: 5, headIndex: 50, prunedBelow: 20 } })).complete,
      false,
    );
  });

  it('on an empty journal, accepts a head pruned away and names one deleted', () => {
    assert.equal(checkChain(input([], { chain: { head: 5, headIndex: 50, prunedBelow: 51 } })).complete, true);
    assert.deepEqual(checkChain(input([], { chain: { head: 5, headIndex: 50, prunedBelow: 0 } })).finding, {
      kind: 'missing',
      from: 1,
      to: 5,
      reason: 'start',
    });
    assert.equal(checkChain(input([], { chain: { head: 0, headIndex: null, prunedBelow: 0 } })).complete, true);
  });

  it('remembers: a head below the highest number seen on an earlier visit names what went', () => {
    const truncated = entries(1, 4);
    const report = checkChain(input(truncated, { chain: { head: 4, headIndex: 40, prunedBelow: 0 }, remembered: 5 }));
    assert.deepEqual(report.finding, { kind: 'missing', from: 5, to: 5, reason: 'remembered' });
    assert.match(
      describeChain(report).text,
      /l’entrée n°5 manque : votre navigateur l’avait vue lors d’une visite précédente/,
    );
    assert.equal(
      checkChain(input(truncated, { chain: { head: 4, headIndex: 40, prunedBelow: 0 }, remembered: 4 })).complete,
      true,
    );
  });

  it('checks each page against the head: a later page that starts too low says entries are missing before it', () => {
    const all = entries(1, 25);
    const page = (list: ChainEntry[], p: number) =>
      input(list.slice((p - 1) * 10, p * 10), {
        page: p,
        pageSize: 10,
        total: list.length,
        chain: { head: 25, headIndex: 250, prunedBelow: 0 },
      });
    for (const p of [1, 2, 3]) assert.equal(checkChain(page(all, p)).complete, true, `page ${p}`);
    const gap = without(all, 20);
    assert.deepEqual(checkChain(page(gap, 1)).finding, { kind: 'missing', from: 20, to: 20, reason: 'gap' });
    assert.deepEqual(checkChain(page(gap, 2)).finding, { kind: 'earlier', count: 1 });
    // A gap on the boundary between two pages shows on the later one.
    assert.equal(checkChain(page(without(all, 15), 1)).complete, true);
    assert.deepEqual(checkChain(page(without(all, 15), 2)).finding, { kind: 'earlier', count: 1 });
  });

  it('catches a link that does not point at the entry before, a repeated number, and an unchained entry inside the chain', () => {
    const relinked = entries(1, 5);
    relinked[1] = { ...relinked[1]!, chain: { ...relinked[1]!.chain!, prev: HASH(9) } };
    assert.deepEqual(checkChain(input(relinked)).finding, { kind: 'link', n: 4 });
    const repeated = entries(1, 5);
    repeated.splice(1, 0, repeated[0]!);
    assert.deepEqual(checkChain(input(repeated, { total: 6 })).finding, { kind: 'unexpected', n: 5, expected: 4 });
    const stripped = entries(1, 5);
    stripped[2] = { index: stripped[2]!.index, leafHash: stripped[2]!.leafHash };
    assert.deepEqual(checkChain(input(stripped)).finding, { kind: 'missing', from: 3, to: 3, reason: 'gap' });
  });

  it('lets entries from before the chain follow n = 1, and says so', () => {
    const legacy: ChainEntry[] = [...entries(1, 2), { index: 3, leafHash: 'old-1' }, { index: 1, leafHash: 'old-2' }];
    const report = checkChain(input(legacy, { chain: { head: 2, headIndex: 20, prunedBelow: 0 } }));
    assert.equal(report.complete, true);
    assert.equal(report.unchained, 2);
    assert.equal(
      describeChain(report).text,
      'Journal complet : 2 entrées, chaînées (et 2 plus anciennes, antérieures au chaînage).',
    );
  });
});

describe('the persons’ chains checked across the log (for ledger verify)', () => {
  /** A log as the integrator writes it: persons a and b, and an event of another kind. */
  function log() {
    const heads = new Map<string, { n: number; leaf: string; seq: number }>();
    return ['a', 'b', 'a', null, 'a', 'b', 'a'].map((person, seq) => {
      const text = eventRow(buildEvent(person ? 'access_granted' : 'login_succeeded', { personId: person })).body;
      if (!person)
        return { seq, kind: 'login_succeeded', person, body: text, leaf: leafHash(leafData(parseBody(text))) };
      const head = heads.get(person);
      const { body, leaf } = withChainLink(
        text,
        head ? { n: head.n + 1, prev: head.leaf, prevIndex: head.seq } : { n: 1, prev: null, prevIndex: null },
      );
      heads.set(person, { n: (head?.n ?? 0) + 1, leaf: leaf.toString('base64url'), seq });
      return { seq, kind: 'access_granted', person, body, leaf };
    });
  }
  const run = (events: ReturnType<typeof log>, before = 0) => {
    const check = new PersonChainCheck(before);
    return {
      check,
      breaks: events.map((e) => check.add(e.seq, e.kind, e.person, e.body, e.leaf)).filter((b) => b !== undefined),
    };
  };

  it('reads the link from the stored text, and finds nothing to say of an intact log', () => {
    const events = log();
    assert.deepEqual(chainLinkIn(events[2]!.body), parseBody(events[2]!.body).chain);
    assert.equal(chainLinkIn(events[3]!.body), undefined);
    const { check, breaks } = run(events);
    assert.deepEqual(breaks, []);
    assert.deepEqual(
      check.heads([
        { person_id: 'a', n: 4, seq: 6 },
        { person_id: 'b', n: 2, seq: 5 },
      ]),
      [],
    );
  });

  it('names the event after a deleted one, and a head that is not the last event seen', () => {
    const events = log().filter((e) => e.seq !== 4);
    const { check, breaks } = run(events);
    assert.equal(breaks.length, 1);
    assert.equal(breaks[0]!.seq, 6);
    assert.equal(breaks[0]!.personId, 'a');
    const truncated = run(log().filter((e) => e.seq !== 6)).check;
    assert.equal(truncated.heads([{ person_id: 'a', n: 4, seq: 6 }]).length, 1);
    assert.equal(check.heads([{ person_id: 'b', n: 2, seq: 5 }]).length, 0);
  });

  it('accepts a chain that starts after the pruned prefix, not one that starts after a deleted event', () => {
    const events = log().filter((e) => e.seq >= 2);
    assert.deepEqual(run(events, 2).breaks, []);
    assert.equal(
      run(
        events.filter((e) => e.seq !== 2),
        3,
      ).breaks.length,
      0,
      'a is linked to 0, pruned',
    );
    assert.equal(
      run(
        log().filter((e) => e.seq !== 0),
        0,
      ).breaks.length,
      1,
    );
  });
});
