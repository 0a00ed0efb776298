/**
 * The protected file read over real HTTP (issue 18): `GET /api/staff/persons/:id` on the real
 * Rempart server (`rempart start`, a child process) against a plain Fastify + Kysely server (a
 * second child process, bench/plain-server.ts) serving the same fields in clear from the same
 * database, with no authentication, policy, guard, ledger or encryption. autocannon drives both
 * at 1, 8 and 32 connections from this process. On PostgreSQL, the same load at 32 connections
 * against two Rempart processes sharing the database. Then the SQL statements one steady-state
 * read issues, counted by wrapping the drivers (in-process, same runtime).
 *
 * Each protected request is one of 12 counsellors (its own cookie, signed in with password and
 * TOTP from 127.0.0.1 with the headers autocannon sends) reading a person of its own caseload
 * under its agency's `accompagnement` purpose; each counsellor cycles through BENCH_HTTP_DISTINCT
 * persons (default 15), under the guard's limits, so the guard admits every read.
 *
 * BENCH_HTTP_PERSONS (default 20,000) persons seeded; BENCH_HTTP_SECONDS (default 5) per point,
 * after BENCH_HTTP_WARMUP seconds (default 2) of the same load.
 *
 * Then the ledger's background verifier (issue 20), in the same run: the same protected load at 8
 * connections on Rempart with the verifier off; on with the defaults (incremental every 5 s,
 * whole log every 15 minutes, measured after the first whole pass); on with the whole log gone
 * through back to back at the default pace (¼ core; REMPART_LEDGER_FULL_VERIFY_SECONDS=1, its
 * worst case); and back to back unpaced; reads/s side by side, rounds in turn; then the time from
 * a row tampered under the running server to its readiness answering 503
 * (BENCH_ONLY=http-verifier runs this part alone; BENCH_HTTP_VERIFIER=0 leaves it out; the log is
 * first topped up to BENCH_HTTP_LEDGER_EVENTS events, default 200,000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { buildServer, createLogger } from '../src/api/index.ts';
import { DEMO_PASSWORD, ensureDemoAccounts } from '../src/cli/commands/demo-accounts.ts';
import { runSeed } from '../src/cli/commands/seed.ts';
import type { FieldClass } from '../src/domain/index.ts';
import { budgetFor, organisationSoftLimit, SIGNAL_THRESHOLDS } from '../src/guard/profiles.ts';
import type { Runtime } from '../src/runtime/index.ts';
import { NETWORK } from '../src/seed/index.ts';
import { appendEvents } from '../src/ledger/index.ts';
import { groupCommitOf, type Schema } from '../src/store/index.ts';
import { PG_URL, testEnvironment, type TestEnvironment } from '../test/helpers/backend.ts';
import { signIn } from '../test/helpers/sign-in.ts';
import { driverSettings } from './http-driver.ts';
import type { TableFn } from './policy.ts';

const PERSONS = Number(process.env.BENCH_HTTP_PERSONS || 20_000);
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS || 5);
const WARMUP = Number(process.env.BENCH_HTTP_WARMUP || 2);
const DISTINCT = Number(process.env.BENCH_HTTP_DISTINCT || 15);
const COUNSELLORS = 12;
const CONCURRENCY = [1, 8, 32];
const SEED = 1;
/** Staff accounts as an established network has them: older than the guard's "new account" window. */
export const ACCOUNT_AGE_DAYS = 120;
const ROOT = new URL('../', import.meta.url).pathname;

/** The client every request comes from: the sign-in and autocannon alike (the session is bound to both). */
export const CLIENT_ADDRESS = '127.0.0.1';
export const CLIENT_HEADERS: Record<string, string> = {
  'user-agent': 'rempart-bench/1.0 (autocannon)',
  'accept-language': 'fr-FR,fr;q=0.9',
};

interface BenchSchema extends Schema {
  bench_plain_persons: { id: string; file: string };
}

export interface Counsellor {
  login: string;
  actorId: string;
  organisationId: string;
  cookie: string;
  purpose: string;
  classes: FieldClass[];
  /** Persons of its own caseload it re-reads, in turn. */
  persons: string[];
}

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
  /** CPU time (user + system, all threads) the server process spent per 2xx answer, in ms; NaN where /proc is missing. */
  cpuPerAnswer: number;
  /** The same for this process, where autocannon runs. */
  driverCpuPerAnswer: number;
  /** The first non-200 answers (status and start of the body). */
  samples: string[];
}

export type Next = () => { path: string; headers: Record<string, string> };

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => n.toFixed(n < 10 ? 2 : 1);
const cpuMs = (n: number) => (Number.isNaN(n) ? '—' : n.toFixed(3));
const ratio = (n: number) => `${n.toFixed(n < 0.1 ? 3 : 2)}×`;

// ---------------------------------------------------------------------------------------------
// Child processes: started here, ended here, whatever happens.

export interface Child {
  name: string;
  process: ChildProcess;
  origin: string;
  /** The last lines it printed, shown when something goes wrong. */
  output: string[];
  exited: boolean;
}

const live = new Set<Child>();

export function killAllNow(): void {
  for (const child of live) if (!child.exited) child.process.kill('SIGKILL');
}
process.on('exit', killAllNow);

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, CLIENT_ADDRESS, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function databaseUrl(env: TestEnvironment): string {
  if (!env.pgSchema) return env.config.databaseUrl;
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${env.pgSchema}`);
  return url.toString();
}

/** What `rempart start` reads from its environment, pointed at this store and keyring. */
export function childEnv(env: TestEnvironment, port: number): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {
    ...process.env,
    REMPART_DATA_DIR: env.dir,
    REMPART_KEYRING_FILE: env.keyringPath,
    DATABASE_URL: databaseUrl(env),
    PORT: String(port),
    HOST: CLIENT_ADDRESS,
    LOG_LEVEL: 'warn',
    REMPART_DEMO_PERSONS: '0',
    REMPART_PUBLIC_URL: env.config.publicUrl,
  };
  delete out.REMPART_KEYRING;
  return out;
}

export async function startChild(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  readyPath: string,
): Promise<Child> {
  // BENCH_HTTP_PROFILE=<folder>: each Rempart child writes a V8 CPU profile there when it exits.
  const profile =
    process.env.BENCH_HTTP_PROFILE && name.startsWith('rempart')
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_HTTP_PROFILE}`]
      : [];
  const proc = spawn(process.execPath, [...profile, '--import', 'tsx', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child: Child = { name, process: proc, origin: `http://${CLIENT_ADDRESS}:${port}`, output: [], exited: false };
  live.add(child);
  const keep = (chunk: Buffer) => {
    child.output.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((l) => l.trim()),
    );
    if (child.output.length > 40) child.output.splice(0, child.output.length - 40);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  proc.once('exit', () => {
    child.exited = true;
    live.delete(child);
  });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exited)
      throw new Error(`${name} exited before answering (exit ${proc.exitCode}):\n${child.output.join('\n')}`);
    try {
      const res = await fetch(child.origin + readyPath, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return child;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await stopChild(child);
  throw new Error(`${name} did not answer ${readyPath} within 120 s:\n${child.output.join('\n')}`);
}

export async function stopChild(child: Child): Promise<void> {
  if (child.exited) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!killed) {
    child.process.kill('SIGKILL');
    await Promise.race([exited, sleep(5000)]);
  }
}

// ---------------------------------------------------------------------------------------------
// Load.

/** One autocannon run; `onResponse` sees every response's status and latency (ms, not rounded). */
function runAutocannon(
  options: autocannon.Options,
  seconds: number,
  onResponse: (status: number, ms: number) => void,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    let guard: NodeJS.Timeout | undefined = undefined;
    const instance = autocannon(options, (error: unknown, result: autocannon.Result) => {
      clearTimeout(guard);
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(result);
    });
    // The instance emits (client, statusCode, bytes, responseTime); its typings leave the client out.
    (
      instance as unknown as {
        on(event: 'response', listener: (client: unknown, status: number, bytes: number, time: number) => void): void;
      }
    ).on('response', (_client, status, _bytes, time) => onResponse(status, time));
    // autocannon stops itself after `duration`; this bounds a run that would not.
    guard = setTimeout(() => instance.stop(), (seconds + 30) * 1000);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** CPU time (user + system, every thread) a process has used so far, in ms, from Linux's /proc; NaN elsewhere. */
export function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (in parentheses, which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
/** Linux's USER_HZ, as /proc counts it. */
const CLOCK_TICKS = 100;

/** `connections` connections for `seconds` against `server`, each request the next of `next`; counts every status and the CPU it took. */
export async function load(server: Child, connections: number, seconds: number, next: Next): Promise<Load> {
  const origin = server.origin;
  const cpuBefore = processCpuMs(server.process.pid);
  const driverBefore = process.cpuUsage();
  const samples: string[] = [];
  // autocannon's own histogram keeps whole milliseconds: the plain server's answers take less.
  const latencies: number[] = [];
  const result = await runAutocannon(
    {
      url: origin,
      connections,
      pipelining: 1,
      duration: seconds,
      timeout: 30,
      headers: CLIENT_HEADERS,
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => {
            const n = next();
            return { ...request, path: n.path, headers: { ...request.headers, ...n.headers } };
          },
          onResponse: (status, body) => {
            if (status !== 200 && samples.length < 5) samples.push(`${status} ${String(body).slice(0, 160)}`);
          },
        },
      ],
    },
    seconds,
    (_status, time) => latencies.push(time),
  );
  const cpu = processCpuMs(server.process.pid) - cpuBefore;
  const driver = process.cpuUsage(driverBefore);
  latencies.sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = stat.count ?? 0;
  return {
    rps: result['2xx'] / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    cpuPerAnswer: cpu / Math.max(1, result['2xx']),
    driverCpuPerAnswer: (driver.user + driver.system) / 1000 / Math.max(1, result['2xx']),
    samples,
  };
}

const caseReference = (counsellor: number, person: number) => `BENCH-${counsellor + 1}-${person + 1}`;

/** Each request the next counsellor in turn, reading the next person of its own caseload. */
export function protectedCycle(counsellors: readonly Counsellor[], indexOf: (c: Counsellor) => number): Next {
  let k = 0;
  return () => {
    const c = counsellors[k % counsellors.length]!;
    const j = Math.floor(k / counsellors.length) % c.persons.length;
    k++;
    return {
      path: `/api/staff/persons/${c.persons[j]}`,
      headers: {
        cookie: c.cookie,
        'rempart-purpose': c.purpose,
        'rempart-case-reference': caseReference(indexOf(c), j),
      },
    };
  };
}

/** The same sequence of persons, on the plain server. */
function plainCycle(counsellors: readonly Counsellor[]): Next {
  let k = 0;
  return () => {
    const c = counsellors[k % counsellors.length]!;
    const j = Math.floor(k / counsellors.length) % c.persons.length;
    k++;
    return { path: `/persons/${c.persons[j]}`, headers: {} };
  };
}

function problems(l: Load): string {
  if (l.non2xx === 0 && l.errors === 0 && l.timeouts === 0) return '0';
  return `${l.non2xx}/${l.errors}/${l.timeouts}`;
}

function reportProblems(what: string, l: Load): void {
  if (l.non2xx === 0 && l.errors === 0 && l.timeouts === 0) return;
  const codes = Object.entries(l.statuses)
    .map(([code, n]) => `${code}×${n}`)
    .join(', ');
  console.log(
    `  !! ${what}: ${l.non2xx} non-2xx, ${l.errors} errors, ${l.timeouts} timeouts of ${fmt(l.requests)} requests (statuses: ${codes})`,
  );
  for (const s of l.samples) console.log(`     ${s}`);
}

// ---------------------------------------------------------------------------------------------
// The store: seeded as the demo is, counsellors signed in, the plain copy.

export async function pickCounsellors(
  runtime: Runtime,
): Promise<Array<Omit<Counsellor, 'cookie' | 'purpose' | 'classes'>>> {
  const db = runtime.database.db;
  const today = new Date().toISOString().slice(0, 10);
  const staff = await db
    .selectFrom('actors')
    .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
    .select(['actors.id', 'actors.login', 'actors.roles', 'actors.organisation_id'])
    .where('actors.status', '=', 'active')
    .where('organisations.kind', '=', 'agency')
    .orderBy('actors.login')
    .execute();
  const chosen = [];
  for (const actor of staff.filter((a) => (JSON.parse(a.roles) as string[]).includes('counsellor'))) {
    // Its own caseload as the policy sees it: current, active persons, never a decoy.
    const rows = await db
      .selectFrom('caseloads')
      .innerJoin('persons', 'persons.id', 'caseloads.person_id')
      .select('caseloads.person_id')
      .where('caseloads.actor_id', '=', actor.id)
      .where('persons.status', '=', 'active')
      .where((eb) => eb.or([eb('caseloads.until', 'is', null), eb('caseloads.until', '>=', today)]))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('guard_decoys')
              .select('guard_decoys.person_id')
              .whereRef('guard_decoys.person_id', '=', 'caseloads.person_id'),
          ),
        ),
      )
      .orderBy('caseloads.since')
      .orderBy('caseloads.person_id')
      .limit(DISTINCT)
      .execute();
    if (rows.length === 0) continue;
    chosen.push({
      login: actor.login,
      actorId: actor.id,
      organisationId: actor.organisation_id,
      persons: rows.map((r) => r.person_id),
    });
    if (chosen.length === COUNSELLORS) break;
  }
  if (chosen.length < COUNSELLORS)
    throw new Error(`only ${chosen.length} counsellors with a caseload (wanted ${COUNSELLORS})`);
  return chosen;
}

/** The counsellors' accounts dated ACCOUNT_AGE_DAYS back, as an established network's are (the guard treats new accounts apart). */
export async function ageAccounts(runtime: Runtime, picked: ReadonlyArray<{ actorId: string }>): Promise<void> {
  const aged = new Date(Date.now() - ACCOUNT_AGE_DAYS * 86_400_000).toISOString();
  await runtime.database.db
    .updateTable('accounts')
    .set({ created_at: aged, password_changed_at: aged })
    .where(
      'actor_id',
      'in',
      picked.map((c) => c.actorId),
    )
    .execute();
}

/** Sign each counsellor in (password, then TOTP enrolment) from the benchmark's client; its caseload purpose. */
export async function signInCounsellors(
  runtime: Runtime,
  picked: Awaited<ReturnType<typeof pickCounsellors>>,
): Promise<Counsellor[]> {
  const app = await buildServer(runtime, createLogger('silent'));
  const client = { remoteAddress: CLIENT_ADDRESS, headers: CLIENT_HEADERS };
  try {
    const out: Counsellor[] = [];
    for (const c of picked) {
      const session = await signIn(app, client, c.login, DEMO_PASSWORD);
      const res = await app.inject({
        method: 'GET',
        url: '/api/staff/profile',
        remoteAddress: CLIENT_ADDRESS,
        headers: { ...CLIENT_HEADERS, cookie: session.cookie },
      });
      if (res.statusCode !== 200) throw new Error(`profile of ${c.login}: ${res.statusCode} ${res.body}`);
      const purposes = (
        res.json() as { purposes: Array<{ purpose: string; relationship: string; read: FieldClass[] }> }
      ).purposes;
      const purpose = purposes.find((p) => p.relationship === 'caseload');
      if (!purpose)
        throw new Error(`${c.login} has no caseload purpose (${purposes.map((p) => p.purpose).join(', ')})`);
      out.push({ ...c, cookie: session.cookie, purpose: purpose.purpose, classes: purpose.read });
    }
    return out;
  } finally {
    await app.close();
  }
}

/** Every active person's fields of the purpose, decrypted once, in clear: the baseline's table. */
async function fillPlainTable(runtime: Runtime, classes: readonly FieldClass[]): Promise<number> {
  const db = runtime.database.db as unknown as Kysely<BenchSchema>;
  await db.schema
    .createTable('bench_plain_persons')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('file', 'text', (c) => c.notNull())
    .execute();
  const ids = (
    await db
      .selectFrom('persons')
      .select('id')
      .where('status', '=', 'active')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('guard_decoys')
              .select('guard_decoys.person_id')
              .whereRef('guard_decoys.person_id', '=', 'persons.id'),
          ),
        ),
      )
      .execute()
  ).map((r) => r.id);
  for (let i = 0; i < ids.length; i += 250) {
    const records = await Promise.all(ids.slice(i, i + 250).map((id) => runtime.persons.read(id, classes)));
    await db
      .insertInto('bench_plain_persons')
      .values(records.map((r) => ({ id: r.id, file: JSON.stringify(r.fields) })))
      .execute();
  }
  return ids.length;
}

async function getJson(url: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body };
}

/** One read per counsellor on both servers: 200 everywhere and the same fields, or the benchmark stops. */
async function checkSameAnswers(rempart: Child, plain: Child, counsellors: readonly Counsellor[]): Promise<void> {
  for (const [i, c] of counsellors.entries()) {
    const personId = c.persons[0]!;
    const guarded = await getJson(`${rempart.origin}/api/staff/persons/${personId}`, {
      ...CLIENT_HEADERS,
      cookie: c.cookie,
      'rempart-purpose': c.purpose,
      'rempart-case-reference': caseReference(i, 0),
    });
    if (guarded.status !== 200)
      throw new Error(
        `${c.login} reading ${personId} on Rempart: ${guarded.status} ${JSON.stringify(guarded.body).slice(0, 300)}\n${rempart.output.join('\n')}`,
      );
    const clear = await getJson(`${plain.origin}/persons/${personId}`, {});
    if (clear.status !== 200) throw new Error(`plain server reading ${personId}: ${clear.status}`);
    const fieldsOf = (b: unknown) => (b as { fields: unknown }).fields;
    if (!isDeepStrictEqual(fieldsOf(guarded.body), fieldsOf(clear.body)))
      throw new Error(`the plain server does not serve the same fields as Rempart for ${personId}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Round trips of one read, counted at the drivers.

interface Recorder {
  on: boolean;
  statements: string[];
  checkouts: number;
}

type Patchable = Record<string, unknown>;
type AnyFn = (...args: unknown[]) => unknown;

/** Every better-sqlite3 statement executed (run/all/get/iterate), and Database.exec. */
function hookSqlite(rec: Recorder): () => void {
  const probe = new SqliteDatabase(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as Patchable;
  const databaseProto = Object.getPrototypeOf(probe) as Patchable;
  probe.close();
  const restore: Array<() => void> = [];
  const wrap = (proto: Patchable, name: string, text: (self: unknown, args: unknown[]) => string) => {
    const original = proto[name] as AnyFn;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      if (rec.on) rec.statements.push(text(this, args));
      return original.apply(this, args);
    };
    restore.push(() => (proto[name] = original));
  };
  for (const method of ['run', 'all', 'get', 'iterate'])
    wrap(statementProto, method, (self) => String((self as { source?: string }).source));
  wrap(databaseProto, 'exec', (_self, args) => String(args[0]));
  return () => restore.forEach((r) => r());
}

/** Every pg Client.query (BEGIN and COMMIT included), and the pool's checkouts ('acquire' events). */
function hookPostgres(rec: Recorder): () => void {
  const clientProto = pg.Client.prototype as unknown as Patchable;
  const query = clientProto.query as AnyFn;
  clientProto.query = function (this: unknown, ...args: unknown[]) {
    if (rec.on)
      rec.statements.push(
        typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string } | undefined)?.text),
      );
    return query.apply(this, args);
  };
  // The pool sits inside Kysely's dialect: found the first time it hands out a connection.
  const poolProto = pg.Pool.prototype as unknown as Patchable;
  const ownConnect = Object.hasOwn(poolProto, 'connect');
  const connect = poolProto.connect as AnyFn;
  const pools = new Set<pg.Pool>();
  const onAcquire = () => {
    if (rec.on) rec.checkouts++;
  };
  poolProto.connect = function (this: pg.Pool, ...args: unknown[]) {
    if (!pools.has(this)) {
      pools.add(this);
      this.on('acquire', onAcquire);
    }
    return connect.apply(this, args);
  };
  return () => {
    clientProto.query = query;
    if (ownConnect) poolProto.connect = connect;
    else delete poolProto.connect;
    for (const pool of pools) pool.off('acquire', onAcquire);
  };
}

interface RoundTrips {
  statements: string[];
  /** Group commits the read waited for (on SQLite they run on the writer thread, unseen by the statement hook). */
  groupCommits: number;
  after: string[];
  checkouts: number | undefined;
}

/** The statements of one steady-state read (the same counsellor read the same person just before). */
async function countRoundTrips(runtime: Runtime, c: Counsellor, index: number): Promise<RoundTrips> {
  const postgres = runtime.database.flavour === 'postgres';
  const rec: Recorder = { on: false, statements: [], checkouts: 0 };
  const unhook = postgres ? hookPostgres(rec) : hookSqlite(rec);
  const app = await buildServer(runtime, createLogger('error'));
  try {
    const read = async () => {
      const res = await app.inject({
        method: 'GET',
        url: `/api/staff/persons/${c.persons[0]}`,
        remoteAddress: CLIENT_ADDRESS,
        headers: {
          ...CLIENT_HEADERS,
          cookie: c.cookie,
          'rempart-purpose': c.purpose,
          'rempart-case-reference': caseReference(index, 0),
        },
      });
      if (res.statusCode !== 200) throw new Error(`round-trip read: ${res.statusCode} ${res.body}`);
    };
    await read();
    await read();
    const commitsBefore = groupCommitOf(runtime.database.db).commits;
    rec.on = true;
    await read();
    const groupCommits = groupCommitOf(runtime.database.db).commits - commitsBefore;
    const statements = rec.statements.splice(0);
    const checkouts = rec.checkouts;
    // Anything the read left running (a group commit, an alert) shows up here.
    await sleep(300);
    rec.on = false;
    return { statements, groupCommits, after: rec.statements.splice(0), checkouts: postgres ? checkouts : undefined };
  } finally {
    unhook();
    await app.close();
  }
}

const clip = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 60);

// ---------------------------------------------------------------------------------------------

function guardLimits(counsellors: readonly Counsellor[]): string {
  const purpose = counsellors[0]!.purpose;
  const rule = NETWORK.flatMap((o) => o.agreement.purposes).find((p) => p.purpose === purpose);
  const ceiling = rule?.dailyCeiling ?? Number.POSITIVE_INFINITY;
  const budget = budgetFor(['counsellor'], ceiling);
  const perAgency = new Map<string, number>();
  for (const c of counsellors)
    perAgency.set(c.organisationId, (perAgency.get(c.organisationId) ?? 0) + c.persons.length);
  const agencyMax = Math.max(...perAgency.values());
  const most = Math.max(...counsellors.map((c) => c.persons.length));
  const under =
    most < budget.hour.soft && agencyMax < organisationSoftLimit(ceiling) && most < SIGNAL_THRESHOLDS.noFollowUpPersons;
  return (
    `each counsellor re-reads ${most} distinct persons of its own caseload (${counsellors.reduce((n, c) => n + c.persons.length, 0)} in all): ` +
    `under the counsellor's hourly soft limit (${budget.hour.soft}; hard ${budget.hour.hard}), the agency's daily soft ceiling for « ${purpose} » ` +
    `(${organisationSoftLimit(ceiling)}; at most ${agencyMax} per agency here) and the no-follow-up signal (${SIGNAL_THRESHOLDS.noFollowUpPersons})` +
    (under ? '' : ' — NOT all under: expect refusals') +
    `; accounts dated ${ACCOUNT_AGE_DAYS} days back, as an established network's are (a ${SIGNAL_THRESHOLDS.newAccountDays}-day-old account reading ${SIGNAL_THRESHOLDS.newAccountBurst} persons in an hour is contained)`
  );
}

async function benchStore(
  kind: 'sqlite' | 'postgres',
  table: TableFn,
  sections: { main: boolean; verifier: boolean } = { main: true, verifier: true },
): Promise<void> {
  const name = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const env = testEnvironment({ backend: kind, schemaPrefix: 'bench' });
  const runtime = await env.open();
  const children: Child[] = [];
  const start = async (label: string, args: string[], readyPath: string, extra: NodeJS.ProcessEnv = {}) => {
    const port = await freePort();
    const child = await startChild(label, args, { ...childEnv(env, port), ...extra }, port, readyPath);
    children.push(child);
    return child;
  };
  const interrupted = () => {
    killAllNow();
    // The store is dropped on the way out, if that is quick.
    void Promise.race([env.cleanup(), sleep(5000)]).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    console.log(`\n### ${name}: seeding ${fmt(PERSONS)} persons …`);
    let t = performance.now();
    // As `rempart start` seeds its demo: the network, the population with its caseloads, decoys, the bank index, staff accounts.
    await runSeed(runtime, { persons: PERSONS, seed: SEED, batch: 2000 }, true);
    if (await runtime.bank.indexMissing()) await runtime.persons.reindex(['iban', 'household']);
    await ensureDemoAccounts(runtime, SEED);
    const seeded = (performance.now() - t) / 1000;

    const picked = await pickCounsellors(runtime);
    await ageAccounts(runtime, picked);
    const counsellors = await signInCounsellors(runtime, picked);
    const indexOf = (c: Counsellor) => counsellors.indexOf(c);
    t = performance.now();
    const plainRows = await fillPlainTable(runtime, counsellors[0]!.classes);
    const filled = (performance.now() - t) / 1000;
    console.log(
      `${fmt(PERSONS)} persons seeded in ${seeded.toFixed(1)} s; ${counsellors.length} counsellors signed in (password + TOTP enrolment) from ${CLIENT_ADDRESS}; ` +
        `bench_plain_persons: ${fmt(plainRows)} files decrypted into clear (classes of « ${counsellors[0]!.purpose} »: ${counsellors[0]!.classes.join(', ')}) in ${filled.toFixed(1)} s.`,
    );
    console.log(guardLimits(counsellors) + '.');

    if (sections.verifier) await benchVerifier(name, runtime, counsellors, indexOf, start, table);
    if (!sections.main) return;

    const rempart = await start('rempart start', ['src/cli/main.ts', 'start', '--no-demo'], '/api/health');
    const plain = await start('plain server', ['bench/plain-server.ts'], '/health');
    // Rempart's child opens the store with the same runtime code as this process: its settings are these.
    const rempartDriver = await driverSettings(runtime.database);
    const plainDriver = String(((await getJson(`${plain.origin}/health`, {})).body as { driver?: string }).driver);
    console.log(
      `Rempart runs as \`rempart start --no-demo\` (LOG_LEVEL=warn). Database driver settings — Rempart's runtime: ${rempartDriver}; plain server: ${plainDriver}` +
        (rempartDriver === plainDriver ? ' (the same).' : ' — !! NOT THE SAME.'),
    );
    await checkSameAnswers(rempart, plain, counsellors);

    const rows: Array<Array<string | number>> = [];
    const points: Array<{ c: number; guarded: Load; clear: Load }> = [];
    for (const c of CONCURRENCY) {
      reportProblems(
        `protected warm-up, ${c} connections`,
        await load(rempart, c, WARMUP, protectedCycle(counsellors, indexOf)),
      );
      const guarded = await load(rempart, c, SECONDS, protectedCycle(counsellors, indexOf));
      reportProblems(`plain warm-up, ${c} connections`, await load(plain, c, WARMUP, plainCycle(counsellors)));
      const clear = await load(plain, c, SECONDS, plainCycle(counsellors));
      points.push({ c, guarded, clear });
      rows.push([
        String(c),
        guarded.rps,
        ms(guarded.p50),
        ms(guarded.p99),
        clear.rps,
        ms(clear.p50),
        ms(clear.p99),
        ratio(guarded.rps / clear.rps),
        ratio(guarded.p99 / clear.p99),
        cpuMs(guarded.cpuPerAnswer),
        cpuMs(clear.cpuPerAnswer),
        `${cpuMs(guarded.driverCpuPerAnswer)} / ${cpuMs(clear.driverCpuPerAnswer)}`,
        problems(guarded),
        problems(clear),
      ]);
    }
    table(
      `${name}: GET /api/staff/persons/:id (Rempart, one process) vs GET /persons/:id (plain Fastify + Kysely, same database, clear), over HTTP on the loopback, ${SECONDS} s per point after ${WARMUP} s of warm-up, 2xx/s and ms`,
      [
        'connections',
        'protected/s',
        'p50',
        'p99',
        'plain/s',
        'p50',
        'p99',
        'throughput prot./plain',
        'p99 prot./plain',
        'CPU ms/read prot.',
        'CPU ms/read plain',
        'autocannon CPU ms prot./plain',
        'prot. non-2xx/err/timeouts',
        'plain non-2xx/err/timeouts',
      ],
      rows,
    );
    for (const p of points) {
      reportProblems(`protected, ${p.c} connections`, p.guarded);
      reportProblems(`plain, ${p.c} connections`, p.clear);
    }
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(
      `Goal: protected ≥ 0.25 × plain throughput — ${points.map((p) => `${p.c}: ${ratio(p.guarded.rps / p.clear.rps)} ${verdict(p.guarded.rps >= 0.25 * p.clear.rps)}`).join('; ')}`,
    );
    console.log(
      `Goal: protected p99 ≤ 10 × plain p99 — ${points.map((p) => `${p.c}: ${ratio(p.guarded.p99 / p.clear.p99)} ${verdict(p.guarded.p99 <= 10 * p.clear.p99)}`).join('; ')}`,
    );
    const allOk = points.every((p) => p.guarded.non2xx + p.guarded.errors + p.guarded.timeouts === 0);
    console.log(
      allOk
        ? 'Every protected response was 200.'
        : `!! Some protected requests did not answer 200: see above. Rempart's last lines:\n${rempart.output.slice(-15).join('\n')}`,
    );

    if (kind === 'postgres') {
      const second = await start(
        'rempart start (second process)',
        ['src/cli/main.ts', 'start', '--no-demo'],
        '/api/health',
      );
      const one = points.find((p) => p.c === 32)!.guarded;
      const even = counsellors.filter((_, i) => i % 2 === 0);
      const odd = counsellors.filter((_, i) => i % 2 === 1);
      const both = () =>
        Promise.all([
          load(rempart, 16, SECONDS, protectedCycle(even, indexOf)),
          load(second, 16, SECONDS, protectedCycle(odd, indexOf)),
        ]);
      // The second process is fresh: warmed alone first, then both together.
      reportProblems('second process, warm-up alone', await load(second, 16, WARMUP, protectedCycle(odd, indexOf)));
      const warm = await Promise.all([
        load(rempart, 16, WARMUP, protectedCycle(even, indexOf)),
        load(second, 16, WARMUP, protectedCycle(odd, indexOf)),
      ]);
      warm.forEach((w, i) => reportProblems(`two processes, warm-up of the ${i === 0 ? 'first' : 'second'}`, w));
      const [a, b] = await both();
      const total = a.rps + b.rps;
      table(
        `${name}: the same protected load at 32 connections, one Rempart process vs two on the same database (16 connections each, counsellors split between them)`,
        ['servers', 'protected/s', 'p50', 'p99', 'non-2xx/err/timeouts'],
        [
          ['one process, 32 connections (above)', one.rps, ms(one.p50), ms(one.p99), problems(one)],
          ['two processes: first (6 counsellors)', a.rps, ms(a.p50), ms(a.p99), problems(a)],
          ['two processes: second (6 counsellors)', b.rps, ms(b.p50), ms(b.p99), problems(b)],
          [
            'two processes: total',
            total,
            '',
            '',
            `${a.non2xx + b.non2xx}/${a.errors + b.errors}/${a.timeouts + b.timeouts}`,
          ],
        ],
      );
      reportProblems('two processes, first', a);
      reportProblems('two processes, second', b);
      console.log(
        `Goal: two processes ≥ 1.6 × one process — ${ratio(total / one.rps)} ${verdict(total >= 1.6 * one.rps)}`,
      );
    }

    for (const child of children.splice(0)) await stopChild(child);
    const trips = await countRoundTrips(runtime, counsellors[0]!, 0);
    console.log(
      `\n${name}: one steady-state GET /api/staff/persons/:id (in-process, same runtime, after two reads of the same person by the same counsellor): ` +
        `${trips.statements.length} SQL statements until the response was sent` +
        (trips.checkouts !== undefined ? `, ${trips.checkouts} pool checkout${trips.checkouts === 1 ? '' : 's'}` : '') +
        `; ${trips.after.length} more within 300 ms after it` +
        (kind === 'sqlite'
          ? `; and ${trips.groupCommits} group commit${trips.groupCommits === 1 ? '' : 's'} on the writer thread (BEGIN IMMEDIATE, the counters, the event, COMMIT), shared with concurrent reads.`
          : '.'),
    );
    for (const [i, s] of trips.statements.entries()) console.log(`  ${String(i + 1).padStart(2)}. ${clip(s)}`);
    for (const [i, s] of trips.after.entries()) console.log(`  after ${i + 1}. ${clip(s)}`);
  } finally {
    for (const child of children) await stopChild(child);
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await runtime.close();
    await env.cleanup();
  }
}

function autocannonVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(new URL('../node_modules/autocannon/package.json', import.meta.url), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return '(version unknown)';
  }
}

/**
 * The ledger's background verifier under the read load (issue 20): reads/s with it off and on, in
 * the same run, and the time it takes to notice a row tampered under a running server.
 */
async function benchVerifier(
  name: string,
  runtime: Runtime,
  counsellors: Counsellor[],
  indexOf: (c: Counsellor) => number,
  start: (label: string, args: string[], readyPath: string, extra?: NodeJS.ProcessEnv) => Promise<Child>,
  table: TableFn,
): Promise<void> {
  const db = runtime.database.db;
  // A log of some size, as a server in service has (the seeding writes few events): synthetic reads, integrated and signed.
  const target = Number(process.env.BENCH_HTTP_LEDGER_EVENTS || 200_000);
  let t = performance.now();
  for (let n = await runtime.ledger.size(); n < target; n += 5_000) {
    await appendEvents(
      db,
      Array.from({ length: 5_000 }, (_, i) => ({
        kind: 'access_granted' as const,
        input: {
          personId: `bench-${(n + i) % 50_000}`,
          organisationId: 'bench',
          purpose: 'accompagnement',
          caseReference: `BENCH-${n + i}`,
          operation: 'read',
          classes: ['identity', 'contact'],
        },
      })),
    );
  }
  await runtime.ledger.integrate();
  await runtime.ledger.checkpoint();
  console.log(
    `${name}: the log topped up to ${fmt(await runtime.ledger.size())} events (integrated and signed) in ${((performance.now() - t) / 1000).toFixed(1)} s.`,
  );
  t = performance.now();
  const officer = await signInOfficer(runtime);
  const modes: Array<{ label: string; env: NodeJS.ProcessEnv; afterFirstPass?: boolean }> = [
    { label: 'verifier off', env: { REMPART_LEDGER_VERIFY_SECONDS: '0', REMPART_LEDGER_FULL_VERIFY_SECONDS: '0' } },
    // As configured by default, measured once the first whole pass (5 s after the start) has ended: the steady state between passes.
    { label: 'on, defaults (incremental 5 s, whole log every 15 min)', env: {}, afterFirstPass: true },
    {
      label: 'on: whole log back to back, ¼ core (default pace)',
      env: {
        REMPART_LEDGER_VERIFY_SECONDS: '5',
        REMPART_LEDGER_FULL_VERIFY_SECONDS: '1',
        REMPART_LEDGER_VERIFY_CPU: '0.25',
      },
    },
    {
      label: 'on: whole log back to back, unpaced',
      env: {
        REMPART_LEDGER_VERIFY_SECONDS: '5',
        REMPART_LEDGER_FULL_VERIFY_SECONDS: '1',
        REMPART_LEDGER_VERIFY_CPU: '1',
      },
    },
  ];
  const connections = 8;
  const rounds = Number(process.env.BENCH_HTTP_VERIFIER_ROUNDS || 3);
  const results = modes.map(() => [] as Load[]);
  const passes = modes.map(() => [] as string[]);
  const firstPasses: string[] = [];
  let detection = '';
  // Rounds of the modes in turn, so that drift (caches, the log growing) falls on all of them alike.
  for (let round = 0; round < rounds; round++) {
    for (const [m, mode] of modes.entries()) {
      const server = await start(
        `rempart start (${mode.label})`,
        ['src/cli/main.ts', 'start', '--no-demo'],
        '/api/health',
        mode.env,
      );
      try {
        if (mode.afterFirstPass) {
          const first = await waitFirstPass(server, officer);
          firstPasses.push(`${fmt(first.eventsChecked)} events in ${(first.durationMs / 1000).toFixed(1)} s`);
        }
        reportProblems(
          `${mode.label}, warm-up`,
          await load(server, connections, WARMUP, protectedCycle(counsellors, indexOf)),
        );
        const result = await load(server, connections, SECONDS, protectedCycle(counsellors, indexOf));
        const after = await ledgerIntegrity(server, officer);
        results[m]!.push(result);
        reportProblems(mode.label, result);
        if (m > 0)
          passes[m]!.push(
            after.lastFull
              ? `${fmt(after.lastFull.eventsChecked)} events in ${fmt(after.lastFull.durationMs)} ms`
              : 'none ended',
          );
        if (m === 2 && round === rounds - 1) detection = await timeToDetect(server, db, officer);
      } finally {
        await stopChild(server);
      }
    }
  }
  // The median of the rounds: the machine's other work (PostgreSQL's, the file system's) lands on one round or another.
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]!
      : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  };
  const off = median(results[0]!.map((r) => r.rps));
  table(
    `${name}: GET /api/staff/persons/:id at ${connections} connections with the ledger's background verifier off and on (the same run: ${rounds} rounds of the ${modes.length} in turn, medians, ${SECONDS} s per point after ${WARMUP} s of warm-up; log of ${fmt(await runtime.ledger.size())} events)`,
    [
      'Rempart',
      'protected/s (rounds)',
      'median',
      'p99 (median)',
      'CPU ms/read',
      'vs off',
      'last whole-log pass',
      'non-2xx/err/timeouts',
    ],
    modes.map((mode, m) => [
      mode.label,
      results[m]!.map((r) => fmt(r.rps)).join(' / '),
      median(results[m]!.map((r) => r.rps)),
      ms(median(results[m]!.map((r) => r.p99))),
      cpuMs(median(results[m]!.map((r) => r.cpuPerAnswer))),
      ratio(median(results[m]!.map((r) => r.rps)) / off),
      m === 0 ? '—' : passes[m]!.join(' / '),
      results[m]!.map(problems).join(' / '),
    ]),
  );
  console.log(
    `${name}: a whole-log pass at the default pace (¼ core, no load but the start's): ${firstPasses.join(' / ')}.`,
  );
  console.log(`${name}: ${detection} (${((performance.now() - t) / 1000).toFixed(0)} s for this part)`);
}

/** Sign the security officer in (the desk shows the verifier's passes). */
async function signInOfficer(runtime: Runtime): Promise<string> {
  const app = await buildServer(runtime, createLogger('silent'));
  try {
    return (await signIn(app, { remoteAddress: CLIENT_ADDRESS, headers: CLIENT_HEADERS }, 'rssi.na', DEMO_PASSWORD))
      .cookie;
  } finally {
    await app.close();
  }
}

interface IntegrityView {
  status: string;
  verifiedSize: number;
  lastFull: { at: string; ok: boolean; eventsChecked: number; durationMs: number } | null;
}

async function ledgerIntegrity(server: Child, cookie: string): Promise<IntegrityView> {
  const res = await getJson(`${server.origin}/api/security/dashboard/ledger`, { ...CLIENT_HEADERS, cookie });
  if (res.status !== 200)
    throw new Error(`desk ledger status: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  return (res.body as { integrity: IntegrityView }).integrity;
}

/** The first whole-log pass of a server just started, once it has ended. */
async function waitFirstPass(server: Child, cookie: string): Promise<NonNullable<IntegrityView['lastFull']>> {
  const started = performance.now();
  for (;;) {
    const integrity = await ledgerIntegrity(server, cookie);
    if (integrity.lastFull) return integrity.lastFull;
    if (performance.now() - started > 600_000) throw new Error('no whole-log pass within 10 minutes');
    await sleep(250);
  }
}

/** A byte of a signed event's body changed in the store under the running server, until its readiness says 503. */
async function timeToDetect(server: Child, db: Kysely<Schema>, cookie: string): Promise<string> {
  const size = Number(
    (
      await db
        .selectFrom('ledger_checkpoints')
        .select('size')
        .orderBy('size', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow()
    ).size,
  );
  const seq = Math.floor(size / 2);
  const row = await db
    .selectFrom('ledger_events')
    .select(['id', 'body'])
    .where('seq', '=', seq)
    .executeTakeFirstOrThrow();
  const tampered = row.body.replace(/"kind":"([a-z_])/, (_m, c: string) => `"kind":"${c === 'a' ? 'b' : 'a'}`);
  if (tampered === row.body) throw new Error('no byte to change');
  const passBefore = (await ledgerIntegrity(server, cookie)).lastFull;
  const t0 = performance.now();
  // Readiness is polled; the verifier goes on at its pace, with no load.
  await db.updateTable('ledger_events').set({ body: tampered }).where('id', '=', row.id).execute();
  try {
    for (;;) {
      const ready = await fetch(`${server.origin}/api/ready`, { signal: AbortSignal.timeout(5000) });
      await ready.arrayBuffer();
      if (ready.status === 503) break;
      if (performance.now() - t0 > 600_000) return 'tampered row NOT detected within 10 minutes';
      await sleep(20);
    }
    const detected = performance.now() - t0;
    const integrity = await ledgerIntegrity(server, cookie);
    return (
      `a body byte of event n° ${fmt(seq)} (of ${fmt(size)}) changed under the running server (whole log back to back, ¼ core, no load): readiness 503 after ${(detected / 1000).toFixed(2)} s` +
      (passBefore
        ? ` (the pass before took ${fmt(passBefore.durationMs)} ms for ${fmt(passBefore.eventsChecked)} events)`
        : '') +
      `; the verifier says « ${integrity.status} ».`
    );
  } finally {
    await db.updateTable('ledger_events').set({ body: row.body }).where('id', '=', row.id).execute();
  }
}

export async function benchHttpVerifier(kinds: Array<'sqlite' | 'postgres'>, table: TableFn): Promise<void> {
  console.log(
    `\n## The ledger's background verifier under the HTTP read load (issue 20), ${availableParallelism()} CPUs shared by everything`,
  );
  for (const kind of kinds) await benchStore(kind, table, { main: false, verifier: true });
}

export async function benchHttp(kinds: Array<'sqlite' | 'postgres'>, table: TableFn): Promise<void> {
  console.log(
    `\n## HTTP reads (issue 18): autocannon ${autocannonVersion()} in the benchmark process, ` +
      `Rempart and the plain server in child processes, ${availableParallelism()} CPUs shared by all of them${kinds.includes('postgres') ? ' and PostgreSQL' : ''}`,
  );
  for (const kind of kinds)
    await benchStore(kind, table, { main: true, verifier: process.env.BENCH_HTTP_VERIFIER !== '0' });
}
