import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OutgoingMessage {
  channel: 'email' | 'sms' | 'letter';
  /** Full address: an email, a phone number in E.164, or a postal address block (lines joined by newlines). */
  to: string;
  subject: string;
  body: string;
  /**
   * Set by a job that may resume after a crash: a second delivery with the same key is dropped
   * (a real gateway's idempotency key; the outbox's file name).
   */
  idempotencyKey?: string;
}

/**
 * Delivers messages to people: a mail gateway, an SMS provider and a print-and-post service in
 * production (any implementation of this interface), a folder in development.
 */
export interface Notifier {
  deliver(message: OutgoingMessage): Promise<void>;
}

/**
 * A maildir-like folder, one JSON file per message, readable only by the service: what a
 * developer (or a test) opens to read the code that "was sent". Messages can carry one-time
 * codes, so the folder is the only place their body exists.
 */
export class FileOutbox implements Notifier {
  readonly folder: string;

  constructor(folder: string) {
    this.folder = folder;
  }

  async deliver(message: OutgoingMessage): Promise<void> {
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    if (message.idempotencyKey) {
      const name = `key-${createHash('sha256').update(message.idempotencyKey).digest('hex').slice(0, 32)}.json`;
      try {
        writeFileSync(join(this.folder, name), JSON.stringify(message, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      return;
    }
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.json`;
    writeFileSync(join(this.folder, name), JSON.stringify(message, null, 2) + '\n', { mode: 0o600 });
  }
}

/** Enough of an address for its owner to recognise it, not enough to use it. */
export function maskAddress(channel: OutgoingMessage['channel'], address: string): string {
  if (channel === 'letter') {
    // The postal code and commune (last line), never the name or the street.
    const last = address.trim().split('\n').pop() ?? '';
    return last ? `*** ${last.trim()}` : '***';
  }
  if (channel === 'email') {
    const at = address.lastIndexOf('@');
    if (at < 1) return '***';
    return `${address[0]}***@${address.slice(at + 1)}`;
  }
  const digits = address.replace(/\D/g, '');
  return digits.length < 4
    ? '***'
    : `${address.startsWith('+') ? '+' : ''}${'*'.repeat(Math.max(0, digits.length - 2))}${digits.slice(-2)}`;
}
