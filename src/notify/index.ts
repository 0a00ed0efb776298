export { sendMessage, type MessageSender } from './messages.ts';
export {
  checkQueuedMessageId,
  FileOutbox,
  maskAddress,
  type Notifier,
  type OutgoingMessage,
  type PaperNotice,
} from './outbox.ts';
export {
  isLoopbackHost,
  notifySettingsFrom,
  type NotifySettings,
  type SmsGatewaySettings,
  type SmtpSettings,
} from './settings.ts';
export {
  hmacSha256Hex,
  smsSignature,
  SmsGatewayTransport,
  verifySmsSignature,
  type SmsGatewayOptions,
} from './sms-gateway.ts';
export { SmtpTransport, type SmtpTransportOptions } from './smtp.ts';
export type { QueuedMessage, Transport } from './transport.ts';
export { transportsFrom, type ChannelTransports } from './transports.ts';
export { MessageQueue, type MessageQueueOptions, type Transports } from './queue.ts';
export { retireMessageRecords } from './retention.ts';
