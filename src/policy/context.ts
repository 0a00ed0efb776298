import { sql, type SqlBool } from 'kysely';
import type { Executor } from '../store/index.ts';
import { agreementFromRow, type Agreement, type PurposeRule } from './agreement.ts';
import type { DecisionActor, DecisionOrganisation, RelationshipFacts } from './decide.ts';
import { evaluateGate, parsePosture, type Derogation, type GateRequirement } from './gate.ts';

/** How long a caller's proof of identity lets a call-centre operator see their file. */
export const VERIFIED_CALLER_MINUTES = 15;

export async function loadActor(db: Executor, actorId: string): Promise<DecisionActor | undefined> {
  const row = await db.selectFrom('actors').select(['id', 'organisation_id', 'roles', 'status']).where('id', '=', actorId).executeTakeFirst();
  return row ? { id: row.id, organisationId: row.organisation_id, roles: JSON.parse(row.roles) as string[], status: row.status } : undefined;
}

async function loadAgreements(db: Executor, organisationId: string): Promise<Agreement[]> {
  return (await db.selectFrom('agreements').selectAll().where('organisation_id', '=', organisationId).execute()).map(agreementFromRow);
}

async function loadDerogations(db: Executor, organisationId: string, now: Date): Promise<Derogation[]> {
  const rows = await db
    .selectFrom('derogations')
    .select(['id', 'requirement', 'expires_at'])
    .where('organisation_id', '=', organisationId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .execute();
  return rows.map((r) => ({ id: r.id, requirement: r.requirement as GateRequirement, expiresAt: r.expires_at }));
}

/** The organisation with its agreements and its gate evaluated for a request from `clientAddress`. */
export async function loadOrganisation(db: Executor, organisationId: string, now: Date, clientAddress?: string): Promise<DecisionOrganisation | undefined> {
  const row = await db.selectFrom('organisations').select(['id', 'kind', 'status', 'security_posture']).where('id', '=', organisationId).executeTakeFirst();
  if (!row) return undefined;
  const agreements = await loadAgreements(db, organisationId);
  const derogations = await loadDerogations(db, organisationId, now);
  const gate = evaluateGate({ posture: parsePosture(row.security_posture), agreements, derogations, now, ...(clientAddress !== undefined ? { clientAddress } : {}) });
  return { id: row.id, kind: row.kind, status: row.status, agreements, gate };
}

/** In force on `today` (YYYY-MM-DD): an end date `column` left empty, or not before today. */
export function notEndedBefore(column: 'caseloads.until' | 'referrals.ends_on', today: string) {
  return sql<SqlBool>`(${sql.ref(column)} is null or ${sql.ref(column)} >= ${today})`;
}

/**
 * What ties a person to an actor, read from caseloads, referrals and caller verifications.
 * A person who does not exist has no ties: the decision for them is the one for a stranger.
 */
export async function relationshipFacts(db: Executor, actor: DecisionActor, personId: string, now: Date): Promise<RelationshipFacts> {
  const today = now.toISOString().slice(0, 10);
  const at = now.toISOString();
  const caseloads = await db
    .selectFrom('caseloads')
    .select(['actor_id'])
    .where('person_id', '=', personId)
    .where('organisation_id', '=', actor.organisationId)
    .where(notEndedBefore('caseloads.until', today))
    .execute();
  const referral = await db
    .selectFrom('referrals')
    .select('id')
    .where('person_id', '=', personId)
    .where('organisation_id', '=', actor.organisationId)
    .where('status', '=', 'active')
    .where('starts_on', '<=', today)
    .where(notEndedBefore('referrals.ends_on', today))
    .executeTakeFirst();
  const verified = await db
    .selectFrom('caller_verifications')
    .select('id')
    .where('person_id', '=', personId)
    .where('actor_id', '=', actor.id)
    .where('verified_at', 'is not', null)
    .where('expires_at', '>', at)
    .executeTakeFirst();
  return {
    caseload: caseloads.some((c) => c.actor_id === actor.id),
    agency: caseloads.length > 0,
    referral: referral !== undefined,
    verifiedCaller: verified !== undefined,
  };
}

/** The purpose rule an organisation's agreements declare for `purpose` (any version), if any. */
export function purposeRuleOf(agreements: readonly Agreement[], purpose: string): PurposeRule | undefined {
  return agreements.flatMap((a) => a.purposes).find((p) => p.purpose === purpose);
}
