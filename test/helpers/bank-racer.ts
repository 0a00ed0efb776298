/**
 * One side of the bank race (test/backend/bank-race.test.ts): reads its list of changes from a
 * file, waits for the agreed start, then runs item i at start + i × step (plus a quarter step of jitter),
 * without waiting for the one before, so the two processes meet on the same change at the same
 * moment. `settle` settles the person's due change, `freeze` enters the change's « ce n'est pas
 * moi » code. Prints one JSON line: what each item reported.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config.ts';
import { openRuntime } from '../../src/runtime/index.ts';

const [role, listFile, stepMs] = process.argv.slice(2) as [string, string, string];
const items = JSON.parse(readFileSync(listFile, 'utf8')) as Array<{ personId: string; changeId: string; code: string }>;
const runtime = await openRuntime(loadConfig(), { warn: () => undefined });
process.stdout.write('ready\n');
// The start both processes agreed on comes on stdin, once both are ready.
let input = '';
for await (const chunk of process.stdin) input += String(chunk);
const start = Number(input.trim());
const step = Number(stepMs);
const results: Record<string, unknown> = {};
await Promise.all(
  items.map(async (item, i) => {
    const wait = start + i * step + (Math.random() * step) / 4 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      if (role === 'settle') results[item.changeId] = { applied: await runtime.bank.settleDue(item.personId) };
      else {
        const r = await runtime.bank.freeze(item.code, '192.0.2.77');
        results[item.changeId] = { frozen: r.frozen, alreadyEffective: r.alreadyEffective };
      }
    } catch (error) {
      const e = error as { code?: string; message?: string };
      results[item.changeId] = { error: e.code ?? e.message ?? String(error) };
    }
  }),
);
process.stdout.write(`${JSON.stringify(results)}\n`);
await runtime.close();
