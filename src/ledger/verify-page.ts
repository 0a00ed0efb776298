import { hash } from 'node:crypto';
import { EMPTY_ROOT, HASH_BYTES } from './merkle.ts';
import { checkStoredEvent, EVENT_OK, fastCheckedLeaf, nodeHash32, plainText } from './stored-leaf.ts';

/**
 * One page of `ledger verify`, as a hashing thread receives it: the stored events of positions
 * [from, stop) — read by the store into one string, so that a page costs the main thread one
 * row, not thousands of objects — the stored leaf hashes of [start, stop), and where signed
 * checkpoints cut the page. The thread says whether the page is clean and, if so, gives its
 * subtrees; any other page the main thread goes through row by row.
 */
export interface PageJob {
  start: number;
  stop: number;
  /** The first position not pruned (positions below are taken on their stored leaves). */
  from: number;
  /** Sizes in (start, stop] at which a signed checkpoint is compared: the page's subtrees are split there. */
  cuts: number[];
  /** Every row's FIELDS, concatenated, rows in `seq` order. */
  text: string;
  /** Per row: seq, then the length of each of FIELDS in code points (−1 for a null); comma-separated. */
  lengths: string;
  /** The stored leaf hash of every position of [start, stop), 32 bytes each. */
  leaves: Uint8Array;
}

export const FIELDS = ['body', 'id', 'at', 'kind', 'account_id', 'actor_id', 'organisation_id', 'person_id'] as const;
const PER_ROW = 1 + FIELDS.length;

export interface PageResult {
  /**
   * Every position of [from, stop) holds exactly one event, readable, whose recomputed leaf is
   * the stored leaf and whose lookup columns agree with it: nothing to report, and the events'
   * tree and the stored tree are the same over the page.
   */
  clean: boolean;
  /** When clean: the perfect subtrees the page adds, segment by segment (segments end at the cuts, then at stop). */
  heights?: Int32Array;
  nodes?: Uint8Array;
  /** Number of subtrees in each segment. */
  segments?: Int32Array;
}

/** The comma-separated integers of `lengths`, parsed without an array of strings. */
function parseIntegers(text: string): Float64Array | undefined {
  if (text === '') return new Float64Array(0);
  let count = 1;
  for (let i = text.indexOf(','); i >= 0; i = text.indexOf(',', i + 1)) count++;
  const out = new Float64Array(count);
  let k = 0;
  let value = 0;
  let sign = 1;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2c;
    if (c === 0x2c) {
      if (digits === 0) return undefined;
      out[k++] = sign * value;
      value = 0;
      sign = 1;
      digits = 0;
    } else if (c === 0x2d && digits === 0 && sign === 1) sign = -1;
    else if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      digits++;
    } else return undefined;
  }
  return out;
}

/**
 * UTF-16 offsets of the fields, from lengths in code points (what SQL's length() counts): the
 * same numbers unless a character outside the BMP occurs; undefined when they do not add up
 * (a NUL in an SQLite text, where length() stops): then the page is read row by row.
 */
function fieldOffsets(text: string, lengths: Float64Array): Int32Array | undefined {
  const fields = (lengths.length / PER_ROW) * FIELDS.length;
  const offsets = new Int32Array(fields + 1);
  let total = 0;
  let k = 0;
  for (let i = 0; i < lengths.length; i++) {
    if (i % PER_ROW === 0) continue;
    offsets[k++] = total;
    total += Math.max(0, lengths[i]!);
  }
  offsets[k] = total;
  if (total === text.length) return offsets;
  // Walk the text by code points to turn code point offsets into UTF-16 ones.
  let units = 0;
  let points = 0;
  k = 0;
  for (;;) {
    while (k <= fields && offsets[k] === points) offsets[k++] = units;
    if (units >= text.length) break;
    units += text.codePointAt(units)! > 0xffff ? 2 : 1;
    points++;
  }
  return k === fields + 1 && units === text.length ? offsets : undefined;
}

/** The highest h such that [a, a + 2^h) is an aligned perfect subtree inside [a, b). */
function alignedHeight(a: number, b: number): number {
  let h = 0;
  while (h < 52 && a % 2 ** (h + 1) === 0 && a + 2 ** (h + 1) <= b) h++;
  return h;
}

const pairScratch = Buffer.alloc(1 + 2 * HASH_BYTES, 1);

/** MTH of 2^h consecutive leaves starting at byte `offset` of `leaves`, level by level in one buffer. */
function perfectRoot(leaves: Buffer, offset: number, h: number): Buffer {
  let width = 2 ** h;
  if (width === 1) return Buffer.from(leaves.subarray(offset, offset + HASH_BYTES));
  let level = leaves.subarray(offset, offset + width * HASH_BYTES);
  const next = Buffer.allocUnsafe((width / 2) * HASH_BYTES);
  while (width > 1) {
    for (let k = 0; k < width / 2; k++) {
      level.copy(pairScratch, 1, 2 * k * HASH_BYTES, (2 * k + 2) * HASH_BYTES);
      hash('sha256', pairScratch, 'buffer').copy(next, k * HASH_BYTES);
    }
    width /= 2;
    level = next.subarray(0, width * HASH_BYTES);
  }
  return Buffer.from(level);
}

/** Recompute a page: whether every event is what and where the tree says, and then the page's subtrees. */
export function hashPage(job: PageJob): PageResult {
  const lengths = parseIntegers(job.lengths);
  if (!lengths) return { clean: false };
  const rows = lengths.length / PER_ROW;
  if (!Number.isInteger(rows) || rows !== job.stop - job.from) return { clean: false };
  const offsets = fieldOffsets(job.text, lengths);
  if (!offsets) return { clean: false };
  const text = job.text;
  const checked = plainText(text);
  const leaves = Buffer.from(job.leaves.buffer, job.leaves.byteOffset, job.leaves.byteLength);
  const field = (r: number, f: number) =>
    lengths[r * PER_ROW + 1 + f]! < 0
      ? null
      : text.slice(offsets[r * FIELDS.length + f]!, offsets[r * FIELDS.length + f + 1]!);
  // Where each row's columns are in the text, for comparing them in place.
  const columns = new Int32Array(2 * (FIELDS.length - 1));
  const hash32 = Buffer.alloc(HASH_BYTES);
  for (let r = 0; r < rows; r++) {
    const p = lengths[r * PER_ROW]!;
    if (p !== job.from + r) return { clean: false };
    const base = r * FIELDS.length;
    if (lengths[r * PER_ROW + 1]! < 0) return { clean: false };
    for (let f = 1; f < FIELDS.length; f++) {
      const isNull = lengths[r * PER_ROW + 1 + f]! < 0;
      columns[2 * (f - 1)] = isNull ? -1 : offsets[base + f]!;
      columns[2 * (f - 1) + 1] = isNull ? -1 : offsets[base + f + 1]!;
    }
    // The body is scanned where it lies in the page's text, not cut out of it.
    let leaf = fastCheckedLeaf(text, offsets[base]!, offsets[base + 1]!, columns, checked);
    if (!leaf) {
      const body = text.slice(offsets[base]!, offsets[base + 1]!);
      // The slow way, exactly as `ledger verify` always did it.
      const id = field(r, 1);
      const at = field(r, 2);
      const kind = field(r, 3);
      if (id === null || at === null || kind === null) return { clean: false };
      const row = {
        id,
        at,
        kind,
        account_id: field(r, 4),
        actor_id: field(r, 5),
        organisation_id: field(r, 6),
        person_id: field(r, 7),
      };
      if (checkStoredEvent(body, row, hash32, 0) !== EVENT_OK) return { clean: false };
      leaf = hash32;
    }
    const offset = (p - job.start) * HASH_BYTES;
    if (leaves.compare(leaf, 0, HASH_BYTES, offset, offset + HASH_BYTES) !== 0) return { clean: false };
  }

  const heights: number[] = [];
  const nodes: Buffer[] = [];
  const segments: number[] = [];
  const ends = [...job.cuts.filter((c) => c > job.start && c <= job.stop), job.stop];
  let a = job.start;
  for (const b of ends) {
    let count = 0;
    while (a < b) {
      const h = alignedHeight(a, b);
      heights.push(h);
      nodes.push(perfectRoot(leaves, (a - job.start) * HASH_BYTES, h));
      a += 2 ** h;
      count++;
    }
    segments.push(count);
  }
  return {
    clean: true,
    heights: Int32Array.from(heights),
    nodes: new Uint8Array(Buffer.concat(nodes)),
    segments: Int32Array.from(segments),
  };
}

/**
 * The right edge of a Merkle tree being built (CompactRange), fed leaves or whole aligned
 * perfect subtrees, with the 32-byte node hash: the verifier's running root at every size.
 */
export class NodeRange {
  readonly #stack: Array<{ height: number; hash: Buffer }> = [];
  #size = 0;

  /** Leaves covered so far. */
  get size(): number {
    return this.#size;
  }

  /** An independent copy: the background verifier extends one while signing reads another. */
  clone(): NodeRange {
    const copy = new NodeRange();
    for (const node of this.#stack) copy.#stack.push({ height: node.height, hash: node.hash });
    copy.#size = this.#size;
    return copy;
  }

  /** Append a perfect subtree of 2^height leaves; the range's size must be a multiple of 2^height. */
  push(height: number, hash: Buffer): void {
    this.#size += 2 ** height;
    let node = { height, hash };
    while (this.#stack.length > 0 && this.#stack.at(-1)!.height === node.height) {
      const left = this.#stack.pop()!;
      node = { height: node.height + 1, hash: nodeHash32(left.hash, node.hash) };
    }
    this.#stack.push(node);
  }

  root(): Buffer {
    if (this.#stack.length === 0) return EMPTY_ROOT;
    let hash = this.#stack.at(-1)!.hash;
    for (let i = this.#stack.length - 2; i >= 0; i--) hash = nodeHash32(this.#stack[i]!.hash, hash);
    return hash;
  }
}
