/**
 * The blast radius of an incident and its notices (incidents issue): "blast radius time over 10
 * million ledger events for a compromised account that read 50,000 persons, on SQLite and
 * PostgreSQL; notices generated per second (PDF). Goal: blast radius under 2 seconds." Each
 * figure sits next to a baseline measured in the same run.
 *
 * 1. A synthetic ledger of BENCH_INCIDENT_EVENTS events (default 10,000,000) over 90 days, by
 *    5,000 staff actors (reads mostly, then searches, logins, refusals…), in which one
 *    compromised actor read BENCH_INCIDENT_PERSONS distinct persons (default 50,000; a fifth of
 *    them twice, with more classes) and 20 decoys inside a 30-day window. The same actor's
 *    legitimate reads before and after the window, and its searches, refusals, logins and
 *    person-less grants inside it, must all stay out of the result. Rows go straight into
 *    ledger_events (SQLite: a connection of its own, multi-row INSERTs, no fsync; PostgreSQL:
 *    COPY into the month partitions), the migrations' indexes (and on PostgreSQL the primary
 *    key) dropped for the load and recreated from their own stored definitions afterwards, then
 *    ANALYZE on PostgreSQL. Every row has its sequence number (time order) and
 *    ledger_state.size is N; bodies are canonical JSON of buildEvent's shape with UUID ids
 *    (checked on a sample), but no Merkle tree is built (ledger_nodes stays empty): the blast
 *    radius reads events and does not verify the tree (bench/ledger.ts measures proofs at 10
 *    million leaves).
 * 2. computeBlastRadius over that ledger, median of 3 runs, each result checked against what was
 *    planted (persons, decoys, events, classes, persons already counted by an earlier incident),
 *    next to the indexed SELECT of the same rows alone (no paging, parsing nor aggregation) and
 *    to a count of the whole table. SQLite is measured as Rempart runs it (nothing runs ANALYZE,
 *    so the planner has no statistics), then again after ANALYZE.
 * 3. Art. 34 notices: 2,000 letters rendered to PDF in batches of 500 (renderLetters, as the
 *    notice batch does), letters and pages per second, next to writing the same notices as
 *    emails (noticeEmail); then the whole notice batch (planNotices + runNotices: reads and
 *    decrypts the files, records the access, sends the emails to the outbox, stores the sealed
 *    PDFs) for a declared and scoped incident on a seeded store of 2,000 persons, per backend.
 */
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, type Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import pg from 'pg';
import { progressBar } from '../src/cli/progress.ts';
import type { FieldClass, PersonFile } from '../src/domain/index.ts';
import { computeBlastRadius, type BlastRadius } from '../src/incidents/index.ts';
import { ofIdentity } from '../src/ledger/questions.ts';
import { frenchDate, noticeEmail, noticeLetter, postalBlock, type NoticeFacts } from '../src/incidents/notice-text.ts';
import { renderLetters, type Letter } from '../src/incidents/pdf.ts';
import { appendEvents, canonicalJson, ensureLedgerPartition, type EventKind } from '../src/ledger/index.ts';
import type { Runtime } from '../src/runtime/index.ts';
import { seedDatabase } from '../src/seed/index.ts';
import { generateChunk } from '../src/seed/population.ts';
import { chunks, type Schema } from '../src/store/index.ts';
import { PG_URL, testEnvironment, type TestEnvironment } from '../test/helpers/backend.ts';
import { prng, type TableFn } from './policy.ts';

type Kind = 'sqlite' | 'postgres';

const EVENTS = Number(process.env.BENCH_INCIDENT_EVENTS || 10_000_000);
const PERSONS = Number(process.env.BENCH_INCIDENT_PERSONS || 50_000);
const ACTORS = 5_000;
const ORGANISATIONS = 200;
/** Persons the whole network reads: the compromised actor's are among them. */
const POOL = Math.max(500_000, 2 * PERSONS);
const REREADS = Math.floor(PERSONS / 5);
const DECOYS = 1_000;
const DECOYS_READ = 20;
/** Exposed persons an earlier incident already counted (the network-wide total counts them once). */
const ALREADY_EXPOSED = Math.floor(PERSONS / 50);
const START = Date.UTC(2026, 6, 1);
const DAY = 86_400_000;
const SPAN = 90 * DAY;
const WINDOW = { from: START + 30 * DAY, to: START + 60 * DAY };
const RUNS = 3;
const GOAL_MS = 2_000;
/**
 * Rows generated at a time: small, so that they die in the young generation (slices of 5,000
 * rows survived scavenges and made generation three times slower); SQLite commits SQLITE_SLICES
 * of them a transaction, PostgreSQL COPYs COPY_SLICES at once.
 */
const SLICE = 100;
const SQLITE_SLICES = 1_000;
const COPY_SLICES = 200;
const LETTERS = 2_000;
const LETTER_BATCH = 500;
const BATCH_PERSONS = 2_000;
/** The notice batch's letterhead (not exported by src/incidents/notices.ts). */
const SENDER = [
  'France Travail — Délégué à la protection des données',
  'Rempart, registre des violations de données',
  'TSA 00000 — 75000 PARIS',
];

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (t: number) => `${fmt(t)} ms`;
const seconds = (t: number) => `${(t / 1000).toFixed(1)} s`;
const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

// ---------------------------------------------------------------------------------------------
// The synthetic ledger

interface Actor {
  id: string;
  account: string;
  organisation: string;
  /** Canonical JSON of an access_granted event's details (the actor's organisation's agreement). */
  agreement: string;
  session: string;
  address: string;
}

/** One event of the compromised actor, at a given sequence number. */
interface Planned {
  kind: EventKind;
  person: string | null;
  classes: readonly FieldClass[];
}

interface Synthetic {
  actors: Actor[];
  compromised: Actor;
  persons: string[];
  decoys: string[];
  planned: Map<number, Planned>;
  /** What computeBlastRadius must find. */
  expected: { persons: number; decoys: number; events: number; byClass: Partial<Record<FieldClass, number>> };
}

const CLASS_SETS: ReadonlyArray<readonly FieldClass[]> = [
  ['identity', 'contact'],
  ['identity', 'contact'],
  ['identity', 'contact'],
  ['identity', 'contact'],
  ['identity', 'contact'],
  ['identity', 'contact', 'nir'],
  ['identity', 'contact', 'nir'],
  ['identity', 'contact', 'follow_up'],
  ['identity', 'bank', 'contact'],
  ['identity', 'contact', 'health'],
];
const REREAD_CLASSES: readonly FieldClass[] = ['identity', 'contact', 'nir'];
const IDENTITY_CONTACT: readonly FieldClass[] = ['identity', 'contact'];
const IDENTITY: readonly FieldClass[] = ['identity'];
const NO_CLASSES: readonly FieldClass[] = [];
const PURPOSES = ['accompagnement', 'indemnisation', 'insertion_rsa', 'formation', 'verification_droits'];

const atMs = (i: number) => START + Math.floor((i * SPAN) / EVENTS);

const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * Random v4 UUIDs, as randomUUID makes them but flat: randomUUID returns a rope of some twenty
 * pieces, which every body quoting it would walk again when written (5 µs a row, more than
 * generating the row). Here one buffer is decoded once and each id is a slice of it.
 */
function uuids(count: number): string[] {
  const random = randomBytes(16 * count);
  const text = Buffer.alloc(36 * count);
  let out = 0;
  for (let i = 0; i < 16 * count; i++) {
    const k = i % 16;
    if (k === 4 || k === 6 || k === 8 || k === 10) text[out++] = 0x2d;
    // Version 4, variant 10xx, as RFC 9562 sets them.
    const byte = k === 6 ? (random[i]! & 0x0f) | 0x40 : k === 8 ? (random[i]! & 0x3f) | 0x80 : random[i]!;
    text[out++] = HEX[byte >> 4]!;
    text[out++] = HEX[byte & 15]!;
  }
  const all = text.toString('latin1');
  return Array.from({ length: count }, (_, i) => all.slice(36 * i, 36 * (i + 1)));
}

/** The first sequence number whose time passes `test` (times grow with the sequence). */
function firstSlot(test: (at: number) => boolean): number {
  let lo = 0;
  let hi = EVENTS;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (test(atMs(mid))) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A staff member: ids are UUIDs as Rempart's are (they make most of a body's ~600 bytes). */
function makeActor(i: number, organisations: readonly string[]): Actor {
  const organisation = i % organisations.length;
  const [id, account] = uuids(2) as [string, string];
  return {
    id,
    account,
    organisation: organisations[organisation]!,
    agreement: `{"agreement":"CONV-2026-${String(organisation).padStart(4, '0')}@${1 + (organisation % 3)}","breakGlass":null}`,
    session: randomBytes(12).toString('base64url'),
    address: `10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 250)}`,
  };
}

/** `events` spread evenly over the sequence numbers [lo, hi). */
function place(planned: Map<number, Planned>, events: readonly Planned[], lo: number, hi: number): void {
  if (events.length > hi - lo)
    throw new Error(
      `BENCH_INCIDENT_EVENTS=${EVENTS} is too small for ${fmt(events.length)} events of the compromised actor between sequence numbers ${lo} and ${hi}`,
    );
  events.forEach((event, j) => planned.set(lo + Math.floor((j * (hi - lo)) / events.length), event));
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** The compromised actor's reads in the window, and everything of theirs that must not count. */
function compromisedEvents(
  s: Pick<Synthetic, 'persons' | 'decoys'>,
  random: () => number,
): { inside: Planned[]; before: Planned[]; after: Planned[]; expected: Synthetic['expected'] } {
  const exposed = s.persons.slice(0, PERSONS);
  const others = s.persons.slice(PERSONS);
  const classesOf = new Map<string, Set<FieldClass>>();
  const read = (person: string, classes: readonly FieldClass[]): Planned => {
    const set = classesOf.get(person) ?? classesOf.set(person, new Set()).get(person)!;
    for (const c of classes) set.add(c);
    return { kind: 'access_granted', person, classes };
  };
  const counted = [
    ...exposed.map((p, k) => read(p, CLASS_SETS[k % CLASS_SETS.length]!)),
    ...Array.from({ length: REREADS }, (_, k) => read(exposed[k * 5]!, REREAD_CLASSES)),
  ];
  const decoyReads: Planned[] = s.decoys
    .slice(0, DECOYS_READ)
    .map((person) => ({ kind: 'access_granted', person, classes: IDENTITY_CONTACT }));
  const other = (k: number) => others[k % others.length]!;
  const noise: Planned[] = [
    ...Array.from({ length: 200 }, (): Planned => ({ kind: 'login_succeeded', person: null, classes: NO_CLASSES })),
    ...Array.from({ length: 500 }, (): Planned => ({ kind: 'person_search', person: null, classes: IDENTITY })),
    ...Array.from({ length: 300 }, (_, k): Planned => ({
      kind: 'access_denied',
      person: other(k),
      classes: NO_CLASSES,
    })),
    // A caseload list: granted, but about no one person.
    ...Array.from({ length: 200 }, (): Planned => ({ kind: 'access_granted', person: null, classes: IDENTITY })),
  ];
  const legitimate = (count: number, offset: number) =>
    Array.from({ length: count }, (_, k): Planned => ({
      kind: 'access_granted',
      person: other(offset + k),
      classes: REREAD_CLASSES,
    }));
  const byClass: Partial<Record<FieldClass, number>> = {};
  for (const set of classesOf.values()) for (const c of set) byClass[c] = (byClass[c] ?? 0) + 1;
  return {
    inside: shuffle([...counted, ...decoyReads, ...noise], random),
    before: legitimate(5_000, 1_000),
    after: legitimate(1_000, 10_000),
    expected: { persons: PERSONS, decoys: DECOYS_READ, events: counted.length + decoyReads.length, byClass },
  };
}

function synthesize(): Synthetic {
  const random = prng(2026);
  const organisations = uuids(ORGANISATIONS);
  const actors = Array.from({ length: ACTORS }, (_, i) => makeActor(i, organisations));
  const compromised = makeActor(ACTORS, organisations);
  const persons = uuids(POOL);
  const decoys = uuids(DECOYS);
  const { inside, before, after, expected } = compromisedEvents({ persons, decoys }, random);
  const planned = new Map<number, Planned>();
  const w0 = firstSlot((at) => at >= WINDOW.from);
  const w1 = firstSlot((at) => at > WINDOW.to);
  place(planned, before, 0, w0);
  place(planned, inside, w0, w1);
  place(planned, after, w1, EVENTS);
  return { actors, compromised, persons, decoys, planned, expected };
}

type Row = [
  id: string,
  seq: number,
  at: string,
  kind: string,
  account: string | null,
  actor: string | null,
  organisation: string | null,
  person: string | null,
  body: string,
];

interface Fields {
  id: string;
  at: string;
  kind: EventKind;
  actor: Actor;
  person: string | null;
  purpose: string | null;
  caseReference: string | null;
  operation: string | null;
  classes: string;
  details: string;
  requestId: string;
  salt: string;
  /** Who acted is unknown (a failed login). */
  anonymous?: boolean;
}

const q = (s: string | null) => (s === null ? 'null' : `"${s}"`);

/** Canonical JSON (RFC 8785: keys sorted) of a body as buildEvent makes it; every value here is JSON-safe as is. */
function bodyText(f: Fields): string {
  const a = f.actor;
  return (
    `{"at":"${f.at}","caseReference":${q(f.caseReference)},"classes":${f.classes},"details":${f.details},"id":"${f.id}","kind":"${f.kind}",` +
    `"operation":${q(f.operation)},"organisation":"${a.organisation}","person":${q(f.person)},"purpose":${q(f.purpose)},` +
    `"restricted":{"account":"${a.account}","actor":${f.anonymous ? 'null' : `"${a.id}"`},"address":"${a.address}","requestId":"${f.requestId}","salt":"${f.salt}"${f.anonymous ? '' : `,"session":"${a.session}"`}},"v":1}`
  );
}

/** Class lists are shared constants: each one's JSON is computed once. */
const CLASSES_JSON = new Map<readonly string[], string>();
const classesJson = (classes: readonly string[]) =>
  CLASSES_JSON.get(classes) ?? CLASSES_JSON.set(classes, JSON.stringify(classes)).get(classes)!;

/** What an event of each kind says besides who and when. */
function describe(
  kind: EventKind,
  actor: Actor,
  person: string | null,
  classes: readonly string[],
  random: () => number,
): Omit<Fields, 'id' | 'at' | 'actor' | 'requestId' | 'salt'> {
  const purpose = PURPOSES[Math.floor(random() * PURPOSES.length)]!;
  const caseReference = `DOSSIER-${String(Math.floor(random() * 1e7)).padStart(7, '0')}`;
  switch (kind) {
    case 'access_granted':
      return {
        kind,
        person,
        purpose,
        caseReference,
        operation: person ? 'read' : 'list_caseload',
        classes: classesJson(classes),
        details: person ? actor.agreement : '{"count":25}',
      };
    case 'access_denied':
      return {
        kind,
        person,
        purpose,
        caseReference,
        operation: 'read',
        classes: classesJson(NO_CLASSES),
        details: '{"reason":"purpose_not_granted"}',
      };
    case 'person_search':
      return {
        kind,
        person: null,
        purpose,
        caseReference,
        operation: 'search',
        classes: classesJson(IDENTITY),
        details: `{"results":${1 + Math.floor(random() * 20)}}`,
      };
    case 'login_failed':
      return {
        kind,
        person: null,
        purpose: null,
        caseReference: null,
        operation: null,
        classes: classesJson(NO_CLASSES),
        details: '{"reason":"bad_password"}',
        anonymous: true,
      };
    default:
      return {
        kind,
        person: null,
        purpose: null,
        caseReference: null,
        operation: null,
        classes: classesJson(NO_CLASSES),
        details: kind === 'login_succeeded' ? '{"method":"password"}' : '{}',
      };
  }
}

/** Everybody else's traffic: reads mostly, of anyone in the pool. */
function ordinary(
  s: Synthetic,
  random: () => number,
): { actor: Actor; kind: EventKind; person: string | null; classes: readonly string[] } {
  const actor = s.actors[Math.floor(random() * ACTORS)]!;
  const r = random();
  const person = s.persons[Math.floor(random() * POOL)]!;
  if (r < 0.85)
    return { actor, kind: 'access_granted', person, classes: CLASS_SETS[Math.floor(random() * CLASS_SETS.length)]! };
  if (r < 0.9) return { actor, kind: 'person_search', person: null, classes: IDENTITY };
  if (r < 0.94) return { actor, kind: 'login_succeeded', person: null, classes: NO_CLASSES };
  if (r < 0.96) return { actor, kind: 'access_denied', person, classes: NO_CLASSES };
  if (r < 0.98) return { actor, kind: 'logout', person: null, classes: NO_CLASSES };
  if (r < 0.99) return { actor, kind: 'login_failed', person: null, classes: NO_CLASSES };
  return { actor, kind: 'session_revoked', person: null, classes: NO_CLASSES };
}

/** Rows [from, to), in sequence order. */
function slice(s: Synthetic, from: number, to: number, random: () => number): Row[] {
  const salts = randomBytes(16 * (to - from));
  const ids = uuids(2 * (to - from));
  const rows: Row[] = [];
  for (let seq = from; seq < to; seq++) {
    const planned = s.planned.get(seq);
    const event = planned ? { actor: s.compromised, ...planned } : ordinary(s, random);
    const described = describe(event.kind, event.actor, event.person, event.classes, random);
    const fields: Fields = {
      id: ids[2 * (seq - from)]!,
      at: new Date(atMs(seq)).toISOString(),
      actor: event.actor,
      requestId: ids[2 * (seq - from) + 1]!,
      salt: salts.toString('base64url', 16 * (seq - from), 16 * (seq - from + 1)),
      ...described,
    };
    const body = bodyText(fields);
    // The template must stay what canonicalJson makes of the same body: checked on a sample.
    if (seq % 250_000 === 0 && canonicalJson(JSON.parse(body)) !== body)
      throw new Error(`body template is not canonical JSON: ${body}`);
    rows.push([
      fields.id,
      seq,
      fields.at,
      fields.kind,
      event.actor.account,
      fields.anonymous ? null : event.actor.id,
      event.actor.organisation,
      fields.person,
      body,
    ]);
  }
  return rows;
}

function* slices(s: Synthetic): Generator<Row[]> {
  const random = prng(7);
  for (let from = 0; from < EVENTS; from += SLICE) yield slice(s, from, Math.min(EVENTS, from + SLICE), random);
}

// ---------------------------------------------------------------------------------------------
// Loading

interface Load {
  rows: number;
  bodyBytes: number;
  insertMs: number;
  indexMs: number;
  analyzeMs: number;
}

const COLUMNS = '(id, seq, at, kind, account_id, actor_id, organisation_id, person_id, body)';
const SQLITE_ROWS_PER_INSERT = 100;

/**
 * SQLite: a connection of its own (the runtime is closed meanwhile), its rollback journal in
 * memory and no fsync while loading (a failed load is thrown away; better-sqlite3's defensive
 * mode refuses journal_mode=OFF), then WAL again as Rempart runs it.
 */
async function loadSqlite(path: string, s: Synthetic, label: string): Promise<Load> {
  const db = new SqliteDatabase(path);
  try {
    db.pragma('journal_mode = DELETE');
    if (db.pragma('journal_mode = MEMORY', { simple: true }) !== 'memory')
      throw new Error('SQLite refused journal_mode=MEMORY for the load');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1048576');
    // CREATE INDEX may sort with a helper thread, and reads the table through a memory map (capped by
    // SQLite at 2 GiB; at 2 million rows it took the load from 52 to 41 s).
    db.pragma('threads = 2');
    db.pragma(`mmap_size = ${2 ** 35}`);
    const listIndexes = () =>
      db
        .prepare(
          `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger_events' AND sql IS NOT NULL ORDER BY name`,
        )
        .all() as Array<{ name: string; sql: string }>;
    const indexes = listIndexes();
    for (const index of indexes) db.exec(`DROP INDEX "${index.name}"`);
    const values = (n: number) =>
      `INSERT INTO ledger_events ${COLUMNS} VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
    const wide = db.prepare(values(SQLITE_ROWS_PER_INSERT));
    const one = db.prepare(values(1));
    const insert = (rows: readonly Row[]) => {
      let i = 0;
      for (; i + SQLITE_ROWS_PER_INSERT <= rows.length; i += SQLITE_ROWS_PER_INSERT)
        wide.run(rows.slice(i, i + SQLITE_ROWS_PER_INSERT).flat());
      for (; i < rows.length; i++) one.run(rows[i]!);
    };
    const bar = progressBar(`  ${label}: ledger events`, EVENTS);
    let start = performance.now();
    let rows = 0;
    let bodyBytes = 0;
    // Each slice is written as soon as it is made (its rows die young), several slices a transaction.
    db.exec('BEGIN');
    for (const part of slices(s)) {
      insert(part);
      for (const row of part) bodyBytes += row[8].length;
      rows += part.length;
      if (rows % (SQLITE_SLICES * SLICE) === 0) {
        db.exec('COMMIT');
        db.exec('BEGIN');
        bar.update(rows);
        // The load is synchronous: let the progress bar's timer run.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    db.exec('COMMIT');
    bar.update(rows);
    bar.stop();
    const insertMs = performance.now() - start;
    start = performance.now();
    for (const index of indexes) {
      process.stderr.write(`  ${label}: CREATE INDEX ${index.name}\n`);
      db.exec(index.sql);
    }
    const indexMs = performance.now() - start;
    if (JSON.stringify(listIndexes()) !== JSON.stringify(indexes))
      throw new Error(`indexes after the load differ from the migrations' (${indexes.map((i) => i.name).join()})`);
    if (db.pragma('journal_mode = WAL', { simple: true }) !== 'wal')
      throw new Error('SQLite did not return to WAL after the load');
    return { rows, bodyBytes, insertMs, indexMs, analyzeMs: 0 };
  } finally {
    db.close();
  }
}

/** The parts of pg's connection a COPY needs (what pg-copy-streams uses; not in @types/pg). */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** COPY … FROM STDIN of one buffer, as a query object pg's client runs in its queue. */
export class CopyIn implements pg.Submittable {
  readonly done: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: Error) => void;
  #error: Error | undefined;
  readonly #statement: string;
  readonly #data: Buffer;

  constructor(statement: string, data: Buffer) {
    this.#statement = statement;
    this.#data = data;
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  submit(connection: pg.Connection): void {
    (connection as unknown as CopyConnection).query(this.#statement);
  }

  handleCopyInResponse(connection: pg.Connection): void {
    const c = connection as unknown as CopyConnection;
    c.sendCopyFromChunk(this.#data);
    c.endCopyFrom();
  }

  handleCommandComplete(): void {}

  handleError(error: Error): void {
    this.#error = error;
  }

  handleReadyForQuery(): void {
    if (this.#error) this.#reject(this.#error);
    else this.#resolve();
  }
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const copyField = (v: string | null) =>
  v === null ? '\\N' : /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : v;

/**
 * COPY's text format (tab-separated, \N for null; backslashes, tabs and line breaks escaped), as
 * bytes at once: a batch of slices waiting for its COPY then lies off the JavaScript heap, out
 * of the garbage collector's way.
 */
function copyBytes(rows: readonly Row[]): Buffer {
  let text = '';
  for (const [id, seq, at, kind, account, actor, organisation, person, body] of rows) {
    text += `${copyField(id)}\t${seq}\t${copyField(at)}\t${copyField(kind)}\t${copyField(account)}\t${copyField(actor)}\t${copyField(organisation)}\t${copyField(person)}\t${copyField(body)}\n`;
  }
  return Buffer.from(text, 'utf8');
}

async function pgIndexes(client: pg.Client): Promise<Array<{ name: string; definition: string }>> {
  const result = await client.query<{ name: string; definition: string }>(`
    SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE t.relname = 'ledger_events' AND n.nspname = current_schema() AND NOT i.indisprimary ORDER BY c.relname`);
  return result.rows;
}

async function pgPrimaryKey(client: pg.Client): Promise<{ name: string; definition: string }> {
  const result = await client.query<{ name: string; definition: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = 'ledger_events'::regclass AND contype = 'p'`,
  );
  if (result.rows.length !== 1) throw new Error(`ledger_events has ${result.rows.length} primary keys`);
  return result.rows[0]!;
}

/**
 * PostgreSQL: COPY a few slices at a time, the next slices generated while the server writes
 * (the event loop yields between slices so the socket keeps flowing); the secondary indexes of
 * the partitioned table are rebuilt from pg_get_indexdef (ON ONLY would leave the partitions
 * without theirs), then ANALYZE.
 */
async function loadPostgres(schema: string, s: Synthetic, label: string): Promise<Load> {
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    await client.query(`SET synchronous_commit = off`);
    await client.query(`SET maintenance_work_mem = '1GB'`);
    const indexes = await pgIndexes(client);
    for (const index of indexes) await client.query(`DROP INDEX "${index.name}"`);
    // The primary key too: random UUIDs inserted one by one into a 10-million-entry B-tree cost more than sorting them once.
    const primaryKey = await pgPrimaryKey(client);
    await client.query(`ALTER TABLE ledger_events DROP CONSTRAINT "${primaryKey.name}"`);
    const bar = progressBar(`  ${label}: ledger events`, EVENTS);
    let start = performance.now();
    let rows = 0;
    let bodyBytes = 0;
    // Each slice becomes COPY bytes as soon as it is made (its rows die young); a few slices a COPY.
    let batch: Buffer[] = [];
    let batchRows = 0;
    let inFlight: Promise<void> | undefined;
    const flush = async () => {
      const data = Buffer.concat(batch);
      const count = batchRows;
      batch = [];
      batchRows = 0;
      await inFlight;
      const copy = new CopyIn(`COPY ledger_events ${COLUMNS} FROM STDIN`, data);
      void client.query(copy);
      inFlight = copy.done.then(() => {
        rows += count;
        bar.update(rows);
      });
      // Awaited before the next COPY or at the end; until then a failure must not crash the process before the cleanup.
      inFlight.catch(() => undefined);
    };
    for (const part of slices(s)) {
      batch.push(copyBytes(part));
      batchRows += part.length;
      for (const row of part) bodyBytes += row[8].length;
      if (batch.length >= COPY_SLICES) await flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (batch.length) await flush();
    await inFlight;
    bar.stop();
    const insertMs = performance.now() - start;
    start = performance.now();
    process.stderr.write(`  ${label}: ADD ${primaryKey.definition}\n`);
    await client.query(`ALTER TABLE ledger_events ADD CONSTRAINT "${primaryKey.name}" ${primaryKey.definition}`);
    for (const index of indexes) {
      process.stderr.write(`  ${label}: CREATE INDEX ${index.name}\n`);
      await client.query(index.definition.replace(' ON ONLY ', ' ON '));
    }
    const indexMs = performance.now() - start;
    start = performance.now();
    await client.query('ANALYZE ledger_events');
    const analyzeMs = performance.now() - start;
    const after = (await pgIndexes(client)).map((i) => i.name);
    if (after.join() !== indexes.map((i) => i.name).join())
      throw new Error(
        `indexes after the load (${after.join()}) differ from the migrations' (${indexes.map((i) => i.name).join()})`,
      );
    if ((await pgPrimaryKey(client)).definition !== primaryKey.definition)
      throw new Error('the primary key was not restored');
    return { rows, bodyBytes, insertMs, indexMs, analyzeMs };
  } finally {
    await client.end();
  }
}

/** The months the ledger spans, each a partition on PostgreSQL (no event in the default one). */
function months(): string[] {
  const out = new Set<string>();
  for (let t = START; t <= START + SPAN; t += DAY) out.add(new Date(t).toISOString().slice(0, 7));
  return [...out];
}

async function storeBytes(runtime: Runtime, env: TestEnvironment): Promise<number> {
  if (runtime.database.flavour === 'sqlite') return statSync(env.config.databaseUrl).size;
  const result = await CompiledQuery.raw(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname LIKE 'ledger_events%'`,
  );
  const rows = (await runtime.database.db.executeQuery<{ n: number }>(result)).rows;
  return Number(rows[0]?.n ?? 0);
}

/** Decoys, an earlier incident that already counted some of the persons, and the log's size. */
async function prepareStore(runtime: Runtime, s: Synthetic): Promise<void> {
  const db = runtime.database.db;
  const at = new Date(START).toISOString();
  await db.updateTable('ledger_state').set({ size: EVENTS }).where('id', '=', 1).execute();
  for (const part of chunks(
    s.decoys.map((person_id) => ({ person_id, created_at: at })),
    2,
  ))
    await db.insertInto('guard_decoys').values(part).execute();
  await db
    .insertInto('incidents')
    .values({
      id: 'bench-earlier',
      reference: 'INC-2026-0001',
      title: 'Incident antérieur',
      vector: 'infostealer',
      description: 'Benchmark',
      status: 'closed',
      source: 'manual',
      containment_id: null,
      compromised: JSON.stringify({ actors: [s.actors[0]!.id], organisations: [], clients: [], sessions: [] }),
      window_from: at,
      window_to: at,
      aware_at: at,
      declared_at: at,
      declared_by: null,
      scope_summary: null,
      cnil_reference: null,
      cnil_filed_at: null,
      closed_at: at,
      closed_by: null,
      closing_note: null,
    })
    .execute();
  // Some of today's persons, and others the compromised actor never read.
  const earlier = [...s.persons.slice(0, ALREADY_EXPOSED), ...s.persons.slice(PERSONS + 100_000, PERSONS + 104_000)];
  const exposures = earlier.map((person_id) => ({
    incident_id: 'bench-earlier',
    person_id,
    decoy: 0,
    classes: '["contact","identity"]',
    first_at: at,
    last_at: at,
    via: '[]',
    events: 1,
    risk: 'medium' as const,
    rules: '["contact_with_identity"]',
  }));
  for (const part of chunks(exposures, 10)) await db.insertInto('incident_exposures').values(part).execute();
  if (runtime.database.flavour === 'postgres') {
    for (const table of ['guard_decoys', 'incidents', 'incident_exposures'])
      await db.executeQuery(CompiledQuery.raw(`ANALYZE ${table}`));
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring

function check(radius: BlastRadius, s: Synthetic, store: string): void {
  const e = s.expected;
  const problems: string[] = [];
  if (radius.persons.length !== e.persons) problems.push(`${radius.persons.length} persons, expected ${e.persons}`);
  if (radius.decoys.length !== e.decoys) problems.push(`${radius.decoys.length} decoys, expected ${e.decoys}`);
  if (radius.events !== e.events) problems.push(`${radius.events} events, expected ${e.events}`);
  if (radius.totals.alsoInOtherIncidents !== ALREADY_EXPOSED)
    problems.push(
      `${radius.totals.alsoInOtherIncidents} persons also in another incident, expected ${ALREADY_EXPOSED}`,
    );
  const byClass = (o: Partial<Record<FieldClass, number>>) => JSON.stringify(Object.entries(o).sort());
  if (byClass(radius.totals.byClass) !== byClass(e.byClass))
    problems.push(`persons by class ${byClass(radius.totals.byClass)}, expected ${byClass(e.byClass)}`);
  if (problems.length) throw new Error(`blast radius on ${store} is wrong: ${problems.join('; ')}`);
}

/** The compromised actor's events naming a person in the window: computeBlastRadius's own query (the kind is checked on the rows). */
function sameRows(db: Kysely<Schema>, s: Synthetic, window: { from: string; to: string }) {
  return ofIdentity(db, {
    column: 'actor_id',
    value: s.compromised.id,
    from: window.from,
    to: window.to,
    size: EVENTS,
  });
}

/** The indexes the database chooses for the blast radius's page query (PostgreSQL names each partition's own). */
async function plan(runtime: Runtime, s: Synthetic, window: { from: string; to: string }): Promise<string> {
  const db = runtime.database.db;
  const query = sameRows(db, s, window)
    .select(['id', 'at', 'actor_id', 'person_id', 'body'])
    .orderBy('at')
    .orderBy('id')
    .limit(20_000)
    .compile();
  const explain = runtime.database.flavour === 'postgres' ? 'EXPLAIN ' : 'EXPLAIN QUERY PLAN ';
  const rows = (
    await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(explain + query.sql, [...query.parameters]))
  ).rows;
  const text = rows.map((r) => Object.values(r).join(' ')).join('\n');
  if (process.env.BENCH_INCIDENT_PLAN) process.stderr.write(`${text}\n`);
  const names =
    text.match(/\b(ledger_events_by_\w+|ledger_events_pending|\w+_idx|\w+_pkey|sqlite_autoindex_\w+)\b/g) ?? [];
  const used = [
    ...new Set(
      names.map((name) =>
        /^ledger_events_\d{4}_\d{2}_/.test(name)
          ? `${name.replace(/^ledger_events_\d{4}_\d{2}_/, '')} (each partition)`
          : name,
      ),
    ),
  ];
  const scan = /Seq Scan|SCAN ledger_events(?! USING)/.test(text) ? ['full scan'] : [];
  const sort = /TEMP B-TREE|Sort/.test(text) ? ['sort'] : [];
  return [...used, ...scan, ...sort].join(' + ');
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** computeBlastRadius RUNS times, each result checked, next to the same rows read by one query and a count of the ledger. */
async function measure(runtime: Runtime, s: Synthetic, name: string): Promise<Array<string | number>> {
  const db = runtime.database.db;
  const window = { from: new Date(WINDOW.from).toISOString(), to: new Date(WINDOW.to).toISOString() };
  const input = {
    incidentId: 'bench-incident',
    reference: 'INC-2026-0002',
    compromised: { actors: [s.compromised.id], organisations: [], clients: [], sessions: [] },
    windowFrom: window.from,
    windowTo: window.to,
  };
  const runs: number[] = [];
  let radius: BlastRadius | undefined;
  for (let run = 0; run < RUNS; run++) {
    const t = await timed(() => computeBlastRadius(db, input, { size: EVENTS, checkpoint: null }));
    check(t.value, s, name);
    runs.push(t.ms);
    radius = t.value;
  }
  // Baseline: the same rows fetched by one indexed query, nothing parsed nor counted.
  const plain: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t = await timed(async () =>
      (await sameRows(db, s, window).select(['kind', 'person_id', 'body']).execute()).filter(
        (r) => r.kind === 'access_granted',
      ),
    );
    if (t.value.length !== s.expected.events)
      throw new Error(`the plain query returned ${t.value.length} rows, expected ${s.expected.events}`);
    plain.push(t.ms);
  }
  const count = await timed(() =>
    db
      .selectFrom('ledger_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  );
  if (Number(count.value.n) !== EVENTS)
    throw new Error(`ledger_events holds ${count.value.n} rows, expected ${EVENTS}`);
  const blast = median(runs);
  const baseline = median(plain);
  const r = radius!;
  return [
    name,
    r.events,
    r.persons.length,
    r.decoys.length,
    await plan(runtime, s, window),
    ms(blast),
    runs.map((t) => fmt(t)).join(' / '),
    ms(baseline),
    x(blast, baseline),
    ms(count.ms),
    blast < GOAL_MS ? `yes (${x(GOAL_MS, blast)} margin)` : `NO (${x(blast, GOAL_MS)} over)`,
  ];
}

interface Figures {
  load: Array<string | number>;
  radius: Array<Array<string | number>>;
}

async function benchStore(kind: Kind, s: Synthetic): Promise<Figures> {
  const name = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const env = testEnvironment({ backend: kind, schemaPrefix: 'bench' });
  try {
    // Migrate (and create the month partitions), then load with a connection of our own.
    let runtime = await env.open();
    for (const month of months()) await ensureLedgerPartition(runtime.database.db, runtime.database.flavour, month);
    await runtime.close();
    const load =
      kind === 'postgres'
        ? await loadPostgres(env.pgSchema!, s, name)
        : await loadSqlite(env.config.databaseUrl, s, name);
    runtime = await env.open();
    try {
      await prepareStore(runtime, s);
      const bytes = await storeBytes(runtime, env);
      const radius = [
        await measure(runtime, s, kind === 'sqlite' ? 'SQLite, no statistics (as Rempart runs it)' : name),
      ];
      let analyzeMs = load.analyzeMs;
      if (kind === 'sqlite') {
        // What statistics would change: the planner then knows an actor is rarer than a kind.
        const t = await timed(() => runtime.database.db.executeQuery(CompiledQuery.raw('ANALYZE')));
        analyzeMs = t.ms;
        radius.push(await measure(runtime, s, 'SQLite after ANALYZE'));
      }
      const loadRow = [
        name,
        load.rows,
        `${(load.bodyBytes / load.rows).toFixed(0)} B`,
        seconds(load.insertMs),
        load.rows / (load.insertMs / 1000),
        seconds(load.indexMs),
        seconds(analyzeMs),
        `${(bytes / 2 ** 30).toFixed(1)} GiB`,
      ];
      return { load: loadRow, radius };
    } finally {
      await runtime.close();
    }
  } finally {
    await env.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// Notices

const CONTROLLER = 'France Travail (démonstration Rempart)';
const DPO = 'Délégué à la protection des données, dpo@rempart.example, TSA 00000, 75000 Paris';

interface Addressee {
  identity: PersonFile['identity'];
  block: string[];
}

/** Persons of the synthetic population with a postal address, as the notice batch reads them. */
function addressees(count: number): Addressee[] {
  const out: Addressee[] = [];
  for (let chunk = 0; out.length < count; chunk++) {
    for (const p of generateChunk(31, chunk, Number.MAX_SAFE_INTEGER)) {
      const block = postalBlock(p.file.identity, p.file.contact);
      if (block && out.length < count) out.push({ identity: p.file.identity, block });
    }
  }
  return out;
}

function facts(i: number): NoticeFacts {
  return {
    reference: 'INC-2026-0002',
    controller: CONTROLLER,
    dpoContact: DPO,
    period: `${frenchDate(new Date(WINDOW.from).toISOString())} et le ${frenchDate(new Date(WINDOW.to).toISOString())}`,
    classes: [...new Set([...CLASS_SETS[i % CLASS_SETS.length]!, ...(i % 5 === 0 ? REREAD_CLASSES : [])])],
    measures: [
      'Révocation des sessions et jetons des identités compromises (03/09/2026 10:12)',
      'Réinitialisation forcée du mot de passe et des seconds facteurs (03/09/2026 10:40)',
    ],
    date: frenchDate(new Date(WINDOW.to + 5 * DAY).toISOString()),
  };
}

async function benchNotices(): Promise<Array<Array<string | number>>> {
  const people = addressees(LETTERS);
  const asOf = new Date(WINDOW.to + 5 * DAY);
  const letterOf = (p: Addressee, i: number): Letter => noticeLetter(facts(i), p.identity, p.block);
  // Warm-up: fonts, pdfkit's first document.
  await renderLetters(asOf, 'warm-up', SENDER, people.slice(0, 20).map(letterOf));
  let pages = 0;
  let bytes = 0;
  const start = performance.now();
  for (let i = 0; i < people.length; i += LETTER_BATCH) {
    const batch = people.slice(i, i + LETTER_BATCH).map((p, k) => letterOf(p, i + k));
    const rendered = await renderLetters(asOf, `Courriers INC-2026-0002 — lot ${i / LETTER_BATCH + 1}`, SENDER, batch);
    pages += rendered.pages;
    bytes += rendered.content.length;
  }
  const letterSeconds = (performance.now() - start) / 1000;
  // Baseline: the same notices as emails (text only), repeated for a measurable time.
  let emails = 0;
  const emailStart = performance.now();
  while (performance.now() - emailStart < 1000) {
    people.forEach((p, i) => noticeEmail(facts(i), p.identity));
    emails += people.length;
  }
  const emailRate = emails / ((performance.now() - emailStart) / 1000);
  const letterRate = people.length / letterSeconds;
  return [
    [
      `PDF letters (renderLetters, batches of ${LETTER_BATCH})`,
      people.length,
      seconds(letterSeconds * 1000),
      letterRate,
      pages / letterSeconds,
      `${(pages / people.length).toFixed(1)} pages, ${fmt(bytes / people.length / 1024)} KiB`,
      x(emailRate, letterRate),
    ],
    ['emails (noticeEmail, text)', emails, '1.0 s', emailRate, '', '', '1.00×'],
  ];
}

/** The whole notice batch on a seeded store: declare, scope, plan, run (optional part of the issue). */
async function benchNoticeBatch(kind: Kind): Promise<Array<string | number>> {
  const name = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const env = testEnvironment({ backend: kind, schemaPrefix: 'bench' });
  const runtime = await env.open();
  try {
    const db = runtime.database.db;
    await seedDatabase(db, runtime.persons, runtime.keyring, {
      persons: BATCH_PERSONS,
      seed: 11,
      batchSize: 1000,
      parallel: false,
    });
    const decoys = new Set((await db.selectFrom('guard_decoys').select('person_id').execute()).map((r) => r.person_id));
    const persons = (await db.selectFrom('persons').select('id').execute())
      .map((r) => r.id)
      .filter((id) => !decoys.has(id));
    const actor = (await db.selectFrom('actors').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()).id;
    const now = Date.now();
    const at = new Date(now - 3_600_000);
    await appendEvents(
      db,
      persons.map((personId, i) => ({
        kind: 'access_granted' as const,
        input: {
          actorId: actor,
          personId,
          purpose: 'accompagnement',
          caseReference: `DOSSIER-${i}`,
          operation: 'read',
          classes: [...CLASS_SETS[i % CLASS_SETS.length]!],
          at,
        },
      })),
    );
    const by = { accountId: null };
    const incident = await runtime.incidents.declare(
      {
        title: 'Compte de conseiller compromis',
        vector: 'account_takeover',
        description: 'Benchmark',
        compromised: { actors: [actor], organisations: [], clients: [], sessions: [] },
        windowFrom: new Date(now - 2 * 3_600_000),
        windowTo: new Date(now),
        awareAt: new Date(now),
      },
      by,
    );
    const scope = await timed(() => runtime.incidents.scope(incident.id, by));
    if (scope.value.persons.length !== persons.length)
      throw new Error(
        `notice batch on ${name}: ${scope.value.persons.length} persons scoped, expected ${persons.length}`,
      );
    const planned = await timed(() => runtime.incidents.planNotices(incident.id, by));
    const run = await timed(() => runtime.incidents.runNotices(incident.id, by, { batchSize: LETTER_BATCH }));
    const r = run.value;
    if (r.remaining !== 0 || r.failed !== 0 || r.emailsSent + r.lettersPrinted + r.noAddress !== 2 * persons.length)
      throw new Error(`notice batch on ${name}: ${JSON.stringify(r)}`);
    const notices = r.emailsSent + r.lettersPrinted;
    return [
      name,
      persons.length,
      ms(scope.ms),
      ms(planned.ms),
      seconds(run.ms),
      r.batches,
      r.emailsSent,
      r.lettersPrinted,
      r.noAddress,
      notices / (run.ms / 1000),
      r.lettersPrinted / (run.ms / 1000),
    ];
  } finally {
    await runtime.close();
    await env.cleanup();
  }
}

export async function benchIncidents(kinds: readonly Kind[], table: TableFn): Promise<void> {
  const s = synthesize();
  const load: Array<Array<string | number>> = [];
  const radius: Array<Array<string | number>> = [];
  for (const kind of kinds) {
    const figures = await benchStore(kind, s);
    load.push(figures.load);
    radius.push(...figures.radius);
  }
  table(
    `Incidents: a synthetic ledger of ${fmt(EVENTS)} events over 90 days, ${fmt(ACTORS)} actors (written straight into ledger_events, its indexes rebuilt after the load; no Merkle tree)`,
    ['store', 'events', 'body', 'insert', 'rows/s', 'indexes', 'ANALYZE', 'store on disk'],
    load,
  );
  table(
    `Incidents: blast radius (computeBlastRadius) of one compromised actor who read ${fmt(PERSONS)} persons (${fmt(REREADS)} twice) and ${DECOYS_READ} decoys in a 30-day window, median of ${RUNS} runs, vs the indexed SELECT of the same rows alone; goal < 2 s`,
    [
      'store',
      'events matched',
      'persons',
      'decoys',
      'index used',
      'blast radius',
      'runs (ms)',
      'same rows, one SELECT',
      'ratio',
      'count(*) of the ledger',
      'goal met',
    ],
    radius,
  );
  table(
    `Incidents: Art. 34 notices rendered, per second (CPU only), vs the same notices as emails`,
    ['notices', 'count', 'time', 'notices/s', 'pages/s', 'per letter', 'email is faster by'],
    await benchNotices(),
  );
  const batch: Array<Array<string | number>> = [];
  for (const kind of kinds) batch.push(await benchNoticeBatch(kind));
  table(
    `Incidents: the whole notice batch (planNotices + runNotices, batches of ${LETTER_BATCH} notices) after declaring and scoping an incident over a seeded store`,
    [
      'store',
      'persons',
      'scope',
      'plan',
      'run',
      'batches',
      'emails',
      'letters',
      'no address',
      'notices/s',
      'letters/s',
    ],
    batch,
  );
}
