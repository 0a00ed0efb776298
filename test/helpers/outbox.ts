import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutgoingMessage } from '../../src/notify/index.ts';

/** The messages the application "sent", oldest first, read from its outbox folder. */
export function outbox(dataDir: string): OutgoingMessage[] {
  const folder = join(dataDir, 'outbox');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .sort()
    .map((name) => JSON.parse(readFileSync(join(folder, name), 'utf8')) as OutgoingMessage);
}

export function messagesTo(dataDir: string, address: string): OutgoingMessage[] {
  return outbox(dataDir).filter((m) => m.to === address);
}

/** The last code of a given shape sent to an address. */
export function lastCodeSentTo(dataDir: string, address: string, pattern = /\b(\d{8})\b/): string {
  const message = messagesTo(dataDir, address).at(-1);
  const code = message ? pattern.exec(message.body)?.[1] : undefined;
  if (!code) throw new Error(`no code was sent to ${address}`);
  return code;
}
