export { FileOutbox, maskAddress, type Notifier, type OutgoingMessage } from './outbox.ts';
