import { HASH_BYTES } from './merkle.ts';

/**
 * The body of a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): origin, tree size in
 * decimal, root hash in base64, one per line; signed as a note.
 */
export interface Checkpoint {
  origin: string;
  size: bigint;
  root: Buffer;
}

export function formatCheckpoint(checkpoint: Checkpoint): string {
  if (!checkpoint.origin || /\n/.test(checkpoint.origin))
    throw new RangeError('a checkpoint origin is one non-empty line');
  if (checkpoint.root.length !== HASH_BYTES) throw new RangeError('a root hash is 32 bytes');
  return `${checkpoint.origin}\n${checkpoint.size.toString(10)}\n${checkpoint.root.toString('base64')}\n`;
}

export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.length < 4 || lines.at(-1) !== '')
    throw new RangeError('a checkpoint has at least three lines, each ending in a newline');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (!origin) throw new RangeError('empty origin');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw new RangeError('the size is a decimal number without leading zeros');
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== HASH_BYTES || root.toString('base64') !== rootText)
    throw new RangeError('the root is 32 bytes in standard base64');
  return { origin, size: BigInt(sizeText), root };
}
