import { randomBytes } from 'node:crypto';
import type { AccountFactorsTable, Executor } from '../../store/index.ts';

/** What `account_factors.data` holds for a passkey: public material only. */
export interface PasskeyData {
  /** base64url, as the authenticator reports it. */
  credentialId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  /** The authenticator's signature counter at its last accepted use (0 if it keeps none). */
  counter: number;
  transports: string[];
  /** The authenticator model (all zeros when the authenticator does not say). */
  aaguid: string;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  /** The allowed model its attestation proved (passkey-only organisations; see `checkAttestation`). */
  model?: string;
}

export interface Passkey {
  factorId: string;
  label: string;
  data: PasskeyData;
  /** The JSON as read, to update it only if no one else did meanwhile. */
  rawData: string;
}

function toPasskey(row: Pick<AccountFactorsTable, 'id' | 'label' | 'data'>): Passkey {
  return { factorId: row.id, label: row.label, data: JSON.parse(row.data) as PasskeyData, rawData: row.data };
}

/** The account's passkeys in use (active, not revoked). */
export async function activePasskeys(db: Executor, accountId: string): Promise<Passkey[]> {
  const rows = await db
    .selectFrom('account_factors')
    .select(['id', 'label', 'data'])
    .where('account_id', '=', accountId)
    .where('kind', '=', 'passkey')
    .where('status', '=', 'active')
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .execute();
  return rows.map(toPasskey);
}

/** Descriptors for the browser: which credentials to offer (sign-in) or not to create again (registration). */
export function descriptorsOf(passkeys: readonly Passkey[]): { id: string; transports: string[] }[] {
  return passkeys.map((p) => ({ id: p.data.credentialId, transports: p.data.transports }));
}

/** The account's WebAuthn user handle, created on first use (random, stable). */
export async function userHandleOf(db: Executor, accountId: string, now: Date): Promise<string> {
  const existing = await db
    .selectFrom('passkey_user_handles')
    .select('user_handle')
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (existing) return existing.user_handle;
  await db
    .insertInto('passkey_user_handles')
    .values({
      account_id: accountId,
      user_handle: randomBytes(32).toString('base64url'),
      created_at: now.toISOString(),
    })
    .onConflict((oc) => oc.column('account_id').doNothing())
    .execute();
  const created = await db
    .selectFrom('passkey_user_handles')
    .select('user_handle')
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return created.user_handle;
}

/** Which account a credential id is registered to, if any (revoked passkeys included). */
export async function ownerOfCredential(db: Executor, credentialId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('passkey_credentials')
    .select('account_id')
    .where('credential_id', '=', credentialId)
    .executeTakeFirst();
  return row?.account_id;
}
