import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OperationalFigures } from './operations.ts';

export {
  DEFAULT_READINESS,
  operationalReasons,
  readOperationalFigures,
  staleCheckpointSeconds,
  type JobQueueSource,
  type LedgerBacklogSource,
  type OperationalFigures,
  type OperationsSources,
  type ReadinessThresholds,
} from './operations.ts';

/** Outcomes of the guard's word on a read, a search or a booking (the guard's observer says which). */
export type GuardCheck = 'read' | 'search' | 'booking' | 'list';
export type GuardOutcome = 'admitted' | 'alerted' | 'decoy' | 'refused' | 'contained' | 'error';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The process's own figures (CPU, memory, event loop, GC, handles), prom-client's defaults: one
 * registry per process, started at the first scrape (a command that never serves metrics starts
 * nothing), shared by the runtimes of the process (tests open many), and scraped with each.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * Rempart's Prometheus metrics, on a registry of its own (never prom-client's global one: a test
 * process opens many runtimes). Labels are low-cardinality codes only — a route pattern, a
 * reason or signal code, an outcome — never a person, an account, a login or an address. The
 * recording methods are a counter's increment or a histogram's bucket, synchronous: they sit on
 * the read path. The capabilities call them through their `observe` options (the pipeline's
 * `decision`, the guard's `admission`, the ledger's `appended`), without importing this module.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests = new Histogram({
    name: 'rempart_http_request_duration_seconds',
    help: 'Time from a request received to its answer sent, by method, route pattern (`unmatched` for none) and status class.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly #decisions = new Counter({
    name: 'rempart_access_decisions_total',
    help: 'Access decisions of the policy, by outcome (permit, deny) and reason: the relationship a permit rests on (or break_glass), the denial reason code.',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });
  readonly #admissions = new Counter({
    name: 'rempart_guard_admissions_total',
    help: 'The guard’s word on reads, searches and bookings, by check, outcome (admitted, alerted, decoy, refused, contained, error) and signal (none when no signal was raised).',
    labelNames: ['check', 'outcome', 'signal'] as const,
    registers: [this.registry],
  });
  readonly #appends = new Histogram({
    name: 'rempart_ledger_append_duration_seconds',
    help: 'Time from an append of ledger events outside a transaction to their being durable (the group commit), per call.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly #lagEvents = new Gauge({
    name: 'rempart_ledger_integration_lag_events',
    help: 'Ledger events recorded but not yet integrated into the Merkle tree (read at scrape time).',
    registers: [this.registry],
  });
  readonly #lagSeconds = new Gauge({
    name: 'rempart_ledger_integration_lag_seconds',
    help: 'Age of the oldest ledger event not yet integrated, 0 when none waits (read at scrape time).',
    registers: [this.registry],
  });
  readonly #checkpointAge = new Gauge({
    name: 'rempart_ledger_checkpoint_age_seconds',
    help: 'Seconds since the newest signed checkpoint of the ledger; before the first, since the oldest event waiting for it (read at scrape time).',
    registers: [this.registry],
  });
  readonly #unsigned = new Gauge({
    name: 'rempart_ledger_events_unsigned',
    help: '1 while events wait for a signed checkpoint, else 0 (read at scrape time).',
    registers: [this.registry],
  });
  // The queue's gauges are registered once a queue answers: no figure rather than a false 0.
  readonly #queueDepth = new Gauge({
    name: 'rempart_jobs_queue_depth',
    help: 'Jobs waiting in the queue (read at scrape time).',
    registers: [],
  });
  readonly #queueWait = new Gauge({
    name: 'rempart_jobs_queue_oldest_waiting_seconds',
    help: 'How long the oldest waiting job has waited, 0 when none waits (read at scrape time).',
    registers: [],
  });
  readonly #queueFailing = new Gauge({
    name: 'rempart_jobs_failing',
    help: 'Kinds of jobs currently failing (read at scrape time).',
    registers: [],
  });
  readonly #collectErrors = new Counter({
    name: 'rempart_metrics_collect_errors_total',
    help: 'Scrapes whose figures read at scrape time (ledger, queue) could not be read; the gauges are then NaN.',
    registers: [this.registry],
  });
  #queueRegistered = false;
  #figures: (() => Promise<OperationalFigures>) | undefined;

  /** One answered request: its route pattern (never the URL), method, status class and duration. */
  request(method: string, route: string | undefined, status: number, seconds: number): void {
    this.#requests.observe(
      {
        method: HTTP_METHODS.has(method) ? method : 'other',
        route: route ?? 'unmatched',
        status: `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx`,
      },
      seconds,
    );
  }

  /** The access pipeline's observer: one decision of the policy. */
  decision(outcome: 'permit' | 'deny', reason: string): void {
    this.#decisions.inc({ outcome, reason });
  }

  /** The guard's observer: its word on one read, search or booking, and the signal behind it. */
  admission(check: GuardCheck, outcome: GuardOutcome, signal: string): void {
    this.#admissions.inc({ check, outcome, signal });
  }

  /** The ledger's observer: one append (of one or more events) made durable in `seconds`. */
  appended(seconds: number): void {
    this.#appends.observe(seconds);
  }

  /** Where the gauges read at scrape time come from (the runtime wires the ledger and the queue). */
  collectFrom(figures: () => Promise<OperationalFigures>): void {
    this.#figures = figures;
  }

  /** The text a Prometheus server scrapes: the process's figures, then Rempart's. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    await this.#refresh();
    const own = await this.registry.metrics();
    const process = await processMetrics().metrics();
    return { contentType: this.registry.contentType, text: `${process}\n${own}` };
  }

  async #refresh(): Promise<void> {
    if (!this.#figures) return;
    let figures: OperationalFigures;
    try {
      figures = await this.#figures();
    } catch {
      this.#collectErrors.inc();
      for (const gauge of [this.#lagEvents, this.#lagSeconds, this.#checkpointAge, this.#unsigned]) gauge.set(NaN);
      return;
    }
    const { ledger, queue } = figures;
    this.#lagEvents.set(ledger.lagEvents);
    this.#lagSeconds.set(ledger.lagSeconds ?? 0);
    this.#checkpointAge.set(ledger.checkpointAgeSeconds);
    this.#unsigned.set(ledger.unsigned ? 1 : 0);
    if (queue === null) return;
    if (!this.#queueRegistered) {
      for (const gauge of [this.#queueDepth, this.#queueWait, this.#queueFailing]) this.registry.registerMetric(gauge);
      this.#queueRegistered = true;
    }
    if (queue === 'unavailable') {
      this.#collectErrors.inc();
      for (const gauge of [this.#queueDepth, this.#queueWait, this.#queueFailing]) gauge.set(NaN);
      return;
    }
    this.#queueDepth.set(queue.depth);
    this.#queueWait.set(queue.oldestWaitingSeconds ?? 0);
    this.#queueFailing.set(queue.failing.length);
  }
}

/** Whether a presented bearer token is the configured one, in constant time (lengths included). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const presented = createHash('sha256')
    .update(match?.[1] ?? '')
    .digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(presented, expected) && match !== null;
}

export interface MetricsListener {
  /** The port it listens on (the one given, or the one the system chose for 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * The metrics on a listener of their own (REMPART_METRICS_PORT, bound to REMPART_METRICS_HOST,
 * 127.0.0.1 by default): `GET /metrics` and nothing else, no authentication — it is meant for a
 * network only the monitoring reaches. Started by whoever starts the main server.
 */
export async function startMetricsListener(
  metrics: Metrics,
  options: { host: string; port: number },
): Promise<MetricsListener> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(path === '/metrics' ? 'method not allowed\n' : 'not found\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, text }) => {
        response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      () => {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('metrics unavailable\n');
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
