import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { checkLedgerAtStart } from '../../src/cli/commands/start.ts';
import { FIELD_CLASSES } from '../../src/domain/field-classes.ts';
import { appendEvents, verifyLedger, type EventInput, type EventKind } from '../../src/ledger/index.ts';
import { openRuntime, type Runtime } from '../../src/runtime/index.ts';
import { jobRunnerFor } from '../../src/runtime/jobs.ts';
import { seedDatabase } from '../../src/seed/index.ts';
import { dropPgSchema } from '../../src/store/index.ts';
import { BACKEND, PG_URL, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * scripts/backup.sh and scripts/restore.sh, as docs/deployment.md tells an operator to use them:
 * a backup of a live store (its schema and the job queue's, the ledger's witness file, a
 * manifest, never the keyring) restores into a fresh schema that a runtime opens with the same
 * keyring: the same persons, the same rows, a ledger that verifies; the restore is refused at
 * start against the newer witness the service kept until it is declared; a damaged backup and a
 * target that is not empty are refused.
 */
const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts');
const BACKUP = join(SCRIPTS, 'backup.sh');
const RESTORE = join(SCRIPTS, 'restore.sh');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runScript(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    // The scripts call `node` (the witness file, better-sqlite3): the one running the tests.
    const path = `${dirname(process.execPath)}:${env.PATH ?? process.env.PATH ?? ''}`;
    const child = spawn('bash', [script, ...args], { env: { ...env, PATH: path }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The service's environment for a store: no DATABASE_URL or keyring inherited from the test run. */
function serviceEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', ...settings };
  for (const name of ['DATABASE_URL', 'REMPART_KEYRING', 'REMPART_LEDGER_WITNESS_FILE', 'REMPART_LEDGER_WITNESS_URL'])
    if (!(name in settings)) delete env[name];
  return env;
}

/** The URL of a store in another schema, as an operator writes it: percent-encoded, which libpq (psql, pg_dump) and node-postgres both read. */
function pgUrlFor(schema: string): string {
  return `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
}

function manifestField(folder: string, name: string): string | undefined {
  const text = readFileSync(join(folder, 'manifest.txt'), 'utf8');
  return new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1];
}

function accessEvents(personIds: string[], count: number): Array<{ kind: EventKind; input: EventInput }> {
  return Array.from({ length: count }, (_, i) => ({
    kind: 'access_granted' as const,
    input: {
      personId: personIds[i % personIds.length]!,
      purpose: 'suivi',
      caseReference: `DOS-${i}`,
      operation: 'read',
      classes: ['identity', 'contact'],
    },
  }));
}

/** Every person of a store, every class opened. */
async function allPersons(runtime: Runtime): Promise<Map<string, unknown>> {
  const ids = await runtime.database.db.selectFrom('persons').select('id').orderBy('id').execute();
  const out = new Map<string, unknown>();
  for (const { id } of ids) out.set(id, (await runtime.persons.read(id, FIELD_CLASSES)).fields);
  return out;
}

/** The rows of every table of a schema, by table name. */
async function rowCounts(schema: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      'select tablename as name from pg_tables where schemaname = $1 order by tablename',
      [schema],
    );
    const counts: Record<string, number> = {};
    for (const { name } of tables.rows) {
      const row = await client.query<{ n: string }>(`select count(*) as n from "${schema}"."${name}"`);
      counts[name] = Number(row.rows[0]!.n);
    }
    return counts;
  } finally {
    await client.end();
  }
}

async function schemaExists(schema: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_namespace where nspname = $1', [schema]);
    return found.rowCount === 1;
  } finally {
    await client.end();
  }
}

/** The SQL a pg_dump archive holds, in clear. */
function archiveText(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('pg_restore', ['--file', '-', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`pg_restore: ${code}`)),
    );
  });
}

/** Run a job queue on a store until one slot ran, then stop it: pg-boss makes (or uses) `<schema>_jobs`. */
async function runQueueOnce(runtime: Runtime): Promise<void> {
  let ran!: () => void;
  const ranOnce = new Promise<void>((resolve) => (ran = resolve));
  const errors: unknown[] = [];
  const runner = await jobRunnerFor(runtime, [{ name: 'backup.probe', everySeconds: 1, run: async () => {} }], {
    onError: (_job, error) => errors.push(error),
    onRan: () => ran(),
  });
  let timer: NodeJS.Timeout | undefined;
  await runner.start();
  try {
    await Promise.race([
      ranOnce,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no job ran: ${String(errors[0])}`)), 30_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await runner.stop(5_000);
  }
}

describe('backup and restore scripts (PostgreSQL)', { skip: BACKEND !== 'postgres' && 'PostgreSQL only' }, () => {
  let env: TestEnvironment;
  let source: Runtime;
  let work: string;
  let backup: string;
  let beforeBackup: { persons: Map<string, unknown>; store: Record<string, number>; jobs: Record<string, number> };
  let backupCheckpoint: number;
  const fresh = `t_${randomBytes(6).toString('hex')}`;
  const damagedTarget = `t_${randomBytes(6).toString('hex')}`;
  const restored: Runtime[] = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'rempart-backup-'));
    env = testEnvironment();
    source = await env.open();
    const db = source.database.db;
    await seedDatabase(db, source.persons, source.keyring, { persons: 24, seed: 9, batchSize: 24, parallel: false });
    const ids = (await db.selectFrom('persons').select('id').execute()).map((r) => r.id);
    await appendEvents(db, accessEvents(ids, 60));
    const checkpoint = await source.ledger.checkpoint();
    backupCheckpoint = Number(checkpoint!.size);
    // A server ran its jobs here: the queue's schema beside the store's.
    await runQueueOnce(source);
    beforeBackup = {
      persons: await allPersons(source),
      store: await rowCounts(env.pgSchema!),
      jobs: await rowCounts(`${env.pgSchema}_jobs`),
    };
  });

  after(async () => {
    for (const runtime of restored) await runtime.close().catch(() => undefined);
    await source?.close();
    await env?.cleanup();
    await dropPgSchema(PG_URL, fresh);
    await dropPgSchema(PG_URL, damagedTarget);
    rmSync(work, { recursive: true, force: true });
  });

  const sourceEnv = (extra: Record<string, string> = {}) =>
    serviceEnv({
      DATABASE_URL: pgUrlFor(env.pgSchema!),
      REMPART_DATA_DIR: env.dir,
      REMPART_KEYRING_FILE: env.keyringPath,
      ...extra,
    });

  it('backup.sh: the store and the job queue in one archive, the witness copied, a manifest; never the keyring', async () => {
    const result = await runScript(BACKUP, ['--out', join(work, 'backups')], sourceEnv());
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /keyring: NOT included — it is backed up separately, offline/);
    assert.match(result.stdout, new RegExp(`job queue: schema ${env.pgSchema}_jobs, in the same snapshot`));
    assert.match(result.stdout, /pg_dump done in \d+ s/);
    const [folder] = readdirSync(join(work, 'backups'));
    backup = join(work, 'backups', folder!);
    assert.match(folder!, /^rempart-backup-\d{8}T\d{6}Z$/);
    assert.deepEqual(readdirSync(backup).sort(), ['ledger-witness.json', 'manifest.txt', 'store.pgdump']);
    assert.equal(manifestField(backup, 'witness_checkpoint_size'), String(backupCheckpoint));
    assert.equal(manifestField(backup, 'store_checkpoint_size'), String(backupCheckpoint));
    assert.equal(manifestField(backup, 'schema'), env.pgSchema);
    assert.equal(manifestField(backup, 'jobs_schema'), `${env.pgSchema}_jobs (included)`);
    assert.equal(manifestField(backup, 'keyring'), 'not included (backed up separately, offline)');
    assert.match(readFileSync(join(backup, 'manifest.txt'), 'utf8'), /^file: store\.pgdump \d+ [0-9a-f]{64}$/m);

    // No key of the keyring anywhere in the backup, the archive read in clear included.
    const keyring = JSON.parse(readFileSync(env.keyringPath, 'utf8')) as {
      keks: Record<string, { versions: Record<string, string> }>;
      blindIndex: Record<string, string>;
      ledgerSigning?: string;
    };
    const secrets = [
      ...Object.values(keyring.keks).flatMap((series) => Object.values(series.versions)),
      ...Object.values(keyring.blindIndex),
      ...(keyring.ledgerSigning ? [keyring.ledgerSigning] : []),
    ];
    assert.ok(secrets.length > 10);
    const contents = [
      await archiveText(join(backup, 'store.pgdump')),
      readFileSync(join(backup, 'ledger-witness.json'), 'utf8'),
      readFileSync(join(backup, 'manifest.txt'), 'utf8'),
    ].join('\n');
    assert.match(contents, /COPY \S+\.persons /, 'the archive holds the persons');
    for (const secret of secrets) assert.ok(!contents.includes(secret), 'a key of the keyring is in the backup');
  });

  it('backup.sh refuses to put a keyring in a backup, and leaves no folder behind', async () => {
    const out = join(work, 'refused');
    const result = await runScript(BACKUP, ['--out', out], sourceEnv({ REMPART_LEDGER_WITNESS_FILE: env.keyringPath }));
    assert.equal(result.code, 2, result.stdout);
    assert.match(result.stderr, /REFUSED: .*keyring\.json is a keyring: the keyring is never put in a backup/);
    assert.deepEqual(readdirSync(out), []);
    // A copy elsewhere, under another name, is recognised by what it holds.
    const copy = join(work, 'witness-or-not.json');
    cpSync(env.keyringPath, copy);
    const again = await runScript(BACKUP, ['--out', out], sourceEnv({ REMPART_LEDGER_WITNESS_FILE: copy }));
    assert.equal(again.code, 2, again.stdout);
    assert.match(again.stderr, /REFUSED: .*witness-or-not\.json is a keyring/);
    assert.deepEqual(readdirSync(out), []);
  });

  it('restore.sh into a fresh schema: the same rows, the same persons, a ledger that verifies', async () => {
    // The service goes on after the backup: its witness file moves past what the backup holds.
    await appendEvents(source.database.db, accessEvents(['p-after'], 12));
    const later = await source.ledger.checkpoint();
    assert.ok(Number(later!.size) > backupCheckpoint);

    const result = await runScript(
      RESTORE,
      [backup, '--target', PG_URL, '--schema', fresh],
      serviceEnv({ REMPART_LEDGER_WITNESS_FILE: env.config.ledgerWitnessFile }),
    );
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /checked store\.pgdump \(\d+ bytes, sha256 matches\)/);
    assert.match(
      result.stdout,
      new RegExp(`restoring schema ${env.pgSchema} as ${fresh}, ${env.pgSchema}_jobs as ${fresh}_jobs`),
    );
    assert.match(result.stdout, /1\. KEYRING\. Put the keyring in place/);
    assert.match(result.stdout, /2\. DECLARE THE RESTORE\./);
    assert.match(
      result.stdout,
      new RegExp(
        `holds a checkpoint of ${later!.size} events and the restored store's newest\\s+is ${backupCheckpoint}: \`rempart start\` will refuse it`,
      ),
    );
    assert.match(result.stdout, /npx rempart ledger verify/);

    // Row for row, before any process opens it.
    assert.deepEqual(await rowCounts(fresh), beforeBackup.store);
    assert.deepEqual(await rowCounts(`${fresh}_jobs`), beforeBackup.jobs);
  });

  it("a restored store is refused at start against the service's newer witness, accepted once the restore is declared", async () => {
    // The same keyring, the witness file the service kept: the start check refuses, naming both sizes.
    const refused = await openRuntime(env.config, { pgSchema: fresh, warn: () => undefined });
    restored.push(refused);
    await assert.rejects(checkLedgerAtStart(refused), (error: Error) => {
      assert.match(error.message, /DÉMARRAGE REFUSÉ — journal des accès : retour en arrière/);
      assert.match(
        error.message,
        new RegExp(`Le magasin s'arrête à un point de contrôle de ${backupCheckpoint} événements`),
      );
      assert.match(error.message, /déplacez le fichier témoin hors du dossier des données/);
      return true;
    });
    await refused.close();
    restored.pop();

    // Declared as the message asks: the witness file kept, moved out of the data folder, the backup's copy in its place.
    const evidence = join(work, 'evidence');
    mkdirSync(evidence);
    cpSync(env.config.ledgerWitnessFile, join(evidence, 'ledger-witness.before-restore.json'), {
      preserveTimestamps: true,
    });
    const dataDir = join(work, 'data-restored');
    mkdirSync(dataDir);
    renameSync(env.config.ledgerWitnessFile, join(evidence, 'ledger-witness.json'));
    cpSync(join(backup, 'ledger-witness.json'), join(dataDir, 'ledger-witness.json'));
    const config = { ...env.config, dataDir, ledgerWitnessFile: join(dataDir, 'ledger-witness.json') };
    const runtime = await openRuntime(config, { pgSchema: fresh, warn: () => undefined });
    restored.push(runtime);
    await checkLedgerAtStart(runtime);
    const report = await verifyLedger(runtime.database.db, runtime.ledger);
    assert.equal(report.ok, true, JSON.stringify(report.findings));
    assert.equal(report.checkpoint?.size, backupCheckpoint);
    assert.equal(report.eventsChecked, backupCheckpoint);
    assert.deepEqual(await allPersons(runtime), beforeBackup.persons);
    assert.equal(beforeBackup.persons.size, 24);

    // The operator's command, as restore.sh prints it.
    const verify = await runCli(
      ['ledger', 'verify'],
      serviceEnv({
        DATABASE_URL: pgUrlFor(fresh),
        REMPART_DATA_DIR: dataDir,
        REMPART_KEYRING_FILE: env.keyringPath,
      }),
    );
    assert.equal(verify.code, 0, verify.stderr + verify.stdout);
    assert.match(verify.stdout, /Journal intègre/);

    // The job queue restored under its new name works: pg-boss takes it and runs a slot.
    await runQueueOnce(runtime);
  });

  it('restore.sh refuses a backup with one byte changed, naming the file, and writes nothing', async () => {
    const damaged = join(work, 'damaged');
    cpSync(backup, damaged, { recursive: true });
    const file = join(damaged, 'store.pgdump');
    const bytes = readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(file, bytes);
    const result = await runScript(RESTORE, [damaged, '--target', PG_URL, '--schema', damagedTarget], serviceEnv({}));
    assert.equal(result.code, 1, result.stdout);
    assert.match(
      result.stderr,
      /REFUSED: store\.pgdump: SHA-256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}: the backup is damaged or was altered; nothing was restored/,
    );
    assert.equal(await schemaExists(damagedTarget), false);
  });

  it('restore.sh refuses a target that is not empty, and leaves it as it was', async () => {
    const counts = await rowCounts(fresh);
    const result = await runScript(RESTORE, [backup, '--target', PG_URL, '--schema', fresh], serviceEnv({}));
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, new RegExp(`REFUSED: schema ${fresh} of \\S+ is not empty \\(\\d+ objects\\)`));
    assert.deepEqual(await rowCounts(fresh), counts);
  });
});

describe('backup and restore scripts (SQLite)', { skip: BACKEND !== 'sqlite' && 'SQLite suite only' }, () => {
  let env: TestEnvironment;
  let source: Runtime;
  let work: string;
  let persons: Map<string, unknown>;
  let checkpointSize: number;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'rempart-backup-'));
    env = testEnvironment({ backend: 'sqlite' });
    source = await env.open();
    const db = source.database.db;
    await seedDatabase(db, source.persons, source.keyring, { persons: 12, seed: 9, batchSize: 12, parallel: false });
    const ids = (await db.selectFrom('persons').select('id').execute()).map((r) => r.id);
    await appendEvents(db, accessEvents(ids, 30));
    checkpointSize = Number((await source.ledger.checkpoint())!.size);
    persons = await allPersons(source);
  });

  after(async () => {
    await source?.close();
    await env?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  // The sqlite3 command when installed, and better-sqlite3's backup() always.
  const methods = ['node', ...(existsSync('/usr/bin/sqlite3') ? ['sqlite3'] : [])];
  for (const method of methods) {
    it(`backup.sh (${method}) of the live store restores into a new file that opens, with its ledger`, async () => {
      const out = join(work, method);
      const backupRun = await runScript(
        BACKUP,
        ['--out', out],
        serviceEnv({ REMPART_DATA_DIR: env.dir, REMPART_KEYRING_FILE: env.keyringPath, REMPART_BACKUP_SQLITE: method }),
      );
      assert.equal(backupRun.code, 0, backupRun.stderr + backupRun.stdout);
      assert.match(backupRun.stdout, new RegExp(`store: SQLite .* \\(method: ${method}\\)`));
      const folder = join(out, readdirSync(out)[0]!);
      assert.deepEqual(readdirSync(folder).sort(), ['ledger-witness.json', 'manifest.txt', 'store.sqlite']);
      assert.equal(manifestField(folder, 'witness_checkpoint_size'), String(checkpointSize));

      const dataDir = join(work, `${method}-restored`);
      const target = join(dataDir, 'rempart.sqlite');
      const restoreRun = await runScript(RESTORE, [folder, '--target', target], serviceEnv({}));
      assert.equal(restoreRun.code, 0, restoreRun.stderr + restoreRun.stdout);
      assert.match(restoreRun.stdout, /integrity_check ok\): 12 persons/);
      cpSync(join(folder, 'ledger-witness.json'), join(dataDir, 'ledger-witness.json'));
      const runtime = await openRuntime(
        { ...env.config, dataDir, databaseUrl: target, ledgerWitnessFile: join(dataDir, 'ledger-witness.json') },
        { warn: () => undefined },
      );
      try {
        await checkLedgerAtStart(runtime);
        const report = await verifyLedger(runtime.database.db, runtime.ledger);
        assert.equal(report.ok, true, JSON.stringify(report.findings));
        assert.deepEqual(await allPersons(runtime), persons);
      } finally {
        await runtime.close();
      }

      const again = await runScript(RESTORE, [folder, '--target', target], serviceEnv({}));
      assert.equal(again.code, 1);
      assert.match(
        again.stderr,
        /rempart\.sqlite exists: a SQLite restore creates a new file and never overwrites one/,
      );
    });
  }
});
