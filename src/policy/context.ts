import { sql, type SqlBool } from 'kysely';
import type { Executor } from '../store/index.ts';
import { agreementFromRow, type Agreement, type PurposeRule } from './agreement.ts';
import type { DecisionActor, DecisionOrganisation, RelationshipFacts } from './decide.ts';
import {
  evaluateGate,
  parsePosture,
  type Derogation,
  type GateAssurance,
  type GateRequirement,
  type SecurityPosture,
} from './gate.ts';
import { assuranceOf } from './assurance.ts';
import { restrictedClassesOf } from './restrictions.ts';

export async function loadActor(db: Executor, actorId: string): Promise<DecisionActor | undefined> {
  const row = await db
    .selectFrom('actors')
    .select(['id', 'organisation_id', 'roles', 'status'])
    .where('id', '=', actorId)
    .executeTakeFirst();
  return row
    ? { id: row.id, organisationId: row.organisation_id, roles: JSON.parse(row.roles) as string[], status: row.status }
    : undefined;
}

/** What an organisation's decisions rest on, as stored: cached per process, keyed by the policy version. */
interface StoredOrganisation {
  version: number;
  id: string;
  kind: string;
  status: string;
  posture: SecurityPosture;
  agreements: Agreement[];
  /** Every derogation not revoked; which are still running is decided at each request. */
  derogations: Derogation[];
  /** The DPIAs and the baseline attestation the gate reads (issue 24). */
  assurance: GateAssurance;
}

/** Organisations kept by a process: a few thousand at most, each a handful of agreements. */
const CACHED_ORGANISATIONS = 10_000;

/**
 * Per database handle (one per process), the organisations decisions read. An entry holds only
 * for the `policy_epoch` version it was read under: triggers bump the version on any write to
 * organisations, agreements or derogations, and each request reads the version (with its
 * session), so a change is in force at the next request of every process.
 */
const organisationCaches = new WeakMap<Executor, Map<string, StoredOrganisation>>();

/** The policy data's version now (one indexed row). */
export async function policyVersion(db: Executor): Promise<number> {
  const row = await db.selectFrom('policy_epoch').select('version').where('id', '=', 1).executeTakeFirst();
  return Number(row?.version ?? 0);
}

async function storedOrganisation(
  db: Executor,
  organisationId: string,
  version: number | undefined,
): Promise<StoredOrganisation | undefined> {
  let cache = organisationCaches.get(db);
  if (!cache) organisationCaches.set(db, (cache = new Map()));
  // Inside a transaction the caller's own uncommitted writes may matter: read through, keep nothing.
  const current = db.isTransaction ? undefined : (version ?? (await policyVersion(db)));
  const cached = current === undefined ? undefined : cache.get(organisationId);
  if (cached && cached.version === current) return cached;
  // Read the version before the rows: a write committed in between bumps it past what is kept.
  const row = await db
    .selectFrom('organisations')
    .select(['id', 'kind', 'status', 'security_posture'])
    .where('id', '=', organisationId)
    .executeTakeFirst();
  if (!row) return undefined;
  const agreements = (
    await db.selectFrom('agreements').selectAll().where('organisation_id', '=', organisationId).execute()
  ).map(agreementFromRow);
  const derogations = (
    await db
      .selectFrom('derogations')
      .select(['id', 'requirement', 'expires_at'])
      .where('organisation_id', '=', organisationId)
      .where('revoked_at', 'is', null)
      .execute()
  ).map((r): Derogation => ({ id: r.id, requirement: r.requirement as GateRequirement, expiresAt: r.expires_at }));
  const stored: StoredOrganisation = {
    version: current ?? -1,
    id: row.id,
    kind: row.kind,
    status: row.status,
    posture: parsePosture(row.security_posture),
    agreements,
    derogations,
    assurance: await assuranceOf(db, organisationId),
  };
  if (current !== undefined) {
    if (cache.size >= CACHED_ORGANISATIONS) cache.clear();
    cache.set(organisationId, stored);
  }
  return stored;
}

/**
 * The organisation with its agreements and its gate evaluated for a request from `clientAddress`.
 * `version` is the policy version the request read with its session, when it did (else read here).
 */
export async function loadOrganisation(
  db: Executor,
  organisationId: string,
  now: Date,
  clientAddress?: string,
  version?: number,
): Promise<DecisionOrganisation | undefined> {
  const stored = await storedOrganisation(db, organisationId, version);
  if (!stored) return undefined;
  const at = now.toISOString();
  const derogations = stored.derogations.filter((d) => d.expiresAt > at);
  const gate = evaluateGate({
    posture: stored.posture,
    agreements: stored.agreements,
    derogations,
    assurance: stored.assurance,
    now,
    ...(clientAddress !== undefined ? { clientAddress } : {}),
  });
  return { id: stored.id, kind: stored.kind, status: stored.status, agreements: stored.agreements, gate };
}

/** In force on `today` (YYYY-MM-DD): an end date `column` left empty, or not before today. */
export function notEndedBefore(column: 'caseloads.until' | 'referrals.ends_on', today: string) {
  return sql<SqlBool>`(${sql.ref(column)} is null or ${sql.ref(column)} >= ${today})`;
}

/**
 * What ties a person to an actor, read from caseloads, referrals, caller verifications and held bank changes.
 * A person who does not exist has no ties: the decision for them is the one for a stranger.
 */
export async function relationshipFacts(
  db: Executor,
  actor: DecisionActor,
  personId: string,
  now: Date,
): Promise<RelationshipFacts> {
  const today = now.toISOString().slice(0, 10);
  const at = now.toISOString();
  // Every tie in one statement (the read path's round trips are its cost), written in SQL: on
  // every read, building it with the query builder cost more than running it.
  const { organisationId, id: actorId } = actor;
  const row = (
    await sql<{
      caseload: unknown;
      agency: unknown;
      referral: unknown;
      verified: unknown;
      held: unknown;
      restricted: unknown;
    }>`
      SELECT
        EXISTS (SELECT 1 FROM caseloads WHERE person_id = ${personId} AND organisation_id = ${organisationId} AND actor_id = ${actorId} AND (until IS NULL OR until >= ${today})) AS caseload,
        EXISTS (SELECT 1 FROM caseloads WHERE person_id = ${personId} AND organisation_id = ${organisationId} AND (until IS NULL OR until >= ${today})) AS agency,
        EXISTS (SELECT 1 FROM referrals WHERE person_id = ${personId} AND organisation_id = ${organisationId} AND status = 'active' AND starts_on <= ${today} AND (ends_on IS NULL OR ends_on >= ${today})) AS referral,
        EXISTS (SELECT 1 FROM caller_verifications WHERE person_id = ${personId} AND actor_id = ${actorId} AND verified_at IS NOT NULL AND expires_at > ${at}) AS verified,
        EXISTS (SELECT 1 FROM bank_changes WHERE person_id = ${personId} AND status = 'awaiting_verification') AS held,
        EXISTS (SELECT 1 FROM person_restrictions WHERE person_id = ${personId}) AS restricted`.execute(db)
  ).rows[0]!;
  const yes = (value: unknown) => value === true || value === 1 || value === '1';
  return {
    caseload: yes(row.caseload),
    agency: yes(row.agency),
    referral: yes(row.referral),
    verifiedCaller: yes(row.verified),
    heldBankChange: yes(row.held),
    // Established by the access pipeline when the purpose asks for it (`AccessRequest.employment`), never here.
    employment: false,
    // Likewise for an aidant's mandate (`AccessRequest.mandate`).
    mandate: false,
    // Rare: a second statement only for a person under a restriction of processing.
    ...(yes(row.restricted) ? { restrictedClasses: await restrictedClassesOf(db, personId) } : {}),
  };
}

/** The purpose rule an organisation's agreements declare for `purpose` (any version), if any. */
export function purposeRuleOf(agreements: readonly Agreement[], purpose: string): PurposeRule | undefined {
  return agreements.flatMap((a) => a.purposes).find((p) => p.purpose === purpose);
}
