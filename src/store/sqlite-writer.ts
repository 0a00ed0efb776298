import { Worker } from 'node:worker_threads';

/** A statement compiled on the main thread, as the writer thread runs it. */
export interface CompiledStatement {
  sql: string;
  parameters: readonly unknown[];
}

export interface WriterRequest {
  id: number;
  statements: readonly CompiledStatement[];
  close?: true;
}

/** `id` -1 says the thread is ready. */
export interface WriterReply {
  id: number;
  error?: string;
}

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * A worker thread with its own connection to the SQLite file, where group commits run: the
 * durable commit's fsync (about a millisecond, per commit) no longer stops the event loop that
 * serves requests, which meanwhile prepares the next group. Started at the first commit; should
 * it die, every commit it held fails (the readers waiting on them fail closed) and the next
 * commit starts a new one. It keeps the process alive only while a commit is in flight.
 */
export class SqliteWriterThread {
  readonly #path: string;
  readonly #busyTimeoutMs: number;
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;

  constructor(path: string, options: { busyTimeoutMs: number }) {
    this.#path = path;
    this.#busyTimeoutMs = options.busyTimeoutMs;
  }

  /** Run these statements as one transaction on the writer thread; settles once committed or rolled back. */
  async run(statements: readonly CompiledStatement[]): Promise<void> {
    if (this.#closed) throw new Error('the SQLite writer thread is closed');
    const worker = await this.#start();
    return new Promise<void>((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, statements } satisfies WriterRequest);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (!worker) return;
    await this.#ready?.catch(() => undefined);
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage({ id: -1, statements: [], close: true } satisfies WriterRequest);
    // A thread stuck in a commit (a lock held elsewhere) is stopped, not waited for forever.
    const timer = setTimeout(() => void worker.terminate(), this.#busyTimeoutMs + 1_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stop the thread at once, as a crash would (the tests of failing closed use it). */
  async kill(): Promise<void> {
    await this.#worker?.terminate();
  }

  #start(): Promise<Worker> {
    if (this.#worker && this.#ready) return this.#ready.then(() => this.#worker!);
    // The sources run through tsx on the thread as on the main one (loader flags do not reach
    // worker threads): it registers tsx itself before loading the module.
    const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./sqlite-writer-worker.ts', import.meta.url).href)}); })`;
    const worker = new Worker(bootstrap, {
      eval: true,
      workerData: { path: this.#path, busyTimeoutMs: this.#busyTimeoutMs },
    });
    this.#worker = worker;
    this.#ready = new Promise<void>((resolve, reject) => {
      const failed = (error: Error) => {
        if (this.#worker === worker) {
          this.#worker = undefined;
          this.#ready = undefined;
        }
        reject(error);
        for (const [id, p] of this.#pending) {
          this.#pending.delete(id);
          p.reject(error);
        }
      };
      worker.on('message', (reply: WriterReply) => {
        if (reply.id === -1) {
          if (this.#pending.size === 0) worker.unref();
          return resolve();
        }
        const p = this.#pending.get(reply.id);
        if (!p) return;
        this.#pending.delete(reply.id);
        if (this.#pending.size === 0) worker.unref();
        if (reply.error === undefined) p.resolve();
        else p.reject(new Error(reply.error));
      });
      worker.on('error', (error) => failed(error));
      worker.on('exit', (code) => failed(new Error(`the SQLite writer thread stopped (exit ${code})`)));
    });
    return this.#ready.then(() => worker);
  }
}
