import { randomUUID } from 'node:crypto';
import type { Executor } from '../store/index.ts';

export type SecurityEventKind =
  | 'login_succeeded'
  | 'login_failed'
  | 'login_throttled'
  | 'login_locked'
  | 'logout'
  | 'session_revoked'
  | 'session_rejected'
  | 'account_created'
  | 'password_changed'
  | 'factor_enrolled'
  | 'second_factor_succeeded'
  | 'second_factor_failed'
  | 'recovery_code_used'
  | 'account_disabled';

/** An authentication or account event: who, what, from where; details never hold a secret. */
export async function recordSecurityEvent(
  db: Executor,
  kind: SecurityEventKind,
  event: { accountId?: string | null; address?: string | null; details?: Record<string, string | number | boolean | null> },
): Promise<void> {
  await db
    .insertInto('security_events')
    .values({ id: randomUUID(), at: new Date().toISOString(), kind, account_id: event.accountId ?? null, address: event.address ?? null, details: JSON.stringify(event.details ?? {}) })
    .execute();
}
