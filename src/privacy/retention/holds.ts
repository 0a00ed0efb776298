import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { ConflictError, NotFoundError, validate } from '../../domain/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import { chunks, inTransaction, locksRows, type Executor } from '../../store/index.ts';

/**
 * A litigation hold (gel pour contentieux): while it is in force no retention rule touches the
 * person — no class destroyed or archived, no notice of a coming purge, none of the records tied
 * to them destroyed (their archived classes, their bank changes, the documents of an incident
 * that exposed them). A file whose every class went to the intermediate archive is a tombstone
 * that can still be held, for its archive. The DPO sets it with a reason and
 * lifts it; each is a ledger event naming the person. The file's row is locked on PostgreSQL
 * while the hold is written, as a purge batch locks it: a hold set during a batch waits for it,
 * and the next batch sees it.
 */
export interface RetentionHold {
  id: string;
  personId: string;
  reason: string;
  setAt: string;
  setBy: string;
  liftedAt: string | null;
  liftedBy: string | null;
}

const SetHoldSchema = Type.Object(
  {
    personId: Type.String({ format: 'uuid' }),
    reason: Type.String({
      minLength: 3,
      maxLength: 500,
      description: 'motif (référence du contentieux), jamais une donnée du dossier',
    }),
  },
  { additionalProperties: false },
);

export async function setRetentionHold(
  db: Executor,
  raw: unknown,
  by: { who: string; accountId?: string | null; actorId?: string | null },
  now: Date = new Date(),
): Promise<RetentionHold> {
  const input = validate(SetHoldSchema, raw);
  return inTransaction(db, async (trx) => {
    let query = trx.selectFrom('persons').select(['id', 'status']).where('id', '=', input.personId);
    if (locksRows(trx)) query = query.forUpdate();
    const person = await query.executeTakeFirst();
    if (!person) throw new NotFoundError('dossier');
    if (person.status === 'erased' && !(await hasArchive(trx, input.personId)))
      throw new ConflictError('ce dossier a été effacé', 'person_erased');
    const hold: RetentionHold = {
      id: randomUUID(),
      personId: input.personId,
      reason: input.reason,
      setAt: now.toISOString(),
      setBy: by.who,
      liftedAt: null,
      liftedBy: null,
    };
    await trx
      .insertInto('retention_holds')
      .values({
        id: hold.id,
        person_id: hold.personId,
        reason: hold.reason,
        set_at: hold.setAt,
        set_by: hold.setBy,
        lifted_at: null,
        lifted_by: null,
      })
      .execute();
    await appendEvent(trx, 'retention_hold_set', {
      personId: hold.personId,
      accountId: by.accountId ?? null,
      actorId: by.actorId ?? null,
      operation: 'hold',
      at: now,
      details: { hold: hold.id, by: by.who },
    });
    return hold;
  });
}

export async function liftRetentionHold(
  db: Executor,
  holdId: string,
  by: { who: string; accountId?: string | null; actorId?: string | null },
  now: Date = new Date(),
): Promise<RetentionHold> {
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom('retention_holds').selectAll().where('id', '=', holdId).executeTakeFirst();
    if (!row) throw new NotFoundError('gel');
    if (row.lifted_at) throw new ConflictError('ce gel est déjà levé', 'hold_already_lifted');
    await trx
      .updateTable('retention_holds')
      .set({ lifted_at: now.toISOString(), lifted_by: by.who })
      .where('id', '=', holdId)
      .where('lifted_at', 'is', null)
      .execute();
    await appendEvent(trx, 'retention_hold_lifted', {
      personId: row.person_id,
      accountId: by.accountId ?? null,
      actorId: by.actorId ?? null,
      operation: 'hold_lift',
      at: now,
      details: { hold: holdId, by: by.who },
    });
    return holdOf({ ...row, lifted_at: now.toISOString(), lifted_by: by.who });
  });
}

function holdOf(row: {
  id: string;
  person_id: string;
  reason: string;
  set_at: string;
  set_by: string;
  lifted_at: string | null;
  lifted_by: string | null;
}): RetentionHold {
  return {
    id: row.id,
    personId: row.person_id,
    reason: row.reason,
    setAt: row.set_at,
    setBy: row.set_by,
    liftedAt: row.lifted_at,
    liftedBy: row.lifted_by,
  };
}

/** Holds in force, newest first (all persons, or one). */
export async function listRetentionHolds(db: Executor, personId?: string): Promise<RetentionHold[]> {
  let query = db.selectFrom('retention_holds').selectAll().where('lifted_at', 'is', null);
  if (personId) query = query.where('person_id', '=', personId);
  return (await query.orderBy('set_at', 'desc').execute()).map(holdOf);
}

/** Which of these persons are under a hold in force. */
export async function heldPersons(db: Executor, personIds: readonly string[]): Promise<Set<string>> {
  const held = new Set<string>();
  for (const part of chunks([...personIds], 1, 5_000)) {
    if (part.length === 0) continue;
    const rows = await db
      .selectFrom('retention_holds')
      .select('person_id')
      .where('person_id', 'in', part)
      .where('lifted_at', 'is', null)
      .execute();
    for (const r of rows) held.add(r.person_id);
  }
  return held;
}

/** Whether the intermediate archive holds classes of this person. */
async function hasArchive(db: Executor, personId: string): Promise<boolean> {
  return (
    (await db
      .selectFrom('retention_archive')
      .select('id')
      .where('person_id', '=', personId)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}

/**
 * Every person under a hold in force (a DPO's list: a handful), read inside the caller's
 * transaction after locking the holds against change on PostgreSQL: a hold set meanwhile waits
 * for the transaction that destroys records to commit, so it is never missed by it. On SQLite
 * transactions are serialised anyway.
 */
export async function heldPersonsInForce(trx: Executor, options: { lock: boolean }): Promise<string[]> {
  if (options.lock && locksRows(trx)) await sql`LOCK TABLE retention_holds IN SHARE MODE`.execute(trx);
  const rows = await trx
    .selectFrom('retention_holds')
    .select('person_id')
    .distinct()
    .where('lifted_at', 'is', null)
    .execute();
  return rows.map((r) => r.person_id);
}
