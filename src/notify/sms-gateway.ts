import { createHmac, timingSafeEqual } from 'node:crypto';
import { checkQueuedMessageId } from './outbox.ts';
import type { SmsGatewaySettings } from './settings.ts';
import type { QueuedMessage, Transport } from './transport.ts';

/**
 * HMAC-SHA256 of `payload` under `secret`, in hex: what Rempart signs its outgoing requests with
 * (the SMS gateway here; the guard's webhook signature is the same computation).
 */
export function hmacSha256Hex(secret: string, payload: string | Buffer): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** The `X-Rempart-Signature` value: `v1=` and the HMAC of `<timestamp>.<raw body>`. */
export function smsSignature(secret: string, timestamp: string, rawBody: string | Buffer): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return `v1=${hmacSha256Hex(secret, Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), body]))}`;
}

/**
 * What a receiver of Rempart's SMS requests checks before sending anything: `header` (the
 * `X-Rempart-Signature` value; several `v1=` entries separated by commas are accepted, for a
 * key change) holds the HMAC of `<timestamp>.<rawBody>` under `secret`, compared in constant
 * time, and `timestamp` (`X-Rempart-Timestamp`, unix seconds) is within `toleranceSeconds` of
 * `now`, so a captured request cannot be replayed later. `rawBody` is the body exactly as
 * received, before any JSON parsing.
 */
export function verifySmsSignature(
  secret: string,
  timestamp: string | undefined,
  rawBody: string | Buffer,
  header: string | undefined,
  now: Date = new Date(),
  toleranceSeconds = 300,
): boolean {
  if (!timestamp || !header || !/^[0-9]{1,12}$/.test(timestamp)) return false;
  if (Math.abs(Math.floor(now.getTime() / 1000) - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(smsSignature(secret, timestamp, rawBody).slice('v1='.length), 'hex');
  let match = false;
  for (const entry of header.split(',')) {
    const value = entry.trim();
    if (!/^v1=[0-9a-f]{64}$/i.test(value)) continue;
    // Every entry is compared (no early exit): the time taken says nothing of which one matched.
    if (timingSafeEqual(Buffer.from(value.slice(3), 'hex'), expected)) match = true;
  }
  return match;
}

export interface SmsGatewayOptions {
  /** How long the gateway has to answer, in milliseconds (10 s). */
  timeoutMs?: number;
  /** The clock the timestamp is read from (tests). */
  now?: () => Date;
}

/**
 * Text messages through an HTTP gateway: one JSON POST `{id, to, body}` per message, signed
 * (`X-Rempart-Timestamp`, `X-Rempart-Signature: v1=<HMAC-SHA256 hex of "<timestamp>.<body>">`)
 * and carrying `Idempotency-Key: <id>`, so that a retry of a message the gateway already took is
 * not sent twice. A 2xx answer is acceptance; anything else, a redirect included, is a failure
 * the queue retries.
 */
export class SmsGatewayTransport implements Transport {
  readonly description: string;
  readonly #url: string;
  readonly #key: string;
  readonly #timeoutMs: number;
  readonly #now: () => Date;

  constructor(settings: SmsGatewaySettings, options: SmsGatewayOptions = {}) {
    const url = new URL(settings.url);
    this.#url = url.toString();
    this.#key = settings.key;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#now = options.now ?? (() => new Date());
    // The query may hold an account token: shown without it.
    this.description = `SMS gateway ${url.origin}${url.pathname} (signed, v1)`;
  }

  async send(message: QueuedMessage): Promise<void> {
    if (message.channel !== 'sms')
      throw new Error(`the SMS gateway carries text messages only, not the ${message.channel} channel`);
    const id = checkQueuedMessageId(message.id);
    const payload = JSON.stringify({ id, to: message.to, body: message.body });
    const timestamp = String(Math.floor(this.#now().getTime() / 1000));
    let response: Response;
    try {
      response = await fetch(this.#url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-rempart-timestamp': timestamp,
          'x-rempart-signature': smsSignature(this.#key, timestamp, payload),
          'idempotency-key': id,
        },
        body: payload,
        // A redirect would carry the signed body elsewhere: refused, the gateway's address is configured.
        redirect: 'error',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new Error(`SMS gateway: message ${id} not sent, ${reason(error, this.#timeoutMs)}`, { cause: error });
    }
    // The answer's body is not read (nor echoed into an error that could reach a log): released.
    await response.body?.cancel().catch(() => {});
    if (response.status < 200 || response.status > 299)
      throw new Error(`SMS gateway: message ${id} refused, HTTP ${response.status}`);
  }
}

function reason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
  if (cause?.code) return `gateway unreachable (${cause.code})`;
  return `gateway unreachable (${error instanceof Error ? error.message : String(error)})`;
}
