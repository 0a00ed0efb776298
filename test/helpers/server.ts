import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config.ts';
import type { Clock } from '../../src/domain/index.ts';
import { buildServer } from '../../src/api/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { testEnvironment, type TestEnvironment } from './backend.ts';
import { capturingLogger } from './logs.ts';

export interface TestServer {
  env: TestEnvironment;
  runtime: Runtime;
  app: FastifyInstance;
  /** What the server logged, one JSON line each. */
  logLines: string[];
  close(): Promise<void>;
}

/**
 * A private store and the whole HTTP application on it, driven by Fastify's injector.
 * `config` overrides settings of the test configuration (OpenID Connect providers, public URL).
 */
export async function openTestServer(options: { config?: Partial<Config>; clock?: Clock } = {}): Promise<TestServer> {
  const env = testEnvironment(options.config ? { config: options.config } : {});
  const runtime = await env.open(options.clock ? { clock: options.clock } : {});
  const { logger, lines } = capturingLogger();
  const app = await buildServer(runtime, logger);
  return {
    env,
    runtime,
    app,
    logLines: lines,
    async close() {
      await app.close();
      await runtime.close();
      await env.cleanup();
    },
  };
}
