import { FIELD_CLASSES, type FieldClass } from '../domain/index.ts';
import { appendEvent } from '../ledger/index.ts';
import { chunks, inTransaction, type Executor } from '../store/index.ts';

/**
 * Restriction of processing (GDPR Art. 18): while a person contests the accuracy of their data,
 * objects, or needs it kept for a claim, the DPO marks field classes of their file; `decide`
 * then withholds them from every purpose but one for legal claims (`processing_restricted`),
 * until the DPO lifts it. The person's own access (Art. 15) is not restricted. Each change is an
 * event of the person's chain: their journal shows it.
 */
export interface Restriction {
  class: FieldClass;
  reason: string;
  rightsRequestId: string | null;
  setBy: string;
  setAt: string;
}

/** The classes of a person under a restriction now (read by the decision when the person has any). */
export async function restrictedClassesOf(db: Executor, personId: string): Promise<FieldClass[]> {
  const rows = await db.selectFrom('person_restrictions').select('class').where('person_id', '=', personId).execute();
  return rows.map((r) => r.class).filter((c): c is FieldClass => (FIELD_CLASSES as readonly string[]).includes(c));
}

/**
 * Of these persons, those with one of these classes under a restriction: what a path that reads
 * many files outside `decide` (a bulk export) must leave out.
 */
export async function restrictedAmong(
  db: Executor,
  personIds: readonly string[],
  classes: readonly FieldClass[],
): Promise<Set<string>> {
  const restricted = new Set<string>();
  if (personIds.length === 0 || classes.length === 0) return restricted;
  for (const part of chunks([...personIds], 1, 500)) {
    const rows = await db
      .selectFrom('person_restrictions')
      .select('person_id')
      .where('person_id', 'in', part)
      .where('class', 'in', [...classes])
      .execute();
    for (const r of rows) restricted.add(r.person_id);
  }
  return restricted;
}

export async function restrictionsOf(db: Executor, personId: string): Promise<Restriction[]> {
  const rows = await db
    .selectFrom('person_restrictions')
    .selectAll()
    .where('person_id', '=', personId)
    .orderBy('class')
    .execute();
  return rows.map((r) => ({
    class: r.class as FieldClass,
    reason: r.reason,
    rightsRequestId: r.rights_request_id,
    setBy: r.set_by,
    setAt: r.set_at,
  }));
}

/**
 * Restrict these classes of the person. Classes already restricted keep their first reason; the
 * answer says which were added. Recorded in the transaction that writes them.
 */
export async function restrictProcessing(
  db: Executor,
  input: {
    personId: string;
    classes: readonly FieldClass[];
    reason: string;
    actorId: string;
    rightsRequestId?: string;
    now?: Date;
  },
): Promise<{ added: FieldClass[] }> {
  const at = (input.now ?? new Date()).toISOString();
  return inTransaction(db, async (trx) => {
    const already = new Set(await restrictedClassesOf(trx, input.personId));
    const added = [...new Set(input.classes)].filter((c) => !already.has(c));
    if (added.length === 0) return { added };
    await trx
      .insertInto('person_restrictions')
      .values(
        added.map((c) => ({
          person_id: input.personId,
          class: c,
          reason: input.reason,
          rights_request_id: input.rightsRequestId ?? null,
          set_by: input.actorId,
          set_at: at,
        })),
      )
      .execute();
    await appendEvent(trx, 'processing_restricted', {
      actorId: input.actorId,
      personId: input.personId,
      classes: added,
      operation: 'restrict',
      details: { ...(input.rightsRequestId ? { rightsRequestId: input.rightsRequestId } : {}) },
    });
    return { added };
  });
}

/** Lift the restriction of these classes (those restricted; the answer says which were lifted). */
export async function liftRestriction(
  db: Executor,
  input: { personId: string; classes: readonly FieldClass[]; actorId: string },
): Promise<{ lifted: FieldClass[] }> {
  return inTransaction(db, async (trx) => {
    const restricted = new Set(await restrictedClassesOf(trx, input.personId));
    const lifted = [...new Set(input.classes)].filter((c) => restricted.has(c));
    if (lifted.length === 0) return { lifted };
    await trx
      .deleteFrom('person_restrictions')
      .where('person_id', '=', input.personId)
      .where('class', 'in', lifted)
      .execute();
    await appendEvent(trx, 'restriction_lifted', {
      actorId: input.actorId,
      personId: input.personId,
      classes: lifted,
      operation: 'lift_restriction',
    });
    return { lifted };
  });
}
