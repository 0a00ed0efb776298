import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { OrganisationKind } from '../domain/index.ts';
import type { Executor } from '../store/index.ts';

const PREFIX = 'rpt_';

/** High-entropy bearer tokens are stored as SHA-256: a stolen database yields no usable token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export async function issueApiToken(db: Executor, actorId: string, label: string): Promise<string> {
  const token = PREFIX + randomBytes(32).toString('base64url');
  await db
    .insertInto('actor_credentials')
    .values({
      id: randomUUID(),
      actor_id: actorId,
      kind: 'api_token',
      secret_hash: hashToken(token),
      label,
      created_at: new Date().toISOString(),
      last_used_at: null,
      revoked_at: null,
    })
    .execute();
  return token;
}

export async function revokeApiTokens(
  db: Executor,
  actorIds: string | readonly string[],
  at = new Date(),
): Promise<number> {
  const actors = typeof actorIds === 'string' ? [actorIds] : [...actorIds];
  if (!actors.length) return 0;
  const result = await db
    .updateTable('actor_credentials')
    .set({ revoked_at: at.toISOString() })
    .where('actor_id', 'in', actors)
    .where('kind', '=', 'api_token')
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface AuthenticatedActor {
  id: string;
  organisationId: string;
  organisationKind: OrganisationKind;
  login: string;
  roles: string[];
}

/** The active actor a token belongs to, or undefined for unknown, revoked or suspended. */
export async function authenticateApiToken(db: Executor, token: string): Promise<AuthenticatedActor | undefined> {
  if (!token.startsWith(PREFIX) || token.length > 200) return undefined;
  const row = await db
    .selectFrom('actor_credentials')
    .innerJoin('actors', 'actors.id', 'actor_credentials.actor_id')
    .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
    .select([
      'actors.id',
      'actors.organisation_id',
      'actors.login',
      'actors.roles',
      'actors.status',
      'organisations.status as organisation_status',
      'organisations.kind as organisation_kind',
    ])
    .where('actor_credentials.kind', '=', 'api_token')
    .where('actor_credentials.secret_hash', '=', hashToken(token))
    .where('actor_credentials.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row || row.status !== 'active' || row.organisation_status !== 'active') return undefined;
  return {
    id: row.id,
    organisationId: row.organisation_id,
    organisationKind: row.organisation_kind as OrganisationKind,
    login: row.login,
    roles: JSON.parse(row.roles) as string[],
  };
}
