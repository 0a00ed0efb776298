import { randomUUID } from 'node:crypto';
import type { FieldClass } from '../domain/index.ts';
import { appendEvent } from '../ledger/index.ts';
import { inTransaction, type BreakGlassTable, type Executor } from '../store/index.ts';

/**
 * Break-glass: an agent opens a person's file outside their scope, for a written reason, for
 * BREAK_GLASS_MINUTES, and only the classes their organisation's agreement grants for the
 * purpose; a security officer reviews every grant afterwards, and an abusive one stops working
 * at once. The grants are the policy's: `authorize` reads them, nothing else writes them.
 */

/** How long a break-glass access lasts once granted. */
export const BREAK_GLASS_MINUTES = 30;

export type BreakGlassVerdict = Exclude<BreakGlassTable['review_status'], 'pending'>;

export interface BreakGlassRequest {
  actorId: string;
  organisationId: string;
  personId: string;
  purpose: string;
  caseReference: string;
  justification: string;
  /** The classes the decision allowed (the agreement's for the purpose, within those asked). */
  classes: readonly FieldClass[];
  now: Date;
}

/** Record the grant and its event, or neither. */
export async function grantBreakGlass(
  db: Executor,
  request: BreakGlassRequest,
): Promise<{ id: string; expiresAt: string }> {
  const id = randomUUID();
  const expiresAt = new Date(request.now.getTime() + BREAK_GLASS_MINUTES * 60_000).toISOString();
  await inTransaction(db, async (trx) => {
    await trx
      .insertInto('break_glass')
      .values({
        id,
        actor_id: request.actorId,
        organisation_id: request.organisationId,
        person_id: request.personId,
        purpose: request.purpose,
        case_reference: request.caseReference,
        justification: request.justification,
        classes: JSON.stringify(request.classes),
        granted_at: request.now.toISOString(),
        expires_at: expiresAt,
        review_status: 'pending',
        reviewed_by: null,
        reviewed_at: null,
        review_note: null,
      })
      .execute();
    await appendEvent(trx, 'break_glass_used', {
      actorId: request.actorId,
      personId: request.personId,
      purpose: request.purpose,
      caseReference: request.caseReference,
      classes: request.classes,
      operation: 'break_glass',
      details: { breakGlassId: id, expiresAt },
    });
  });
  return { id, expiresAt };
}

/** The grant in force for this actor, person and purpose, latest first; an abusive one no longer counts. */
export async function breakGlassInForce(
  db: Executor,
  actorId: string,
  personId: string,
  purpose: string,
  now: Date,
): Promise<{ id: string; classes: FieldClass[] } | undefined> {
  const grant = await db
    .selectFrom('break_glass')
    .select(['id', 'classes'])
    .where('actor_id', '=', actorId)
    .where('person_id', '=', personId)
    .where('purpose', '=', purpose)
    .where('expires_at', '>', now.toISOString())
    .where('review_status', '!=', 'abusive')
    .orderBy('granted_at', 'desc')
    .executeTakeFirst();
  return grant ? { id: grant.id, classes: JSON.parse(grant.classes) as FieldClass[] } : undefined;
}

export interface BreakGlassView {
  id: string;
  actorId: string;
  actorLogin: string;
  organisationId: string;
  organisationName: string;
  personId: string;
  purpose: string;
  caseReference: string;
  justification: string;
  classes: string[];
  grantedAt: string;
  expiresAt: string;
  reviewStatus: string;
  reviewedBy: string | null;
  reviewedAt: string | null;
  reviewNote: string | null;
}

/** The review queue, oldest first (at most 500); `status` keeps one state. */
export async function listBreakGlass(
  db: Executor,
  options: { status?: BreakGlassTable['review_status'] } = {},
): Promise<BreakGlassView[]> {
  let query = db
    .selectFrom('break_glass')
    .innerJoin('actors', 'actors.id', 'break_glass.actor_id')
    .innerJoin('organisations', 'organisations.id', 'break_glass.organisation_id')
    .selectAll('break_glass')
    .select(['actors.login as actor_login', 'organisations.name as organisation_name']);
  if (options.status) query = query.where('break_glass.review_status', '=', options.status);
  const rows = await query
    .orderBy('break_glass.granted_at', 'asc')
    .orderBy('break_glass.id', 'asc')
    .limit(500)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    actorId: r.actor_id,
    actorLogin: r.actor_login,
    organisationId: r.organisation_id,
    organisationName: r.organisation_name,
    personId: r.person_id,
    purpose: r.purpose,
    caseReference: r.case_reference,
    justification: r.justification,
    classes: JSON.parse(r.classes) as string[],
    grantedAt: r.granted_at,
    expiresAt: r.expires_at,
    reviewStatus: r.review_status,
    reviewedBy: r.reviewed_by,
    reviewedAt: r.reviewed_at,
    reviewNote: r.review_note,
  }));
}

export type BreakGlassReview =
  { outcome: 'reviewed'; reviewedAt: string } | { outcome: 'not_found' | 'own_access' | 'already_reviewed' };

/**
 * Judge a grant justified or abusive, with a note: never one's own (four eyes), once only; the
 * verdict and its event in one transaction, or neither.
 */
export async function reviewBreakGlass(
  db: Executor,
  review: { id: string; reviewerAccountId: string; reviewerActorId: string; verdict: BreakGlassVerdict; note: string },
  now: Date = new Date(),
): Promise<BreakGlassReview> {
  const row = await db
    .selectFrom('break_glass')
    .select(['id', 'actor_id', 'review_status', 'person_id'])
    .where('id', '=', review.id)
    .executeTakeFirst();
  if (!row) return { outcome: 'not_found' };
  if (row.actor_id === review.reviewerActorId) return { outcome: 'own_access' };
  const reviewedAt = now.toISOString();
  const reviewed = await inTransaction(db, async (trx) => {
    const updated = await trx
      .updateTable('break_glass')
      .set({
        review_status: review.verdict,
        reviewed_by: review.reviewerAccountId,
        reviewed_at: reviewedAt,
        review_note: review.note,
      })
      .where('id', '=', row.id)
      .where('review_status', '=', 'pending')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return false;
    await appendEvent(trx, 'break_glass_reviewed', {
      personId: row.person_id,
      operation: 'break_glass_review',
      details: { breakGlassId: row.id, verdict: review.verdict, reviewedActor: row.actor_id },
    });
    return true;
  });
  return reviewed ? { outcome: 'reviewed', reviewedAt } : { outcome: 'already_reviewed' };
}
