/**
 * A process that appends ledger events as fast as it can, 64 at a time, and prints the id of
 * each one once appendEvent has acknowledged it; every few hundred it also integrates and signs.
 * The crash test kills it with SIGKILL mid-flight and checks that nothing acknowledged was lost.
 */
import { loadConfig } from '../../src/config.ts';
import { appendEvent } from '../../src/ledger/index.ts';
import { openRuntime } from '../../src/runtime/index.ts';

const runtime = await openRuntime(loadConfig(), { warn: () => undefined });
const db = runtime.database.db;
let n = 0;
process.stdout.write('ready\n');
for (;;) {
  const batch = Array.from({ length: 64 }, () => {
    n += 1;
    return appendEvent(db, 'access_granted', {
      personId: `p-${n}`,
      purpose: 'crash_test',
      operation: 'read',
      classes: ['identity'],
      details: { n },
    }).then((event) => {
      process.stdout.write(`ack ${event.id}\n`);
    });
  });
  await Promise.all(batch);
  if (n % 512 === 0) await runtime.ledger.checkpoint();
}
