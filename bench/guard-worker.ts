/** A second server process of the guard benchmark: same store (REMPART_* and DATABASE_URL), its own actor. */
import { loadConfig } from '../src/config.ts';
import { openRuntime } from '../src/runtime/index.ts';
import { timeReads } from './guard-reads.ts';

const runtime = await openRuntime(loadConfig(), { warn: () => undefined });
try {
  const actor = { id: process.env.BENCH_ACTOR!, organisationId: process.env.BENCH_ORGANISATION! };
  const persons = (await runtime.database.db.selectFrom('persons').select('id').orderBy('id').execute()).map(
    (r) => r.id,
  );
  process.stdout.write(
    JSON.stringify(await timeReads(runtime, actor, persons, Number(process.env.BENCH_READS))) + '\n',
  );
} finally {
  await runtime.close();
}
