import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Executor } from '../store/index.ts';

function asUuid(digest: Buffer): string {
  digest[6] = (digest[6]! & 0x0f) | 0x40;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A UUID (v4 layout) derived from the seed and a name: the same seed yields the same ids in any
 * store. For what is public anyway (the demo network's organisations, agreements and staff,
 * whose names and logins the start banner prints); never for persons, decoys or their ties.
 */
export function deterministicUuid(seed: number, ...parts: Array<string | number>): string {
  return asUuid(
    createHash('sha256')
      .update(`${seed}\u0000${parts.join('\u0000')}`)
      .digest(),
  );
}

/**
 * A UUID (v4 layout) keyed by the store's seed secret (`seedSecret`): the same store and seed
 * yield the same ids (a resumed seeding regenerates exactly the same persons), but neither the
 * public code nor a known seed computes them — another store seeded alike has other ids.
 */
export function secretUuid(secret: string, seed: number, ...parts: Array<string | number>): string {
  return asUuid(
    createHmac('sha256', Buffer.from(secret, 'hex'))
      .update(`${seed}\u0000${parts.join('\u0000')}`)
      .digest(),
  );
}

/** A number in [1, 2³¹ − 1) keyed by the seed secret: a generator seed nobody else can reproduce. */
export function secretSeed(secret: string, seed: number, ...parts: Array<string | number>): number {
  const digest = createHmac('sha256', Buffer.from(secret, 'hex'))
    .update(`${seed}\u0000${parts.join('\u0000')}`)
    .digest();
  return 1 + (digest.readUInt32BE(0) % (2 ** 31 - 2));
}

/** `meta` key of the store's seed secret. */
export const SEED_SECRET_KEY = 'seed_secret';

const SECRET_PATTERN = /^[0-9a-f]{64}$/;

/** The store's seed secret, if a seeding made one. */
export async function storedSeedSecret(db: Executor): Promise<string | undefined> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', SEED_SECRET_KEY).executeTakeFirst();
  if (row && !SECRET_PATTERN.test(row.value)) throw new Error(`meta.${SEED_SECRET_KEY} is not 32 bytes in hexadecimal`);
  return row?.value;
}

/**
 * The store's seed secret: 32 random bytes made at the first seeding and kept in `meta`, so that
 * every later run (a resumed seeding, more persons, decoys) derives the same ids. Two seedings
 * starting at once keep the same one (the first insert wins, both read it back).
 */
export async function seedSecret(db: Executor): Promise<string> {
  const existing = await storedSeedSecret(db);
  if (existing) return existing;
  await db
    .insertInto('meta')
    .values({ key: SEED_SECRET_KEY, value: randomBytes(32).toString('hex') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  return (await storedSeedSecret(db))!;
}
