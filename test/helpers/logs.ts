import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/api/index.ts';

/** A debug-level logger whose JSON lines land in `lines`, to check what the server writes. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger('debug', sink), lines };
}
