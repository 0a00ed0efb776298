import { randomUUID } from 'node:crypto';
import { openSecret, sealSecret, type Keyring } from '../crypto/index.ts';
import type { Updateable } from 'kysely';
import { afterCommit, type Executor } from '../store/index.ts';
import type { OutgoingMessagesTable } from '../store/tables/notify.ts';
import { maskAddress, type Notifier, type OutgoingMessage } from './outbox.ts';
import type { QueuedMessage, Transport } from './transport.ts';

/** One transport per channel: mail, SMS, letters. */
export type Transports = Readonly<Record<OutgoingMessage['channel'], Transport>>;

export interface MessageQueueOptions {
  db: Executor;
  keyring: () => Keyring;
  transports: Transports;
  /** A delivery attempt failed (the message stays queued, or is given up after its attempts). */
  onError?: (error: unknown, about: { id: string; channel: string; attempts: number; givenUp: boolean }) => void;
  /** Attempts before a message is given up and marked failed. Default 12 (about 3 h with the doubling delay). */
  maxAttempts?: number;
  /**
   * How long the request that queued a message waits for its first attempt (default 2,000 ms): a
   * slow mail server does not hold the person's request for its own timeouts; past it the attempt
   * goes on in the background and its outcome is recorded as usual.
   */
  inlineWaitMs?: number;
  now?: () => Date;
}

/** The sealed part of a queued message: everything that says whom, and what. */
interface SealedContent {
  to: string;
  subject: string;
  body: string;
}

const SEALING_PURPOSE = 'outgoing_message';
/** A claim on a message lasts this long: past it, a process that died mid-send loses the message to another. */
const LEASE_MS = 60_000;
const FIRST_RETRY_MS = 5_000;
const LONGEST_RETRY_MS = 3_600_000;

/**
 * The messages to people, queued in the store (issue 22): `deliver` writes the message in the
 * caller's transaction, sealed, so a message exists exactly when what caused it was committed and
 * no host's disk holds it. It is sent right after the commit by the process that wrote it, and
 * otherwise (a transport down, a process that died) by the `messages.deliver` job on any process,
 * with a doubling delay. A message is claimed by one process at a time (a conditional update),
 * its transport is given the queue row's id as idempotency key (so a retry after a crash between
 * sending and recording is dropped by the receiver), and its sealed body is wiped once sent.
 */
export class MessageQueue implements Notifier {
  readonly #options: MessageQueueOptions;
  readonly #now: () => Date;

  constructor(options: MessageQueueOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  async deliver(message: OutgoingMessage, db: Executor = this.#options.db): Promise<void> {
    const id = randomUUID();
    const at = this.#now().toISOString();
    const content: SealedContent = { to: message.to, subject: message.subject, body: message.body };
    const sealed = sealSecret(this.#options.keyring(), id, SEALING_PURPOSE, Buffer.from(JSON.stringify(content)));
    const inserted = await db
      .insertInto('outgoing_messages')
      .values({
        id,
        created_at: at,
        channel: message.channel,
        recipient: maskAddress(message.channel, message.to),
        idempotency_key: message.idempotencyKey ?? null,
        key_version: sealed.version,
        sealed: sealed.sealed,
        status: 'queued',
        attempts: 0,
        next_attempt_at: at,
        lease_until: null,
        last_error: null,
        transport: null,
        sent_at: null,
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .executeTakeFirst();
    // The same idempotency key queued before: that message is the one to send.
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) return;
    await afterCommit(db, () => this.#attemptWithin(id, this.#options.inlineWaitMs ?? 2_000));
  }

  /** Where each channel's messages go, for the operator (never a password or a key). */
  description(): string {
    const { email, sms, letter } = this.#options.transports;
    return `file d’attente en base ; courriel : ${email.description} ; SMS : ${sms.description} ; courrier : ${letter.description}`;
  }

  /** Send every message that is due (the job's work): each one claimed, so processes running this together share them out. */
  async deliverDue(limit = 200): Promise<{ sent: number; failed: number }> {
    const now = this.#now().toISOString();
    const due = await this.#options.db
      .selectFrom('outgoing_messages')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'queued'), eb('next_attempt_at', '<=', now)]),
          eb.and([eb('status', '=', 'sending'), eb('lease_until', '<', now)]),
        ]),
      )
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    const result = { sent: 0, failed: 0 };
    for (const { id } of due) {
      const outcome = await this.#attempt(id);
      if (outcome === 'sent') result.sent++;
      else if (outcome === 'failed') result.failed++;
    }
    return result;
  }

  /** Messages waiting to be sent, and how long the oldest has waited (readiness, metrics). */
  async backlog(): Promise<{ waiting: number; oldestSeconds: number | null; givenUp: number }> {
    const rows = await this.#options.db
      .selectFrom('outgoing_messages')
      .select((eb) => ['status', eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
      .where('status', '!=', 'sent')
      .groupBy('status')
      .execute();
    let waiting = 0;
    let givenUp = 0;
    let oldest: string | null = null;
    for (const row of rows) {
      if (row.status === 'failed') givenUp += Number(row.n);
      else {
        waiting += Number(row.n);
        if (row.oldest && (!oldest || row.oldest < oldest)) oldest = row.oldest;
      }
    }
    const oldestSeconds = oldest ? Math.max(0, (this.#now().getTime() - Date.parse(oldest)) / 1000) : null;
    return { waiting, oldestSeconds, givenUp };
  }

  /** Forget sent messages older than `before` (their trace stays in `notifications`). */
  async purgeSent(before: Date): Promise<number> {
    const result = await this.#options.db
      .deleteFrom('outgoing_messages')
      .where('status', '=', 'sent')
      .where('sent_at', '<', before.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The first attempt, waited for at most `ms`: it goes on past that, and never throws. */
  async #attemptWithin(id: string, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([this.#attempt(id), bound]);
    clearTimeout(timer);
  }

  /** Claim one message, send it, record the outcome. Never throws: a failure leaves it queued. */
  async #attempt(id: string): Promise<'sent' | 'failed' | 'not_mine'> {
    const { db } = this.#options;
    const now = this.#now();
    const claimed = await db
      .updateTable('outgoing_messages')
      .set((eb) => ({
        status: 'sending',
        attempts: eb('attempts', '+', 1),
        lease_until: new Date(now.getTime() + LEASE_MS).toISOString(),
      }))
      .where('id', '=', id)
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'queued'), eb('next_attempt_at', '<=', now.toISOString())]),
          eb.and([eb('status', '=', 'sending'), eb('lease_until', '<', now.toISOString())]),
        ]),
      )
      .returning(['channel', 'created_at', 'key_version', 'sealed', 'attempts', 'idempotency_key', 'lease_until'])
      .executeTakeFirst()
      .catch(() => undefined);
    if (!claimed || !claimed.sealed) return 'not_mine';
    const transport = this.#options.transports[claimed.channel];
    // Only while this claim holds: a process whose lease ran out does not overwrite the next holder's outcome.
    const record = (values: Updateable<OutgoingMessagesTable>) =>
      db
        .updateTable('outgoing_messages')
        .set(values)
        .where('id', '=', id)
        .where('status', '=', 'sending')
        .where('lease_until', '=', claimed.lease_until)
        .execute();
    try {
      const content = JSON.parse(
        openSecret(this.#options.keyring(), id, SEALING_PURPOSE, {
          version: claimed.key_version,
          sealed: Buffer.from(claimed.sealed),
        }).toString('utf8'),
      ) as SealedContent;
      const message: QueuedMessage = {
        id,
        createdAt: claimed.created_at,
        channel: claimed.channel,
        ...content,
        ...(claimed.idempotency_key ? { idempotencyKey: claimed.idempotency_key } : {}),
      };
      await transport.send(message);
    } catch (error) {
      const givenUp = claimed.attempts >= (this.#options.maxAttempts ?? 12);
      const delay = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** (claimed.attempts - 1));
      await record({
        status: givenUp ? 'failed' : 'queued',
        next_attempt_at: new Date(this.#now().getTime() + delay).toISOString(),
        lease_until: null,
        // The transport's words (a status, a refusal), never the message.
        last_error: (error instanceof Error ? error.message : String(error)).slice(0, 300),
      }).catch(() => undefined);
      this.#options.onError?.(error, { id, channel: claimed.channel, attempts: claimed.attempts, givenUp });
      return 'failed';
    }
    await record({
      status: 'sent',
      sealed: null,
      lease_until: null,
      last_error: null,
      transport: transport.description,
      sent_at: this.#now().toISOString(),
    }).catch((error: unknown) =>
      this.#options.onError?.(error, { id, channel: claimed.channel, attempts: claimed.attempts, givenUp: false }),
    );
    return 'sent';
  }
}
