import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';
import { Keyring, writeKeyringFile } from '../../src/crypto/index.ts';
import { openRuntime, type Runtime } from '../../src/runtime/index.ts';
import type { Clock } from '../../src/domain/index.ts';
import { SEED_SECRET_KEY } from '../../src/seed/ids.ts';
import { createPgSchema, dropPgSchema, type Schema } from '../../src/store/index.ts';

/** Which engine the backend suites run against: set by scripts/test.mjs, SQLite by default. */
export const BACKEND = process.env.REMPART_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';
export const PG_URL = process.env.REMPART_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface TestEnvironment {
  dir: string;
  config: Config;
  keyringPath: string;
  pgSchema?: string;
  /** A runtime on this store; `clock` injects the guard's time. */
  open(options?: { clock?: Clock }): Promise<Runtime>;
  /** Create the PostgreSQL schema (no tables), for child processes that use this store from scratch. */
  prepare(): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * The seed secret of every test store, unless a test removes or replaces it: seeded ids (and so
 * the persons a test picks by id order) are the same from one run to the next. A store in
 * service draws its own at its first seeding (`seedSecret`).
 */
export const TEST_SEED_SECRET = createHash('sha256').update('rempart test stores: seed secret').digest('hex');

/**
 * A private store for one test file: a temporary SQLite file, or a PostgreSQL schema of its
 * own in the shared `test` database, so files can run in parallel without seeing each other.
 */
export function testEnvironment(
  options: { backend?: 'sqlite' | 'postgres'; schemaPrefix?: 't' | 'bench'; config?: Partial<Config> } = {},
): TestEnvironment {
  const backend = options.backend ?? BACKEND;
  const dir = mkdtempSync(join(tmpdir(), `rempart-${options.schemaPrefix ?? 't'}-`));
  const keyringPath = join(dir, 'keyring.json');
  writeKeyringFile(keyringPath, Keyring.generate());
  const pgSchema =
    backend === 'postgres' ? `${options.schemaPrefix ?? 't'}_${randomBytes(6).toString('hex')}` : undefined;
  // The defaults `npm start` would take, pointed at a private folder, store and keyring.
  const config: Config = {
    ...loadConfig({
      PORT: '0',
      REMPART_DATA_DIR: dir,
      DATABASE_URL: backend === 'postgres' ? PG_URL : join(dir, 'rempart.sqlite'),
      REMPART_KEYRING_FILE: keyringPath,
      LOG_LEVEL: 'silent',
      REMPART_DEMO_PERSONS: '0',
      REMPART_PUBLIC_URL: 'http://localhost:3000',
    }),
    ...options.config,
  };
  return {
    dir,
    config,
    keyringPath,
    ...(pgSchema ? { pgSchema } : {}),
    async open(options = {}) {
      const runtime = await openRuntime(config, {
        ...(pgSchema ? { pgSchema } : {}),
        ...(options.clock ? { clock: options.clock } : {}),
        warn: () => undefined,
      });
      await runtime.database.db
        .insertInto('meta')
        .values({ key: SEED_SECRET_KEY, value: TEST_SEED_SECRET })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      return runtime;
    },
    async prepare() {
      if (pgSchema) await createPgSchema(PG_URL, pgSchema);
    },
    async cleanup() {
      if (pgSchema) await dropPgSchema(PG_URL, pgSchema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Environment variables that make a child `rempart` process use this test store. */
export function childEnv(env: TestEnvironment, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {
    ...process.env,
    REMPART_DATA_DIR: env.dir,
    REMPART_KEYRING_FILE: env.keyringPath,
    LOG_LEVEL: 'silent',
    ...extra,
  };
  if (BACKEND === 'postgres') {
    const url = new URL(PG_URL);
    url.searchParams.set('options', `-c search_path=${env.pgSchema}`);
    out.DATABASE_URL = url.toString();
  } else {
    delete out.DATABASE_URL;
  }
  return out;
}

/** Rows in a table of a test store. */
export async function countRows(runtime: Runtime, table: keyof Schema): Promise<number> {
  const row = await runtime.database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
