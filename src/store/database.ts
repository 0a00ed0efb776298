import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  sql,
  type DatabaseConnection,
  type Driver,
  type Migration,
  type MigrationProvider,
  type SqliteDialectConfig,
} from 'kysely';
import pg from 'pg';
import { isSqliteBusy, STORE_LOCK_BOUND_MS, StoreUnavailableError } from './errors.ts';
import type { Flavour } from './flavour.ts';
import { registerFlavour } from './group-commit.ts';
import { applySqliteSettings } from './sqlite-settings.ts';
import { SqliteWriterThread } from './sqlite-writer.ts';
import { initial } from './migrations/0001_initial.ts';
import { identity } from './migrations/0002_identity.ts';
import { administration } from './migrations/0003_administration.ts';
import { passkeys } from './migrations/0004_passkeys.ts';
import { federation } from './migrations/0005_federation.ts';
import { machineClients } from './migrations/0006_machine_clients.ts';
import { policy } from './migrations/0007_policy.ts';
import { ledger } from './migrations/0008_ledger.ts';
import { ledgerEvents } from './migrations/0009_ledger_events.ts';
import { guard } from './migrations/0010_guard.ts';
import { exportsTables } from './migrations/0011_exports.ts';
import { bankDetailsTables } from './migrations/0012_bank_details.ts';
import { incidentTables } from './migrations/0013_incidents.ts';
import { accessEpoch } from './migrations/0014_access_epoch.ts';
import { incidentRequests } from './migrations/0016_incident_requests.ts';
import { contactHistory } from './migrations/0017_contact_history.ts';
import { callerBlanks } from './migrations/0018_caller_blanks.ts';
import { appointments } from './migrations/0019_appointments.ts';
import { decoyRenewal } from './migrations/0021_decoy_renewal.ts';
import { personChain } from './migrations/0022_person_chain.ts';
import { organisationKinds } from './migrations/0023_organisation_kinds.ts';
import { containmentPersons } from './migrations/0024_containment_persons.ts';
import { jobRuns } from './migrations/0025_job_runs.ts';
import { outgoingMessages } from './migrations/0026_outgoing_messages.ts';
import { restrictions } from './migrations/0031_restrictions.ts';
import { rectifications } from './migrations/0032_rectifications.ts';
import { retentionArchive } from './migrations/0033_retention_archive.ts';
import { employerCertificates } from './migrations/0034_employer_certificates.ts';
import { paperChannel } from './migrations/0035_paper_channel.ts';
import { oneOpenRecertification } from './migrations/0027_one_open_recertification.ts';
import { registerDpia } from './migrations/0030_register_dpia.ts';
import { rightsRequests } from './migrations/0028_rights_requests.ts';
import { retention } from './migrations/0029_retention.ts';
import { monthlyUpdates } from './migrations/0036_monthly_updates.ts';
import { monthlyUpdateReminders } from './migrations/0037_monthly_update_reminders.ts';
import { registrationReviews } from './migrations/0038_registration_reviews.ts';
import { registrationDrafts } from './migrations/0039_registration_drafts.ts';
import { registrationIntake } from './migrations/0040_registration_intake.ts';
import { franceServices } from './migrations/0042_france_services.ts';
import { mandates } from './migrations/0043_mandates.ts';
import { paperLettersReached } from './migrations/0044_paper_letters_reached.ts';
import type { Schema } from './schema.ts';

export interface DatabaseLocation {
  /** `postgres://…` selects PostgreSQL; anything else is a SQLite file path. */
  url: string;
  /** PostgreSQL only: a schema of its own (created if needed), for isolated test runs. */
  pgSchema?: string;
  /** PostgreSQL only: connections in the pool (default 20): about one per request in flight. */
  poolSize?: number;
}

export interface Database {
  readonly db: Kysely<Schema>;
  readonly flavour: Flavour;
  /** Where the data is, without credentials, for messages. */
  readonly description: string;
  close(): Promise<void>;
}

/** A connection URL without its `options` parameter, and that parameter (server settings, `-c name=value …`). */
function withoutOptions(connection: string): { url: string; options: string } {
  const url = new URL(connection);
  const options = url.searchParams.get('options') ?? '';
  url.searchParams.delete('options');
  return { url: url.toString(), options: options.trim() };
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres (unparseable URL)';
  }
}

// int8 (counts, sums) as numbers: every count Rempart makes fits in 2^53.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

export async function openDatabase(location: DatabaseLocation): Promise<Database> {
  if (isPostgresUrl(location.url)) {
    const schema = location.pgSchema;
    if (schema) await createPgSchema(location.url, schema);
    const { url, options: urlOptions } = withoutOptions(location.url);
    const pool = new pg.Pool({
      connectionString: url,
      max: location.poolSize ?? 20,
      types: pgTypes as unknown as pg.CustomTypesConfig,
      // A statement waits for a lock (a table locked elsewhere, a row held) at most this long, and
      // a request for a connection as long: then it fails closed (503), it does not fill the pool.
      connectionTimeoutMillis: STORE_LOCK_BOUND_MS,
      // Named in pg_stat_activity, so an operator (or a test) can tell Rempart's connections
      // apart, and a store's own schema when it has one.
      application_name: schema ? `rempart:${schema}` : 'rempart',
      // The URL's own options (a search_path, say) are kept: node-postgres would otherwise let them
      // replace these, and the lock bound would be silently lost.
      options: `${urlOptions ? `${urlOptions} ` : ''}${schema ? `-c search_path=${schema} ` : ''}-c lock_timeout=${STORE_LOCK_BOUND_MS}`,
    });
    // A connection dropped by the server (restart, failover, an operator ending it) is an error
    // event: on the pool while the connection is idle there, on the connection itself while a
    // request holds it (between a transaction's statements). Either way the statement that
    // needed it fails (503) and the pool opens another; never an uncaught exception that ends
    // the process.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
      preparingStatements(client);
    });
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    registerFlavour(db, 'postgres');
    return {
      db,
      flavour: 'postgres',
      description: redactUrl(location.url) + (schema ? ` (schema ${schema})` : ''),
      close: () => db.destroy(),
    };
  }
  if (location.url !== ':memory:') mkdirSync(dirname(location.url), { recursive: true });
  const sqlite = new SqliteDatabase(location.url);
  applySqliteSettings(sqlite, { busyTimeoutMs: SQLITE_BUSY_SPIN_MS });
  // A file has a writer thread for group commits; an in-memory database is one connection's only.
  const writerThread =
    location.url === ':memory:'
      ? undefined
      : new SqliteWriterThread(location.url, { busyTimeoutMs: SQLITE_WRITER_BUSY_TIMEOUT_MS });
  const db = new Kysely<Schema>({ dialect: new ImmediateSqliteDialect({ database: withPreparedStatements(sqlite) }) });
  registerFlavour(db, 'sqlite', writerThread);
  return {
    db,
    flavour: 'sqlite',
    description: `SQLite ${location.url}`,
    close: async () => {
      await writerThread?.close();
      await db.destroy();
    },
  };
}

/**
 * How long the request thread's driver waits for a lock inside SQLite: better-sqlite3 waits
 * synchronously, stopping the event loop, so only a short spin (the writer thread's commit takes
 * about a millisecond); beyond it the statement is retried after timers, up to STORE_LOCK_BOUND_MS.
 */
const SQLITE_BUSY_SPIN_MS = 20;
/**
 * The writer thread waits on its own thread (the event loop runs on), a little beyond the request
 * bound: a long transaction of the request thread (an import batch) delays commits, a lock held
 * elsewhere fails them, and the reads waiting on them, closed (503).
 */
const SQLITE_WRITER_BUSY_TIMEOUT_MS = STORE_LOCK_BOUND_MS + 500;

/**
 * Transactions of the request thread begin IMMEDIATE, taking the write lock at BEGIN: with a
 * second connection (the writer thread) committing at any moment, a DEFERRED transaction that
 * read first could not upgrade to a write (SQLITE_BUSY_SNAPSHOT) and would fail outright.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  #connection: DatabaseConnection | undefined;
  /** When the current holder of the connection must give up on a lock: its bound counts from when it asked, queue included. */
  #deadline = 0;

  override async acquireConnection(): Promise<DatabaseConnection> {
    const asked = Date.now();
    const connection = await super.acquireConnection();
    this.#deadline = asked + STORE_LOCK_BOUND_MS;
    this.#connection ??= retryingWhenBusy(connection, () => this.#deadline);
    return this.#connection;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * The connection, with a statement that found the database locked tried again after a timer
 * (the event loop serves meanwhile) until STORE_LOCK_BOUND_MS after the connection was asked for
 * (requests queued behind a locked store give up with the first, not one bound each after the
 * other): then StoreUnavailableError. A
 * statement SQLite refused for a lock changed nothing, in a transaction or not, so it may run again.
 */
function retryingWhenBusy(connection: DatabaseConnection, deadlineOf: () => number): DatabaseConnection {
  return {
    async executeQuery(query) {
      const deadline = deadlineOf();
      for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
        try {
          return await connection.executeQuery(query);
        } catch (error) {
          if (!isSqliteBusy(error)) throw error;
          if (Date.now() + wait > deadline) throw new StoreUnavailableError(error);
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    },
    streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
  };
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/** Named statements per PostgreSQL process at most: texts beyond it (long IN lists, one-off queries) run unnamed. */
const PG_PREPARED_STATEMENTS = 2_000;
/** Longer texts are batches of rows (a group commit, an import) whose shape rarely repeats: not named. */
const PG_PREPARED_TEXT_LENGTH = 2_048;
const pgStatementNames = new Map<string, string>();

/**
 * Each SQL text the driver sends becomes a named prepared statement on the connection (pg keeps
 * them per connection), so PostgreSQL parses and plans the hot path's statements once per
 * connection instead of at every call. Only plain `query(text, values)` calls, as Kysely makes
 * them, are named; anything else (a cursor, a callback) goes through untouched.
 */
function preparingStatements(client: pg.PoolClient): void {
  // The prototype's method, looked up at each call (a test counting statements wraps it).
  const prototype = Object.getPrototypeOf(client) as { query: (...args: unknown[]) => unknown };
  const query = (...args: unknown[]) => prototype.query.apply(client, args);
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (args.length !== 2 || typeof text !== 'string' || !Array.isArray(values)) return query(...args);
    let name = pgStatementNames.get(text);
    if (
      name === undefined &&
      text.length <= PG_PREPARED_TEXT_LENGTH &&
      pgStatementNames.size < PG_PREPARED_STATEMENTS
    ) {
      name = `rempart_${pgStatementNames.size}`;
      pgStatementNames.set(text, name);
    }
    return name === undefined ? query(text, values) : query({ name, text, values });
  };
}

/** Statements kept prepared, by SQL text: the hot path's queries are compiled once, not per call. */
const PREPARED_STATEMENTS = 1_000;

/**
 * better-sqlite3 as Kysely sees it, with each SQL text prepared once and reused (the driver
 * prepares every query again otherwise). Kysely runs one query at a time on the connection, so
 * a cached statement is never in use twice.
 */
function withPreparedStatements(sqlite: SqliteDatabase.Database) {
  const prepared = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let statement = prepared.get(text);
      if (statement) {
        // Most recently used last: the oldest is the first to go.
        prepared.delete(text);
      } else {
        statement = sqlite.prepare(text);
        if (prepared.size >= PREPARED_STATEMENTS) prepared.delete(prepared.keys().next().value!);
      }
      prepared.set(text, statement);
      return statement;
    },
  };
}

function migrationsFor(flavour: Flavour): Record<string, Migration> {
  return {
    '0001_initial': initial(flavour),
    '0002_identity': identity(flavour),
    '0003_administration': administration(flavour),
    '0004_passkeys': passkeys(flavour),
    '0005_federation': federation(flavour),
    '0006_machine_clients': machineClients(flavour),
    '0007_policy': policy(flavour),
    '0008_ledger': ledger(flavour),
    '0009_ledger_events': ledgerEvents(flavour),
    '0010_guard': guard(flavour),
    '0011_exports': exportsTables(flavour),
    '0012_bank_details': bankDetailsTables(flavour),
    '0013_incidents': incidentTables(flavour),
    '0014_access_epoch': accessEpoch(flavour),
    '0016_incident_requests': incidentRequests(flavour),
    '0017_contact_history': contactHistory(flavour),
    '0018_caller_blanks': callerBlanks(flavour),
    '0019_appointments': appointments(flavour),
    '0021_decoy_renewal': decoyRenewal(flavour),
    '0022_person_chain': personChain(flavour),
    '0023_organisation_kinds': organisationKinds(flavour),
    '0024_containment_persons': containmentPersons(flavour),
    '0025_job_runs': jobRuns(flavour),
    '0026_outgoing_messages': outgoingMessages(flavour),
    '0027_one_open_recertification': oneOpenRecertification(flavour),
    '0028_rights_requests': rightsRequests(flavour),
    '0029_retention': retention(flavour),
    '0030_register_dpia': registerDpia(flavour),
    '0031_restrictions': restrictions(flavour),
    '0032_rectifications': rectifications(flavour),
    '0033_retention_archive': retentionArchive(flavour),
    '0034_employer_certificates': employerCertificates(flavour),
    '0035_paper_channel': paperChannel(flavour),
    '0036_monthly_updates': monthlyUpdates(flavour),
    '0037_monthly_update_reminders': monthlyUpdateReminders(flavour),
    '0038_registration_reviews': registrationReviews(flavour),
    '0039_registration_drafts': registrationDrafts(flavour),
    '0040_registration_intake': registrationIntake(flavour),
    '0042_france_services': franceServices(flavour),
    '0043_mandates': mandates(flavour),
    '0044_paper_letters_reached': paperLettersReached(flavour),
  };
}

export async function migrateToLatest(database: Database): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(database.flavour) };
  // Kysely looks for its bookkeeping tables in every schema unless told which: name the current one.
  const migrationTableSchema =
    database.flavour === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db: database.db,
    provider,
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(
      `database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function onPg(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function checkSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid PostgreSQL schema name "${schema}"`);
}

export async function createPgSchema(url: string, schema: string): Promise<void> {
  checkSchemaName(schema);
  await onPg(url, `CREATE SCHEMA IF NOT EXISTS ${schema}`);
}

/** Drop a test schema; PostgreSQL only. */
export async function dropPgSchema(url: string, schema: string): Promise<void> {
  checkSchemaName(schema);
  await onPg(url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  // The job queue's tables beside it (src/runtime/jobs.ts), when a server ran its jobs there.
  await onPg(url, `DROP SCHEMA IF EXISTS ${schema}_jobs CASCADE`);
}
