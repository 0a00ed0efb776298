import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { CredentialCodesTable, Executor } from '../store/index.ts';

/** Wrong guesses a code survives: a six-to-eight digit code cannot be walked in five tries. */
export const CODE_MAX_ATTEMPTS = 5;

const ACTIVATION_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type CodePurpose = CredentialCodesTable['purpose'];

function codeHash(id: string, code: string): string {
  return createHash('sha256').update(`${id}\u0000${code}`).digest('hex');
}

/** Eight digits for codes typed from an SMS or an email; twenty symbols for activation links. */
function newCode(purpose: CodePurpose): string {
  if (purpose === 'activation') return Array.from({ length: 20 }, () => ACTIVATION_ALPHABET[randomInt(32)]).join('');
  return String(randomInt(0, 100_000_000)).padStart(8, '0');
}

export function normalizeCode(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}

export async function issueCode(
  db: Executor,
  input: { accountId: string; purpose: CodePurpose; channelId: string | null; ttlSeconds: number; now?: Date },
): Promise<{ id: string; code: string; expiresAt: string }> {
  const now = input.now ?? new Date();
  const id = randomUUID();
  const code = newCode(input.purpose);
  const expiresAt = new Date(now.getTime() + input.ttlSeconds * 1000).toISOString();
  await db
    .insertInto('credential_codes')
    .values({
      id,
      account_id: input.accountId,
      purpose: input.purpose,
      channel_id: input.channelId,
      code_hash: codeHash(id, code),
      created_at: now.toISOString(),
      expires_at: expiresAt,
      attempts: 0,
      used_at: null,
    })
    .execute();
  return { id, code, expiresAt };
}

/** A code whose value the caller already has (the activation code, kept for a second use): stored hashed like any. */
export async function storeKnownCode(
  db: Executor,
  input: { accountId: string; purpose: CodePurpose; code: string; expiresAt: string; now?: Date },
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('credential_codes')
    .values({
      id,
      account_id: input.accountId,
      purpose: input.purpose,
      channel_id: null,
      code_hash: codeHash(id, normalizeCode(input.code)),
      created_at: (input.now ?? new Date()).toISOString(),
      expires_at: input.expiresAt,
      attempts: 0,
      used_at: null,
    })
    .execute();
  return id;
}

export type CodeCheck =
  | { ok: true; row: CredentialCodesTable }
  | { ok: false; reason: 'unknown' | 'expired' | 'used' | 'too_many_attempts' | 'wrong' };

/**
 * Check a code without spending it (the caller spends it with `spendCode` once everything
 * else holds); a wrong guess counts, and the fifth one burns the code.
 */
export async function checkCode(
  db: Executor,
  id: string,
  purpose: CodePurpose,
  presented: string,
  now = new Date(),
): Promise<CodeCheck> {
  const row = await db
    .selectFrom('credential_codes')
    .selectAll()
    .where('id', '=', id)
    .where('purpose', '=', purpose)
    .executeTakeFirst();
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.used_at) return { ok: false, reason: 'used' };
  if (row.attempts >= CODE_MAX_ATTEMPTS) return { ok: false, reason: 'too_many_attempts' };
  if (Date.parse(row.expires_at) <= now.getTime()) return { ok: false, reason: 'expired' };
  const expected = Buffer.from(row.code_hash, 'hex');
  const actual = Buffer.from(codeHash(id, normalizeCode(presented)), 'hex');
  if (!timingSafeEqual(expected, actual)) {
    await db
      .updateTable('credential_codes')
      .set({ attempts: row.attempts + 1 })
      .where('id', '=', id)
      .execute();
    return { ok: false, reason: row.attempts + 1 >= CODE_MAX_ATTEMPTS ? 'too_many_attempts' : 'wrong' };
  }
  return { ok: true, row };
}

/** A guess that failed further on (the second factor that must come with the code) costs the code an attempt too. */
export async function countFailedAttempt(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('credential_codes')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .execute();
}

/** Mark a code used; false when a concurrent request spent it first. */
export async function spendCode(db: Executor, id: string, now = new Date()): Promise<boolean> {
  const result = await db
    .updateTable('credential_codes')
    .set({ used_at: now.toISOString() })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Outstanding codes of an account for a purpose are void once a newer one is spent or the credential changes. */
export async function voidCodes(
  db: Executor,
  accountId: string,
  purpose: CodePurpose,
  now = new Date(),
): Promise<void> {
  await db
    .updateTable('credential_codes')
    .set({ used_at: now.toISOString() })
    .where('account_id', '=', accountId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
}

export async function recentCodeCount(
  db: Executor,
  accountId: string,
  purpose: CodePurpose,
  sinceMs: number,
  now = new Date(),
): Promise<number> {
  const since = new Date(now.getTime() - sinceMs).toISOString();
  const row = await db
    .selectFrom('credential_codes')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('account_id', '=', accountId)
    .where('purpose', '=', purpose)
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
