import { parentPort } from 'node:worker_threads';
import { hashPage, type PageJob } from './verify-page.ts';

// A `ledger verify` hashing thread: pages in; clean or not, and the subtrees, out (started by verify-pool.ts).
parentPort!.on('message', (message: { id: number; job: PageJob }) => {
  try {
    const result = hashPage(message.job);
    const transfer = result.heights ? [result.heights.buffer, result.nodes!.buffer, result.segments!.buffer] : [];
    parentPort!.postMessage({ id: message.id, result }, transfer as ArrayBuffer[]);
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
