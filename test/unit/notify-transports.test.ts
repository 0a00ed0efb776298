import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { ConfigError } from '../../src/config.ts';
import {
  FileOutbox,
  notifySettingsFrom,
  SmsGatewayTransport,
  SmtpTransport,
  transportsFrom,
  verifySmsSignature,
  type QueuedMessage,
  type SmtpSettings,
} from '../../src/notify/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'rempart-transports-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const USER = 'rempart-mailer';
const PASSWORD = 'p@ss:wörd/€ 42';
const FROM = 'Rempart <noreply@rempart.example>';
const SMS_KEY = 'k'.repeat(16) + '0123456789abcdef-test';

let sequence = 0;
function queued(overrides: Partial<QueuedMessage> = {}): QueuedMessage {
  sequence += 1;
  return {
    id: `0b9f3c1e-7d2a-4c55-9e1b-${String(sequence).padStart(12, '0')}`,
    createdAt: '2026-03-14T09:26:53.589Z',
    channel: 'email',
    to: 'foulques.legall@demo.rempart.example',
    subject: 'Votre code de connexion',
    body: 'Votre code : 31415926\nIl expire dans 10 minutes.',
    ...overrides,
  };
}

/**
 * The test server's self-signed certificate, for 127.0.0.1 (an IP subjectAltName, which
 * test/helpers/x509.ts does not write) and localhost, made by the OpenSSL command line.
 */
function selfSignedCertificate(): { key: string; cert: string; certFile: string } | undefined {
  const keyFile = join(dir, 'smtp-key.pem');
  const certFile = join(dir, 'smtp-cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'pipe' },
    );
  } catch {
    return undefined;
  }
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

interface Received {
  raw: string;
  mailFrom: string | undefined;
  rcptTo: string[];
  user: string | undefined;
  /** The session was encrypted (implicit TLS, or after STARTTLS). */
  secure: boolean;
}

/** A real SMTP server on 127.0.0.1:<free port>, recording what it accepted and each AUTH attempt. */
async function smtpServer(options: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const authAttempts: string[] = [];
  let onMessage: ((message: Received) => void) | undefined;
  const server = new SMTPServer({
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    closeTimeout: 1000,
    onAuth(auth, _session, callback) {
      authAttempts.push(auth.username ?? '');
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const message: Received = {
          raw: Buffer.concat(chunks).toString('utf8'),
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          secure: session.secure,
        };
        received.push(message);
        onMessage?.(message);
        callback();
      });
    },
    ...options,
  });
  // A client that drops the TLS handshake (an untrusted certificate) is an error on the server's
  // side: kept, not thrown as an uncaught exception.
  const errors: Error[] = [];
  let onError: ((error: Error) => void) | undefined;
  server.on('error', (error: Error) => {
    errors.push(error);
    onError?.(error);
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    authAttempts,
    errors,
    /** Resolves with the next message the server accepts. */
    nextMessage: () => new Promise<Received>((resolve) => (onMessage = resolve)),
    /** Resolves with the next error on the server's side (a dropped connection). */
    nextError: () => new Promise<Error>((resolve) => (onError = resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

function smtpSettings(env: NodeJS.ProcessEnv): SmtpSettings {
  const settings = notifySettingsFrom(env).smtp;
  assert.ok(settings, 'REMPART_SMTP_URL parsed');
  return settings;
}

const certificate = selfSignedCertificate();
const skipSmtp = certificate ? false : 'openssl is not installed: no certificate for the TLS SMTP server';

describe('SMTP transport (a real server, TLS)', { skip: skipSmtp }, () => {
  const { key, cert, certFile } = certificate ?? { key: '', cert: '', certFile: '' };
  const transports: SmtpTransport[] = [];
  const servers: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const transport of transports) await transport.close();
    for (const server of servers) await server.close();
  });
  const transport = (settings: SmtpSettings) => {
    const t = new SmtpTransport(settings, { timeoutMs: 5000 });
    transports.push(t);
    return t;
  };
  const serve = async (options: Partial<SMTPServerOptions>) => {
    const server = await smtpServer({ key, cert, ...options });
    servers.push(server);
    return server;
  };
  const auth = `${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}`;

  it('smtps://: implicit TLS, AUTH, and the message as sent (From, To, Subject, Message-ID <id@rempart>, body)', async () => {
    const server = await serve({ secure: true });
    const smtp = transport(
      smtpSettings({
        REMPART_SMTP_URL: `smtps://${auth}@127.0.0.1:${server.port}`,
        REMPART_SMTP_FROM: FROM,
        REMPART_SMTP_CA_FILE: certFile,
      }),
    );
    const message = queued();
    const arrived = server.nextMessage();
    await smtp.send(message);
    const got = await arrived;
    assert.equal(got.secure, true);
    assert.equal(got.user, USER, 'authenticated with the URL user and its percent-decoded password');
    assert.equal(got.mailFrom, 'noreply@rempart.example');
    assert.deepEqual(got.rcptTo, [message.to]);
    assert.equal(header(got.raw, 'From'), FROM);
    assert.equal(header(got.raw, 'To'), message.to);
    assert.equal(header(got.raw, 'Subject'), message.subject);
    assert.equal(header(got.raw, 'Message-ID'), `<${message.id}@rempart>`);
    assert.equal(header(got.raw, 'Auto-Submitted'), 'auto-generated');
    assert.match(got.raw, /Votre code : 31415926\r?\nIl expire dans 10 minutes\./);
    assert.match(smtp.description, new RegExp(`^SMTP smtps://127\\.0\\.0\\.1:${server.port} TLS`));
    assert.ok(!smtp.description.includes('wörd') && !smtp.description.includes(encodeURIComponent(PASSWORD)));
  });

  it('smtp://: STARTTLS, and the same Message-ID when the message is retried', async () => {
    const server = await serve({ secure: false });
    const smtp = transport(
      smtpSettings({
        REMPART_SMTP_URL: `smtp://${auth}@127.0.0.1:${server.port}`,
        REMPART_SMTP_FROM: 'noreply@rempart.example',
        REMPART_SMTP_CA_FILE: certFile,
      }),
    );
    const message = queued({ subject: 'Changement de coordonnées bancaires' });
    let arrived = server.nextMessage();
    await smtp.send(message);
    const first = await arrived;
    arrived = server.nextMessage();
    await smtp.send(message);
    const retry = await arrived;
    assert.equal(first.user, USER);
    assert.equal(first.secure, true, 'upgraded with STARTTLS before AUTH and the message');
    assert.equal(header(first.raw, 'Message-ID'), `<${message.id}@rempart>`);
    assert.equal(header(retry.raw, 'Message-ID'), `<${message.id}@rempart>`);
    assert.match(header(first.raw, 'Subject') ?? '', /^=\?UTF-8\?/, 'the accented subject, MIME-encoded');
    assert.equal(server.received.length, 2);
    assert.match(smtp.description, /STARTTLS required/);
  });

  it('smtp://: a server that does not offer STARTTLS gets neither the password nor the message', async () => {
    // STARTTLS neither advertised nor accepted (nodemailer tries it even unadvertised).
    const server = await serve({ secure: false, disabledCommands: ['STARTTLS'], allowInsecureAuth: true });
    const smtp = transport(
      smtpSettings({
        REMPART_SMTP_URL: `smtp://${auth}@127.0.0.1:${server.port}`,
        REMPART_SMTP_FROM: FROM,
        REMPART_SMTP_CA_FILE: certFile,
      }),
    );
    await assert.rejects(smtp.send(queued()), /STARTTLS|TLS/i);
    assert.deepEqual(server.authAttempts, []);
    assert.equal(server.received.length, 0);
  });

  it('a certificate no trusted authority signed is refused (no REMPART_SMTP_CA_FILE)', async () => {
    const server = await serve({ secure: true });
    const smtp = transport(
      smtpSettings({ REMPART_SMTP_URL: `smtps://${auth}@127.0.0.1:${server.port}`, REMPART_SMTP_FROM: FROM }),
    );
    const dropped = server.nextError();
    await assert.rejects(smtp.send(queued()), /certificate/i);
    assert.ok((await dropped) instanceof Error, 'the client dropped the handshake');
    assert.deepEqual(server.authAttempts, []);
    assert.equal(server.received.length, 0);
  });

  it('REMPART_SMTP_TLS_INSECURE=1 on the loopback interface skips the certificate check', async () => {
    const server = await serve({ secure: true });
    const smtp = transport(
      smtpSettings({
        REMPART_SMTP_URL: `smtps://${auth}@127.0.0.1:${server.port}`,
        REMPART_SMTP_FROM: FROM,
        REMPART_SMTP_TLS_INSECURE: '1',
      }),
    );
    const arrived = server.nextMessage();
    await smtp.send(queued());
    assert.equal((await arrived).user, USER);
    assert.match(smtp.description, /certificate NOT checked/);
  });

  it('REMPART_SMTP_TLS=off: plain SMTP to a loopback relay', async () => {
    // The relay offers STARTTLS; with TLS off it is not even attempted.
    const server = await serve({ secure: false, authOptional: true });
    const smtp = transport(
      smtpSettings({
        REMPART_SMTP_URL: `smtp://127.0.0.1:${server.port}`,
        REMPART_SMTP_FROM: FROM,
        REMPART_SMTP_TLS: 'off',
      }),
    );
    const message = queued();
    const arrived = server.nextMessage();
    await smtp.send(message);
    const got = await arrived;
    assert.equal(got.secure, false);
    assert.equal(header(got.raw, 'Message-ID'), `<${message.id}@rempart>`);
    assert.match(smtp.description, /no TLS \(loopback relay\)/);
  });

  it('a wrong password makes send reject, nothing delivered', async () => {
    const server = await serve({ secure: true });
    const smtp = transport(
      smtpSettings({
        REMPART_SMTP_URL: `smtps://${USER}:not-the-password@127.0.0.1:${server.port}`,
        REMPART_SMTP_FROM: FROM,
        REMPART_SMTP_CA_FILE: certFile,
      }),
    );
    await assert.rejects(smtp.send(queued()), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'EAUTH');
      return true;
    });
    assert.deepEqual(server.authAttempts, [USER]);
    assert.equal(server.received.length, 0);
  });

  it('a recipient refused (550 at RCPT TO) or a message refused (451 at DATA) makes send reject', async () => {
    const refusing = await serve({
      secure: true,
      onRcptTo(_address, _session, callback) {
        callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      },
    });
    const deferring = await serve({
      secure: true,
      onData(stream, _session, callback) {
        stream.on('end', () => callback(Object.assign(new Error('Try again later'), { responseCode: 451 })));
        stream.resume();
      },
    });
    for (const [server, code] of [
      [refusing, 550],
      [deferring, 451],
    ] as const) {
      const smtp = transport(
        smtpSettings({
          REMPART_SMTP_URL: `smtps://${auth}@127.0.0.1:${server.port}`,
          REMPART_SMTP_FROM: FROM,
          REMPART_SMTP_CA_FILE: certFile,
        }),
      );
      await assert.rejects(smtp.send(queued()), (e: Error & { responseCode?: number }) => {
        assert.equal(e.responseCode, code);
        return true;
      });
      assert.equal(server.received.length, 0);
    }
  });

  it('a server that is down makes send reject', async () => {
    const port = await closedPort();
    const smtp = transport(
      smtpSettings({
        REMPART_SMTP_URL: `smtps://${auth}@127.0.0.1:${port}`,
        REMPART_SMTP_FROM: FROM,
        REMPART_SMTP_CA_FILE: certFile,
      }),
    );
    await assert.rejects(smtp.send(queued()), /ECONNREFUSED/);
  });

  it('carries mail only', async () => {
    const smtp = transport(smtpSettings({ REMPART_SMTP_URL: 'smtps://127.0.0.1:1', REMPART_SMTP_FROM: FROM }));
    await assert.rejects(smtp.send(queued({ channel: 'sms', to: '+33612345678' })), /mail only.*sms/);
  });
});

interface Request {
  headers: IncomingMessage['headers'];
  raw: string;
  verified: boolean;
}

describe('SMS gateway transport (a local HTTP receiver)', () => {
  const requests: Request[] = [];
  let status = 202;
  let server: HttpServer;
  let base: string;
  before(async () => {
    server = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const verified = verifySmsSignature(
          SMS_KEY,
          req.headers['x-rempart-timestamp'] as string | undefined,
          raw,
          req.headers['x-rempart-signature'] as string | undefined,
          new Date(),
        );
        requests.push({ headers: req.headers, raw, verified });
        if (req.url === '/moved') {
          res.writeHead(307, { location: '/sms' }).end();
          return;
        }
        res.writeHead(verified ? status : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ echo: raw }));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const gateway = (path = '/sms?account=secret-token') =>
    new SmsGatewayTransport(notifySettingsFrom({ REMPART_SMS_URL: `${base}${path}`, REMPART_SMS_KEY: SMS_KEY }).sms!, {
      timeoutMs: 5000,
    });

  it('posts {id, to, body} signed, with the Idempotency-Key, and the receiver verifies it', async () => {
    status = 202;
    const message = queued({ channel: 'sms', to: '+33612345678', body: 'Rempart : votre code 31415926' });
    const before = requests.length;
    await gateway().send(message);
    assert.equal(requests.length, before + 1);
    const request = requests.at(-1)!;
    assert.equal(request.verified, true);
    assert.deepEqual(JSON.parse(request.raw), { id: message.id, to: message.to, body: message.body });
    assert.equal(request.headers['idempotency-key'], message.id);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.match(String(request.headers['x-rempart-signature']), /^v1=[0-9a-f]{64}$/);
    const timestamp = Number(request.headers['x-rempart-timestamp']);
    assert.ok(Math.abs(timestamp - Date.now() / 1000) < 60, 'unix seconds, now');
  });

  it('a tampered body, another key, a stale timestamp or a missing signature fail verification', async () => {
    status = 202;
    await gateway().send(queued({ channel: 'sms', to: '+33612345678' }));
    const { headers, raw } = requests.at(-1)!;
    const timestamp = headers['x-rempart-timestamp'] as string;
    const signature = headers['x-rempart-signature'] as string;
    const now = new Date(Number(timestamp) * 1000);
    assert.equal(verifySmsSignature(SMS_KEY, timestamp, raw, signature, now), true);
    assert.equal(verifySmsSignature(SMS_KEY, timestamp, Buffer.from(raw), signature, now), true);
    assert.equal(
      verifySmsSignature(SMS_KEY, timestamp, raw.replace('+33612345678', '+33699999999'), signature, now),
      false,
    );
    assert.equal(verifySmsSignature(SMS_KEY + 'x', timestamp, raw, signature, now), false);
    assert.equal(verifySmsSignature(SMS_KEY, String(Number(timestamp) + 1), raw, signature, now), false);
    assert.equal(verifySmsSignature(SMS_KEY, timestamp, raw, signature, new Date(now.getTime() + 301_000)), false);
    assert.equal(verifySmsSignature(SMS_KEY, timestamp, raw, signature, new Date(now.getTime() + 299_000)), true);
    assert.equal(verifySmsSignature(SMS_KEY, timestamp, raw, signature, new Date(now.getTime() + 10_000), 5), false);
    assert.equal(verifySmsSignature(SMS_KEY, timestamp, raw, undefined, now), false);
    assert.equal(verifySmsSignature(SMS_KEY, undefined, raw, signature, now), false);
    assert.equal(verifySmsSignature(SMS_KEY, timestamp, raw, `v1=${'0'.repeat(64)}, ${signature}`, now), true);
    assert.equal(verifySmsSignature(SMS_KEY, timestamp, raw, signature.toUpperCase().replace('V1', 'v2'), now), false);
  });

  it('a 500 answer makes send reject, naming the status and never the message', async () => {
    status = 500;
    const message = queued({ channel: 'sms', to: '+33612345678', body: 'code 27182818' });
    await assert.rejects(gateway().send(message), (e: Error) => {
      assert.match(e.message, /HTTP 500/);
      assert.ok(!e.message.includes('27182818') && !e.message.includes('+33612345678'));
      return true;
    });
    assert.equal(requests.at(-1)!.verified, true, 'the gateway was reached, and refused');
  });

  it('a redirect is refused, not followed', async () => {
    status = 202;
    const before = requests.length;
    await assert.rejects(gateway('/moved').send(queued({ channel: 'sms', to: '+33612345678' })), /not sent/);
    assert.equal(requests.length, before + 1, 'only the first request was made');
  });

  it('a gateway that is down makes send reject', async () => {
    const port = await closedPort();
    const down = new SmsGatewayTransport({ url: `http://127.0.0.1:${port}/sms`, key: SMS_KEY });
    await assert.rejects(down.send(queued({ channel: 'sms', to: '+33612345678' })), /unreachable \(ECONNREFUSED\)/);
  });

  it('carries text messages only, and its description shows neither the key nor the query', async () => {
    await assert.rejects(gateway().send(queued({ channel: 'email' })), /text messages only/);
    const description = gateway().description;
    assert.equal(description, `SMS gateway ${base}/sms (signed, v1)`);
    assert.ok(!description.includes(SMS_KEY) && !description.includes('secret-token'));
  });
});

describe('outbox folder as a transport', () => {
  it('writes <createdAt>-<id>.json once: a retry finds the file and is done', async () => {
    const folder = join(dir, 'outbox-send');
    const outbox = new FileOutbox(folder);
    const message = queued({ channel: 'letter', to: 'M. Foulques Le Gall\n12 rue Sainte-Catherine\n33000 Bordeaux' });
    await outbox.send(message);
    await outbox.send({ ...message, body: 'a second attempt' });
    const name = `2026-03-14T09-26-53-589Z-${message.id}.json`;
    assert.deepEqual(readdirSync(folder), [name]);
    const content = JSON.parse(readFileSync(join(folder, name), 'utf8'));
    assert.equal(content.channel, 'letter');
    assert.equal(content.to, message.to);
    assert.equal(content.subject, message.subject);
    assert.equal(content.body, message.body, 'the first write stays');
  });

  it('refuses an id that could leave the folder, and a createdAt that is not a timestamp', async () => {
    const outbox = new FileOutbox(join(dir, 'outbox-refuse'));
    await assert.rejects(outbox.send(queued({ id: '../../etc/x' })), /queued message id/);
    await assert.rejects(outbox.send(queued({ createdAt: 'yesterday' })), /ISO 8601/);
  });
});

describe('transportsFrom', () => {
  it('the folder for every channel when nothing is configured', () => {
    const folder = join(dir, 'outbox-default');
    const transports = transportsFrom({}, folder);
    assert.ok(transports.email instanceof FileOutbox);
    assert.equal(transports.sms, transports.email);
    assert.equal(transports.letter, transports.email);
    assert.deepEqual(transports.describe(), [
      `email: folder ${folder}`,
      `sms: folder ${folder}`,
      `letter: folder ${folder}`,
    ]);
  });

  it('SMTP and the gateway when configured, letters still to the folder; closes the SMTP pool', async () => {
    const folder = join(dir, 'outbox-configured');
    const transports = transportsFrom(
      notifySettingsFrom({
        REMPART_SMTP_URL: 'smtps://mailer:hunter2-secret@mail.example:465',
        REMPART_SMTP_FROM: 'noreply@rempart.example',
        REMPART_SMS_URL: 'https://sms.example/v1/messages?token=abc',
        REMPART_SMS_KEY: SMS_KEY,
      }),
      folder,
    );
    assert.ok(transports.email instanceof SmtpTransport);
    assert.ok(transports.sms instanceof SmsGatewayTransport);
    assert.ok(transports.letter instanceof FileOutbox);
    assert.deepEqual(transports.describe(), [
      'email: SMTP smtps://mail.example:465 TLS, as mailer (from noreply@rempart.example)',
      'sms: SMS gateway https://sms.example/v1/messages (signed, v1)',
      `letter: folder ${folder}`,
    ]);
    assert.ok(!transports.describe().join('\n').includes('hunter2'));
    await transports.close();
  });
});

describe('notifySettingsFrom', () => {
  const caFile = join(dir, 'ca.pem');
  before(() => {
    const pem = certificate?.cert;
    writeFileSync(caFile, pem ?? '');
  });
  const smtp = { REMPART_SMTP_URL: 'smtp://u:p@mail.example', REMPART_SMTP_FROM: 'noreply@rempart.example' };
  const sms = { REMPART_SMS_URL: 'https://sms.example/send', REMPART_SMS_KEY: SMS_KEY };

  function refused(env: NodeJS.ProcessEnv, variable: string, pattern?: RegExp): void {
    assert.throws(
      () => notifySettingsFrom(env),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, `a ConfigError for ${JSON.stringify(env)}`);
        assert.ok(e.message.includes(variable), `"${e.message}" names ${variable}`);
        if (pattern) assert.match(e.message, pattern);
        for (const secret of ['hunter2', SMS_KEY]) assert.ok(!e.message.includes(secret), 'no secret echoed');
        return true;
      },
    );
  }

  it('nothing configured: no transport settings', () => {
    assert.deepEqual(notifySettingsFrom({}), {});
  });

  it('parses smtp:// (STARTTLS required, port 587) and smtps:// (implicit TLS, port 465)', () => {
    assert.deepEqual(notifySettingsFrom(smtp).smtp, {
      scheme: 'smtp',
      tls: 'starttls',
      host: 'mail.example',
      port: 587,
      auth: { user: 'u', pass: 'p' },
      from: 'noreply@rempart.example',
      insecure: false,
    });
    assert.deepEqual(
      notifySettingsFrom({
        REMPART_SMTP_URL: 'smtps://us%40er:p%3Ass%2F@[::1]:2465',
        REMPART_SMTP_FROM: 'Rempart <noreply@rempart.example>',
        REMPART_SMTP_TLS_INSECURE: '1',
      }).smtp,
      {
        scheme: 'smtps',
        tls: 'implicit',
        host: '::1',
        port: 2465,
        auth: { user: 'us@er', pass: 'p:ss/' },
        from: 'Rempart <noreply@rempart.example>',
        insecure: true,
      },
    );
    const local = notifySettingsFrom({ ...smtp, REMPART_SMTP_URL: 'smtp://localhost:25', REMPART_SMTP_TLS: 'off' });
    assert.equal(local.smtp?.tls, 'off');
    assert.equal(local.smtp?.auth, undefined);
  });

  it('reads the private authority of REMPART_SMTP_CA_FILE', { skip: skipSmtp }, () => {
    const settings = notifySettingsFrom({ ...smtp, REMPART_SMTP_CA_FILE: caFile }).smtp;
    assert.equal(settings?.ca, certificate?.cert);
    assert.equal(settings?.caFile, caFile);
  });

  it('parses the SMS gateway: https, or http on localhost', () => {
    assert.deepEqual(notifySettingsFrom(sms).sms, { url: 'https://sms.example/send', key: SMS_KEY });
    assert.equal(
      notifySettingsFrom({ ...sms, REMPART_SMS_URL: 'http://127.0.0.1:8025/sms' }).sms?.url,
      'http://127.0.0.1:8025/sms',
    );
  });

  it('refuses each bad SMTP setting, naming its variable and never the password', () => {
    refused({ ...smtp, REMPART_SMTP_URL: 'smtp://hunter2@' }, 'REMPART_SMTP_URL', /no host|not a URL/);
    refused({ ...smtp, REMPART_SMTP_URL: 'smtp:mail.example' }, 'REMPART_SMTP_URL', /no host/);
    refused({ ...smtp, REMPART_SMTP_URL: 'http://u:hunter2@mail.example' }, 'REMPART_SMTP_URL', /scheme "http"/);
    refused({ ...smtp, REMPART_SMTP_URL: 'lmtp://mail.example' }, 'REMPART_SMTP_URL', /scheme/);
    refused({ ...smtp, REMPART_SMTP_URL: 'not a url' }, 'REMPART_SMTP_URL');
    refused({ ...smtp, REMPART_SMTP_URL: 'smtp://u:hunter2@mail.example/x?pool=1' }, 'REMPART_SMTP_URL', /path/);
    refused({ ...smtp, REMPART_SMTP_URL: 'smtp://u@mail.example' }, 'REMPART_SMTP_URL', /user and a password/);
    refused({ REMPART_SMTP_URL: 'smtps://u:hunter2@mail.example' }, 'REMPART_SMTP_FROM', /must be set/);
    refused({ ...smtp, REMPART_SMTP_FROM: 'noreply' }, 'REMPART_SMTP_FROM', /must be an address/);
    refused({ ...smtp, REMPART_SMTP_FROM: 'a@b.example\r\nBcc: x@y.example' }, 'REMPART_SMTP_FROM');
    refused({ ...smtp, REMPART_SMTP_CA_FILE: join(dir, 'absent.pem') }, 'REMPART_SMTP_CA_FILE', /cannot read/);
    const notPem = join(dir, 'not-pem.txt');
    writeFileSync(notPem, 'hello');
    refused({ ...smtp, REMPART_SMTP_CA_FILE: notPem }, 'REMPART_SMTP_CA_FILE', /no PEM certificate/);
    refused({ ...smtp, REMPART_SMTP_TLS_INSECURE: '1' }, 'REMPART_SMTP_TLS_INSECURE', /mail\.example/);
    refused(
      { ...smtp, REMPART_SMTP_URL: 'smtps://u:hunter2@10.0.0.1', REMPART_SMTP_TLS_INSECURE: '1' },
      'REMPART_SMTP_TLS_INSECURE',
    );
    refused({ ...smtp, REMPART_SMTP_TLS_INSECURE: 'yes' }, 'REMPART_SMTP_TLS_INSECURE');
    refused({ ...smtp, REMPART_SMTP_TLS: 'off' }, 'REMPART_SMTP_TLS', /localhost/);
    refused({ ...smtp, REMPART_SMTP_URL: 'smtps://localhost', REMPART_SMTP_TLS: 'off' }, 'REMPART_SMTP_TLS');
    refused({ ...smtp, REMPART_SMTP_TLS: 'opportunistic' }, 'REMPART_SMTP_TLS');
    refused({ REMPART_SMTP_FROM: 'noreply@rempart.example' }, 'REMPART_SMTP_FROM', /without REMPART_SMTP_URL/);
    refused({ REMPART_SMTP_CA_FILE: caFile }, 'REMPART_SMTP_CA_FILE', /without REMPART_SMTP_URL/);
  });

  it('refuses each bad SMS setting, naming its variable and never the key', () => {
    refused({ ...sms, REMPART_SMS_URL: 'http://sms.example/send' }, 'REMPART_SMS_URL', /https/);
    refused({ ...sms, REMPART_SMS_URL: 'ftp://localhost/send' }, 'REMPART_SMS_URL', /https/);
    refused({ ...sms, REMPART_SMS_URL: 'sms.example/send' }, 'REMPART_SMS_URL');
    refused({ ...sms, REMPART_SMS_URL: 'https://u:hunter2@sms.example/send' }, 'REMPART_SMS_URL', /credentials/);
    refused({ REMPART_SMS_URL: 'https://sms.example/send' }, 'REMPART_SMS_KEY', /must be set/);
    refused({ ...sms, REMPART_SMS_KEY: 'x'.repeat(31) }, 'REMPART_SMS_KEY', /at least 32/);
    refused({ REMPART_SMS_KEY: SMS_KEY }, 'REMPART_SMS_KEY', /without REMPART_SMS_URL/);
  });
});
