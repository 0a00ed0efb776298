/**
 * The baseline of the HTTP read benchmark (bench/http-reads.ts), run as a child process: Fastify
 * and Kysely over the same database as Rempart, opened with the same driver settings (the
 * store's own `openDatabase`: the same pool size on PostgreSQL, the same pragmas on SQLite),
 * serving `GET /persons/:id` from `bench_plain_persons`, the same fields in clear. No
 * authentication, policy, guard, ledger or encryption. DATABASE_URL names the store (a
 * PostgreSQL URL may carry `options=-c search_path=…`), PORT the port on 127.0.0.1.
 */
import Fastify from 'fastify';
import type { Kysely } from 'kysely';
import { openDatabase } from '../src/store/index.ts';
import { driverSettings } from './http-driver.ts';

interface PlainSchema {
  bench_plain_persons: { id: string; file: string };
}

const url = process.env.DATABASE_URL;
const port = Number(process.env.PORT);
if (!url || !Number.isInteger(port) || port <= 0) throw new Error('DATABASE_URL and PORT are required');

const database = await openDatabase({ url });
const db = database.db as unknown as Kysely<PlainSchema>;
const app = Fastify({ logger: false });

const driver = await driverSettings(database);
app.get('/health', async () => ({ ok: true, driver }));
app.get<{ Params: { id: string } }>('/persons/:id', async (request, reply) => {
  const row = await db
    .selectFrom('bench_plain_persons')
    .select('file')
    .where('id', '=', request.params.id)
    .executeTakeFirst();
  if (!row) return reply.status(404).send({ error: 'not_found' });
  return { id: request.params.id, status: 'active', fields: JSON.parse(row.file) as unknown };
});

await app.listen({ host: '127.0.0.1', port });

const stop = async () => {
  await app.close();
  await database.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
