import { createTransport } from 'nodemailer';
import { checkQueuedMessageId } from './outbox.ts';
import type { SmtpSettings } from './settings.ts';
import type { QueuedMessage, Transport } from './transport.ts';

export interface SmtpTransportOptions {
  /**
   * Resolving the host, connecting, and the greeting, each in milliseconds (10 s); a connection
   * silent for twice as long is dropped.
   */
  timeoutMs?: number;
  /** Connections kept open to the server (2). */
  maxConnections?: number;
  /** An error of the pool outside any message's delivery (each message's own reaches its `send`). */
  warn?: (message: string) => void;
}

/**
 * Mail through an SMTP server, over a small pool of connections (nodemailer's pooled SMTP
 * transport). TLS is as the settings say (see {@link SmtpSettings}): implicit for smtps://,
 * STARTTLS required for smtp:// — a server that does not offer it, or whose certificate does not
 * verify, gets neither the password nor the message — and off only for a relay on the loopback
 * interface. Each message's Message-ID is `<id@rempart>`, the same on every retry, so a copy
 * delivered twice after a crash is recognisable as one message.
 */
export class SmtpTransport implements Transport {
  readonly description: string;
  readonly #from: string;
  readonly #mailer: ReturnType<typeof createMailer>;

  constructor(settings: SmtpSettings, options: SmtpTransportOptions = {}) {
    this.#from = settings.from;
    this.#mailer = createMailer(settings, options);
    // An EventEmitter's 'error' without a listener would end the process.
    const warn = options.warn ?? ((m: string) => process.stderr.write(m + '\n'));
    this.#mailer.on('error', (error: Error) => warn(`SMTP transport: ${error.message}`));
    const tls =
      settings.tls === 'implicit'
        ? 'TLS'
        : settings.tls === 'starttls'
          ? 'STARTTLS required'
          : 'no TLS (loopback relay)';
    const trust =
      settings.tls === 'off'
        ? ''
        : settings.insecure
          ? ', certificate NOT checked'
          : settings.caFile
            ? `, certificate checked against ${settings.caFile}`
            : settings.ca
              ? ', certificate checked against a private authority'
              : '';
    const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
    // The user name is shown, the password never.
    const auth = settings.auth ? `, as ${settings.auth.user}` : '';
    this.description = `SMTP ${settings.scheme}://${host}:${settings.port} ${tls}${trust}${auth} (from ${settings.from})`;
  }

  async send(message: QueuedMessage): Promise<void> {
    if (message.channel !== 'email')
      throw new Error(`the SMTP transport carries mail only, not the ${message.channel} channel`);
    const id = checkQueuedMessageId(message.id);
    const date = new Date(message.createdAt);
    try {
      await this.#sendMail(message, id, date);
    } catch (error) {
      throw withoutServerWords(id, error);
    }
  }

  async #sendMail(message: QueuedMessage, id: string, date: Date): Promise<void> {
    await this.#mailer.sendMail({
      from: this.#from,
      to: message.to,
      subject: message.subject,
      text: message.body,
      messageId: `<${id}@rempart>`,
      ...(Number.isNaN(date.getTime()) ? {} : { date }),
      // RFC 3834: sent by a program, so vacation responders and the like do not answer it.
      headers: { 'Auto-Submitted': 'auto-generated' },
      // The message is text Rempart wrote: nothing in it is fetched from a file or a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  /** Closes the pool's connections (at shutdown). */
  async close(): Promise<void> {
    this.#mailer.close();
  }
}

function createMailer(settings: SmtpSettings, options: SmtpTransportOptions) {
  const timeout = options.timeoutMs ?? 10_000;
  return createTransport({
    pool: true,
    maxConnections: options.maxConnections ?? 2,
    // A connection that closes mid-message fails the message at once: the queue owns the retries
    // (with its back-off, and within its claim on the message), not the pool.
    maxRequeues: 0,
    // Below the usual server-side idle limits (often 60 s or more), so that a message is rarely
    // handed to a connection the server is about to close.
    idleTimeout: 30_000,
    host: settings.host,
    port: settings.port,
    secure: settings.tls === 'implicit',
    requireTLS: settings.tls === 'starttls',
    ignoreTLS: settings.tls === 'off',
    ...(settings.auth ? { auth: { user: settings.auth.user, pass: settings.auth.pass } } : {}),
    dnsTimeout: timeout,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: 2 * timeout,
    tls: {
      minVersion: 'TLSv1.2',
      rejectUnauthorized: !settings.insecure,
      // The certificate must name the configured host (nodemailer passes it on as the server
      // name even when it connects to an address it resolved); an IP address must be among the
      // certificate's IP addresses.
      ...(settings.ca ? { ca: settings.ca } : {}),
    },
    logger: false,
    debug: false,
  });
}

/**
 * A server's reply often repeats the address it refused (« 550 <name@…>: rejected »), and the
 * queue records and logs the error: a refusal goes on as its codes only (`EENVELOPE 550`), with
 * `code` and `responseCode` kept. A failure the server did not word (a connection refused, a
 * certificate that does not verify, a timeout) keeps its message, which names no one.
 */
function withoutServerWords(id: string, error: unknown): unknown {
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  if (typeof responseCode !== 'number') return error;
  const codes = [code, responseCode].filter((c) => typeof c === 'string' || typeof c === 'number').join(' ');
  return Object.assign(new Error(`SMTP: message ${id} refused, ${codes}`), { code, responseCode });
}
