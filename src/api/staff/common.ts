import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { recordSecurityEvent, staffMemberOf, type StaffMember } from '../../identity/index.ts';
import { DENIAL_REASONS, type AccessDecision, type DenialReason } from '../../policy/index.ts';
import type { Executor } from '../../store/index.ts';
import { declaredPurpose, DENIAL_MESSAGES, type DeclaredPurpose } from '../purpose.ts';
import { ErrorSchema, errorResponses } from '../schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    staff?: StaffMember;
  }
}

export const staffErrorResponses = { ...errorResponses, 422: ErrorSchema } as const;

export const DecisionViewSchema = Type.Object({
  purpose: Type.String(),
  caseReference: Type.String(),
  agreement: Type.Object({ id: Type.String(), reference: Type.String(), version: Type.Integer() }),
  classes: Type.Array(Type.String()),
  breakGlass: Type.Optional(Type.String()),
});

/** After requireSession: a staff account acting for an actor of an organisation, or 403. */
export function requireStaff(db: Executor) {
  return async function staffOnly(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const staff = request.account ? await staffMemberOf(db, request.account.id) : undefined;
    if (!staff) {
      void reply.status(403).send({ error: 'not_staff', message: 'Réservé aux agents habilités.', requestId: request.id });
      return reply;
    }
    request.staff = staff;
  };
}

/** What a decision says about itself in a response: never a value. */
export function decisionView(decision: Extract<AccessDecision, { allowed: true }>) {
  return {
    purpose: decision.purpose,
    caseReference: decision.caseReference,
    agreement: decision.agreement,
    classes: decision.classes,
    ...(decision.breakGlassId ? { breakGlass: decision.breakGlassId } : {}),
  };
}

export interface AccessContext {
  personId?: string;
  operation: string;
}

/** Record a refusal (reason only, no value) and answer it, the same for a person who does not exist as for one out of scope. */
export async function refuse(db: Executor, request: FastifyRequest, reply: FastifyReply, reason: DenialReason, context: AccessContext, declared?: Partial<DeclaredPurpose>) {
  await recordSecurityEvent(db, 'access_denied', {
    accountId: request.account?.id ?? null,
    address: request.ip,
    details: {
      reason,
      operation: context.operation,
      personId: context.personId ?? null,
      purpose: declared?.purpose ?? null,
      caseReference: declared?.caseReference ?? null,
      actorId: request.staff?.actorId ?? null,
    },
  });
  return reply.status(DENIAL_REASONS[reason]).send({ error: reason, message: DENIAL_MESSAGES[reason] ?? 'Accès refusé.', requestId: request.id });
}

/** The access that is about to happen, recorded before any value leaves (classes, purpose, case, person). */
export async function recordGrant(db: Executor, request: FastifyRequest, decision: Extract<AccessDecision, { allowed: true }>, context: AccessContext & { personId: string }): Promise<void> {
  await recordSecurityEvent(db, 'access_granted', {
    accountId: request.account?.id ?? null,
    address: request.ip,
    details: {
      personId: context.personId,
      operation: context.operation,
      purpose: decision.purpose,
      caseReference: decision.caseReference,
      classes: decision.classes.join(','),
      agreement: `${decision.agreement.reference}@${decision.agreement.version}`,
      actorId: request.staff?.actorId ?? null,
      breakGlass: decision.breakGlassId ?? null,
    },
  });
}

/** The declared purpose and case reference, or a 422 naming the missing header (recorded as a refusal). */
export async function purposeOr422(db: Executor, request: FastifyRequest, reply: FastifyReply, context: AccessContext): Promise<DeclaredPurpose | undefined> {
  const check = declaredPurpose(request);
  if (check.ok) return check.declared;
  await recordSecurityEvent(db, 'access_denied', {
    accountId: request.account?.id ?? null,
    address: request.ip,
    details: { reason: check.reason, operation: context.operation, personId: context.personId ?? null, actorId: request.staff?.actorId ?? null },
  });
  void reply.status(422).send({ error: check.reason, message: DENIAL_MESSAGES[check.reason]!, issues: check.issues, requestId: request.id });
  return undefined;
}
