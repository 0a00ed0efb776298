/**
 * `npm run bench`: the price of Rempart's encryption and of its access decisions, each figure
 * next to a baseline measured in the same run. BENCH_PERSONS sets the rotation population
 * (default 100,000); BENCH_PG=0 skips PostgreSQL; BENCH_ONLY=policy runs only the access
 * decision and caseload section (bench/policy.ts, a few seconds); BENCH_ONLY=ledger only the
 * access ledger section (bench/ledger.ts, several minutes: it builds a 10-million-leaf tree);
 * BENCH_ONLY=guard only the guard's overhead per read (bench/guard.ts, under a minute);
 * BENCH_ONLY=bank only the change of bank details (bench/bank.ts, about a minute);
 * BENCH_ONLY=incidents only an incident's blast radius and notices (bench/incidents.ts, several
 * minutes per store: it loads 10 million ledger events; BENCH_INCIDENT_EVENTS sets fewer);
 * BENCH_ONLY=web only the web application's size and serving (bench/web.ts, under a minute);
 * BENCH_ONLY=http only the protected file read over HTTP against a plain server, with autocannon
 * (bench/http-reads.ts, a few minutes per store: it seeds BENCH_HTTP_PERSONS persons, default
 * 20,000; BENCH_HTTP_SECONDS per point, default 5), with the ledger's background verifier off and
 * on under that load and its time to detect a tampered row (BENCH_ONLY=http-verifier: that alone).
 * BENCH_ONLY=retention: the retention purge of BENCH_RETENTION_PERSONS persons (default 100,000) against
 * a plain DELETE of the same rows (bench/retention.ts, a few minutes per store).
 * BENCH_ONLY=imports: registration by import over HTTP, batches of BENCH_IMPORT_BATCH (default 100)
 * up to BENCH_IMPORT_FILES files (default 1,000) per store, against the bootstrap API creating the
 * same files one by one (bench/imports.ts, under a minute per store).
 * BENCH_ONLY=capacity: PostgreSQL at 1 and 10 million persons and 10 million ledger events, for
 * docs/capacity.md (bench/capacity.ts; over an hour the first time, its store kept between runs).
 * It is not part of the full run.
 * Figures vary with the machine: compare ratios, not absolutes.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { Keyring, openField, rewrapDataKey, sealField } from '../src/crypto/index.ts';
import { FIELD_CLASSES, type FieldClass } from '../src/domain/field-classes.ts';
import type { PersonFile } from '../src/domain/person.ts';
import type { Runtime } from '../src/runtime/index.ts';
import { buildServer, createLogger, requireSession } from '../src/api/index.ts';
import { ARGON2_OPTIONS, createAccount, hashPassword, verifyPassword } from '../src/identity/index.ts';
import { generateChunk, CHUNK_SIZE } from '../src/seed/population.ts';
import { seedDatabase } from '../src/seed/index.ts';
import { rewrapDataKeys, type Schema } from '../src/store/index.ts';
import { PG_URL, testEnvironment } from '../test/helpers/backend.ts';
import { benchLedger } from './ledger.ts';
import { benchGuard } from './guard.ts';
import { benchBank } from './bank.ts';
import { benchIncidents } from './incidents.ts';
import { benchWeb } from './web.ts';
import { benchHttp, benchHttpVerifier } from './http-reads.ts';
import { benchCapacity } from './capacity.ts';
import { benchRetention } from './retention.ts';
import { benchImports } from './imports.ts';
import { benchCaseload, benchDecisions, CASELOAD_HEADER, CASELOAD_TITLE } from './policy.ts';

interface BenchSchema extends Schema {
  bench_plain_fields: { person_id: string; field_class: string; value: string };
}

const ROTATION_PERSONS = Number(process.env.BENCH_PERSONS || 100_000);

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function table(title: string, header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  console.log(`\n## ${title}\n`);
  for (const [i, row] of cells.entries()) {
    console.log(
      row.map((c, j) => (j === 0 ? String(c).padEnd(widths[j]!) : String(c).padStart(widths[j]!))).join('  '),
    );
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

/** Operations per second of `fn`, run for about `ms` milliseconds after a warm-up. */
function rate(fn: () => void, ms = 600): number {
  for (let i = 0; i < 2000; i++) fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
  }
  return n / ((performance.now() - start) / 1000);
}

function samplePeople(count: number): Array<{ id: string; file: PersonFile }> {
  const out = [];
  for (let c = 0; c * CHUNK_SIZE < count; c++) out.push(...generateChunk(99, c, count));
  return out.map((p) => ({ id: randomUUID(), file: p.file }));
}

function benchCrypto(): void {
  const keyring = Keyring.generate();
  const person = samplePeople(200).find((p) => p.file.bank && p.file.health) ?? samplePeople(1)[0]!;
  const rawKey = randomBytes(32);
  const rows: Array<Array<string | number>> = [];
  for (const fieldClass of FIELD_CLASSES) {
    const value = person.file[fieldClass] ?? { placeholder: 'x'.repeat(120) };
    const plaintext = Buffer.from(JSON.stringify(value));
    const aad = Buffer.from(`${person.id}${fieldClass}`);
    const rawEncrypt = () => {
      const c = createCipheriv('aes-256-gcm', rawKey, randomBytes(12));
      c.setAAD(aad);
      Buffer.concat([c.update(plaintext), c.final()]);
      c.getAuthTag();
    };
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', rawKey, iv);
    c.setAAD(aad);
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    const tag = c.getAuthTag();
    const rawDecrypt = () => {
      const d = createDecipheriv('aes-256-gcm', rawKey, iv);
      d.setAAD(aad);
      d.setAuthTag(tag);
      Buffer.concat([d.update(body), d.final()]);
    };
    const sealed = sealField(keyring, person.id, fieldClass, plaintext);
    const seal = rate(() => sealField(keyring, person.id, fieldClass, plaintext));
    const raw = rate(rawEncrypt);
    const open = rate(() => openField(keyring, person.id, fieldClass, sealed));
    const rawOpen = rate(rawDecrypt);
    rows.push([
      fieldClass,
      plaintext.length,
      seal,
      raw,
      (raw / seal).toFixed(2) + '×',
      open,
      rawOpen,
      (rawOpen / open).toFixed(2) + '×',
    ]);
  }
  table(
    'Field encryption: envelope (data key + value + key wrap) vs one raw AES-256-GCM operation, ops/s',
    ['class', 'bytes', 'seal', 'raw enc', 'cost', 'open', 'raw dec', 'cost'],
    rows,
  );
}

interface Store {
  name: string;
  runtime: Runtime;
  cleanup(): Promise<void>;
}

async function openStore(kind: 'sqlite' | 'postgres'): Promise<Store> {
  const env = testEnvironment({ backend: kind, schemaPrefix: 'bench' });
  const runtime = await env.open();
  return {
    name: kind === 'postgres' ? 'PostgreSQL' : 'SQLite',
    runtime,
    async cleanup() {
      await runtime.close();
      await env.cleanup();
    },
  };
}

/** The same values in clear, one row per (person, class): the baseline without encryption. */
async function createPlainMirror(db: Kysely<BenchSchema>): Promise<void> {
  await db.schema
    .createTable('bench_plain_fields')
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('field_class', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('bench_plain_pk', ['person_id', 'field_class'])
    .execute();
}

async function insertPlain(db: Kysely<BenchSchema>, people: Array<{ id: string; file: PersonFile }>): Promise<void> {
  const rows = people.flatMap((p) =>
    FIELD_CLASSES.filter((c) => p.file[c] !== undefined).map((c) => ({
      person_id: p.id,
      field_class: c,
      value: JSON.stringify(p.file[c]),
    })),
  );
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 500)
      await trx
        .insertInto('bench_plain_fields')
        .values(rows.slice(i, i + 500))
        .execute();
  });
}

async function benchReads(
  store: Store,
  results: Array<Array<string | number>>,
  seedRows: Array<Array<string | number>>,
): Promise<void> {
  const { runtime } = store;
  const count = 5000;
  const people = samplePeople(count);
  const raw = runtime.database.db as unknown as Kysely<BenchSchema>;
  await createPlainMirror(raw);

  let start = performance.now();
  for (let i = 0; i < people.length; i += 1000) await runtime.persons.createMany(people.slice(i, i + 1000));
  const encryptedInsert = count / ((performance.now() - start) / 1000);
  start = performance.now();
  for (let i = 0; i < people.length; i += 1000) {
    const slice = people.slice(i, i + 1000);
    await raw
      .insertInto('persons')
      .values(
        slice.map((p) => ({ id: `plain-${p.id}`, status: 'active', created_at: '', updated_at: '', erased_at: null })),
      )
      .execute();
    await insertPlain(raw, slice);
  }
  const plainInsert = count / ((performance.now() - start) / 1000);
  seedRows.push([
    `${store.name}, ${fmt(count)} persons`,
    encryptedInsert,
    plainInsert,
    (plainInsert / encryptedInsert).toFixed(2) + '×',
  ]);

  const ids = people.map((p) => p.id);
  const readEncrypted = async (id: string) => runtime.persons.read(id, FIELD_CLASSES);
  const readPlain = async (id: string) => {
    await raw.selectFrom('persons').selectAll().where('id', '=', `plain-${id}`).executeTakeFirstOrThrow();
    const rows = await raw
      .selectFrom('bench_plain_fields')
      .select(['field_class', 'value'])
      .where('person_id', '=', id)
      .execute();
    const file: Record<string, unknown> = {};
    for (const row of rows) file[row.field_class] = JSON.parse(row.value);
    return file;
  };
  const reads = 3000;
  const timeReads = async (fn: (id: string) => Promise<unknown>) => {
    for (let i = 0; i < 300; i++) await fn(ids[(i * 7919) % ids.length]!);
    const t = performance.now();
    for (let i = 0; i < reads; i++) await fn(ids[(i * 104729) % ids.length]!);
    return reads / ((performance.now() - t) / 1000);
  };
  const plain = await timeReads(readPlain);
  const encrypted = await timeReads(readEncrypted);
  results.push([
    store.name,
    encrypted,
    plain,
    (plain / encrypted).toFixed(2) + '×',
    ((1000 / encrypted - 1000 / plain) * 1000).toFixed(0) + ' µs',
  ]);
}

async function benchRotation(
  store: Store,
  persons: number,
  rows: Array<Array<string | number>>,
  seedRows: Array<Array<string | number>>,
): Promise<void> {
  const { runtime } = store;
  let start = performance.now();
  await seedDatabase(runtime.database.db, runtime.persons, runtime.keyring, { persons, seed: 1, batchSize: 2000 });
  const seedRate = persons / ((performance.now() - start) / 1000);
  seedRows.push([
    `${store.name}, seed ${fmt(persons)} persons (network, relationships, worker thread)`,
    seedRate,
    '',
    '',
  ]);

  const keyCount = Number(
    (
      await runtime.database.db
        .selectFrom('person_fields')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  let keyring = runtime.keyring;
  for (const c of FIELD_CLASSES) keyring = keyring.withNewVersion(c);
  start = performance.now();
  let rewrapped = 0;
  for (const c of FIELD_CLASSES) rewrapped += await rewrapDataKeys(runtime.database.db, keyring, c);
  const seconds = (performance.now() - start) / 1000;
  if (rewrapped !== keyCount) throw new Error(`rotation rewrapped ${rewrapped} of ${keyCount} keys`);

  // Baseline: the same unwrap + wrap in memory, no database.
  const sample = await runtime.database.db
    .selectFrom('person_fields')
    .select(['person_id', 'field_class', 'kek_version', 'wrapped_key'])
    .limit(20_000)
    .execute();
  const again = keyring.withNewVersion('identity');
  const t = performance.now();
  for (const row of sample)
    rewrapDataKey(again, row.person_id, row.field_class as FieldClass, {
      kekVersion: row.kek_version,
      wrappedKey: row.wrapped_key,
    });
  const memoryRate = sample.length / ((performance.now() - t) / 1000);
  rows.push([
    `${store.name}, ${fmt(persons)} persons`,
    keyCount,
    seconds.toFixed(1) + ' s',
    keyCount / seconds,
    memoryRate,
    (memoryRate / (keyCount / seconds)).toFixed(2) + '×',
  ]);
}

/**
 * Logins per second at the chosen argon2id cost, and what validating a session adds to a
 * request, next to the same request without authentication.
 */
async function benchAuth(
  store: Store,
  loginRows: Array<Array<string | number>>,
  sessionRows: Array<Array<string | number>>,
): Promise<void> {
  const { runtime } = store;
  const db = runtime.database.db;
  const password = 'cheval agrafe pile correcte';
  await createAccount(db, { kind: 'job_seeker', login: 'bench@demo.rempart.example', password });
  const app = await buildServer(runtime, createLogger('silent'));
  app.get('/bench/open', async () => ({ ok: true }));
  app.get('/bench/authenticated', { onRequest: requireSession(db) }, async () => ({ ok: true }));
  const client = { remoteAddress: '192.0.2.1', headers: { 'user-agent': 'bench', 'accept-language': 'fr' } };
  try {
    const hashStart = performance.now();
    const stored = await hashPassword(password);
    const hashMs = performance.now() - hashStart;
    const verifies = 40;
    let t = performance.now();
    await Promise.all(Array.from({ length: verifies }, () => verifyPassword(stored, password)));
    const verifyRate = verifies / ((performance.now() - t) / 1000);

    const logins = 60;
    let cookie = '';
    t = performance.now();
    for (let i = 0; i < logins; i += 4) {
      const batch = await Promise.all(
        Array.from({ length: 4 }, () =>
          app.inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { login: 'bench@demo.rempart.example', password },
            ...client,
          }),
        ),
      );
      if (batch.some((r) => r.statusCode !== 200)) throw new Error(`login failed: ${batch[0]!.body}`);
      cookie = String(batch[0]!.headers['set-cookie']).split(';')[0]!;
    }
    const loginRate = logins / ((performance.now() - t) / 1000);
    const { memoryCost, timeCost, parallelism } = ARGON2_OPTIONS;
    loginRows.push([
      store.name,
      `argon2id m=${memoryCost} KiB, t=${timeCost}, p=${parallelism}`,
      hashMs.toFixed(0) + ' ms',
      verifyRate,
      loginRate,
    ]);

    const perRequest = async (url: string, headers: Record<string, string>) => {
      for (let i = 0; i < 200; i++)
        await app.inject({ method: 'GET', url, ...client, headers: { ...client.headers, ...headers } });
      const n = 2000;
      const start = performance.now();
      for (let i = 0; i < n; i++)
        await app.inject({ method: 'GET', url, ...client, headers: { ...client.headers, ...headers } });
      return ((performance.now() - start) / n) * 1000;
    };
    const open = await perRequest('/bench/open', {});
    const authenticated = await perRequest('/bench/authenticated', { cookie });
    sessionRows.push([
      store.name,
      open.toFixed(0) + ' µs',
      authenticated.toFixed(0) + ' µs',
      (authenticated - open).toFixed(0) + ' µs',
      (authenticated / open).toFixed(2) + '×',
    ]);
  } finally {
    await app.close();
  }
}

async function postgresAvailable(): Promise<boolean> {
  if (process.env.BENCH_PG === '0') return false;
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Access decisions in memory, then a caseload page on each store (issue 4). */
async function benchPolicy(kinds: Array<'sqlite' | 'postgres'>): Promise<void> {
  benchDecisions(table);
  const caseloadRows: Array<Array<string | number>> = [];
  for (const kind of kinds) {
    const store = await openStore(kind);
    try {
      await benchCaseload(store.runtime, store.name, caseloadRows);
    } finally {
      await store.cleanup();
    }
  }
  table(CASELOAD_TITLE, CASELOAD_HEADER, caseloadRows);
}

async function main(): Promise<void> {
  console.log(`# Rempart benchmark — node ${process.version}, ${new Date().toISOString()}`);
  const withPg = await postgresAvailable();
  const kinds: Array<'sqlite' | 'postgres'> = withPg ? ['sqlite', 'postgres'] : ['sqlite'];
  if (process.env.BENCH_ONLY === 'policy') {
    await benchPolicy(kinds);
    if (!withPg) console.log('\nPostgreSQL not reachable (or BENCH_PG=0): PostgreSQL figures skipped.');
    return;
  }
  if (process.env.BENCH_ONLY === 'guard') {
    await benchGuard(kinds, table);
    if (!withPg) console.log('\nPostgreSQL not reachable (or BENCH_PG=0): PostgreSQL figures skipped.');
    return;
  }
  if (process.env.BENCH_ONLY === 'bank') {
    await benchBank(kinds, table);
    if (!withPg) console.log('\nPostgreSQL not reachable (or BENCH_PG=0): PostgreSQL figures skipped.');
    return;
  }
  if (process.env.BENCH_ONLY === 'ledger') {
    await benchLedger(kinds, table, openStore);
    if (!withPg) console.log('\nPostgreSQL not reachable (or BENCH_PG=0): PostgreSQL figures skipped.');
    return;
  }
  if (process.env.BENCH_ONLY === 'incidents') {
    await benchIncidents(kinds, table);
    if (!withPg) console.log('\nPostgreSQL not reachable (or BENCH_PG=0): PostgreSQL figures skipped.');
    return;
  }
  if (process.env.BENCH_ONLY === 'web') {
    await benchWeb(table);
    return;
  }
  if (process.env.BENCH_ONLY === 'http-verifier') {
    await benchHttpVerifier(kinds, table);
    if (!withPg) console.log('\nPostgreSQL not reachable (or BENCH_PG=0): PostgreSQL figures skipped.');
    return;
  }
  if (process.env.BENCH_ONLY === 'capacity') {
    if (!withPg) throw new Error('BENCH_ONLY=capacity measures a PostgreSQL store: PostgreSQL is not reachable');
    await benchCapacity(table);
    return;
  }
  if (process.env.BENCH_ONLY === 'retention') {
    await benchRetention(kinds, table);
    if (!withPg) console.log('\nPostgreSQL not reachable (or BENCH_PG=0): PostgreSQL figures skipped.');
    return;
  }
  if (process.env.BENCH_ONLY === 'imports') {
    await benchImports(kinds, table);
    if (!withPg) console.log('\nPostgreSQL not reachable (or BENCH_PG=0): PostgreSQL figures skipped.');
    return;
  }
  if (process.env.BENCH_ONLY === 'http') {
    await benchHttp(kinds, table);
    if (!withPg) console.log('\nPostgreSQL not reachable (or BENCH_PG=0): PostgreSQL figures skipped.');
    return;
  }
  benchCrypto();
  const readRows: Array<Array<string | number>> = [];
  const seedRows: Array<Array<string | number>> = [];
  for (const kind of kinds) {
    const store = await openStore(kind);
    try {
      await benchReads(store, readRows, seedRows);
    } finally {
      await store.cleanup();
    }
  }
  table(
    'Reading one whole person (11 classes decrypted) vs the same values stored in clear, reads/s',
    ['store', 'encrypted', 'plaintext', 'cost', 'added per read'],
    readRows,
  );

  const loginRows: Array<Array<string | number>> = [];
  const sessionRows: Array<Array<string | number>> = [];
  for (const kind of kinds) {
    const store = await openStore(kind);
    try {
      await benchAuth(store, loginRows, sessionRows);
    } finally {
      await store.cleanup();
    }
  }
  table(
    'Password logins (OWASP: argon2id m=19456 KiB, t=2, p=1 at least)',
    ['store', 'parameters', 'one hash', 'verifies/s', 'logins/s'],
    loginRows,
  );
  table(
    'Session validation per request (in-process requests, no network)',
    ['store', 'no authentication', 'with session', 'added', 'ratio'],
    sessionRows,
  );

  const rotationRows: Array<Array<string | number>> = [];
  for (const kind of kinds) {
    const store = await openStore(kind);
    try {
      await benchRotation(
        store,
        kind === 'sqlite'
          ? ROTATION_PERSONS
          : Math.min(ROTATION_PERSONS, Number(process.env.BENCH_PG_PERSONS || 20_000)),
        rotationRows,
        seedRows,
      );
    } finally {
      await store.cleanup();
    }
  }
  table(
    'Writing persons, persons/s (encrypted vs the same values in clear)',
    ['store', 'encrypted', 'plaintext', 'cost'],
    seedRows,
  );
  table(
    'Key rotation: data keys rewrapped per second (vs the same rewrap in memory)',
    ['store', 'data keys', 'time', 'keys/s', 'in memory/s', 'db overhead'],
    rotationRows,
  );
  await benchPolicy(kinds);
  await benchGuard(kinds, table);
  await benchBank(kinds, table);
  await benchImports(kinds, table);
  await benchLedger(kinds, table, openStore);
  await benchIncidents(kinds, table);
  await benchWeb(table);
  await benchHttp(kinds, table);
  if (!withPg) console.log('\nPostgreSQL not reachable (or BENCH_PG=0): PostgreSQL figures skipped.');
}

await main();
