import type { OutgoingMessage } from './outbox.ts';

/**
 * A message taken from the database queue for one delivery attempt. `id` is the queue row's
 * identifier: the same message retried keeps it, so a transport passes it on as the receiver's
 * idempotency key (the SMTP Message-ID, the SMS gateway's Idempotency-Key header, the folder's
 * file name) and a retry after a crash is not delivered twice.
 */
export interface QueuedMessage extends OutgoingMessage {
  id: string;
  /** When the message was queued (ISO 8601, UTC). */
  createdAt: string;
}

/**
 * Carries messages of some channels to people: a mail server, an SMS gateway, a print-and-post
 * service, or a folder in development. `send` resolves once the receiver has accepted the
 * message and throws when it refused it or could not be reached; the queue then keeps the
 * message and retries it later. The error's message is recorded with the message and logged: it
 * says why in codes (a status, an SMTP reply code), never the address or the text.
 */
export interface Transport {
  /** What the operator sees at start and in logs: never a password or a key. */
  readonly description: string;
  send(message: QueuedMessage): Promise<void>;
  /** Release connections (the SMTP pool) at shutdown. */
  close?(): Promise<void>;
}
