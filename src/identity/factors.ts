import { randomBytes, randomUUID } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { Secret, TOTP } from 'otpauth';
import { openSecret, sealSecret, type Keyring } from '../crypto/index.ts';
import { inTransaction, type AccountFactorsTable, type Executor } from '../store/index.ts';
import { ARGON2_OPTIONS } from './passwords.ts';
import { appendEvent } from '../ledger/index.ts';

/** RFC 6238 as ordinary authenticator apps and `oathtool --totp` expect: SHA-1, 6 digits, 30 s. */
const TOTP_SETTINGS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
/** One step either side, for clocks that drift. */
const TOTP_WINDOW = 1;
const ISSUER = 'Rempart';
const RECOVERY_CODES = 10;
const RECOVERY_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function totpFor(secret: Buffer, label: string): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label,
    secret: new Secret({ buffer: new Uint8Array(secret).buffer }),
    ...TOTP_SETTINGS,
  });
}

export interface TotpEnrolment {
  factorId: string;
  /** Base32, shown once for manual entry; the store keeps it sealed. */
  secret: string;
  uri: string;
}

export async function beginTotpEnrolment(
  db: Executor,
  keyring: Keyring,
  accountId: string,
  label: string,
): Promise<TotpEnrolment> {
  const seed = randomBytes(20);
  const factorId = randomUUID();
  const sealed = sealSecret(keyring, accountId, `totp:${factorId}`, seed);
  await db
    .insertInto('account_factors')
    .values({
      id: factorId,
      account_id: accountId,
      kind: 'totp',
      status: 'pending',
      label: 'Application d’authentification',
      secret: sealed.sealed,
      secret_version: sealed.version,
      data: '{}',
      last_used_step: null,
      created_at: new Date().toISOString(),
      last_used_at: null,
      revoked_at: null,
    })
    .execute();
  const totp = totpFor(seed, label);
  return { factorId, secret: totp.secret.base32, uri: totp.toString() };
}

/**
 * The time step a code belongs to, if it is valid for this factor now and newer than the last
 * one accepted: a code works once, even inside its 30 seconds.
 */
function acceptedStep(keyring: Keyring, factor: AccountFactorsTable, code: string, now: Date): number | undefined {
  if (!/^\d{6}$/.test(code) || !factor.secret || factor.secret_version === null) return undefined;
  const seed = openSecret(keyring, factor.account_id, `totp:${factor.id}`, {
    version: factor.secret_version,
    sealed: factor.secret,
  });
  const delta = totpFor(seed, '').validate({ token: code, timestamp: now.getTime(), window: TOTP_WINDOW });
  seed.fill(0);
  if (delta === null) return undefined;
  const step = TOTP.counter({ period: TOTP_SETTINGS.period, timestamp: now.getTime() }) + delta;
  return factor.last_used_step !== null && step <= factor.last_used_step ? undefined : step;
}

/** Record a step as used, unless a concurrent request used it (or a later one) first. */
async function consumeStep(
  db: Executor,
  factorId: string,
  step: number,
  now: Date,
  activate: boolean,
): Promise<boolean> {
  const result = await db
    .updateTable('account_factors')
    .set({ last_used_step: step, last_used_at: now.toISOString(), ...(activate ? { status: 'active' as const } : {}) })
    .where('id', '=', factorId)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Prove the app works once: the pending factor becomes active, and recovery codes are issued. */
export async function confirmTotpEnrolment(
  db: Executor,
  keyring: Keyring,
  accountId: string,
  factorId: string,
  code: string,
  now = new Date(),
): Promise<string[] | undefined> {
  const factor = await db
    .selectFrom('account_factors')
    .selectAll()
    .where('id', '=', factorId)
    .where('account_id', '=', accountId)
    .where('kind', '=', 'totp')
    .where('status', '=', 'pending')
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!factor) return undefined;
  const step = acceptedStep(keyring, factor, code, now);
  if (step === undefined || !(await consumeStep(db, factor.id, step, now, true))) return undefined;
  await appendEvent(db, 'factor_enrolled', { accountId, details: { kind: 'totp', factor: factorId } });
  return issueRecoveryCodes(db, accountId);
}

export type SecondFactorCheck = { ok: true; method: 'totp' | 'recovery_code' } | { ok: false };

/** A TOTP code from any active app, or one of the recovery codes (each usable once). */
export async function verifySecondFactor(
  db: Executor,
  keyring: Keyring,
  accountId: string,
  code: string,
  now = new Date(),
): Promise<SecondFactorCheck> {
  const factors = await db
    .selectFrom('account_factors')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('status', '=', 'active')
    .where('revoked_at', 'is', null)
    .execute();
  const compact = code.replace(/[\s-]/g, '').toUpperCase();
  for (const factor of factors.filter((f) => f.kind === 'totp')) {
    const step = acceptedStep(keyring, factor, compact, now);
    if (step !== undefined && (await consumeStep(db, factor.id, step, now, false))) return { ok: true, method: 'totp' };
  }
  const recovery = factors.find((f) => f.kind === 'recovery_codes');
  if (recovery && new RegExp(`^[${RECOVERY_ALPHABET}]{10}$`).test(compact)) {
    const hashes = JSON.parse(recovery.data) as string[];
    for (const [i, stored] of hashes.entries()) {
      if (await verify(stored, compact).catch(() => false)) {
        const remaining = hashes.filter((_, j) => j !== i);
        const updated = await db
          .updateTable('account_factors')
          .set({ data: JSON.stringify(remaining), last_used_at: now.toISOString() })
          .where('id', '=', recovery.id)
          .where('data', '=', recovery.data)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) return { ok: false };
        await appendEvent(db, 'recovery_code_used', { accountId, details: { remaining: remaining.length } });
        return { ok: true, method: 'recovery_code' };
      }
    }
  }
  return { ok: false };
}

/** Ten single-use codes, shown once; the store keeps argon2id hashes. Replaces earlier codes. */
export async function issueRecoveryCodes(db: Executor, accountId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODES }, () =>
    Array.from(randomBytes(10), (b) => RECOVERY_ALPHABET[b % 32]).join(''),
  );
  const hashes = await Promise.all(codes.map((c) => hash(c, ARGON2_OPTIONS)));
  await inTransaction(db, async (trx) => {
    await trx
      .updateTable('account_factors')
      .set({ revoked_at: new Date().toISOString() })
      .where('account_id', '=', accountId)
      .where('kind', '=', 'recovery_codes')
      .where('revoked_at', 'is', null)
      .execute();
    await trx
      .insertInto('account_factors')
      .values({
        id: randomUUID(),
        account_id: accountId,
        kind: 'recovery_codes',
        status: 'active',
        label: 'Codes de secours',
        secret: null,
        secret_version: null,
        data: JSON.stringify(hashes),
        last_used_step: null,
        created_at: new Date().toISOString(),
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
  });
  return codes.map((c) => `${c.slice(0, 5)}-${c.slice(5)}`);
}

export async function hasActiveSecondFactor(db: Executor, accountId: string): Promise<boolean> {
  const row = await db
    .selectFrom('account_factors')
    .select('id')
    .where('account_id', '=', accountId)
    .where('kind', 'in', ['totp', 'passkey'])
    .where('status', '=', 'active')
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

export async function listFactors(db: Executor, accountId: string) {
  const rows = await db
    .selectFrom('account_factors')
    .select(['id', 'kind', 'status', 'label', 'created_at', 'last_used_at', 'data'])
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    label: r.label,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    ...(r.kind === 'recovery_codes' ? { remaining: (JSON.parse(r.data) as string[]).length } : {}),
  }));
}

/** Step-up: the session's last second factor is recent enough for a sensitive operation. */
export function hasRecentSecondFactor(secondFactorAt: string | null, now = new Date(), maxAgeMs = 5 * 60_000): boolean {
  return secondFactorAt !== null && now.getTime() - new Date(secondFactorAt).getTime() <= maxAgeMs;
}
