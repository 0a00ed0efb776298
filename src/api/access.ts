import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { FIELD_CLASSES, ValidationError, type FieldClass, type PersonFile } from '../domain/index.ts';
import { DENIAL_REASONS, securityContactOf, type AccessDecision, type DenialReason } from '../policy/index.ts';
import { CONTAINED_MESSAGE } from './session.ts';
import type { PersonRecord, PersonStore, Executor } from '../store/index.ts';
import { declaredPurpose, DENIAL_MESSAGES, type DeclaredPurpose } from './purpose.ts';
import { ErrorSchema, errorResponses } from './schemas.ts';
import { appendEvent } from '../ledger/index.ts';
import { grantEvent, type AccessPipeline, type Caller } from '../access/index.ts';
import type { Admission, Guard, GuardedActor, GuardRefusal } from '../guard/index.ts';
import { networkOf } from '../identity/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The guard on every read path (budgets, signals, decoys, containment). */
    guard: Guard;
    /** The person store: a guarded read records which classes the file holds before reading them. */
    persons: PersonStore;
  }
}

/**
 * What every audience's data routes share (staff by session, partner systems by token): the
 * declared purpose, the refusal recorded and answered the same for a stranger as for a person
 * who does not exist, the grant recorded before any value leaves, and only decided classes out.
 */

/** The actor a request acts as: a staff member's, or a machine client's. */
function actingActorId(request: FastifyRequest): string | null {
  return request.staff?.actorId ?? request.machineClient?.actorId ?? null;
}

export const accessErrorResponses = { ...errorResponses, 422: ErrorSchema } as const;

export const DecisionViewSchema = Type.Object({
  purpose: Type.String(),
  caseReference: Type.String(),
  agreement: Type.Object({ id: Type.String(), reference: Type.String(), version: Type.Integer() }),
  classes: Type.Array(Type.String()),
  breakGlass: Type.Optional(Type.String()),
  /** Classes the purpose grants that a restriction of processing (Art. 18) withholds from this person. */
  restricted: Type.Optional(Type.Array(Type.String())),
});

/** What a decision says about itself in a response: never a value. */
export function decisionView(decision: Extract<AccessDecision, { allowed: true }>) {
  return {
    purpose: decision.purpose,
    caseReference: decision.caseReference,
    agreement: decision.agreement,
    classes: decision.classes,
    ...(decision.breakGlassId ? { breakGlass: decision.breakGlassId } : {}),
    ...(decision.restricted ? { restricted: decision.restricted } : {}),
  };
}

export interface AccessContext {
  personId?: string;
  operation: string;
}

/** Who reads, as the guard counts them: a staff member with their session, or a machine client. */
export function guardedActor(request: FastifyRequest): GuardedActor | undefined {
  if (request.staff) {
    return {
      id: request.staff.actorId,
      organisationId: request.staff.organisationId,
      accountId: request.staff.accountId,
      roles: request.staff.roles,
      ...(request.session
        ? { session: { publicId: request.session.public_id, network: request.session.network } }
        : {}),
    };
  }
  if (request.machineClient)
    return { id: request.machineClient.actorId, organisationId: request.machineClient.organisationId };
  if (request.actor) return { id: request.actor.id, organisationId: request.actor.organisationId };
  return undefined;
}

/** Refusals that tell the guard someone asked for a person outside their scope (probing, or a decoy). */
const OUT_OF_SCOPE = new Set<DenialReason>(['person_out_of_scope', 'condition_not_met']);

/** Record a refusal (reason only, no value) and answer it, the same for a person who does not exist as for one out of scope. */
export async function refuse(
  db: Executor,
  request: FastifyRequest,
  reply: FastifyReply,
  reason: DenialReason,
  context: AccessContext,
  declared?: Partial<DeclaredPurpose>,
) {
  const actor = guardedActor(request);
  if (actor && OUT_OF_SCOPE.has(reason) && context.personId)
    await request.server.guard.noteRefusal(actor, context.personId);
  await appendEvent(db, 'access_denied', {
    actorId: actingActorId(request),
    personId: context.personId ?? null,
    purpose: declared?.purpose ?? null,
    caseReference: declared?.caseReference ?? null,
    operation: context.operation,
    details: { reason },
  });
  return reply
    .status(DENIAL_REASONS[reason])
    .send({ error: reason, message: DENIAL_MESSAGES[reason] ?? 'Accès refusé.', requestId: request.id });
}

export const GUARD_MESSAGES: Record<GuardRefusal, string> = {
  guard_limit_reached:
    'Volume de consultation dépassé : l’accès est refusé et le responsable de la sécurité est alerté.',
  actor_contained: CONTAINED_MESSAGE,
  session_moved: 'Votre session a changé de réseau : elle est fermée par sécurité. Reconnectez-vous.',
};

/** What an admitted read may let out: per person, the decided classes the file holds, as recorded in its event. */
export type Disclosed = ReadonlyMap<string, FieldClass[]>;

/** Operations whose answer carries field values: their events name the classes the file holds, not all those decided. */
const DISCLOSING = new Set(['read', 'search']);

/**
 * The guard's word before the data of `personIds` leaves, and the access events of the admitted
 * read written in the guard's transaction (counted and recorded together, before any value
 * leaves). Returns, per person, the classes recorded, which are the only ones the caller may read
 * (a class written between the event and the read stays unread); otherwise the refusal is
 * recorded and answered (401 for a session that moved, 403 for the rest) and false returned.
 */
export async function admitted(
  db: Executor,
  request: FastifyRequest,
  reply: FastifyReply,
  decision: Extract<AccessDecision, { allowed: true }>,
  personIds: readonly string[],
  operation: string,
  decisions: ReadonlyArray<Extract<AccessDecision, { allowed: true }>> = personIds.map(() => decision),
): Promise<Disclosed | false> {
  const actor = guardedActor(request);
  if (!actor) throw new Error('a guarded read needs an acting actor');
  const disclosed = new Map<string, FieldClass[]>();
  const held = DISCLOSING.has(operation) ? await request.server.persons.heldClasses(personIds) : undefined;
  const events = personIds.map((personId, i) => {
    const decided = decisions[i]!;
    const classes = held ? decided.classes.filter((c) => held.get(personId)!.has(c)) : [...decided.classes];
    disclosed.set(personId, classes);
    return {
      kind: 'access_granted' as const,
      input: grantEvent({ guarded: actor }, decided, personId, operation, classes),
    };
  });
  const admission = await request.server.guard.admitRead(
    {
      actor,
      network: networkOf(request.ip),
      purpose: decision.purpose,
      dailyCeiling: decision.obligations.dailyCeiling,
      followUpExpected: decision.obligations.followUpExpected,
      personIds,
    },
    events,
  );
  if (
    await refusedByGuard(
      db,
      request,
      reply,
      admission,
      { operation, ...(personIds.length === 1 ? { personId: personIds[0]! } : {}) },
      decision,
    )
  )
    return false;
  return disclosed;
}

/** The caller as the access pipeline sees it: the acting actor (with what its session read), from where, under which declared purpose. */
export function callerOf(request: FastifyRequest, declared: DeclaredPurpose): Caller {
  const guarded = guardedActor(request);
  if (!guarded) throw new Error('an access needs an acting actor');
  const staff = request.staff;
  return {
    guarded,
    ...(staff && staff.actorId === guarded.id
      ? {
          actor: {
            id: staff.actorId,
            organisationId: staff.organisationId,
            roles: staff.roles,
            status: staff.actorStatus,
          },
        }
      : {}),
    ...(request.policyVersion !== undefined ? { policyVersion: request.policyVersion } : {}),
    clientAddress: request.ip,
    network: networkOf(request.ip),
    purpose: declared.purpose,
    caseReference: declared.caseReference,
  };
}

/** Answer a refusal of the pipeline (the policy's or the guard's), recorded; always returns the reply. */
export async function answerRefusal(
  db: Executor,
  request: FastifyRequest,
  reply: FastifyReply,
  refusal:
    | { outcome: 'denied'; decision: { reason: DenialReason } }
    | { outcome: 'guard'; admission: Admission; decision?: Partial<DeclaredPurpose> },
  context: AccessContext,
  declared: DeclaredPurpose,
): Promise<FastifyReply> {
  if (refusal.outcome === 'denied') await refuse(db, request, reply, refusal.decision.reason, context, declared);
  else await refusedByGuard(db, request, reply, refusal.admission, context, refusal.decision ?? declared);
  return reply;
}

/**
 * One file read through the access pipeline, as staff and partner systems read it: decided,
 * admitted by the guard, recorded, then exactly the recorded classes decrypted. A refusal (the
 * policy's or the guard's) is recorded and answered here; undefined then.
 */
export async function pipelineRead(
  db: Executor,
  access: AccessPipeline,
  request: FastifyRequest,
  reply: FastifyReply,
  declared: DeclaredPurpose,
  personId: string,
  classes: FieldClass[] | undefined,
): Promise<
  | { id: string; status: PersonRecord['status']; fields: PersonFile; decision: ReturnType<typeof decisionView> }
  | undefined
> {
  const result = await access.read(callerOf(request, declared), personId, classes);
  if (result.outcome !== 'read') {
    await answerRefusal(db, request, reply, result, { operation: 'read', personId }, declared);
    return undefined;
  }
  return {
    id: result.record.id,
    status: result.record.status,
    fields: onlyDecided(result.fields, result.record.classes),
    decision: decisionView(result.decision),
  };
}

/**
 * When the guard said no: the refusal recorded (its reason and containment, never a value) and
 * answered, 401 for a session that moved (sign in again), 403 for the rest. False when it said yes.
 */
export async function refusedByGuard(
  db: Executor,
  request: FastifyRequest,
  reply: FastifyReply,
  admission: Admission,
  context: AccessContext,
  declared?: Partial<DeclaredPurpose>,
): Promise<boolean> {
  if (admission.allowed) return false;
  await appendEvent(db, 'access_denied', {
    actorId: guardedActor(request)?.id ?? null,
    personId: context.personId ?? null,
    purpose: declared?.purpose ?? null,
    caseReference: declared?.caseReference ?? null,
    operation: context.operation,
    details: { reason: admission.reason, containment: admission.containmentId ?? null },
  });
  const actor = guardedActor(request);
  const contact =
    admission.reason === 'actor_contained' && actor ? await securityContactOf(db, actor.organisationId) : undefined;
  void reply.status(admission.reason === 'session_moved' ? 401 : 403).send({
    error: admission.reason,
    message: GUARD_MESSAGES[admission.reason],
    ...(contact ? { securityContact: contact } : {}),
    requestId: request.id,
  });
  return true;
}

/** The declared purpose and case reference, or a 422 naming the missing header (recorded as a refusal). */
export async function purposeOr422(
  db: Executor,
  request: FastifyRequest,
  reply: FastifyReply,
  context: AccessContext,
): Promise<DeclaredPurpose | undefined> {
  const check = declaredPurpose(request);
  if (check.ok) return check.declared;
  await appendEvent(db, 'access_denied', {
    actorId: actingActorId(request),
    personId: context.personId ?? null,
    operation: context.operation,
    details: { reason: check.reason },
  });
  void reply.status(422).send({
    error: check.reason,
    message: DENIAL_MESSAGES[check.reason]!,
    issues: check.issues,
    requestId: request.id,
  });
  return undefined;
}

export function parseClasses(text: string | undefined): FieldClass[] | undefined {
  if (text === undefined) return undefined;
  const names = [...new Set(text.split(','))];
  const unknown = names.filter((n) => !(FIELD_CLASSES as readonly string[]).includes(n));
  if (unknown.length)
    throw new ValidationError([
      {
        field: 'query.classes',
        rule: 'enum',
        message: `classe de données inconnue (attendu : ${FIELD_CLASSES.join(', ')})`,
      },
    ]);
  return names as FieldClass[];
}

/** Exactly the decided classes of a decrypted file, whatever else the record may carry. */
export function onlyDecided(fields: PersonFile, classes: readonly FieldClass[]): PersonFile {
  const out: Record<string, unknown> = {};
  for (const c of classes) if (fields[c] !== undefined) out[c] = fields[c];
  return out as PersonFile;
}

export const ClassesQuery = Type.Object(
  {
    classes: Type.Optional(
      Type.String({
        pattern: '^[a-z_]+(,[a-z_]+)*$',
        maxLength: 200,
        description:
          'classes de données demandées, séparées par des virgules (par défaut : toutes celles de la finalité)',
      }),
    ),
  },
  { additionalProperties: false },
);
