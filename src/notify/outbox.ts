import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Executor } from '../store/index.ts';
import type { QueuedMessage, Transport } from './transport.ts';

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
  /**
   * Hand a message over for delivery. With `db`, in that executor: inside a transaction the
   * message is queued with what caused it and sent once it commits (the database queue).
   */
  deliver(message: OutgoingMessage, db?: Executor): Promise<void>;
  /**
   * The paper channel (issue 25 §5), when the runtime plugs it in: a notice announced to a
   * person's account is also queued as a letter if they chose paper for all correspondence, in
   * `db` (the notice's transaction). Answers whether a letter was queued. Absent: no letter.
   */
  paper?(notice: PaperNotice, db: Executor): Promise<boolean>;
}

/** A notice as the paper channel receives it: whose, what kind, and its words (sealed with the letter). */
export interface PaperNotice {
  personId: string;
  /** The account the notice was announced to, whose verified channels reach the person if the letter comes back. */
  accountId: string | null;
  kind: string;
  subject: string;
  body: string;
}

/**
 * A queued message's id as a transport passes it on (file name, Message-ID, Idempotency-Key):
 * letters, digits, `-` and `_` only, so it can neither leave the outbox folder nor break a header.
 */
export function checkQueuedMessageId(id: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id))
    throw new Error('a queued message id must be 1 to 128 letters, digits, "-" or "_"');
  return id;
}

/**
 * A maildir-like folder, one JSON file per message, readable only by the service: what a
 * developer (or a test) opens to read the code that "was sent". Messages can carry one-time
 * codes, so the folder is the only place their body exists. It takes every channel: where no
 * mail server, SMS gateway or print-and-post service is configured, the message lands here.
 */
export class FileOutbox implements Notifier, Transport {
  readonly folder: string;
  readonly description: string;

  constructor(folder: string) {
    this.folder = folder;
    this.description = `folder ${folder}`;
  }

  /**
   * One file per queued message, `<createdAt>-<id>.json` (the timestamp's `:` and `.` made `-`,
   * so names sort in queue order), created exclusively: a retry of a message already written
   * finds its file and is done (delivered once), never a second copy.
   */
  async send(message: QueuedMessage): Promise<void> {
    const id = checkQueuedMessageId(message.id);
    const at = new Date(message.createdAt);
    if (Number.isNaN(at.getTime()) || !/^[0-9]{4}-[0-9T:.+-]+Z?$/.test(message.createdAt))
      throw new Error(`queued message ${id}: createdAt is not an ISO 8601 timestamp`);
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    const name = `${message.createdAt.replace(/[:.]/g, '-')}-${id}.json`;
    const content = {
      channel: message.channel,
      to: message.to,
      subject: message.subject,
      body: message.body,
      id,
      createdAt: message.createdAt,
    };
    try {
      writeFileSync(join(this.folder, name), JSON.stringify(content, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
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
