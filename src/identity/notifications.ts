import { randomUUID } from 'node:crypto';
import type { Keyring } from '../crypto/index.ts';
import { maskAddress, type Notifier, type OutgoingMessage } from '../notify/index.ts';
import type { Executor } from '../store/index.ts';
import { channelAddresses } from './channels.ts';

export interface Messenger {
  db: Executor;
  keyring: Keyring;
  notifier: Notifier;
}

/** Record what is sent (never the body, which may hold a code), then send it. */
export async function sendMessage(
  m: Messenger,
  kind: string,
  message: OutgoingMessage,
  about: { accountId?: string | null; organisationId?: string | null } = {},
): Promise<void> {
  await m.db
    .insertInto('notifications')
    .values({
      id: randomUUID(),
      at: new Date().toISOString(),
      kind,
      account_id: about.accountId ?? null,
      organisation_id: about.organisationId ?? null,
      channel: message.channel,
      recipient: maskAddress(message.channel, message.to),
      subject: message.subject,
    })
    .execute();
  await m.notifier.deliver(message);
}

/**
 * Tell the account's holder on every channel known for it, verified or not: a reset or a new
 * channel must reach the real owner even if the attacker controls one of them. `verifiedOnly`
 * keeps to the addresses the holder proved theirs.
 */
export async function announceToAccount(
  m: Messenger,
  accountId: string,
  kind: string,
  subject: string,
  body: string,
  options: { verifiedOnly?: boolean } = {},
): Promise<number> {
  const channels = await channelAddresses(m.db, m.keyring, accountId, options);
  for (const channel of channels)
    await sendMessage(m, kind, { channel: channel.kind, to: channel.address, subject, body }, { accountId });
  return channels.length;
}

export type FactorKind = 'totp' | 'passkey';

const FACTOR_NAMES: Record<FactorKind, string> = {
  totp: 'une application d’authentification',
  passkey: 'une clé d’accès',
};

const PARIS_TIME = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'Europe/Paris',
  dateStyle: 'long',
  timeStyle: 'short',
});

/**
 * A second factor added to or removed from the account, told on every verified channel: a
 * factor is how a thief keeps an account, so its holder must hear of every change at once,
 * from a channel they proved theirs (an unverified address may be a stranger's or a typo). The
 * message names what changed and when, never the factor's label or the network it came from.
 */
export async function announceFactorChange(
  m: Messenger,
  accountId: string,
  change: 'added' | 'removed',
  factor: FactorKind,
  now = new Date(),
): Promise<number> {
  const what = FACTOR_NAMES[factor];
  const done = change === 'added' ? 'ajoutée à' : 'retirée de';
  const subject =
    change === 'added'
      ? 'Rempart : un second facteur a été ajouté à votre compte'
      : 'Rempart : un second facteur a été retiré de votre compte';
  const body =
    `Le ${PARIS_TIME.format(now)} (heure de Paris), ${what} a été ${done} votre compte Rempart. ` +
    'Si ce n’est pas vous, changez votre mot de passe, retirez ce second facteur et signalez-le à votre conseiller (agents : au référent sécurité de votre organisation).';
  return announceToAccount(
    m,
    accountId,
    change === 'added' ? 'factor_added_announcement' : 'factor_removed_announcement',
    subject,
    body,
    { verifiedOnly: true },
  );
}

/** The organisation's security contact, from its agreements in force. */
export async function securityContactOf(db: Executor, organisationId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('agreements')
    .select('security_contact')
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'active')
    .orderBy('version', 'desc')
    .executeTakeFirst();
  return row?.security_contact;
}

/** An alert to the organisation's security contact: account administration never happens silently. */
export async function alertSecurityContact(
  m: Messenger,
  organisationId: string,
  kind: string,
  subject: string,
  body: string,
): Promise<boolean> {
  const contact = await securityContactOf(m.db, organisationId);
  if (!contact) return false;
  await sendMessage(
    m,
    kind,
    { channel: 'email', to: contact, subject: `[Rempart – alerte sécurité] ${subject}`, body },
    { organisationId },
  );
  return true;
}
