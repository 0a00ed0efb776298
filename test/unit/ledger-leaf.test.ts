import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, leafData, leafHash, parseBody, type EventBody } from '../../src/ledger/index.ts';
import { buildEvent, eventRow } from '../../src/ledger/event.ts';
import {
  checkStoredEvent,
  columnsAgree,
  EVENT_COLUMNS_DISAGREE,
  EVENT_OK,
  EVENT_UNREADABLE,
  scanCanonical,
  SPAN_SLOTS,
  storedLeafHash,
  type EventColumns,
} from '../../src/ledger/stored-leaf.ts';
import { hashPage, NodeRange } from '../../src/ledger/verify-page.ts';
import { CompactRange, rootOf } from '../../src/ledger/index.ts';

/**
 * The fast leaf hash of stored events (issue 18): the stored text is hashed as it is when it is
 * canonical JSON, which `scanCanonical` must decide exactly — never "canonical" for a text
 * another spelling of which canonicalize would write. Checked on hand-made spellings and on a
 * seeded fuzz, against the slow way (parse, canonicalize) it replaces.
 */

/** mulberry32: a seeded generator, so that a failure can be replayed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const spans = new Int32Array(SPAN_SLOTS);

/** The slow way, as `ledger verify` and integration did it before. */
function reference(text: string): Buffer | undefined {
  try {
    return leafHash(leafData(parseBody(text)));
  } catch {
    return undefined;
  }
}

function canonicalOf(text: string): string | undefined {
  try {
    return canonicalJson(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function columnsOf(body: EventBody): EventColumns {
  return {
    id: body.id,
    at: body.at,
    kind: body.kind,
    account_id: body.restricted.account,
    actor_id: body.restricted.actor,
    organisation_id: body.organisation,
    person_id: body.person,
  };
}

function event(details: Record<string, string | number | boolean | null> = { relationship: 'caseload' }): EventBody {
  return buildEvent('access_granted', {
    accountId: 'acc-1',
    actorId: 'actor-1',
    organisationId: 'org-1',
    personId: 'person-1',
    purpose: 'accompagnement',
    caseReference: 'DOSSIER-1',
    operation: 'read',
    classes: ['identity', 'contact'],
    address: '10.1.2.3',
    requestId: 'req-1',
    details,
  });
}

describe('the fast leaf hash of stored events', () => {
  it('takes a stored event as it is, and gets the leaf hash the slow way gets', () => {
    const cases: Array<Record<string, string | number | boolean | null>> = [
      {},
      { relationship: 'caseload' },
      { quote: 'il a dit "non" \\ puis\n\tparti', control: '\u0001\u001f', n: -42, zero: 0, ok: true, nothing: null },
    ];
    for (const details of cases) {
      const text = eventRow(event(details)).body;
      assert.equal(scanCanonical(text, spans), true, text);
      assert.deepEqual(storedLeafHash(text), reference(text));
    }
  });

  it('hands every other spelling of an event to the slow way, which still gets its hash right', () => {
    const text = eventRow(event({ note: 'a/b', n: 10, ratio: 2 })).body;
    const spellings = [
      text.replace('{"at"', '{ "at"'),
      text.replace(':"read"', ': "read"'),
      `${text} `,
      text.replace('"note":"a/b"', '"note":"a\\/b"'),
      text.replace('"accompagnement"', '"\\u0061ccompagnement"'),
      text.replace('"n":10', '"n":10.0'),
      text.replace('"n":10', '"n":1e1'),
      text.replace('"n":10', '"n":010'),
      text.replace('"ratio":2', '"ratio":-0'),
      text.replace('"at":', '"zz":0,"at":'),
      text.replace('"kind":"access_granted"', '"kind":"access_granted","kind":"access_granted"'),
      text.replace('"note":"a/b"', '"note":"\\ud83d\\ude00"'),
    ];
    for (const spelling of spellings) {
      assert.notEqual(spelling, text);
      assert.equal(scanCanonical(spelling, spans), false, spelling);
      const expected = reference(spelling);
      if (expected) assert.deepEqual(storedLeafHash(spelling), expected, spelling);
      else assert.throws(() => storedLeafHash(spelling), spelling);
    }
    // Canonical, but with characters left to the slow way: a raw non-BMP character.
    const emoji = eventRow(event({ note: 'déjà 😀' })).body;
    assert.equal(scanCanonical(emoji, spans), false);
    assert.deepEqual(storedLeafHash(emoji), reference(emoji));
    assert.throws(() => storedLeafHash('{"at": oops'));
    assert.throws(() => storedLeafHash('[1,2]'));
  });

  it('says what the slow way says on a seeded fuzz of events, spellings and broken texts', () => {
    const random = generator(18);
    const int = (n: number) => Math.floor(random() * n);
    const pieces = [
      'a',
      'é',
      '"',
      '\\',
      '\n',
      '\u0001',
      '\u001f',
      '\u007f',
      '\u2028',
      '😀',
      '/',
      ' ',
      '0',
      '\t',
      '\b',
      'Z',
      'ÿ',
      '\ud800',
      '\udc00',
    ];
    const word = () =>
      Array.from({ length: int(6) }, () => pieces[int(random() < 0.97 ? pieces.length - 2 : pieces.length)]).join('');
    const numbers = [0, -0, 1, -1, 1.5, 1e21, 123456789012345, 1234567890123456, -42, 1e-7, 0.1, 2 ** 53];
    const value = (depth: number): unknown => {
      const k = int(depth > 2 ? 4 : 6);
      if (k === 0) return word();
      if (k === 1) return numbers[int(numbers.length)];
      if (k === 2) return [true, false, null][int(3)];
      if (k === 3) return int(1000);
      if (k === 4) return Array.from({ length: int(3) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: int(4) }, () => [word(), value(depth + 1)]));
    };
    const edits: Array<(s: string) => string> = [
      (s) => s,
      (s) => s,
      (s) => s,
      (s) => s.replace(',', ', '),
      (s) => s.replace('"v":1', '"v":1.0'),
      (s) => s.replace('"v":1', '"v":-0'),
      (s) => s.replace('a', '\\u0061'),
      (s) => s.replace('\\u001f', '\\u001F'),
      (s) => s.replace('"kind"', '"at"'),
      (s) => s.replace('"restricted":{', '"restricted":['),
      (s) => {
        const i = int(s.length);
        return s.slice(0, i) + s.slice(i + 1);
      },
      (s) => {
        const i = int(s.length);
        return s.slice(0, i) + pieces[int(pieces.length)] + s.slice(i);
      },
    ];
    let fast = 0;
    for (let n = 0; n < 20_000; n++) {
      const body = buildEvent('access_granted', {
        personId: random() < 0.2 ? null : word(),
        actorId: random() < 0.3 ? null : word(),
        organisationId: word(),
        classes: [word()],
        details: Object.fromEntries(Array.from({ length: int(4) }, () => [word(), value(0)])) as Record<string, string>,
      }) as EventBody & Record<string, unknown>;
      if (random() < 0.1) body.details = value(0) as Record<string, string>;
      if (random() < 0.05) body.extra = value(0);
      let text: string;
      try {
        text = canonicalJson(body);
      } catch {
        text = JSON.stringify(body);
      }
      text = edits[int(edits.length)]!(text);
      const canonical = scanCanonical(text, spans);
      if (canonical) {
        fast += 1;
        assert.equal(canonicalOf(text), text, `taken as canonical: ${JSON.stringify(text)}`);
      }
      const expected = reference(text);
      if (expected) assert.deepEqual(storedLeafHash(text), expected, text);
      else assert.throws(() => storedLeafHash(text), text);

      // Columns as stored, sometimes changed.
      const parsed = (() => {
        try {
          return parseBody(text);
        } catch {
          return undefined;
        }
      })();
      const columns: EventColumns =
        parsed && typeof parsed === 'object' && parsed.restricted && typeof parsed.restricted === 'object'
          ? { ...columnsOf(parsed) }
          : { id: 'x', at: 'y', kind: 'z', account_id: null, actor_id: null, organisation_id: null, person_id: null };
      for (const key of Object.keys(columns) as Array<keyof EventColumns>) {
        if (typeof columns[key] !== 'string' && columns[key] !== null)
          (columns as unknown as Record<string, unknown>)[key] = 'q';
        if (random() < 0.03) (columns as unknown as Record<string, unknown>)[key] = random() < 0.5 ? null : word();
      }
      const out = new Uint8Array(32);
      const status = checkStoredEvent(text, columns, out, 0);
      let expectedStatus: number;
      if (!expected) expectedStatus = EVENT_UNREADABLE;
      else {
        try {
          expectedStatus = columnsAgree(columns, parsed!) ? EVENT_OK : EVENT_COLUMNS_DISAGREE;
        } catch {
          expectedStatus = EVENT_COLUMNS_DISAGREE;
        }
      }
      assert.equal(status, expectedStatus, `${text} ${JSON.stringify(columns)}`);
      if (expected) assert.deepEqual(Buffer.from(out), expected);
    }
    assert.ok(fast > 1_000, `the fast way was taken ${fast} times`);
  });

  it('takes a page whole exactly when every row of it would pass the slow way, bodies scanned in place', () => {
    const random = generator(6962);
    const int = (n: number) => Math.floor(random() * n);
    // Texts that end early or run over: in a page, what follows a body is the next field, not the end of the text.
    const breakages: Array<(s: string) => string> = [
      (s) => s.slice(0, -1),
      (s) => s.slice(0, -2),
      (s) => s.replace(/"v":1}$/, '"v":12'),
      (s) => s.replace(/"v":1}$/, '"v":"1'),
      (s) => s.replace(/"v":1}$/, '"v":tru'),
      (s) => s.replace('"kind":"access_granted"', '"kind":"access_\\"granted"'),
      (s) => `${s}}`,
      (s) => s.replace('"purpose":"suivi"', '"purpose":"su\\u0069vi"'),
      (s) => s.replace('"purpose":"suivi"', '"purpose":"suivi 😀"'),
    ];
    for (let round = 0; round < 300; round++) {
      const count = 1 + int(12);
      const start = int(3) * 16;
      const rows = Array.from({ length: count }, () => {
        const details: Record<string, string | number | boolean | null> = { n: int(100) };
        if (random() < 0.2) details.quote = 'il a dit "non" \\ puis';
        if (random() < 0.1) details.emoji = 'déjà 😀';
        if (random() < 0.1) details.ratio = 0.5;
        const body = buildEvent('access_granted', {
          personId: random() < 0.3 ? null : `p-${int(9)}`,
          actorId: random() < 0.3 ? null : `a-${int(9)}`,
          accountId: 'acc',
          organisationId: 'org',
          purpose: 'suivi',
          operation: 'read',
          classes: ['identity'],
          details,
        });
        const row = eventRow(body);
        let text = row.body;
        if (random() < 0.08) text = breakages[int(breakages.length)]!(text);
        const columns: Array<string | null> = [
          row.id,
          row.at,
          row.kind,
          row.account_id,
          row.actor_id,
          row.organisation_id,
          row.person_id,
        ];
        if (random() < 0.05) columns[1 + int(6)] = random() < 0.5 ? null : `changé-${int(9)}`;
        return { text, columns };
      });
      const expected = rows.map(({ text, columns }) => {
        const hash = reference(text);
        if (!hash) return undefined;
        const [id, at, kind, account_id, actor_id, organisation_id, person_id] = columns;
        try {
          return columnsAgree(
            {
              id: id!,
              at: at!,
              kind: kind!,
              account_id: account_id!,
              actor_id: actor_id!,
              organisation_id: organisation_id!,
              person_id: person_id!,
            },
            parseBody(text),
          )
            ? hash
            : undefined;
        } catch {
          return undefined;
        }
      });
      const leaves = rows.map((_, i) => expected[i] ?? leafHash(Buffer.from(`other ${i}`)));
      if (random() < 0.05) leaves[int(count)] = leafHash(Buffer.from('moved'));
      const pageText = rows.map(({ text, columns }) => text + columns.map((c) => c ?? '').join('')).join('');
      const lengths = rows
        .flatMap(({ text, columns }, i) => [
          start + i,
          [...text].length,
          ...columns.map((c) => (c === null ? -1 : [...c].length)),
        ])
        .join(',');
      const result = hashPage({
        start,
        stop: start + count,
        from: start,
        cuts: [],
        text: pageText,
        lengths,
        leaves: new Uint8Array(Buffer.concat(leaves)),
      });
      const clean = expected.every((hash, i) => hash !== undefined && hash.equals(leaves[i]!));
      assert.equal(result.clean, clean, `round ${round}: ${JSON.stringify(rows)}`);
      if (clean) {
        // The page's subtrees, pushed after `start` leaves, make the same tree as its leaves one by one.
        const before = Array.from({ length: start }, (_, i) => leafHash(Buffer.from(`before ${i}`)));
        const whole = new NodeRange();
        for (const leaf of before) whole.push(0, leaf);
        let node = 0;
        for (const segment of result.segments!)
          for (let k = 0; k < segment; k++, node++)
            whole.push(result.heights![node]!, Buffer.from(result.nodes!.subarray(node * 32, node * 32 + 32)));
        assert.deepEqual(whole.root(), rootOf([...before, ...leaves]));
      }
    }
  });

  it('builds the same roots from whole subtrees as leaf by leaf', () => {
    const leaves = Array.from({ length: 300 }, (_, i) => leafHash(Buffer.from(String(i))));
    const compact = new CompactRange();
    const nodes = new NodeRange();
    for (const [i, leaf] of leaves.entries()) {
      compact.push(leaf);
      nodes.push(0, leaf);
      if (i % 37 === 0) assert.deepEqual(nodes.root(), compact.root());
    }
    assert.deepEqual(nodes.root(), rootOf(leaves));

    // A page of events, taken whole, cut where checkpoints are compared.
    const bodies = Array.from({ length: 45 }, () => eventRow(event()));
    const hashes = bodies.map((row) => storedLeafHash(row.body));
    const start = 20;
    const fields = bodies
      .slice(start)
      .map((row) => [
        row.body,
        row.id,
        row.at,
        row.kind,
        row.account_id,
        row.actor_id,
        row.organisation_id,
        row.person_id,
      ]);
    const lengths = fields.flatMap((f, i) => [start + i, ...f.map((v) => (v === null ? -1 : [...v].length))]).join(',');
    const leavesBytes = new Uint8Array(Buffer.concat(hashes.slice(start)));
    const result = hashPage({
      start,
      stop: 45,
      from: start,
      cuts: [33, 45],
      text: fields.flat().join(''),
      lengths,
      leaves: leavesBytes,
    });
    assert.equal(result.clean, true);
    const range = new NodeRange();
    for (const leaf of hashes.slice(0, start)) range.push(0, leaf);
    let node = 0;
    const roots: Buffer[] = [];
    for (const count of result.segments!) {
      for (let k = 0; k < count; k++, node++)
        range.push(result.heights![node]!, Buffer.from(result.nodes!.subarray(node * 32, node * 32 + 32)));
      roots.push(range.root());
    }
    assert.deepEqual(roots, [rootOf(hashes.slice(0, 33)), rootOf(hashes), rootOf(hashes)]);
    // One leaf that does not match: not clean.
    leavesBytes[5 * 32] = leavesBytes[5 * 32]! ^ 1;
    assert.equal(
      hashPage({ start, stop: 45, from: start, cuts: [], text: fields.flat().join(''), lengths, leaves: leavesBytes })
        .clean,
      false,
    );
  });
});
