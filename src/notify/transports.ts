import { FileOutbox } from './outbox.ts';
import type { NotifySettings } from './settings.ts';
import { SmsGatewayTransport } from './sms-gateway.ts';
import { SmtpTransport } from './smtp.ts';
import type { Transport } from './transport.ts';

/** The transport of each channel, as the dispatcher of the message queue picks it. */
export interface ChannelTransports {
  email: Transport;
  sms: Transport;
  letter: Transport;
  /** One line per channel for the operator at start: `email: SMTP smtps://…`, never a secret. */
  describe(): string[];
  /** Releases what the transports hold open (the SMTP pool), each once. */
  close(): Promise<void>;
}

/**
 * Mail to the SMTP server when one is configured, text messages to the SMS gateway when one is,
 * and everything else to the outbox folder — letters always, until a print-and-post service is
 * plugged in here.
 */
export function transportsFrom(settings: NotifySettings, outboxFolder: string): ChannelTransports {
  const folder = new FileOutbox(outboxFolder);
  const email: Transport = settings.smtp ? new SmtpTransport(settings.smtp) : folder;
  const sms: Transport = settings.sms ? new SmsGatewayTransport(settings.sms) : folder;
  const letter: Transport = folder;
  return {
    email,
    sms,
    letter,
    describe: () => [`email: ${email.description}`, `sms: ${sms.description}`, `letter: ${letter.description}`],
    async close() {
      for (const transport of new Set([email, sms, letter])) await transport.close?.();
    },
  };
}
