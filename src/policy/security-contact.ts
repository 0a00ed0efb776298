import { sendMessage, type MessageSender } from '../notify/index.ts';
import type { Executor } from '../store/index.ts';

/** A contact the organisation's latest agreement in force names. */
async function agreementContact(
  db: Executor,
  organisationId: string,
  column: 'security_contact' | 'dpo_contact',
): Promise<string | undefined> {
  const row = await db
    .selectFrom('agreements')
    .select(column)
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'active')
    .orderBy('version', 'desc')
    .executeTakeFirst();
  return row ? (row as Record<typeof column, string>)[column] : undefined;
}

/** The organisation's security contact, from its agreements in force. */
export function securityContactOf(db: Executor, organisationId: string): Promise<string | undefined> {
  return agreementContact(db, organisationId, 'security_contact');
}

/** The organisation's DPO, from its agreements in force: who hears of what concerns its processing of personal data (Art. 19 notices, reports). */
export function dpoContactOf(db: Executor, organisationId: string): Promise<string | undefined> {
  return agreementContact(db, organisationId, 'dpo_contact');
}

/**
 * An alert to the organisation's security contact, named by its agreement: account
 * administration, derogations, containments never happen silently. False when it has none.
 */
export async function alertSecurityContact(
  m: MessageSender,
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
