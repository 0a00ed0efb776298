import { parentPort, workerData } from 'node:worker_threads';
import { Keyring } from '../crypto/index.ts';
import { sealBatch, type BatchJob } from './sealing.ts';

// The keyring arrives once, in memory, from the parent thread; it is never written anywhere.
const keyring = Keyring.parse((workerData as { keyring: string }).keyring, 'parent thread');

parentPort!.on('message', (message: { id: number; job: BatchJob }) => {
  try {
    parentPort!.postMessage({ id: message.id, batch: sealBatch(keyring, message.job) });
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
