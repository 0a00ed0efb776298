import { availableParallelism } from 'node:os';
import type { Executor, Flavour } from '../store/index.ts';
import type { PageJob, PageResult } from './verify-page.ts';
import { inlineHasher, workerHasher, type PageHasher } from './verify-pool.ts';
import { readEvents, readLeaves } from './verify-read.ts';

/**
 * Below this many events the log is hashed on the calling thread: a hashing thread costs about
 * 0.3 s of CPU to start (tsx and the modules), which a smaller log does not pay back.
 */
const WORKERS_FROM = 150_000;

/** One page of positions [start, stop) and, if it could be read whole, what its hashing found. */
export interface HashedPage {
  start: number;
  stop: number;
  result?: PageResult;
}

interface InFlight {
  start: number;
  stop: number;
  result?: Promise<PageResult>;
}

export interface PagesPlan {
  /** Positions [0, end) in pages of `batch`. */
  end: number;
  batch: number;
  prunedBelow: number;
  /** Sizes at which signed checkpoints are compared: a page's subtrees are split there. */
  cutSizes: readonly number[];
  /** Hashing threads asked for; by default chosen from the log's size and the cores. */
  workers?: number;
  /** One page at a time: a page read ahead would be read and hashed during the caller's pause. */
  paced: boolean;
}

/**
 * By default none below 150,000 events or on fewer than 4 cores (measured on 2: the thread that
 * reads the pages and the hashing threads compete, and one thread is faster), else one per core
 * but the reader's (at most 4).
 */
function threadsFor(end: number, workers: number | undefined): number {
  const cores = availableParallelism();
  return workers ?? (end >= WORKERS_FROM && cores >= 4 ? Math.min(4, cores - 1) : 0);
}

/** Read page [start, stop) whole and hand it to a hashing thread, if it can be read so. */
async function dispatch(
  db: Executor,
  flavour: Flavour,
  hasher: PageHasher,
  plan: PagesPlan,
  start: number,
  stop: number,
): Promise<InFlight> {
  const leaves = await readLeaves(db, flavour, start, stop);
  if (!leaves) return { start, stop };
  const from = Math.max(start, plan.prunedBelow);
  const events = from < stop ? await readEvents(db, flavour, from, stop) : { text: '', lengths: '' };
  if (!events) return { start, stop };
  const job: PageJob = {
    start,
    stop,
    from: Math.min(from, stop),
    cuts: plan.cutSizes.filter((c) => c > start && c <= stop),
    leaves,
    ...events,
  };
  const result = hasher.hash(job);
  // Awaited in turn; should an earlier page fail first, this one's failure is not left unhandled.
  result.catch(() => undefined);
  return { start, stop, result };
}

/**
 * The pages of the log in order, each read by range of `seq` (keyset, never OFFSET) and hashed
 * on worker threads while the next pages are read. Up to one page per thread is being hashed,
 * plus the one being read. Reads are not awaited one by one: on PostgreSQL the next pages are
 * aggregated by the server (on other connections of the pool) while this one is hashed;
 * SQLite's one connection takes them in turn. The threads end with the iteration.
 */
export async function* hashedPages(db: Executor, flavour: Flavour, plan: PagesPlan): AsyncGenerator<HashedPage> {
  const threads = threadsFor(plan.end, plan.workers);
  const hasher = threads > 0 ? workerHasher(threads) : inlineHasher();
  try {
    const depth = plan.paced ? 1 : Math.max(1, threads) + 1;
    const inFlight: Array<Promise<InFlight>> = [];
    let next = 0;
    while (next < plan.end || inFlight.length > 0) {
      while (next < plan.end && inFlight.length < depth) {
        const stop = Math.min(plan.end, next + plan.batch);
        const page = dispatch(db, flavour, hasher, plan, next, stop);
        // Awaited in turn; should an earlier page fail first, this one's failure is not left unhandled.
        page.catch(() => undefined);
        inFlight.push(page);
        next = stop;
      }
      const page = await inFlight.shift()!;
      const result = page.result ? await page.result : undefined;
      yield { start: page.start, stop: page.stop, ...(result ? { result } : {}) };
    }
  } finally {
    await hasher.close();
  }
}
