import type { Executor } from '../store/index.ts';
import { dropMachineTokens } from './machine-clients/access-tokens.ts';
import { revokeSessions } from './sessions.ts';
import { revokeApiTokens } from './tokens.ts';

/**
 * Whose credentials: actors (their accounts, their API tokens, their machine clients' access
 * tokens), accounts, or single sessions by public id.
 */
export interface CredentialHolders {
  actors?: readonly string[];
  accounts?: readonly string[];
  sessions?: readonly string[];
}

export interface CredentialRevocation {
  /** Written on each revoked session, for the holder's list and the investigator. */
  reason: string;
  at: Date;
  sessions?: boolean;
  /** The actors' API tokens and the access tokens of their machine clients. */
  apiTokens?: boolean;
  /** Every second factor of the accounts (passkeys, apps, recovery codes). */
  factors?: boolean;
  /** The accounts' passwords, erased: the holder comes back through a reset two administrators approve. */
  password?: boolean;
}

export interface RevokedCredentials {
  sessions: number;
  apiTokens: number;
  machineTokens: number;
  factors: number;
}

/**
 * Take credentials away from their holders: the one way the guard (containment), the incident
 * desk (remediation) and the administrators (reset) revoke them. Writes no ledger event: each
 * caller records its own, in the same transaction.
 */
export async function revokeCredentials(
  executor: Executor,
  holders: CredentialHolders,
  what: CredentialRevocation,
): Promise<RevokedCredentials> {
  const actors = holders.actors ?? [];
  const accounts = [...(holders.accounts ?? []), ...(await accountsOf(executor, actors))];
  const at = what.at.toISOString();
  const revoked: RevokedCredentials = { sessions: 0, apiTokens: 0, machineTokens: 0, factors: 0 };
  if (what.password && accounts.length)
    await executor
      .updateTable('accounts')
      .set({ password_hash: null, password_changed_at: at })
      .where('id', 'in', accounts)
      .execute();
  if (what.sessions)
    revoked.sessions = await revokeSessions(
      executor,
      { accounts, publicIds: holders.sessions ?? [] },
      what.reason,
      what.at,
    );
  if (what.factors && accounts.length) {
    const result = await executor
      .updateTable('account_factors')
      .set({ revoked_at: at })
      .where('account_id', 'in', accounts)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    revoked.factors = Number(result.numUpdatedRows);
  }
  if (what.apiTokens) {
    revoked.apiTokens = await revokeApiTokens(executor, actors, what.at);
    revoked.machineTokens = await dropMachineTokens(executor, actors);
  }
  return revoked;
}

async function accountsOf(executor: Executor, actors: readonly string[]): Promise<string[]> {
  if (!actors.length) return [];
  const rows = await executor
    .selectFrom('accounts')
    .select('id')
    .where('actor_id', 'in', [...actors])
    .execute();
  return rows.map((r) => r.id);
}
