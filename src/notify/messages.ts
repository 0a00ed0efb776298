import { randomUUID } from 'node:crypto';
import type { Executor } from '../store/index.ts';
import { maskAddress, type Notifier, type OutgoingMessage } from './outbox.ts';

/** What sends a message and keeps its trace: the store and the notifier. */
export interface MessageSender {
  db: Executor;
  notifier: Notifier;
}

/** Record what is sent (never the body, which may hold a code), then send it. */
export async function sendMessage(
  m: MessageSender,
  kind: string,
  message: OutgoingMessage,
  about: { accountId?: string | null; organisationId?: string | null } = {},
): Promise<void> {
  await m.db
    .insertInto('notifications')
    .values({
      id: randomUUID(),
      at: new Date().toISOString(),
      kind,
      account_id: about.accountId ?? null,
      organisation_id: about.organisationId ?? null,
      channel: message.channel,
      recipient: maskAddress(message.channel, message.to),
      subject: message.subject,
    })
    .execute();
  // In the caller's transaction: the message exists if and only if what caused it is committed.
  await m.notifier.deliver(message, m.db);
}
