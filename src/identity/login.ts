import type { AccountsTable, Executor } from '../store/index.ts';
import { findAccountByLogin, normalizeLogin } from './accounts.ts';
import { hasUsableSecondFactor } from './passkeys/index.ts';
import { verifyPassword } from './passwords.ts';
import { createSession, type ClientContext, type IssuedSession } from './sessions.ts';
import { addressScope, blockedUntil, clearFailures, loginScope, recordFailure } from './throttle.ts';
import { appendEvent } from '../ledger/index.ts';

export type LoginOutcome =
  | { ok: true; account: AccountsTable; session: IssuedSession; secondFactor: 'required' | 'enrolment_required' | 'not_required' }
  | { ok: false; reason: 'invalid_credentials' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

/**
 * Password login. Unknown account, wrong password and disabled account get the same answer
 * in the same time; failures count per login name (existing or not) and per address, so a
 * lock reveals nothing and spraying one password over many accounts from one place stops too.
 */
export async function loginWithPassword(db: Executor, credentials: { login: string; password: string }, client: ClientContext, now = new Date()): Promise<LoginOutcome> {
  const login = normalizeLogin(credentials.login);
  const scopes = [loginScope(login), addressScope(client.address)];
  const blocked = await blockedUntil(db, scopes, now);
  if (blocked) {
    await appendEvent(db, 'login_throttled', { address: client.address, details: { until: blocked.toISOString() } });
    return { ok: false, reason: 'throttled', retryAfterSeconds: Math.ceil((blocked.getTime() - now.getTime()) / 1000) };
  }
  const account = await findAccountByLogin(db, login);
  const passwordOk = await verifyPassword(account?.password_hash, credentials.password);
  if (!account || !passwordOk || account.status !== 'active') {
    const locks = await Promise.all(scopes.map((scope) => recordFailure(db, scope, now)));
    await appendEvent(db, 'login_failed', { accountId: account?.id ?? null, address: client.address, details: { reason: 'invalid_credentials' } });
    if (locks.some((l) => l)) await appendEvent(db, 'login_locked', { accountId: account?.id ?? null, address: client.address, details: { until: locks.find((l) => l)!.toISOString() } });
    return { ok: false, reason: 'invalid_credentials' };
  }
  await clearFailures(db, scopes[0]!);
  const enrolled = await hasUsableSecondFactor(db, account.id);
  // Staff must hold a second factor; anyone who enrolled one must present it.
  const secondFactor = enrolled ? 'required' : account.kind === 'staff' ? 'enrolment_required' : 'not_required';
  const session = await createSession(db, account.id, account.kind, client, { now, requiresSecondFactor: secondFactor !== 'not_required' });
  await db.updateTable('accounts').set({ last_login_at: now.toISOString() }).where('id', '=', account.id).execute();
  await appendEvent(db, 'login_succeeded', { accountId: account.id, address: client.address, details: { session: session.publicId } });
  return { ok: true, account, session, secondFactor };
}
