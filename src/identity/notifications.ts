import { formatFrenchDate } from '../domain/index.ts';
import type { Keyring } from '../crypto/index.ts';
import { sendMessage, type MessageSender } from '../notify/index.ts';
import { channelAddresses } from './channels.ts';
import { activeJobSeekerAccountOf } from './questions.ts';

// Sending is notify's, and the security contact is named by the agreement (policy's): re-exported
// so that identity's modules and clients keep the one import they had.
export { sendMessage } from '../notify/index.ts';
export { alertSecurityContact } from '../policy/index.ts';

/** What identity needs to reach an account's holder: the sender, and the keyring that opens their addresses. */
export interface Messenger extends MessageSender {
  keyring: Keyring;
}

/**
 * Tell the account's holder on every channel known for it, verified or not: a reset or a new
 * channel must reach the real owner even if the attacker controls one of them. `verifiedOnly`
 * keeps to the addresses the holder proved theirs. A job seeker who chose paper for all
 * correspondence also gets the notice as a letter (issue 25 §5: the notifier's paper channel,
 * in the same transaction); `paper: false` leaves the letter out (the fallback of a letter that
 * came back). Answers the number of electronic channels told.
 */
export async function announceToAccount(
  m: Messenger,
  accountId: string,
  kind: string,
  subject: string,
  body: string,
  options: { verifiedOnly?: boolean; paper?: boolean } = {},
): Promise<number> {
  const channels = await channelAddresses(m.db, m.keyring, accountId, options);
  for (const channel of channels)
    await sendMessage(m, kind, { channel: channel.kind, to: channel.address, subject, body }, { accountId });
  if (m.notifier.paper && options.paper !== false) {
    const account = await m.db
      .selectFrom('accounts')
      .select('person_id')
      .where('id', '=', accountId)
      .where('kind', '=', 'job_seeker')
      .executeTakeFirst();
    if (account?.person_id)
      await m.notifier.paper({ personId: account.person_id, accountId, kind, subject, body }, m.db);
  }
  return channels.length;
}

/**
 * A notice to a job seeker, whether or not they have an espace account: announced to their active
 * account when there is one (its channels, and a letter when they chose paper), otherwise queued
 * as a letter if they chose paper — a person without an account is most often the one who asked
 * for paper, and an agent may have recorded that choice for them. Answers the electronic channels
 * told and whether a letter went without an account (nobody reached: 0 and false).
 */
export async function announceToPerson(
  m: Messenger,
  personId: string,
  kind: string,
  subject: string,
  body: string,
  options: { verifiedOnly?: boolean } = {},
): Promise<{ channels: number; account: boolean; letter: boolean }> {
  const account = await activeJobSeekerAccountOf(m.db, personId);
  if (account)
    return {
      channels: await announceToAccount(m, account.id, kind, subject, body, options),
      account: true,
      letter: false,
    };
  const letter = m.notifier.paper
    ? await m.notifier.paper({ personId, accountId: null, kind, subject, body }, m.db)
    : false;
  return { channels: 0, account: false, letter };
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
    `Le ${formatFrenchDate(PARIS_TIME, now)} (heure de Paris), ${what} a été ${done} votre compte Rempart. ` +
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

/**
 * The password changed by its holder (`POST /api/auth/password`), told on every verified channel,
 * like a factor's change, with what to do if it was not them: a job seeker takes the account back
 * through « Mot de passe oublié » (a code to the very channel this notice reached, and their second
 * factor), whose address the notice gives; staff passwords are reset by their organisation's
 * administrators, so an agent calls their security contact.
 */
export async function announcePasswordChange(
  m: Messenger,
  accountId: string,
  kind: 'job_seeker' | 'staff',
  recoveryUrl: string,
  now = new Date(),
): Promise<number> {
  const done =
    `Le ${formatFrenchDate(PARIS_TIME, now)} (heure de Paris), le mot de passe de votre compte Rempart a été changé ` +
    'depuis une session ouverte sur ce compte. Vos autres sessions ont été fermées.';
  const notMe =
    kind === 'job_seeker'
      ? `Ce n’est pas vous ? Reprenez tout de suite votre compte en choisissant un nouveau mot de passe sur ${recoveryUrl} (un code vous sera envoyé ici), puis prévenez votre conseiller ou appelez le 3949.`
      : 'Ce n’est pas vous ? Prévenez immédiatement le référent sécurité de votre organisation : il fera fermer vos sessions et réinitialiser votre mot de passe.';
  return announceToAccount(
    m,
    accountId,
    'password_changed_announcement',
    'Rempart : votre mot de passe a été changé',
    `${done} ${notMe} Personne de Rempart ne vous demandera jamais votre mot de passe ni vos codes.`,
    { verifiedOnly: true },
  );
}
