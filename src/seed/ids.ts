import { createHash } from 'node:crypto';

/** A UUID (v4 layout) derived from the seed and a name: the same seed yields the same ids. */
export function deterministicUuid(seed: number, ...parts: Array<string | number>): string {
  const h = createHash('sha256').update(`${seed}\u0000${parts.join('\u0000')}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
