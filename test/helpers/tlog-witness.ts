import { createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  COSIGNATURE_V1,
  cosignedMessage,
  cosignerKeyId,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  verifyConsistency,
} from '../../src/ledger/index.ts';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * A C2SP tlog-witness (https://c2sp.org/tlog-witness) for tests: one log, known by its verifier
 * key; `add-checkpoint` checks the log's signature, the old size against the latest it cosigned
 * (409 and its size otherwise), the consistency proof (422), and answers a cosignature/v1.
 */
export interface TestWitness {
  url: string;
  /** Its cosigner key, `name+id+base64(0x04 ‖ key)`. */
  key: string;
  /** The latest checkpoint it cosigned. */
  latest(): { size: bigint; root: Buffer } | undefined;
  /** Every answer it gave: status and old size asked. */
  requests: Array<{ status: number; old: bigint | null; size: bigint | null }>;
  /** Cosign with another key than the one announced (a witness answering garbage). */
  impostor: boolean;
  /** The log's verifier key, once known (the log's key comes with its store). */
  trust(logVerifierKey: string): void;
  close(): Promise<void>;
}

export async function startTestWitness(name = 'witness.test.example/w1'): Promise<TestWitness> {
  const seed = randomBytes(32);
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url');
  const id = cosignerKeyId(name, publicKey);
  const otherKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, randomBytes(32)]),
    format: 'der',
    type: 'pkcs8',
  });
  let verifier: ReturnType<typeof parseVerifierKey> | undefined;
  let latest: { size: bigint; root: Buffer } | undefined;
  const requests: TestWitness['requests'] = [];
  const witness: TestWitness = {
    url: '',
    key: `${name}+${id.toString('hex')}+${Buffer.concat([Buffer.from([COSIGNATURE_V1]), publicKey]).toString('base64')}`,
    latest: () => latest,
    requests,
    impostor: false,
    trust: (key) => {
      verifier = parseVerifierKey(key);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const answer = (
        status: number,
        text: string,
        type = 'text/plain; charset=utf-8',
        old: bigint | null = null,
        size: bigint | null = null,
      ) => {
        requests.push({ status, old, size });
        res.writeHead(status, { 'content-type': type });
        res.end(text);
      };
      if (req.method !== 'POST' || req.url !== '/add-checkpoint') return answer(404, 'not found\n');
      const split = body.indexOf('\n\n');
      const header = split >= 0 ? body.slice(0, split).split('\n') : [];
      const match = /^old (0|[1-9][0-9]*)$/.exec(header[0] ?? '');
      if (!match) return answer(400, 'malformed\n');
      const old = BigInt(match[1]!);
      const proof = header.slice(1).map((line) => Buffer.from(line, 'base64'));
      const note = body.slice(split + 2);
      let text: string;
      if (!verifier) return answer(404, 'unknown log\n', undefined, old);
      try {
        text = openNote(note, [verifier]);
      } catch {
        return answer(403, 'bad signature\n', undefined, old);
      }
      const checkpoint = parseCheckpoint(text);
      if (old > checkpoint.size)
        return answer(400, 'old size larger than the checkpoint\n', undefined, old, checkpoint.size);
      if (old !== (latest?.size ?? 0n))
        return answer(409, `${latest?.size ?? 0n}\n`, 'text/x.tlog.size', old, checkpoint.size);
      if (latest && old === checkpoint.size && !latest.root.equals(checkpoint.root))
        return answer(409, `${latest.size}\n`, 'text/x.tlog.size', old, checkpoint.size);
      if (
        latest &&
        old > 0n &&
        old < checkpoint.size &&
        !verifyConsistency(old, checkpoint.size, proof, latest.root, checkpoint.root)
      )
        return answer(422, 'inconsistent\n', undefined, old, checkpoint.size);
      latest = { size: checkpoint.size, root: checkpoint.root };
      const timestamp = BigInt(Math.floor(Date.now() / 1000));
      const stamp = Buffer.alloc(8);
      stamp.writeBigUInt64BE(timestamp);
      const signature = sign(null, cosignedMessage(text, timestamp), witness.impostor ? otherKey : privateKey);
      answer(
        200,
        `\u2014 ${name} ${Buffer.concat([id, stamp, signature]).toString('base64')}\n`,
        undefined,
        old,
        checkpoint.size,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  witness.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return witness;
}
