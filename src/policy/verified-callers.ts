import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { appendEvent } from '../ledger/index.ts';
import { inTransaction, type Executor } from '../store/index.ts';

/**
 * A call-centre operator sees a caller's file only once the caller proved who they are: a code
 * goes to the person's own verified channel, the caller reads it out, the operator types it.
 * The proof is a relationship the decision reads (`verified_caller`): it lasts
 * VERIFIED_CALLER_MINUTES, for this operator and this person only.
 */

/** How long a caller's proof of identity lets a call-centre operator see their file. */
export const VERIFIED_CALLER_MINUTES = 15;

/** How long the code sent to the caller stays good (they read it out during the call). */
export const CALLER_CODE_MINUTES = 10;

/** Wrong codes a verification takes before it burns: five, as an account's codes (identity's CODE_MAX_ATTEMPTS). */
export const CALLER_CODE_MAX_ATTEMPTS = 5;

function codeHash(id: string, code: string): string {
  return createHash('sha256').update(`caller\u0000${id}\u0000${code}`).digest('hex');
}

/** A verification started: its id, when its code expires, and the code to send (never stored). */
export interface CallerCode {
  id: string;
  expiresAt: string;
  code: string;
}

/** Start a verification of this person for this operator: the row and its event, or neither. */
export async function startCallerVerification(
  db: Executor,
  request: { actorId: string; personId: string; purpose: string; caseReference: string; now: Date },
): Promise<CallerCode> {
  const id = randomUUID();
  const expiresAt = new Date(request.now.getTime() + CALLER_CODE_MINUTES * 60_000).toISOString();
  const code = String(randomInt(0, 100_000_000)).padStart(8, '0');
  await inTransaction(db, async (trx) => {
    await trx
      .insertInto('caller_verifications')
      .values({
        id,
        person_id: request.personId,
        actor_id: request.actorId,
        code_hash: codeHash(id, code),
        attempts: 0,
        created_at: request.now.toISOString(),
        verified_at: null,
        expires_at: expiresAt,
      })
      .execute();
    await appendEvent(trx, 'caller_verification_started', {
      actorId: request.actorId,
      personId: request.personId,
      purpose: request.purpose,
      caseReference: request.caseReference,
      operation: 'verify_caller',
      details: { verificationId: id },
    });
  });
  return { id, expiresAt, code };
}

/**
 * A check that reached nobody (unknown person, no account, no verified channel), answered as if
 * a code had gone out: its confirmations fail as wrong codes do, burn after as many tries and
 * expire as late, so the confirmation step does not tell them apart either, whichever server
 * process it reaches. A blank names no person: a person id the operator made up never becomes a
 * row of the store (the refusal's event carries it).
 */
export async function startBlankVerification(
  db: Executor,
  request: { actorId: string; personId: string | undefined; now: Date },
): Promise<{ id: string; expiresAt: string }> {
  const id = randomUUID();
  const { now } = request;
  const expiresAt = new Date(now.getTime() + CALLER_CODE_MINUTES * 60_000).toISOString();
  await inTransaction(db, async (trx) => {
    await trx.deleteFrom('caller_blank_verifications').where('expires_at', '<', now.toISOString()).execute();
    await trx
      .insertInto('caller_blank_verifications')
      .values({ id, actor_id: request.actorId, attempts: 0, created_at: now.toISOString(), expires_at: expiresAt })
      .execute();
    await appendEvent(trx, 'access_denied', {
      actorId: request.actorId,
      personId: request.personId ?? null,
      operation: 'verify_caller',
      details: { reason: 'no_verified_channel', verificationId: id },
    });
  });
  return { id, expiresAt };
}

export type CallerConfirmation =
  | { outcome: 'verified'; personId: string; verifiedUntil: string }
  | { outcome: 'not_found' | 'already_verified' | 'code_expired' | 'code_burned' | 'code_invalid' };

/**
 * The code the caller read out, typed by the operator who started the verification: the proof
 * that opens the file, or why not. Every wrong code is counted and recorded; a blank fails as a
 * real verification with a wrong code would.
 */
export async function confirmCallerVerification(
  db: Executor,
  request: { id: string; actorId: string; code: string; now: Date },
): Promise<CallerConfirmation> {
  const { id, actorId, now } = request;
  const row = await db
    .selectFrom('caller_verifications')
    .selectAll()
    .where('id', '=', id)
    .where('actor_id', '=', actorId)
    .executeTakeFirst();
  if (!row) return confirmBlank(db, id, actorId, now);
  if (row.verified_at) return { outcome: 'already_verified' };
  if (row.attempts >= CALLER_CODE_MAX_ATTEMPTS) return { outcome: 'code_burned' };
  if (Date.parse(row.expires_at) <= now.getTime()) return { outcome: 'code_expired' };
  const presented = request.code.replace(/[\s-]/g, '');
  if (!timingSafeEqual(Buffer.from(row.code_hash, 'hex'), Buffer.from(codeHash(row.id, presented), 'hex'))) {
    const burned = row.attempts + 1 >= CALLER_CODE_MAX_ATTEMPTS;
    await inTransaction(db, async (trx) => {
      await trx
        .updateTable('caller_verifications')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', row.id)
        .execute();
      await appendEvent(trx, 'access_denied', {
        actorId,
        personId: row.person_id,
        operation: 'verify_caller',
        details: { reason: burned ? 'code_burned' : 'code_invalid', verificationId: row.id },
      });
    });
    return { outcome: burned ? 'code_burned' : 'code_invalid' };
  }
  const verifiedUntil = new Date(now.getTime() + VERIFIED_CALLER_MINUTES * 60_000).toISOString();
  // One transaction: the proof that opens the file and its event, or neither.
  const verified = await inTransaction(db, async (trx) => {
    const updated = await trx
      .updateTable('caller_verifications')
      .set({ verified_at: now.toISOString(), expires_at: verifiedUntil })
      .where('id', '=', row.id)
      .where('verified_at', 'is', null)
      .where('attempts', '<', CALLER_CODE_MAX_ATTEMPTS)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return false;
    await appendEvent(trx, 'caller_verified', {
      actorId,
      personId: row.person_id,
      operation: 'verify_caller',
      details: { verificationId: row.id, verifiedUntil },
    });
    return true;
  });
  return verified ? { outcome: 'verified', personId: row.person_id, verifiedUntil } : { outcome: 'already_verified' };
}

/** A confirmation of a blank: how a real one with a wrong code would end; not found when it is not this actor's blank. */
async function confirmBlank(db: Executor, id: string, actorId: string, now: Date): Promise<CallerConfirmation> {
  const blank = await db
    .selectFrom('caller_blank_verifications')
    .select(['attempts', 'expires_at'])
    .where('id', '=', id)
    .where('actor_id', '=', actorId)
    .executeTakeFirst();
  if (!blank) return { outcome: 'not_found' };
  if (blank.attempts >= CALLER_CODE_MAX_ATTEMPTS) return { outcome: 'code_burned' };
  if (Date.parse(blank.expires_at) <= now.getTime()) return { outcome: 'code_expired' };
  await db
    .updateTable('caller_blank_verifications')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .execute();
  const burned = blank.attempts + 1 >= CALLER_CODE_MAX_ATTEMPTS;
  await appendEvent(db, 'access_denied', {
    actorId,
    operation: 'verify_caller',
    details: { reason: burned ? 'code_burned' : 'code_invalid', verificationId: id, blank: true },
  });
  return { outcome: burned ? 'code_burned' : 'code_invalid' };
}
