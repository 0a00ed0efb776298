import type { FieldClass } from '../domain/index.ts';
import type { MandateScope } from '../domain/mandates.ts';
import type { Executor } from '../store/index.ts';
import { breakGlassInForce } from './break-glass.ts';
import { loadActor, loadOrganisation, purposeRuleOf, relationshipFacts } from './context.ts';
import {
  classesWithin,
  decide,
  related,
  type Decision,
  type DecisionActor,
  type DecisionOrganisation,
  type DenialReason,
  type Operation,
  type RelationshipFacts,
} from './decide.ts';

export interface AccessRequest {
  actorId: string;
  personId: string;
  purpose: string | undefined;
  caseReference: string | undefined;
  operation: Operation;
  /** Field classes asked for; none means all the purpose grants for the operation. */
  classes?: readonly FieldClass[];
  /** Where the request comes from, for the partner gate's network ranges. */
  clientAddress: string;
  now: Date;
  /**
   * The person's birth date (YYYY-MM-DD), asked only when the purpose has an age condition
   * and the person is otherwise in scope. The caller decrypts `identity` for it and keeps
   * nothing else: the date never leaves this function.
   */
  birthDateOf?: (personId: string) => Promise<string | undefined>;
  /**
   * Whether the caller's organisation employed the person, asked only when the purpose's
   * relationship is `employment` (an employer's certificates): the access pipeline answers it
   * from what it established itself (the person named by NIR and birth date in this request, or
   * a certificate the organisation already sent for them).
   */
  employment?: (personId: string) => Promise<boolean>;
  /**
   * The id of the person's mandate to the acting actor that covers `scope` now (confirmed, in
   * force, that step not revoked), asked only when the purpose's relationship is `mandate`: the
   * mandates capability answers it. A granted decision carries the id, and so does its event.
   */
  mandate?: (personId: string, scope: MandateScope) => Promise<string | undefined>;
  /**
   * The actor as the request already read it with its session (same freshness as reading it
   * here): saves the query. Ignored unless it is `actorId`'s.
   */
  actor?: DecisionActor;
  /** The policy data's version the request read with its session: the cached organisation must be that version's. */
  policyVersion?: number;
}

/** A decision, and when it rests on a break-glass grant, which one. */
export type AccessDecision = Decision & { breakGlassId?: string; mandateId?: string };

/** Whole years between a birth date and `now` (UTC), or undefined for an unreadable date. */
export function ageInYears(birthDate: string | undefined, now: Date): number | undefined {
  const match = birthDate ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate) : null;
  if (!match) return undefined;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d)) age -= 1;
  return age >= 0 ? age : undefined;
}

const denied = (reason: DenialReason): AccessDecision => ({ allowed: false, reason });

/** Reasons a break-glass grant may lift: the person is outside the caller's scope, nothing else. */
const LIFTED_BY_BREAK_GLASS = new Set<DenialReason>(['person_out_of_scope', 'condition_not_met']);

/**
 * Authorize one access to one person: load who acts, for which organisation (its partner gate
 * evaluated for this client address), what ties them to the person, and decide. A person who
 * does not exist has no ties, so the answer for them is the one for a stranger.
 *
 * A break-glass grant in force for this actor and person, under the same purpose, lifts only the
 * relationship: the actor, organisation, agreement, role and posture checks still hold, the
 * access is read-only, and it covers the classes the grant names and no more.
 */
export async function authorize(db: Executor, request: AccessRequest): Promise<AccessDecision> {
  const context = await loadContext(db, request);
  return 'allowed' in context ? context : decideForPerson(db, context, request);
}

/**
 * `authorize` for each of `personIds` (a search's matches), the actor and organisation loaded
 * once: a decision per person, in the order given.
 */
export async function authorizeEach(
  db: Executor,
  request: Omit<AccessRequest, 'personId'>,
  personIds: readonly string[],
): Promise<AccessDecision[]> {
  if (personIds.length === 0) return [];
  const context = await loadContext(db, request);
  if ('allowed' in context) return personIds.map(() => context);
  const decisions: AccessDecision[] = [];
  for (const personId of personIds) decisions.push(await decideForPerson(db, context, { ...request, personId }));
  return decisions;
}

interface Context {
  actor: DecisionActor;
  organisation: DecisionOrganisation;
}

/** Who acts, and their organisation with its gate evaluated for this client address; or the refusal. */
async function loadContext(
  db: Executor,
  request: Pick<AccessRequest, 'actorId' | 'now' | 'clientAddress' | 'actor' | 'policyVersion'>,
): Promise<Context | AccessDecision> {
  const actor = request.actor?.id === request.actorId ? request.actor : await loadActor(db, request.actorId);
  if (!actor) return denied('actor_inactive');
  const organisation = await loadOrganisation(
    db,
    actor.organisationId,
    request.now,
    request.clientAddress,
    request.policyVersion,
  );
  if (!organisation) return denied('actor_other_organisation');
  return { actor, organisation };
}

async function decideForPerson(
  db: Executor,
  { actor, organisation }: Context,
  request: AccessRequest,
): Promise<AccessDecision> {
  const { now } = request;
  const facts = await relationshipFacts(db, actor, request.personId, now);

  const rule = request.purpose ? purposeRuleOf(organisation.agreements, request.purpose) : undefined;
  if (rule?.relationship === 'employment' && request.employment)
    facts.employment = await request.employment(request.personId);
  let mandateId: string | undefined;
  if (rule?.relationship === 'mandate' && rule.mandateScope && request.mandate) {
    mandateId = await request.mandate(request.personId, rule.mandateScope);
    facts.mandate = mandateId !== undefined;
  }
  if (rule?.conditions?.maxAge !== undefined && related(rule.relationship, facts) && request.birthDateOf) {
    const age = ageInYears(await request.birthDateOf(request.personId), now);
    if (age !== undefined) facts.ageYears = age;
  }

  const decision = decideFor({ actor, organisation }, request, facts);
  if (decision.allowed && decision.relationship === 'mandate' && mandateId) return { ...decision, mandateId };
  // A mandate is the person's own consent: break-glass never stands in for one (issue 25 §4).
  if (
    decision.allowed ||
    !LIFTED_BY_BREAK_GLASS.has(decision.reason) ||
    request.operation !== 'read' ||
    rule?.relationship === 'mandate'
  )
    return decision;

  const grant = await breakGlassInForce(db, actor.id, request.personId, request.purpose!, now);
  if (!grant) return decision;
  const { asked, refused } = classesWithin(request.classes, grant.classes);
  if (refused.length) return { allowed: false, reason: 'field_class_not_granted', detail: refused.join(',') };
  // The decision as if the person were in scope, to carry the agreement and obligations; the classes are the grant's.
  const lifted = decide({
    actor,
    organisation,
    purpose: request.purpose,
    caseReference: request.caseReference,
    operation: 'read',
    classes: asked,
    facts: ANY_TIE,
    now,
  });
  if (!lifted.allowed) return lifted;
  return { ...lifted, classes: asked, breakGlassId: grant.id };
}

const ANY_TIE: RelationshipFacts = {
  caseload: true,
  agency: true,
  referral: true,
  verifiedCaller: true,
  heldBankChange: true,
  employment: true,
  mandate: true,
  ageYears: 0,
};

/**
 * Everything but the person: actor, organisation, gate, purpose, agreement, role, operation and
 * classes, decided as if the person were in scope. A break-glass request is judged this way
 * (it may lift the relationship, nothing else), and so are searches, caseload lists and caller
 * verifications before they touch any person. `relationship` is the purpose's relationship.
 */
export async function authorizeWithoutPerson(
  db: Executor,
  request: Omit<AccessRequest, 'personId' | 'birthDateOf' | 'employment' | 'mandate'>,
): Promise<AccessDecision> {
  const context = await loadContext(db, request);
  return 'allowed' in context ? context : decideFor(context, request, ANY_TIE);
}

/** The pure decision for a loaded actor and organisation, the request's purpose, case, operation and classes, and these ties. */
function decideFor(
  { actor, organisation }: Context,
  request: Omit<AccessRequest, 'personId' | 'birthDateOf' | 'employment'>,
  facts: RelationshipFacts,
): Decision {
  return decide({
    actor,
    organisation,
    purpose: request.purpose,
    caseReference: request.caseReference,
    operation: request.operation,
    ...(request.classes ? { classes: request.classes } : {}),
    facts,
    now: request.now,
  });
}
