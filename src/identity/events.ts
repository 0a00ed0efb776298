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
  | 'account_disabled'
  | 'factor_revoked'
  | 'passkey_registered'
  | 'passkey_rejected'
  | 'federated_login'
  | 'federated_login_rejected'
  | 'federated_identity_linked'
  | 'federated_identity_unlinked'
  | 'machine_client_registered'
  | 'machine_client_revoked'
  | 'machine_token_issued'
  | 'machine_token_refused'
  | 'admin_request_created'
  | 'admin_request_approved'
  | 'admin_request_refused'
  | 'role_granted'
  | 'password_reset_requested'
  | 'password_reset_completed'
  | 'password_reset_refused'
  | 'channel_verified'
  | 'recertification_started'
  | 'account_recertified'
  | 'step_up_required'
  | 'access_granted'
  | 'access_denied'
  | 'person_search'
  | 'break_glass_used'
  | 'break_glass_reviewed'
  | 'caller_verification_started'
  | 'caller_verified'
  | 'derogation_granted'
  | 'derogation_revoked'
  | 'posture_changed'
  | 'agreement_imported';

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
