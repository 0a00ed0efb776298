#!/usr/bin/env node
// `npm test`: lint, type-check, unit tests once, then the backend suites on SQLite and on
// PostgreSQL. Without a PostgreSQL server the PostgreSQL suite is skipped, and says so;
// with REMPART_REQUIRE_POSTGRES=1 (CI) a missing server is a failure.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const root = new URL('..', import.meta.url).pathname;
const [nodeMajor, nodeMinor] = process.versions.node.split('.').map(Number);
if (nodeMajor < 22 || (nodeMajor === 22 && nodeMinor < 12)) {
  process.stderr.write(
    `Rempart needs Node.js 22 LTS (>= 22.12) or 24 LTS; this is ${process.version} (past its end of life).\n`,
  );
  process.exit(1);
}
const pgUrl = process.env.REMPART_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const requirePostgres = process.env.REMPART_REQUIRE_POSTGRES === '1';
const only = process.argv[2]; // optional: 'unit', 'sqlite' or 'postgres'
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];
const reportDir = mkdtempSync(join(tmpdir(), 'rempart-test-report-'));

function step(title, command, args, env = {}) {
  process.stdout.write(`\n=== ${title} ===\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) failures.push(title);
  return result.status === 0;
}

function files(folder) {
  return readdirSync(join(root, 'test', folder))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join('test', folder, f));
}

function suiteArgs(folder, tap) {
  return [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files(folder),
  ];
}

function tally(title, tap) {
  const text = readFileSync(tap, 'utf8');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const tests = count('tests');
  totals.passed += count('pass');
  totals.failed += count('fail') + count('cancelled');
  // Node's summary counts skipped tests but not skipped suites: count every `# SKIP` / `# TODO` line instead,
  // so a whole suite skipped for a missing tool (oathtool, Chromium) shows in the total. A `#` in a test's
  // name is escaped (`\#`), so only an unescaped one opens the directive; a failing TODO is `not ok` and counts too.
  totals.skipped += (text.match(/^\s*(?:not )?ok \d+ - .*(?<!\\)# (?:SKIP|TODO)\b/gm) ?? []).length;
  if (tests === 0) failures.push(`${title}: no test ran`);
}

function suite(title, folder, env = {}) {
  const tap = join(reportDir, `${title.replace(/\W+/g, '-')}.tap`);
  step(title, process.execPath, suiteArgs(folder, tap), env);
  tally(title, tap);
}

/**
 * A suite run beside another (the two stores' backend suites share nothing: their own files,
 * schemas and ports), its output kept in a file and printed whole when it ends, so that two
 * suites on two cores do not interleave their lines.
 */
function backgroundSuite(title, folder, env = {}) {
  const tap = join(reportDir, `${title.replace(/\W+/g, '-')}.tap`);
  const logPath = join(reportDir, `${title.replace(/\W+/g, '-')}.log`);
  const log = createWriteStream(logPath);
  process.stdout.write(`\n=== ${title}: started, its output follows when it ends ===\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, suiteArgs(folder, tap), {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.once('close', (code) => {
      log.end(() => {
        process.stdout.write(`\n=== ${title} ===\n`);
        process.stdout.write(readFileSync(logPath, 'utf8'));
        if (code !== 0) failures.push(title);
        tally(title, tap);
        resolve();
      });
    });
  });
}

async function postgresReachable() {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Schemas left by an interrupted earlier run (each test file drops its own when it ends). */
async function dropLeftoverSchemas() {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      "select schema_name from information_schema.schemata where schema_name ~ '^(t|bench)_[0-9a-f]+$'",
    );
    for (const { schema_name } of rows) await client.query(`DROP SCHEMA IF EXISTS ${schema_name} CASCADE`);
  } finally {
    await client.end();
  }
}

if (!only) {
  step('format (prettier --check)', process.execPath, [
    join(root, 'node_modules/prettier/bin/prettier.cjs'),
    '--check',
    '--log-level=warn',
    '.',
  ]);
  step('lint (eslint)', process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), '.']);
  step('type-check (tsc --noEmit)', process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit']);
  step('type-check the web application (tsc -p web)', process.execPath, [
    join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    'web',
    '--noEmit',
  ]);
}
// The browser tests drive the built application: build it once, before the suites (when stale).
if (!only || only === 'sqlite' || only === 'postgres')
  step('build the web application (vite)', process.execPath, [join(root, 'scripts/build-web.mjs')]);
if (!only || only === 'unit') suite('unit tests', 'unit');
// The two stores' backend suites run side by side (one core each on a two-core machine), each
// file of a suite after the other as before.
const running = [];
if (!only || only === 'sqlite')
  running.push(backgroundSuite('backend suite on SQLite', 'backend', { REMPART_TEST_BACKEND: 'sqlite' }));
let postgresNote = '';
if (!only || only === 'postgres') {
  const reachable = await postgresReachable();
  if (reachable === true) {
    await dropLeftoverSchemas();
    running.push(
      backgroundSuite('backend suite on PostgreSQL', 'backend', {
        REMPART_TEST_BACKEND: 'postgres',
        REMPART_TEST_DATABASE_URL: pgUrl,
      }),
    );
    postgresNote = `PostgreSQL suite ran against ${pgUrl.replace(/:[^:@/]*@/, ':***@')}.`;
  } else if (requirePostgres) {
    failures.push(`PostgreSQL suite required (REMPART_REQUIRE_POSTGRES=1) but ${pgUrl} is unreachable: ${reachable}`);
  } else {
    postgresNote = `PostgreSQL suite SKIPPED: no server at ${pgUrl} (${reachable}). Set REMPART_TEST_DATABASE_URL or start PostgreSQL to run it.`;
  }
}
await Promise.all(running);
rmSync(reportDir, { recursive: true, force: true });

process.stdout.write('\n');
if (postgresNote) process.stdout.write(`${postgresNote}\n`);
for (const failure of failures) process.stdout.write(`FAILED: ${failure}\n`);
process.stdout.write(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(failures.length > 0 || totals.failed > 0 ? 1 : 0);
