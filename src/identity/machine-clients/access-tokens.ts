import { randomBytes, randomUUID } from 'node:crypto';
import type { Executor } from '../../store/index.ts';
import { hashToken } from '../tokens.ts';

/** Distinct from staff API tokens (`rpt_`): a token is never accepted where the other kind is expected. */
export const MACHINE_TOKEN_PREFIX = 'rmc_';
export const MACHINE_TOKEN_LIFETIME_SECONDS = 600;

/** Expired tokens are kept a day, for an investigation that starts from a request log, then purged. */
const EXPIRED_TOKEN_RETENTION_MS = 24 * 3600_000;

export interface MintedToken {
  id: string;
  token: string;
  expiresAt: string;
}

/** Store a new access token as its SHA-256 only: a copy of the table yields nothing usable. */
export async function mintMachineToken(
  db: Executor,
  grant: { clientId: string; organisationId: string; purposes: readonly string[] },
  now: Date,
): Promise<MintedToken> {
  const token = MACHINE_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const id = randomUUID();
  const expiresAt = new Date(now.getTime() + MACHINE_TOKEN_LIFETIME_SECONDS * 1000).toISOString();
  await db
    .deleteFrom('machine_tokens')
    .where('expires_at', '<', new Date(now.getTime() - EXPIRED_TOKEN_RETENTION_MS).toISOString())
    .execute();
  await db
    .insertInto('machine_tokens')
    .values({
      id,
      token_hash: hashToken(token),
      client_id: grant.clientId,
      organisation_id: grant.organisationId,
      scope: grant.purposes.join(' '),
      issued_at: now.toISOString(),
      expires_at: expiresAt,
    })
    .execute();
  return { id, token, expiresAt };
}

/** Drop the access tokens held by these actors' machine clients (a token is short-lived: nothing to keep); how many. */
export async function dropMachineTokens(db: Executor, actorIds: readonly string[]): Promise<number> {
  if (!actorIds.length) return 0;
  const result = await db
    .deleteFrom('machine_tokens')
    .where('client_id', 'in', (eb) =>
      eb
        .selectFrom('machine_clients')
        .select('id')
        .where('actor_id', 'in', [...actorIds]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface AuthenticatedMachineClient {
  tokenId: string;
  clientId: string;
  actorId: string;
  organisationId: string;
  /** The granted purposes, as the OAuth scope string and as a list. */
  scope: string;
  purposes: string[];
  expiresAt: string;
}

/**
 * Who is calling with this token, or undefined if the token is unknown or expired, or if its
 * client, actor or organisation is no longer active: revoking any of them stops the token.
 */
export async function authenticateMachineToken(
  db: Executor,
  token: string,
  now = new Date(),
): Promise<AuthenticatedMachineClient | undefined> {
  if (!token.startsWith(MACHINE_TOKEN_PREFIX) || token.length > 200) return undefined;
  const row = await db
    .selectFrom('machine_tokens')
    .innerJoin('machine_clients', 'machine_clients.id', 'machine_tokens.client_id')
    .innerJoin('actors', 'actors.id', 'machine_clients.actor_id')
    .innerJoin('organisations', 'organisations.id', 'machine_tokens.organisation_id')
    .select([
      'machine_tokens.id',
      'machine_tokens.client_id',
      'machine_tokens.organisation_id',
      'machine_tokens.scope',
      'machine_tokens.expires_at',
      'machine_clients.actor_id',
      'machine_clients.status as client_status',
      'actors.status as actor_status',
      'organisations.status as organisation_status',
    ])
    .where('machine_tokens.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.expires_at <= now.toISOString()) return undefined;
  if (row.client_status !== 'active' || row.actor_status !== 'active' || row.organisation_status !== 'active')
    return undefined;
  return {
    tokenId: row.id,
    clientId: row.client_id,
    actorId: row.actor_id,
    organisationId: row.organisation_id,
    scope: row.scope,
    purposes: row.scope.split(' ').filter(Boolean),
    expiresAt: row.expires_at,
  };
}
