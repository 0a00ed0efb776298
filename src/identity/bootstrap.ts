import { randomUUID } from 'node:crypto';
import type { Role } from '../domain/index.ts';
import { inTransaction, isUniqueViolation, type Executor } from '../store/index.ts';
import { issueApiToken, revokeApiTokens } from './tokens.ts';

export const BOOTSTRAP_ROLE: Role = 'bootstrap_admin';
export const BOOTSTRAP_LOGIN = 'admin.amorcage';
const OPERATOR_ORGANISATION_NAME = 'France Travail — opérateur Rempart';

/**
 * The agency's bootstrap administrator: the one caller of the agency file API
 * (`/api/agency/persons…`), which loads files outside the agreements. Created once; returns a
 * token only when it was just created.
 */
export async function ensureBootstrapAdmin(db: Executor): Promise<{ actorId: string; token?: string }> {
  try {
    return await createBootstrapAdmin(db);
  } catch (error) {
    // Processes started together on a fresh store (a deployment of several): one creates the
    // administrator, the others find it, and none fails to start.
    if (db.isTransaction || !isUniqueViolation(error)) throw error;
    return createBootstrapAdmin(db);
  }
}

function createBootstrapAdmin(db: Executor): Promise<{ actorId: string; token?: string }> {
  return inTransaction(db, async (trx) => {
    const existing = await trx
      .selectFrom('actors')
      .select('id')
      .where('login', '=', BOOTSTRAP_LOGIN)
      .executeTakeFirst();
    if (existing) return { actorId: existing.id };
    const now = new Date().toISOString();
    let organisation = await trx
      .selectFrom('organisations')
      .select('id')
      .where('name', '=', OPERATOR_ORGANISATION_NAME)
      .executeTakeFirst();
    if (!organisation) {
      organisation = { id: randomUUID() };
      await trx
        .insertInto('organisations')
        .values({
          id: organisation.id,
          kind: 'agency',
          name: OPERATOR_ORGANISATION_NAME,
          siret: null,
          departement: '75',
          security_posture: JSON.stringify({ mfa: 'required' }),
          status: 'active',
          created_at: now,
        })
        .execute();
    }
    const actorId = randomUUID();
    await trx
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: organisation.id,
        kind: 'human',
        login: BOOTSTRAP_LOGIN,
        display_name: "Administrateur d'amorçage",
        roles: JSON.stringify([BOOTSTRAP_ROLE]),
        status: 'active',
        created_at: now,
      })
      .execute();
    const token = await issueApiToken(trx, actorId, 'bootstrap');
    return { actorId, token };
  });
}

/** Revoke the bootstrap administrator's tokens and issue a new one. */
export async function renewBootstrapToken(db: Executor): Promise<string> {
  return inTransaction(db, async (trx) => {
    const { actorId, token } = await ensureBootstrapAdmin(trx);
    if (token) return token;
    await revokeApiTokens(trx, actorId);
    return issueApiToken(trx, actorId, 'bootstrap');
  });
}
