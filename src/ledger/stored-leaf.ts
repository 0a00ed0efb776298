import type { LedgerEventsTable } from '../store/index.ts';
import { hash } from 'node:crypto';
import { leafData, parseBody, type EventBody } from './event.ts';
import { HASH_BYTES, leafHash, nodeHash } from './merkle.ts';

/**
 * The leaf hash of a stored event without parsing it, when it can be done exactly.
 *
 * A leaf is SHA-256(0x00 ‖ RFC 8785 canonical JSON of the event's public view), the public view
 * being the event with its `restricted` object replaced by the base64url SHA-256 of that
 * object's canonical JSON. Events are stored as canonical JSON (`eventRow`), so for a stored
 * body that *is* canonical, the public view's canonical JSON is the stored text with the
 * restricted object's text replaced by its digest: two SHA-256 over the stored characters, no
 * JSON.parse, no canonicalisation (≈ 10× cheaper). `scanCanonical` decides, in one pass over
 * the text, whether the fast way is exact: it accepts only text equal to
 * `canonicalJson(JSON.parse(text))` (keys strictly sorted by UTF-16 code units, strings with
 * exactly the escapes JSON.stringify writes, well-formed surrogates, integers of at most 15
 * digits, no whitespace). Anything else — a number with a fraction, a body edited by hand into
 * another spelling, a tampered body that is not even JSON — takes the slow way (parse, then
 * canonicalize, as before), so the result never differs, only the cost.
 */

// Span slots in the scan's output: [start, end) of the raw JSON text of a value.
const RESTRICTED = 0;
const AT = 2;
const ID = 4;
const KIND = 6;
const ORGANISATION = 8;
const PERSON = 10;
const ACCOUNT = 12;
const ACTOR = 14;
export const SPAN_SLOTS = 16;

const MAX_DEPTH = 32;
/** Integers of up to 15 digits are exact doubles and JSON.stringify writes them back digit for digit. */
const MAX_DIGITS = 15;

/** Whether the key spelled at text[from, to) is `name` (no allocation: keys are compared in place). */
function keyIs(text: string, from: number, to: number, name: string): boolean {
  return to - from === name.length && text.startsWith(name, from);
}

function topLevelSlot(text: string, from: number, to: number): number {
  switch (to - from) {
    case 10:
      return keyIs(text, from, to, 'restricted') ? RESTRICTED : -1;
    case 2:
      return keyIs(text, from, to, 'at') ? AT : keyIs(text, from, to, 'id') ? ID : -1;
    case 4:
      return keyIs(text, from, to, 'kind') ? KIND : -1;
    case 12:
      return keyIs(text, from, to, 'organisation') ? ORGANISATION : -1;
    case 6:
      return keyIs(text, from, to, 'person') ? PERSON : -1;
    default:
      return -1;
  }
}

function restrictedSlot(text: string, from: number, to: number): number {
  return keyIs(text, from, to, 'account') ? ACCOUNT : keyIs(text, from, to, 'actor') ? ACTOR : -1;
}

/**
 * Never in canonical JSON: a raw control character (JSON.stringify escapes them). Surrogates are
 * left to the slow way too (canonicalize refuses a lone one; a pair is fine but rare in events).
 */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL_OR_SURROGATE = /[\u0000-\u001f\ud800-\udfff]/;

/** The end (after the closing quote) of a string whose escapes are all as JSON.stringify writes them, or −1. */
function escapedStringEnd(text: string, open: number): number {
  const n = text.length;
  let i = open + 1;
  for (;;) {
    if (i >= n) return -1;
    const c = text.charCodeAt(i++);
    if (c === 0x22) return i;
    if (c !== 0x5c) continue;
    const e = text.charCodeAt(i++);
    if (e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) continue;
    // Otherwise only \u00XX (lowercase) for a control character that has no short form.
    if (e !== 0x75 || text.charCodeAt(i) !== 0x30 || text.charCodeAt(i + 1) !== 0x30) return -1;
    const hi = text.charCodeAt(i + 2);
    const lo = text.charCodeAt(i + 3);
    if (hi !== 0x30 && hi !== 0x31) return -1;
    const loValue = lo >= 0x30 && lo <= 0x39 ? lo - 0x30 : lo >= 0x61 && lo <= 0x66 ? lo - 0x61 + 10 : -1;
    if (loValue < 0) return -1;
    const code = (hi - 0x30) * 16 + loValue;
    if (code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d) return -1;
    i += 4;
  }
}

/** The end of a canonical number: -?(0|[1-9][0-9]{0,14}) with no fraction nor exponent ("-0" is not canonical), or −1. */
function numberEnd(text: string, start: number): number {
  let i = start;
  if (text.charCodeAt(i) === 0x2d) i++;
  const first = text.charCodeAt(i);
  if (first === 0x30) {
    if (i !== start) return -1;
    i++;
  } else {
    if (!(first >= 0x31 && first <= 0x39)) return -1;
    const from = i;
    do i++;
    while (text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39);
    if (i - from > MAX_DIGITS) return -1;
  }
  const next = text.charCodeAt(i);
  if (next === 0x2e || next === 0x65 || next === 0x45 || (next >= 0x30 && next <= 0x39)) return -1;
  return i;
}

// The scan's stacks, one entry per depth (the scan is synchronous and never reentrant).
const isObject = new Uint8Array(MAX_DEPTH + 2);
const previousKeyStart = new Int32Array(MAX_DEPTH + 2);
const previousKeyEnd = new Int32Array(MAX_DEPTH + 2);
const pendingSlot = new Int32Array(MAX_DEPTH + 2);
const valueStart = new Int32Array(MAX_DEPTH + 2);

const VALUE = 0;
const KEY = 1;
const AFTER = 2;

/** Per span slot of the last scan: whether that value is a string written with an escape (most are not: their text is their value). */
const spanEscaped = new Uint8Array(SPAN_SLOTS);

// The next backslash of the text at or after a position, remembered: a page's bodies are scanned
// in order in one text, and looking again from each body would cross the rest of the page each time.
let backslashText = '';
let backslashFrom = 0;
let backslashAt = -1;

/** (A plain function, not a closure made at each scan: the loader names every closure it makes.) */
function findBackslash(text: string, from: number, inPage: boolean): number {
  return inPage ? nextBackslash(text, from) : text.indexOf('\\', from);
}

function nextBackslash(text: string, from: number): number {
  if (text !== backslashText || from < backslashFrom || (backslashAt >= 0 && backslashAt < from)) {
    backslashText = text;
    backslashFrom = from;
    backslashAt = text.indexOf('\\', from);
  }
  return backslashAt;
}

/**
 * Whether `text` (or text[from, to), in place) is exactly canonical JSON
 * (`canonicalJson(JSON.parse(t)) === t`) of an object holding a `restricted` object; `spans`
 * receives where the values the lookup columns copy are. One pass, iterative (no recursion,
 * locals only), strings skipped with indexOf: false means "not sure", never "not an event".
 * `checked`: the caller already made sure the range holds no raw control character nor surrogate.
 */
export function scanCanonical(text: string, spans: Int32Array, from = 0, to = text.length, checked = false): boolean {
  spans.fill(-1);
  const n = to;
  if (from >= to || text.charCodeAt(from) !== 0x7b) return false;
  if (!checked && RAW_CONTROL_OR_SURROGATE.test(from === 0 && to === text.length ? text : text.slice(from, to)))
    return false;
  // In a page, the next backslash is looked for once for all the bodies; in a text of its own, simply.
  const inPage = from !== 0 || to !== text.length;
  let backslash = findBackslash(text, from, inPage);
  /** Whether the value just read was a string with an escape in it. */
  let escaped = false;
  let depth = 0;
  let restrictedDepth = -1;
  let i = from;
  let state = VALUE;
  for (;;) {
    // Never past the text's end (a page holds other texts after it): what runs over is not canonical.
    if (i >= n) return false;
    if (state === VALUE) {
      const c = text.charCodeAt(i);
      escaped = false;
      if (c === 0x22) {
        const close = text.indexOf('"', i + 1);
        if (close < 0) return false;
        if (backslash >= 0 && backslash < i) backslash = findBackslash(text, i, inPage);
        escaped = !(backslash < 0 || backslash > close);
        if (!escaped) i = close + 1;
        else {
          i = escapedStringEnd(text, i);
          if (i < 0) return false;
          backslash = findBackslash(text, i, inPage);
        }
        state = AFTER;
      } else if (c === 0x7b || c === 0x5b) {
        if (depth === MAX_DEPTH) return false;
        const object = c === 0x7b;
        if (object && depth === 1 && pendingSlot[1] === RESTRICTED) restrictedDepth = 2;
        depth++;
        isObject[depth] = object ? 1 : 0;
        i++;
        if (text.charCodeAt(i) === (object ? 0x7d : 0x5d)) {
          i++;
          if (depth === restrictedDepth) restrictedDepth = -1;
          depth--;
          if (depth === 0) break;
          state = AFTER;
        } else if (object) {
          previousKeyStart[depth] = -1;
          state = KEY;
        }
      } else if (c === 0x74) {
        if (!text.startsWith('true', i)) return false;
        i += 4;
        state = AFTER;
      } else if (c === 0x66) {
        if (!text.startsWith('false', i)) return false;
        i += 5;
        state = AFTER;
      } else if (c === 0x6e) {
        if (!text.startsWith('null', i)) return false;
        i += 4;
        state = AFTER;
      } else {
        i = numberEnd(text, i);
        if (i < 0) return false;
        state = AFTER;
      }
    } else if (state === KEY) {
      if (text.charCodeAt(i) !== 0x22) return false;
      const keyStart = i + 1;
      const keyEnd = text.indexOf('"', keyStart);
      if (keyEnd < 0) return false;
      // A key with an escape would have to be compared decoded: left to the slow way.
      if (backslash >= 0 && backslash < keyEnd) {
        if (backslash < keyStart) backslash = findBackslash(text, keyStart, inPage);
        if (backslash >= 0 && backslash < keyEnd) return false;
      }
      // Keys strictly increasing by UTF-16 code units: sorted, and no duplicate.
      const previous = previousKeyStart[depth]!;
      if (previous >= 0) {
        const previousEnd = previousKeyEnd[depth]!;
        const common = Math.min(previousEnd - previous, keyEnd - keyStart);
        let k = 0;
        while (k < common && text.charCodeAt(previous + k) === text.charCodeAt(keyStart + k)) k++;
        if (
          k < common
            ? text.charCodeAt(previous + k) > text.charCodeAt(keyStart + k)
            : previousEnd - previous >= keyEnd - keyStart
        )
          return false;
      }
      previousKeyStart[depth] = keyStart;
      previousKeyEnd[depth] = keyEnd;
      if (text.charCodeAt(keyEnd + 1) !== 0x3a) return false;
      i = keyEnd + 2;
      pendingSlot[depth] =
        depth === 1
          ? topLevelSlot(text, keyStart, keyEnd)
          : depth === restrictedDepth
            ? restrictedSlot(text, keyStart, keyEnd)
            : -1;
      valueStart[depth] = i;
      state = VALUE;
    } else {
      // A value just ended at i, inside the container at `depth`.
      if (isObject[depth] === 1) {
        const slot = pendingSlot[depth]!;
        if (slot >= 0) {
          spans[slot] = valueStart[depth]!;
          spans[slot + 1] = i;
          spanEscaped[slot] = escaped ? 1 : 0;
        }
      }
      const c = text.charCodeAt(i++);
      if (c === 0x2c) state = isObject[depth] === 1 ? KEY : VALUE;
      else if (c === (isObject[depth] === 1 ? 0x7d : 0x5d)) {
        if (depth === restrictedDepth) restrictedDepth = -1;
        depth--;
        if (depth === 0) break;
      } else return false;
    }
  }
  return i === n && spans[RESTRICTED]! >= 0 && text.charCodeAt(spans[RESTRICTED]!) === 0x7b;
}

/** The leaf hash from a scanned canonical body: the restricted object's text replaced by its digest. */
function fastLeafHash(text: string, spans: Int32Array, start = 0, end = text.length): Buffer {
  const from = spans[RESTRICTED]!;
  const to = spans[RESTRICTED + 1]!;
  const digest = hash('sha256', text.slice(from, to), 'base64url');
  return hash('sha256', `\0${text.slice(start, from)}"${digest}"${text.slice(to, end)}`, 'buffer');
}

const spansScratch = new Int32Array(SPAN_SLOTS);

/**
 * The leaf hash of a stored body, exactly `leafHash(leafData(parseBody(text)))`, by the fast
 * way when the text is canonical; throws as that expression does when the body is not an event.
 */
export function storedLeafHash(text: string): Buffer {
  if (scanCanonical(text, spansScratch)) return fastLeafHash(text, spansScratch);
  return leafHash(leafData(parseBody(text)));
}

/** The leaf hash of a body that is exactly canonical JSON of an event (the fast way), or undefined when it is not. */
export function canonicalLeafHash(text: string): Buffer | undefined {
  return scanCanonical(text, spansScratch) ? fastLeafHash(text, spansScratch) : undefined;
}

/** The lookup columns a stored event row copies from its body (`eventRow`). */
export type EventColumns = Pick<
  LedgerEventsTable,
  'id' | 'at' | 'kind' | 'account_id' | 'actor_id' | 'organisation_id' | 'person_id'
>;

/** The row's columns say what its body says (the check `ledger verify` makes on every event). */
export function columnsAgree(row: EventColumns, body: EventBody): boolean {
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

/** A canonical span holds this column value: a string spelled the one canonical way, or null. */
function spanIs(text: string, spans: Int32Array, slot: number, value: string | null): boolean {
  const from = spans[slot]!;
  const to = spans[slot + 1]!;
  if (from < 0) return false;
  if (value === null) return to - from === 4 && text.startsWith('null', from);
  if (text.charCodeAt(from) !== 0x22) return false;
  // Without an escape the raw characters are the value; with one, compare canonical spellings.
  if (spanEscaped[slot] === 0) return to - from - 2 === value.length && text.startsWith(value, from + 1);
  const spelled = JSON.stringify(value);
  return spelled.length === to - from && text.startsWith(spelled, from);
}

const isText = (value: unknown) => value === null || typeof value === 'string';

function textColumns(row: EventColumns): boolean {
  return (
    typeof row.id === 'string' &&
    typeof row.at === 'string' &&
    typeof row.kind === 'string' &&
    isText(row.account_id) &&
    isText(row.actor_id) &&
    isText(row.organisation_id) &&
    isText(row.person_id)
  );
}

export const EVENT_OK = 0;
export const EVENT_COLUMNS_DISAGREE = 1;
export const EVENT_UNREADABLE = 2;

/**
 * What `ledger verify` needs of one stored row: its leaf hash written at `out[offset…]` and
 * EVENT_OK, EVENT_COLUMNS_DISAGREE (the lookup columns no longer say what the body says) or
 * EVENT_UNREADABLE (not an event at all; nothing written).
 */
export function checkStoredEvent(body: string, row: EventColumns, out: Uint8Array, offset: number): number {
  const spans = spansScratch;
  // SQLite does not enforce column types: anything but text (or null) takes the slow way, as before.
  if (typeof body === 'string' && textColumns(row) && scanCanonical(body, spans)) {
    out.set(fastLeafHash(body, spans), offset);
    const agree =
      spanIs(body, spans, ID, row.id) &&
      spanIs(body, spans, AT, row.at) &&
      spanIs(body, spans, KIND, row.kind) &&
      spanIs(body, spans, PERSON, row.person_id) &&
      spanIs(body, spans, ORGANISATION, row.organisation_id) &&
      spanIs(body, spans, ACTOR, row.actor_id) &&
      spanIs(body, spans, ACCOUNT, row.account_id);
    return agree ? EVENT_OK : EVENT_COLUMNS_DISAGREE;
  }
  let parsed: EventBody;
  try {
    parsed = parseBody(body);
    out.set(leafHash(leafData(parsed)), offset);
  } catch {
    return EVENT_UNREADABLE;
  }
  try {
    return columnsAgree(row, parsed) ? EVENT_OK : EVENT_COLUMNS_DISAGREE;
  } catch {
    // `restricted` is not an object: the columns cannot agree with it.
    return EVENT_COLUMNS_DISAGREE;
  }
}

/** The body's span at `slot` spells the value at text[from, to) (`from` < 0: null), compared in place. */
function spanIsAt(text: string, spans: Int32Array, slot: number, from: number, to: number): boolean {
  const s = spans[slot]!;
  const e = spans[slot + 1]!;
  if (s < 0) return false;
  if (from < 0) return e - s === 4 && text.startsWith('null', s);
  if (text.charCodeAt(s) !== 0x22) return false;
  if (spanEscaped[slot] === 0) {
    if (e - s - 2 !== to - from) return false;
    for (let k = 0; k < to - from; k++) if (text.charCodeAt(s + 1 + k) !== text.charCodeAt(from + k)) return false;
    return true;
  }
  const spelled = JSON.stringify(text.slice(from, to));
  return spelled.length === e - s && text.startsWith(spelled, s);
}

/** Where a page's columns are, per row: start and end in the page text of id, at, kind, account, actor, organisation, person (start −1: null). */
const PAGE_SLOTS = [ID, AT, KIND, ACCOUNT, ACTOR, ORGANISATION, PERSON];

/**
 * A page's row the fast way: the leaf hash of the canonical body at text[from, to) whose lookup
 * columns — other regions of the page's text, compared in place — agree with it; undefined
 * when the fast way cannot tell (not canonical, or the columns differ): the caller then looks at
 * the row the slow way. `checked`: the page holds no raw control character nor surrogate.
 */
export function fastCheckedLeaf(
  text: string,
  from: number,
  to: number,
  columns: Int32Array,
  checked: boolean,
): Buffer | undefined {
  const spans = spansScratch;
  if (!scanCanonical(text, spans, from, to, checked)) return undefined;
  for (let c = 0; c < PAGE_SLOTS.length; c++) {
    if (!spanIsAt(text, spans, PAGE_SLOTS[c]!, columns[2 * c]!, columns[2 * c + 1]!)) return undefined;
  }
  return fastLeafHash(text, spans, from, to);
}

/** Neither a raw control character nor a surrogate in the text: what `scanCanonical` checks for each body, once for a page. */
export function plainText(text: string): boolean {
  return !RAW_CONTROL_OR_SURROGATE.test(text);
}

const nodeScratch = Buffer.alloc(1 + 2 * HASH_BYTES, 1);

/** RFC 9162 interior node hash, `nodeHash` without its three updates for two 32-byte children. */
export function nodeHash32(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) return nodeHash(left, right);
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_BYTES);
  return hash('sha256', nodeScratch, 'buffer');
}
