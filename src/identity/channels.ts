import { randomUUID } from 'node:crypto';
import { openSecret, sealSecret, type Keyring } from '../crypto/index.ts';
import { isValidEmail, normalizeEmail, normalizeFrenchPhone, ValidationError } from '../domain/index.ts';
import { maskAddress } from '../notify/index.ts';
import type { AccountChannelsTable, Executor } from '../store/index.ts';

export type ChannelKind = AccountChannelsTable['kind'];

export interface ChannelView {
  id: string;
  kind: ChannelKind;
  masked: string;
  verified: boolean;
  createdAt: string;
}

export interface ChannelAddress extends ChannelView {
  address: string;
}

/** The address in the form it is stored and sent to: lower-case email, E.164 phone number. */
export function canonicalAddress(kind: ChannelKind, address: string, field = 'address'): string {
  if (kind === 'email') {
    const email = normalizeEmail(address);
    if (!isValidEmail(email))
      throw new ValidationError([{ field, rule: 'email', message: 'adresse électronique invalide' }]);
    return email;
  }
  const phone = normalizeFrenchPhone(address);
  if (!phone)
    throw new ValidationError([{ field, rule: 'phone', message: 'numéro de téléphone mobile français invalide' }]);
  return phone;
}

/** Addresses are personal data: sealed under auth_secrets, bound to the account and the channel. */
export async function addChannel(
  db: Executor,
  keyring: Keyring,
  accountId: string,
  kind: ChannelKind,
  address: string,
  options: { verified?: boolean; now?: Date } = {},
): Promise<string> {
  const canonical = canonicalAddress(kind, address);
  const id = randomUUID();
  const now = (options.now ?? new Date()).toISOString();
  const sealed = sealSecret(keyring, accountId, `channel:${id}`, Buffer.from(canonical, 'utf8'));
  await db
    .insertInto('account_channels')
    .values({
      id,
      account_id: accountId,
      kind,
      address: sealed.sealed,
      address_version: sealed.version,
      masked: maskAddress(kind, canonical),
      verified_at: options.verified ? now : null,
      created_at: now,
      removed_at: null,
    })
    .execute();
  return id;
}

export async function markChannelVerified(db: Executor, channelId: string, now = new Date()): Promise<void> {
  await db
    .updateTable('account_channels')
    .set({ verified_at: now.toISOString() })
    .where('id', '=', channelId)
    .where('removed_at', 'is', null)
    .execute();
}

export async function listChannels(db: Executor, accountId: string): Promise<ChannelView[]> {
  const rows = await db
    .selectFrom('account_channels')
    .select(['id', 'kind', 'masked', 'verified_at', 'created_at'])
    .where('account_id', '=', accountId)
    .where('removed_at', 'is', null)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    masked: r.masked,
    verified: r.verified_at !== null,
    createdAt: r.created_at,
  }));
}

/** The account's channels with their addresses opened, to send to. */
export async function channelAddresses(
  db: Executor,
  keyring: Keyring,
  accountId: string,
  options: { verifiedOnly?: boolean } = {},
): Promise<ChannelAddress[]> {
  let query = db
    .selectFrom('account_channels')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('removed_at', 'is', null);
  if (options.verifiedOnly) query = query.where('verified_at', 'is not', null);
  const rows = await query.orderBy('created_at').execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    masked: r.masked,
    verified: r.verified_at !== null,
    createdAt: r.created_at,
    address: openSecret(keyring, accountId, `channel:${r.id}`, {
      version: r.address_version,
      sealed: r.address,
    }).toString('utf8'),
  }));
}
