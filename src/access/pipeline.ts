import { NotFoundError, type FieldClass, type PersonFile } from '../domain/index.ts';
import type { Admission, Guard, GuardedActor } from '../guard/index.ts';
import { authorize, type AccessDecision, type DecisionActor } from '../policy/index.ts';
import type { Executor, PersonRecord, PersonStore, SealedFile } from '../store/index.ts';

/** Who asks, as the request established it: the acting actor, its organisation and session, from where, under which declared purpose. */
export interface Caller {
  /** The actor as read with the session (staff), saving a query; absent for a machine client. */
  actor?: DecisionActor;
  guarded: GuardedActor;
  /** The policy data's version read with the session, when the request read it. */
  policyVersion?: number;
  clientAddress: string;
  /** The network (a /24 or /48) the request comes from. */
  network: string;
  purpose: string;
  caseReference: string;
}

export type Granted = Extract<AccessDecision, { allowed: true }>;

/** A read's outcome: the file and the decision, or the refusal the caller answers (and records). */
export type ReadOutcome =
  | { outcome: 'read'; decision: Granted; record: PersonRecord; fields: PersonFile }
  | { outcome: 'denied'; decision: Extract<AccessDecision, { allowed: false }> }
  | { outcome: 'guard'; decision: Granted; admission: Extract<Admission, { allowed: false }> };

export interface PipelineOptions {
  db: Executor;
  persons: PersonStore;
  guard: Guard;
  /** Bank changes due are settled before a read of the `bank` class (payments read that class). */
  settleBank: (personId: string) => Promise<unknown>;
}

/**
 * The access pipeline: a person's data is read here and nowhere else, in the order of the
 * design (§5): the declared purpose is decided against the agreement, the relationship and
 * the posture; the guard admits the read; its access event is durable; then exactly the
 * recorded classes are decrypted. In the steady state that is four statements: the session
 * (read by the caller's authentication), the relationship, the person's sealed row, the
 * guard's windows; and a share of one group commit.
 */
export class AccessPipeline {
  readonly #o: PipelineOptions;

  constructor(options: PipelineOptions) {
    this.#o = options;
  }

  /** Read one file: decided, admitted, recorded, then decrypted; only the recorded classes leave. */
  async read(caller: Caller, personId: string, classes: readonly FieldClass[] | undefined, operation = 'read'): Promise<ReadOutcome> {
    // Decisions are taken on the wall clock (agreements' dates); the guard's windows on its own clock.
    const now = new Date();
    let sealed: SealedFile | undefined;
    const fetchSealed = async () => (sealed ??= await this.#o.persons.fetchSealed(personId));
    const decision = await authorize(this.#o.db, {
      actorId: caller.guarded.id,
      ...(caller.actor ? { actor: caller.actor } : {}),
      ...(caller.policyVersion !== undefined ? { policyVersion: caller.policyVersion } : {}),
      personId,
      purpose: caller.purpose,
      caseReference: caller.caseReference,
      operation: 'read',
      ...(classes ? { classes } : {}),
      clientAddress: caller.clientAddress,
      now,
      // An age condition (a purpose for young people) opens `identity` in memory and keeps only the date.
      birthDateOf: async () => {
        try {
          return (await this.#o.persons.open(await fetchSealed(), ['identity'])).fields.identity?.birthDate;
        } catch (error) {
          if (error instanceof NotFoundError) return undefined;
          throw error;
        }
      },
    });
    if (!decision.allowed) return { outcome: 'denied', decision };
    if (decision.classes.includes('bank')) {
      await this.#o.settleBank(personId);
      sealed = undefined;
    }
    const file = await fetchSealed();
    // The event names the classes that leave: those decided that the file holds.
    const released = decision.classes.filter((c) => file.sealed.has(c));
    const admission = await this.#o.guard.admitRead(
      { actor: caller.guarded, network: caller.network, purpose: decision.purpose, dailyCeiling: decision.obligations.dailyCeiling, followUpExpected: decision.obligations.followUpExpected, personIds: [personId] },
      [{ kind: 'access_granted', input: grantEvent(caller, decision, personId, operation, released) }],
    );
    if (!admission.allowed) return { outcome: 'guard', decision, admission };
    const record = await this.#o.persons.open(file, released);
    return { outcome: 'read', decision, record, fields: record.fields };
  }
}

/** The access event of a grant: who, which purpose and case, which person, which classes; never a value. */
export function grantEvent(caller: Pick<Caller, 'guarded'>, decision: Granted, personId: string, operation: string, classes: readonly FieldClass[]) {
  return {
    actorId: caller.guarded.id,
    personId,
    purpose: decision.purpose,
    caseReference: decision.caseReference,
    operation,
    classes,
    details: { agreement: `${decision.agreement.reference}@${decision.agreement.version}`, breakGlass: decision.breakGlassId ?? null },
  };
}
