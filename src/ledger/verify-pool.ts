import { Worker } from 'node:worker_threads';
import { hashPage, type PageJob, type PageResult } from './verify-page.ts';

/** Where pages of `ledger verify` are hashed: on worker threads, or on this one for a small log. */
export interface PageHasher {
  hash(job: PageJob): Promise<PageResult>;
  close(): Promise<void>;
}

export function inlineHasher(): PageHasher {
  return {
    hash: async (job) => hashPage(job),
    close: async () => undefined,
  };
}

/**
 * `threads` worker threads, each given the next page in turn. The sources run through tsx on
 * the workers as on the main thread (loader flags do not reach worker threads, so each
 * registers tsx itself before loading the module, as the seed's sealing worker does). Should a
 * thread fail to start or die, its pages and every later one are hashed on this thread: a
 * verification is slower then, never wrong nor lost.
 */
export function workerHasher(threads: number): PageHasher {
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./verify-worker.ts', import.meta.url).href)}); })`;
  const waiting = new Map<number, { job: PageJob; resolve: (r: PageResult) => void; reject: (e: Error) => void }>();
  let broken = false;
  const inline = (w: { job: PageJob; resolve: (r: PageResult) => void; reject: (e: Error) => void }) => {
    try {
      w.resolve(hashPage(w.job));
    } catch (error) {
      w.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
  let closed = false;
  const fallBack = () => {
    if (closed) return;
    broken = true;
    const left = [...waiting.values()];
    waiting.clear();
    for (const w of left) inline(w);
  };
  const workers = Array.from({ length: Math.max(1, threads) }, () => {
    const worker = new Worker(bootstrap, { eval: true });
    worker.on('message', (message: { id: number; result?: PageResult; error?: string }) => {
      const w = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.result) w?.resolve(message.result);
      else w?.reject(new Error(`ledger verify worker: ${message.error}`));
    });
    worker.on('error', fallBack);
    worker.on('exit', fallBack);
    return worker;
  });
  let nextId = 0;
  return {
    hash(job) {
      return new Promise((resolve, reject) => {
        if (broken) return inline({ job, resolve, reject });
        const id = nextId++;
        // The job is copied, not transferred: it stays here, should its thread fail.
        waiting.set(id, { job, resolve, reject });
        workers[id % workers.length]!.postMessage({ id, job });
      });
    },
    async close() {
      closed = true;
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
