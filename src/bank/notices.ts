import {
  accountsOfPerson,
  channelAddresses,
  sendMessage,
  staffAccountsAllowedTo,
  staffAccountsWithRole,
  staffFollowing,
  type Messenger,
} from '../identity/index.ts';
import { frenchInstant, maskIban, normalizeEmail, normalizeFrenchPhone, type PersonFile } from '../domain/index.ts';
import type { OutgoingMessage } from '../notify/index.ts';
import type { Executor } from '../store/index.ts';

type Channel = { channel: OutgoingMessage['channel']; to: string; accountId: string | null };

/** Channels without duplicates (the same email on the file and the account counts once). */
function channelList(): {
  out: Channel[];
  add: (channel: OutgoingMessage['channel'], to: string, accountId: string | null) => void;
} {
  const seen = new Set<string>();
  const out: Channel[] = [];
  const add = (channel: OutgoingMessage['channel'], to: string, accountId: string | null) => {
    const key = `${channel}:${channel === 'email' ? normalizeEmail(to) : channel === 'sms' ? (normalizeFrenchPhone(to) ?? to) : to}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ channel, to, accountId });
  };
  return { out, add };
}

const frenchDate = (iso: string) => frenchInstant(iso);
const shortDate = (iso: string) =>
  new Date(iso).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris', day: '2-digit', month: '2-digit' });

const postalBlock = (a: NonNullable<NonNullable<PersonFile['contact']>['address']>) =>
  [a.line1, a.line2, `${a.postalCode} ${a.commune}`].filter(Boolean).join('\n');

/**
 * Where the person can be reached, as known before the change: their accounts' channels and
 * their file's contact, and the contacts the file held before any recent change of it (a thief
 * who rewrote the email and phone must not be the only one told). When the contact changed
 * recently, a letter also goes to every postal address known (the file's and the previous ones).
 */
export async function knownChannels(
  m: Messenger,
  personId: string,
  contact: PersonFile['contact'],
  before: string,
  recent: { previous: Array<PersonFile['contact']>; changed: boolean } = { previous: [], changed: false },
): Promise<Channel[]> {
  const { out, add } = channelList();
  for (const c of [...recent.previous, contact]) {
    if (c?.email) add('email', c.email, null);
    if (c?.phone) add('sms', c.phone, null);
  }
  for (const account of await accountsOfPerson(m.db, personId, { activeOnly: true })) {
    // A channel added after the request could be the thief's: only those known before count.
    for (const ch of await channelAddresses(m.db, m.keyring, account))
      if (ch.createdAt <= before) add(ch.kind, ch.address, account);
  }
  if (recent.changed) {
    // Paper reaches the person even when every electronic channel was rewritten.
    for (const c of [contact, ...recent.previous]) if (c?.address) add('letter', postalBlock(c.address), null);
  } else if (out.length === 0 && contact?.address) {
    add('letter', postalBlock(contact.address), null);
  }
  return out;
}

/**
 * The channels a contact change is announced on: those the file held before it (email, phone,
 * and a letter to the previous address when the address changed or when there was nothing
 * else), and the person's accounts' channels known before it. Never the new contact alone.
 */
export async function channelsBeforeContactChange(
  m: Messenger,
  personId: string,
  previous: PersonFile['contact'] | undefined,
  changed: readonly string[],
  before: string,
): Promise<Channel[]> {
  const { out, add } = channelList();
  if (previous?.email) add('email', previous.email, null);
  if (previous?.phone) add('sms', previous.phone, null);
  for (const account of await accountsOfPerson(m.db, personId, { activeOnly: true })) {
    for (const ch of await channelAddresses(m.db, m.keyring, account))
      if (ch.createdAt <= before) add(ch.kind, ch.address, account);
  }
  if (previous?.address && (changed.includes('address') || out.length === 0))
    add('letter', postalBlock(previous.address), null);
  return out;
}

const PART_LABELS: Record<string, string> = {
  email: 'adresse électronique',
  phone: 'numéro de téléphone',
  address: 'adresse postale',
};

/** The announcement of a contact change, in plain French, without the new values (they may be a thief's). */
export function contactChangeMessage(
  channel: OutgoingMessage['channel'],
  n: { changedAt: string; changed: readonly string[]; byAgent: boolean; fullName: string },
): { subject: string; body: string } {
  const subject = 'Modification de vos coordonnées';
  const what = n.changed.map((p) => PART_LABELS[p] ?? p).join(', ');
  if (channel === 'sms') {
    return {
      subject,
      body: `France Travail : vos coordonnées (${what}) ont été modifiées le ${shortDate(n.changedAt)}. Pas vous ? Appelez le 3949 ou rendez-vous en agence.`,
    };
  }
  const body = [
    `Bonjour ${n.fullName},`,
    '',
    `Les coordonnées de votre dossier France Travail ont été modifiées le ${frenchDate(n.changedAt)}${n.byAgent ? ' par un agent' : ''} : ${what}.`,
    'Nous vous écrivons aux coordonnées que nous connaissions avant ce changement.',
    'Par précaution, pendant les 30 jours qui suivent, toute modification de vos coordonnées bancaires sera vérifiée par un agent, qui vous joindra par un moyen connu avant ce changement.',
    '',
    'Si vous n’êtes pas à l’origine de ce changement, appelez le 3949 ou rendez-vous dans votre agence avec une pièce d’identité.',
    '',
    'France Travail ne vous demande jamais vos codes de connexion ni vos coordonnées bancaires par téléphone, courriel ou SMS.',
  ].join('\n');
  return { subject, body };
}

export async function sendContactChangeNotices(
  m: Messenger,
  channels: Channel[],
  n: Parameters<typeof contactChangeMessage>[1],
): Promise<string[]> {
  for (const ch of channels) {
    const { subject, body } = contactChangeMessage(ch.channel, n);
    const to = ch.channel === 'letter' ? `${n.fullName}\n${ch.to}` : ch.to;
    await sendMessage(
      m,
      'contact_change_notice',
      { channel: ch.channel, to, subject, body },
      { accountId: ch.accountId },
    );
  }
  return channels.map((c) => c.channel);
}

export interface ChangeNotice {
  requestedAt: string;
  effectiveAt: string;
  via: 'job_seeker' | 'agent';
  newIban: string;
  currentIban: string | undefined;
  held: boolean;
  freezeCode: string;
  freezeUrl: string;
  fullName: string;
}

/** The notice, in plain French; the new IBAN only masked (country, check digits, last 4). */
export function noticeMessage(channel: OutgoingMessage['channel'], n: ChangeNotice): { subject: string; body: string } {
  const subject = 'Modification de vos coordonnées bancaires';
  const masked = maskIban(n.newIban);
  const link = `${n.freezeUrl}?code=${n.freezeCode}`;
  if (channel === 'sms') {
    return {
      subject,
      body: `France Travail : vos coordonnées bancaires vont changer (compte ${masked.replace(/\*[\s*]*\*/, '…')}), à partir du ${shortDate(n.effectiveAt)}. Pas vous ? Bloquez avec le code ${n.freezeCode} sur ${n.freezeUrl}`,
    };
  }
  const via =
    n.via === 'job_seeker'
      ? 'depuis votre espace personnel'
      : 'par un agent de France Travail, sur une demande écrite reçue à votre nom';
  const when = n.held
    ? 'Par précaution, un agent vérifiera cette demande avant qu’elle ne prenne effet.'
    : `Vos allocations seront versées sur ce nouveau compte à partir du ${frenchDate(n.effectiveAt)}, pas avant.`;
  const current = n.currentIban
    ? ` D’ici là, elles restent versées sur votre compte actuel (${maskIban(n.currentIban)}).`
    : '';
  const body = [
    `Bonjour ${n.fullName},`,
    '',
    `Une modification de vos coordonnées bancaires a été demandée le ${frenchDate(n.requestedAt)}, ${via}.`,
    `Nouveau compte : ${masked}.`,
    `${when}${current}`,
    '',
    'Si vous n’êtes pas à l’origine de cette demande, bloquez-la tout de suite :',
    channel === 'letter' ? `  rendez-vous sur ${n.freezeUrl} et saisissez le code ${n.freezeCode},` : `  ${link}`,
    `  ou donnez le code ${n.freezeCode} à votre conseiller (3949).`,
    'La modification sera alors suspendue et un conseiller vous contactera. Personne ne vous demandera ce code pour autre chose.',
    '',
    'France Travail ne vous demande jamais vos codes de connexion ni vos coordonnées bancaires par téléphone, courriel ou SMS.',
  ].join('\n');
  return { subject, body };
}

/** Send the notice on each channel; returns the channels used (kinds, masked in the register). */
export async function sendChangeNotices(
  m: Messenger,
  channels: Awaited<ReturnType<typeof knownChannels>>,
  notice: ChangeNotice,
): Promise<string[]> {
  for (const ch of channels) {
    const { subject, body } = noticeMessage(ch.channel, notice);
    const to = ch.channel === 'letter' ? `${notice.fullName}\n${ch.to}` : ch.to;
    await sendMessage(m, 'bank_change_notice', { channel: ch.channel, to, subject, body }, { accountId: ch.accountId });
  }
  return channels.map((c) => c.channel);
}

/**
 * Staff who must know: the person's counsellors and the indemnisation agents of their
 * organisations, or those who receive the security alerts when nobody follows the person.
 */
export async function staffToAlert(db: Executor, personId: string): Promise<string[]> {
  const counsellors = await staffFollowing(db, personId);
  if (counsellors.length === 0) return staffAccountsAllowedTo(db, 'receive', 'security_alerts');
  const agents = await staffAccountsWithRole(db, 'indemnisation_agent', [
    ...new Set(counsellors.map((c) => c.organisationId)),
  ]);
  return [...new Set([...counsellors.map((c) => c.accountId), ...agents])];
}
