import { Worker } from 'node:worker_threads';
import type { Keyring } from '../crypto/index.ts';
import { sealBatch, type BatchJob, type SealedBatch } from './sealing.ts';

export interface BatchSealer {
  seal(job: BatchJob): Promise<SealedBatch>;
  close(): Promise<void>;
}

/** Buffers cross a thread as plain Uint8Arrays; the database drivers want Buffers (no copy). */
function withBuffers(batch: SealedBatch): SealedBatch {
  const asBuffer = (u: Uint8Array) => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));
  return {
    people: batch.people,
    fieldRows: batch.fieldRows.map((r) => ({
      ...r,
      wrapped_key: asBuffer(r.wrapped_key),
      ciphertext: asBuffer(r.ciphertext),
    })),
    lookupRows: batch.lookupRows.map((r) => ({ ...r, digest: asBuffer(r.digest) })),
  };
}

/** Seal on this thread: for small populations, where starting a worker costs more than it saves. */
export function inlineSealer(keyring: Keyring): BatchSealer {
  return {
    seal: async (job) => sealBatch(keyring, job),
    close: async () => undefined,
  };
}

/**
 * Seal on a worker thread, so that generation and encryption of batch n+1 overlap the
 * database writes of batch n. The sources run through tsx on the worker as on the main thread.
 */
export function workerSealer(keyring: Keyring): BatchSealer {
  // Loader flags do not reach worker threads: the worker registers tsx itself, then loads the module.
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./seal-worker.ts', import.meta.url).href)}); })`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { keyring: keyring.serialize() } });
  const waiting = new Map<number, { resolve: (b: SealedBatch) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const failAll = (error: Error) => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  worker.on('message', (message: { id: number; batch?: SealedBatch; error?: string }) => {
    const w = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.batch) w?.resolve(withBuffers(message.batch));
    else w?.reject(new Error(`sealing worker: ${message.error}`));
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`sealing worker exited (${code})`)));
  return {
    seal(job) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, job });
      });
    },
    async close() {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
