import { randomUUID } from 'node:crypto';
import { inTransaction, type Executor } from '../../store/index.ts';
import type { CeremonyCaller } from './ceremony.ts';

/** A challenge must be answered within five minutes; the browser is told the same. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

export type Ceremony = 'registration' | 'authentication';

/**
 * Keep the challenge just sent to this session for this ceremony, replacing one still waiting
 * (only the latest options are valid), and drop everyone's expired challenges on the way.
 */
export async function storeChallenge(
  db: Executor,
  caller: CeremonyCaller,
  ceremony: Ceremony,
  challenge: string,
  now: Date,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx.deleteFrom('passkey_challenges').where('expires_at', '<=', now.toISOString()).execute();
    await trx
      .deleteFrom('passkey_challenges')
      .where('session_id', '=', caller.sessionId)
      .where('ceremony', '=', ceremony)
      .execute();
    await trx
      .insertInto('passkey_challenges')
      .values({
        id: randomUUID(),
        account_id: caller.accountId,
        session_id: caller.sessionId,
        ceremony,
        challenge,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + CHALLENGE_TTL_MS).toISOString(),
      })
      .execute();
  });
}

/**
 * Take the challenge waiting for this session, account and ceremony: it is deleted whatever the
 * answer turns out to be, so that one challenge buys one try. Undefined when none is waiting or
 * it has expired.
 */
export async function takeChallenge(
  db: Executor,
  caller: CeremonyCaller,
  ceremony: Ceremony,
  now: Date,
): Promise<string | undefined> {
  const row = await db
    .deleteFrom('passkey_challenges')
    .where('session_id', '=', caller.sessionId)
    .where('account_id', '=', caller.accountId)
    .where('ceremony', '=', ceremony)
    .returning(['challenge', 'expires_at'])
    .executeTakeFirst();
  if (!row || new Date(row.expires_at) <= now) return undefined;
  return row.challenge;
}
