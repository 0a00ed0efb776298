import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { FileOutbox, MessageQueue, SmtpTransport, type OutgoingMessage } from '../../src/notify/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { inTransaction } from '../../src/store/index.ts';
import { BACKEND, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';

/**
 * The message queue against a real SMTP server (issue 22): a server that refuses or is down
 * keeps the message queued and retried, never lost; a message queued in a transaction that
 * rolls back is never sent; two processes working the queue together send each message once.
 */
describe(`message queue over SMTP (${BACKEND})`, () => {
  let env: TestEnvironment;
  let runtime: Runtime;
  let server: SMTPServer;
  let port = 0;
  /** What the server does with the next DATA: accept it, or refuse it for now. */
  let answer: 'accept' | 'refuse' = 'accept';
  const received: Array<{ messageId: string; to: string[]; raw: string }> = [];
  let now = new Date('2026-12-02T10:00:00.000Z');

  before(async () => {
    env = testEnvironment();
    runtime = await env.open();
    server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      closeTimeout: 500,
      // A mailbox that does not exist, refused in the words of many servers: the address repeated.
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('inconnu'))
          return callback(
            Object.assign(new Error(`<${address.address}>: Recipient address rejected`), { responseCode: 550 }),
          );
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (answer === 'refuse') return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
          const raw = Buffer.concat(chunks).toString('utf8');
          const messageId = /^Message-ID: (<[^>]+>)/im.exec(raw)?.[1] ?? '';
          received.push({ messageId, to: session.envelope.rcptTo.map((r) => r.address), raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });

  after(async () => {
    await runtime.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await env.cleanup();
  });

  function queue(smtpPort = port): { queue: MessageQueue; close(): Promise<void> } {
    const smtp = new SmtpTransport(
      {
        scheme: 'smtp',
        tls: 'off',
        host: '127.0.0.1',
        port: smtpPort,
        from: 'noreply@rempart.example',
        insecure: false,
      },
      { timeoutMs: 2_000, maxConnections: 1 },
    );
    const outbox = new FileOutbox(`${env.dir}/outbox`);
    return {
      queue: new MessageQueue({
        db: runtime.database.db,
        keyring: () => runtime.keyring,
        transports: { email: smtp, sms: outbox, letter: outbox },
        now: () => now,
      }),
      close: () => smtp.close(),
    };
  }

  const mail = (to: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
    channel: 'email',
    to,
    subject: 'Votre code',
    body: `Code : ${Math.floor(Math.random() * 1e8)}`,
    ...extra,
  });

  const row = (to: string) =>
    runtime.database.db
      .selectFrom('outgoing_messages')
      .selectAll()
      .where('recipient', '=', `${to[0]}***@exemple.fr`)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();

  it('sends at once, and a refused message stays queued and is retried later, once', async () => {
    const { queue: q, close } = queue();
    try {
      await q.deliver(mail('ana@exemple.fr'));
      assert.equal(received.filter((m) => m.to.includes('ana@exemple.fr')).length, 1, 'sent right away');
      const sent = await row('ana@exemple.fr');
      assert.equal(sent.status, 'sent');
      assert.equal(sent.sealed, null, 'the sealed body is wiped once sent');
      assert.equal(received.at(-1)!.messageId, `<${sent.id}@rempart>`);

      answer = 'refuse';
      await q.deliver(mail('bea@exemple.fr'));
      const kept = await row('bea@exemple.fr');
      assert.equal(kept.status, 'queued');
      assert.equal(kept.attempts, 1);
      assert.match(kept.last_error ?? '', /451/);
      assert.ok(kept.sealed, 'still sealed, waiting for its retry');
      assert.equal(received.filter((m) => m.to.includes('bea@exemple.fr')).length, 0);

      answer = 'accept';
      assert.deepEqual(await q.deliverDue(), { sent: 0, failed: 0 }, 'not due before its delay');
      now = new Date(now.getTime() + 6_000);
      assert.deepEqual(await q.deliverDue(), { sent: 1, failed: 0 });
      assert.deepEqual(await q.deliverDue(), { sent: 0, failed: 0 }, 'nothing left');
      const bea = received.filter((m) => m.to.includes('bea@exemple.fr'));
      assert.equal(bea.length, 1);
      assert.equal(bea[0]!.messageId, `<${kept.id}@rempart>`);
      assert.equal((await row('bea@exemple.fr')).attempts, 2);
    } finally {
      await close();
    }
  });

  it('keeps a message queued while the server is down, with a doubling delay', async () => {
    const down = queue(1); // nothing listens on port 1
    try {
      await down.queue.deliver(mail('cyd@exemple.fr'));
      const first = await row('cyd@exemple.fr');
      assert.equal(first.status, 'queued');
      now = new Date(Date.parse(first.next_attempt_at) + 1);
      await down.queue.deliverDue();
      const second = await row('cyd@exemple.fr');
      assert.equal(second.attempts, 2);
      const firstDelay = Date.parse(first.next_attempt_at) - Date.parse(first.created_at);
      const secondDelay = Date.parse(second.next_attempt_at) - now.getTime();
      assert.ok(secondDelay >= 2 * firstDelay - 50, `${firstDelay} ms then ${secondDelay} ms`);
      const backlog = await down.queue.backlog();
      assert.ok(backlog.waiting >= 1);
    } finally {
      await down.close();
    }
    // The server is back: the message goes out, once.
    const up = queue();
    try {
      now = new Date(now.getTime() + 3_600_000);
      await up.queue.deliverDue();
      assert.equal(received.filter((m) => m.to.includes('cyd@exemple.fr')).length, 1);
      assert.equal((await row('cyd@exemple.fr')).status, 'sent');
    } finally {
      await up.close();
    }
  });

  it('sends a message queued in a transaction after its commit, and never after a rollback', async () => {
    const { queue: q, close } = queue();
    try {
      await assert.rejects(
        inTransaction(runtime.database.db, async (trx) => {
          await q.deliver(mail('dan@exemple.fr'), trx);
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      assert.equal(
        (
          await runtime.database.db
            .selectFrom('outgoing_messages')
            .select('id')
            .where('recipient', '=', 'd***@exemple.fr')
            .execute()
        ).length,
        0,
        'not queued',
      );
      await inTransaction(runtime.database.db, async (trx) => {
        await q.deliver(mail('eve@exemple.fr'), trx);
        // Not before the commit.
        assert.equal(received.filter((m) => m.to.includes('eve@exemple.fr')).length, 0);
      });
      assert.equal(received.filter((m) => m.to.includes('eve@exemple.fr')).length, 1, 'sent once committed');
      assert.equal(received.filter((m) => m.to.includes('dan@exemple.fr')).length, 0);
    } finally {
      await close();
    }
  });

  it('queues a message once per idempotency key, and retries one whose sender died mid-send', async () => {
    const { queue: q, close } = queue();
    try {
      await q.deliver(mail('fay@exemple.fr', { idempotencyKey: 'notice:42' }));
      await q.deliver(mail('fay@exemple.fr', { idempotencyKey: 'notice:42' }));
      assert.equal(received.filter((m) => m.to.includes('fay@exemple.fr')).length, 1);

      // A process claimed a message and died before recording anything: its lease runs out, another sends it.
      answer = 'refuse';
      await q.deliver(mail('gus@exemple.fr'));
      answer = 'accept';
      const stuck = await row('gus@exemple.fr');
      await runtime.database.db
        .updateTable('outgoing_messages')
        .set({
          status: 'sending',
          lease_until: new Date(now.getTime() + 60_000).toISOString(),
          next_attempt_at: now.toISOString(),
        })
        .where('id', '=', stuck.id)
        .execute();
      assert.deepEqual(await q.deliverDue(), { sent: 0, failed: 0 }, 'held by its lease');
      now = new Date(now.getTime() + 61_000);
      assert.deepEqual(await q.deliverDue(), { sent: 1, failed: 0 });
      assert.equal(received.filter((m) => m.to.includes('gus@exemple.fr')).length, 1);
    } finally {
      await close();
    }
  });

  it('sends each message once when two processes work the queue together', async () => {
    const first = queue();
    const second = queue();
    try {
      answer = 'refuse';
      const recipients = Array.from({ length: 20 }, (_, i) => `lot${i}@exemple.fr`);
      for (const to of recipients) await first.queue.deliver(mail(to));
      answer = 'accept';
      now = new Date(now.getTime() + 10_000);
      const [a, b] = await Promise.all([first.queue.deliverDue(), second.queue.deliverDue()]);
      assert.equal(a.sent + b.sent, 20, `${a.sent} + ${b.sent}`);
      for (const to of recipients) assert.equal(received.filter((m) => m.to.includes(to)).length, 1, to);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('records and logs why a message was refused in codes, never the address the server repeated', async () => {
    const warned: string[] = [];
    const smtp = new SmtpTransport(
      { scheme: 'smtp', tls: 'off', host: '127.0.0.1', port, from: 'noreply@rempart.example', insecure: false },
      { timeoutMs: 2_000, maxConnections: 1 },
    );
    const q = new MessageQueue({
      db: runtime.database.db,
      keyring: () => runtime.keyring,
      transports: { email: smtp, sms: smtp, letter: smtp },
      now: () => now,
      onError: (error) => warned.push((error as Error).message),
    });
    try {
      await q.deliver(mail('inconnu.lenoir@exemple.fr'));
      const refused = await row('inconnu.lenoir@exemple.fr');
      assert.equal(refused.status, 'queued');
      assert.match(refused.last_error ?? '', /EENVELOPE 550/);
      assert.equal(warned.length, 1);
      for (const text of [refused.last_error ?? '', ...warned]) assert.doesNotMatch(text, /lenoir|exemple\.fr/);
    } finally {
      await smtp.close();
    }
  });

  it('does not hold the request that queued a message longer than its bound when the server is slow', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let sent = 0;
    const slow = {
      description: 'a slow mail server',
      async send() {
        await released;
        sent++;
      },
    };
    const q = new MessageQueue({
      db: runtime.database.db,
      keyring: () => runtime.keyring,
      transports: { email: slow, sms: slow, letter: slow },
      now: () => now,
      inlineWaitMs: 200,
    });
    const started = performance.now();
    const held = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('held past 3 s')), 3_000).unref());
    await Promise.race([q.deliver(mail('lent@exemple.fr')), held]).catch((error: unknown) => {
      release();
      throw error;
    });
    const waited = performance.now() - started;
    assert.ok(waited < 2_000, `the request waited ${Math.round(waited)} ms`);
    assert.equal((await row('lent@exemple.fr')).status, 'sending', 'the attempt goes on');
    release();
    for (let i = 0; (await row('lent@exemple.fr')).status !== 'sent'; i++) {
      assert.ok(i < 200, 'sent once the server answers');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(sent, 1);
  });
});
