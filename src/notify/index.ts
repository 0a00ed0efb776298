export { sendMessage, type MessageSender } from './messages.ts';
export { FileOutbox, maskAddress, type Notifier, type OutgoingMessage } from './outbox.ts';
