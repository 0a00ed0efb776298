import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/store/index.ts';
import { BACKEND, PG_URL } from '../helpers/backend.ts';

/**
 * A DATABASE_URL that carries its own server options (`?options=-c search_path=…`, as an operator
 * or a child process writes it) keeps them and the store's lock bound: node-postgres lets a URL's
 * options replace the pool's, and the 2 s lock_timeout was silently lost.
 */
describe(`PostgreSQL connection options (${BACKEND})`, { skip: BACKEND !== 'postgres' && 'PostgreSQL only' }, () => {
  it('keeps the URL’s search_path and the store’s lock_timeout together', async () => {
    const url = new URL(PG_URL);
    url.searchParams.set('options', '-c search_path=pg_catalog,public -c statement_timeout=7000');
    const database = await openDatabase({ url: url.toString(), poolSize: 1 });
    try {
      const row = (
        await sql<{ lock: string; path: string; statement: string }>`select current_setting('lock_timeout') as lock,
          current_setting('search_path') as path, current_setting('statement_timeout') as statement`.execute(
          database.db,
        )
      ).rows[0]!;
      assert.equal(row.lock, '2s');
      assert.equal(row.path, 'pg_catalog,public');
      assert.equal(row.statement, '7s');
    } finally {
      await database.close();
    }
  });
});
