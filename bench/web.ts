/**
 * The web application's weight and the price of serving it (web issue): the built files'
 * sizes (raw and gzip), and over real HTTP on the loopback, the page and its assets served by
 * Rempart (helmet's headers on every response, the SPA fallback) against the same files served
 * by a bare Fastify with @fastify/static and no headers, and against `GET /api/health`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildServer } from '../src/api/index.ts';
import { WEB_DIST } from '../src/api/web.ts';
import { testEnvironment } from '../test/helpers/backend.ts';
import type { TableFn } from './policy.ts';

const root = new URL('../', import.meta.url).pathname;
const CONCURRENCY = 16;
const SECONDS = Number(process.env.BENCH_WEB_SECONDS || 3);

/** Requests per second fetching `paths` in turn with CONCURRENCY requests in flight, and the p50/p99 latency. */
async function load(origin: string, paths: string[]): Promise<{ rps: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const until = performance.now() + SECONDS * 1000;
  let next = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const path = paths[next++ % paths.length]!;
      const started = performance.now();
      const res = await fetch(`${origin}${path}`);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsed,
    p50: latencies[Math.floor(latencies.length * 0.5)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
  };
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

export async function benchWeb(table: TableFn): Promise<void> {
  const built = spawnSync(process.execPath, [join(root, 'scripts/build-web.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the web application did not build');

  const files = readdirSync(join(WEB_DIST, 'assets'));
  const sizeOf = (suffix: string) => {
    const chosen = files.filter((f) => f.endsWith(suffix));
    const raw = chosen.reduce((sum, f) => sum + statSync(join(WEB_DIST, 'assets', f)).size, 0);
    const gz = chosen.reduce((sum, f) => sum + gzipSync(readFileSync(join(WEB_DIST, 'assets', f))).length, 0);
    return [suffix, chosen.length, `${(raw / 1024).toFixed(0)} KiB`, `${(gz / 1024).toFixed(0)} KiB`];
  };
  // What a first visit fetches: the page, its script and its style sheet (each space is a chunk loaded after sign-in).
  const index = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
  const firstVisit = ['/', ...[...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!)];
  const entry = firstVisit.slice(1).map((p) => readFileSync(join(WEB_DIST, p)));
  const entryRow = [
    'entry script + style (first visit)',
    entry.length,
    `${(entry.reduce((n, b) => n + b.length, 0) / 1024).toFixed(0)} KiB`,
    `${(entry.reduce((n, b) => n + gzipSync(b).length, 0) / 1024).toFixed(0)} KiB`,
  ];
  table(
    'The built web application (web/dist/assets)',
    ['files', 'count', 'raw', 'gzip'],
    [sizeOf('.js'), sizeOf('.css'), sizeOf('.woff2'), sizeOf('.svg'), entryRow],
  );

  const env = testEnvironment({ backend: 'sqlite', schemaPrefix: 'bench' });
  const runtime = await env.open();
  const rempart = await buildServer(runtime, pino({ level: 'silent' }));
  const bare = Fastify({ logger: false });
  await bare.register(fastifyStatic, { root: WEB_DIST, index: 'index.html' });
  try {
    const rempartOrigin = await listen(rempart);
    const bareOrigin = await listen(bare);
    const pageRempart = await load(rempartOrigin, firstVisit);
    const pageBare = await load(
      bareOrigin,
      firstVisit.map((p) => (p === '/' ? '/index.html' : p)),
    );
    const deepLink = await load(rempartOrigin, ['/mon-espace/consultations']);
    const health = await load(rempartOrigin, ['/api/health']);
    const row = (what: string, m: { rps: number; p50: number; p99: number }, base: { rps: number }) => [
      what,
      m.rps,
      m.p50.toFixed(2),
      m.p99.toFixed(2),
      `${(base.rps / m.rps).toFixed(2)}×`,
    ];
    table(
      `Serving the application over HTTP on the loopback (${CONCURRENCY} in flight, ${SECONDS} s each), requests/s`,
      ['what', 'req/s', 'p50 ms', 'p99 ms', 'cost vs bare static'],
      [
        row(`first visit (${firstVisit.length} files), Rempart: helmet headers + fallback`, pageRempart, pageBare),
        row('first visit, bare Fastify + @fastify/static, no headers (baseline)', pageBare, pageBare),
        row('a page address (SPA fallback to index.html)', deepLink, pageBare),
        row('GET /api/health (store and keyring checked)', health, pageBare),
      ],
    );
  } finally {
    await rempart.close();
    await bare.close();
    await runtime.close();
    await env.cleanup();
  }
}
