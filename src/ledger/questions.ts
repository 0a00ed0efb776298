import type { Executor } from '../store/index.ts';
import { parseBody, type EventBody } from './event.ts';
import { JOURNAL_KINDS } from './person-chain.ts';

/**
 * Questions the capabilities ask of the log, rather than reading its tables (DESIGN.md §6): the
 * ledger owns ledger_events, ledger_state and the tree; the journal, the blast radius of an
 * incident, a containment's detail and the DPO's queue read their events through these.
 */

/** How many events the tree holds (its size): what a document or a computation cites. */
export async function ledgerSize(db: Executor): Promise<number> {
  const state = await db.selectFrom('ledger_state').select('size').where('id', '=', 1).executeTakeFirst();
  return Number(state?.size ?? 0);
}

/** Event bodies below this leaf index were pruned (retention); 0 while nothing was. */
export async function prunedBelow(db: Executor): Promise<number> {
  const state = await db.selectFrom('ledger_state').select('pruned_below').where('id', '=', 1).executeTakeFirst();
  return Number(state?.pruned_below ?? 0);
}

/** When the oldest event still held from leaf index `from` on happened, if any is. */
export async function oldestEventAtFrom(db: Executor, from: number): Promise<string | undefined> {
  const oldest = await db
    .selectFrom('ledger_events')
    .select('at')
    .where('seq', '>=', from)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  return oldest?.at;
}

/** One event as a capability is given it: its body and the columns it was looked up by. */
export interface StoredEvent {
  id: string;
  at: string;
  kind: string;
  actorId: string | null;
  personId: string | null;
  organisationId: string | null;
  /** The leaf index, null until the event is integrated. */
  seq: number | null;
  /** Canonical JSON, as the tree covers it (`parseBody` reads it). */
  body: string;
}

/** An event by its id, if the log holds it. */
export async function eventById(db: Executor, id: string): Promise<StoredEvent | undefined> {
  const row = await db.selectFrom('ledger_events').selectAll().where('id', '=', id).executeTakeFirst();
  return row && stored(row);
}

/** Events by their ids (those the log holds), each once, in one query per thousand ids. */
export async function eventsByIds(db: Executor, ids: readonly string[]): Promise<Map<string, StoredEvent>> {
  const out = new Map<string, StoredEvent>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 1000) {
    const part = unique.slice(i, i + 1000);
    for (const row of await db.selectFrom('ledger_events').selectAll().where('id', 'in', part).execute())
      out.set(row.id, stored(row));
  }
  return out;
}

function stored(row: {
  id: string;
  at: string;
  kind: string;
  actor_id: string | null;
  person_id: string | null;
  organisation_id: string | null;
  seq: number | string | null;
  body: string;
}): StoredEvent {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    actorId: row.actor_id,
    personId: row.person_id,
    organisationId: row.organisation_id,
    seq: row.seq === null ? null : Number(row.seq),
    body: row.body,
  };
}

/** The bodies of the events of one kind from `since` (ISO instant) on: an export's traces since a window opened. */
export async function eventBodiesOfKindSince(db: Executor, kind: string, since: string): Promise<EventBody[]> {
  const rows = await db
    .selectFrom('ledger_events')
    .select('body')
    .where('kind', '=', kind)
    .where('at', '>=', since)
    .execute();
  return rows.map((r) => parseBody(r.body));
}

/** Reads granted to an actor about these persons (the field classes each event released are in its body). */
export async function grantsToActorAbout(
  db: Executor,
  actorId: string,
  personIds: readonly string[],
): Promise<Array<{ personId: string; body: string }>> {
  if (personIds.length === 0) return [];
  const rows = await db
    .selectFrom('ledger_events')
    .select(['person_id', 'body'])
    .where('actor_id', '=', actorId)
    .where('kind', '=', 'access_granted')
    .where('person_id', 'in', [...personIds])
    .execute();
  return rows.map((r) => ({ personId: r.person_id!, body: r.body }));
}

/** An account's events of these kinds, newest first, one page, and how many there are. */
export async function accountEventsPage(
  db: Executor,
  accountId: string,
  kinds: readonly string[],
  page: { page: number; pageSize: number },
): Promise<{ total: number; events: StoredEvent[] }> {
  const base = db
    .selectFrom('ledger_events')
    .where('account_id', '=', accountId)
    .where('kind', 'in', [...kinds]);
  const total = Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const rows = await base
    .selectAll()
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize)
    .execute();
  return { total, events: rows.map(stored) };
}

const journalOf = (db: Executor, personId: string) =>
  db.selectFrom('ledger_events').where('person_id', '=', personId).where('kind', 'in', JOURNAL_KINDS);

/** Every entry of the person's journal (its kinds), newest first by time, integrated or not. */
export async function journalOfPerson(db: Executor, personId: string): Promise<StoredEvent[]> {
  const rows = await journalOf(db, personId).selectAll().orderBy('at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(stored);
}

/** Is an entry of the person's journal still waiting to be integrated into the tree? */
export async function journalAwaitsIntegration(db: Executor, personId: string): Promise<boolean> {
  const waiting = await journalOf(db, personId).select('id').where('seq', 'is', null).limit(1).executeTakeFirst();
  return waiting !== undefined;
}

/**
 * One page of the person's journal as the tree orders it (leaf index, newest first), integrated
 * entries up to leaf `upTo` included, and how many such entries there are.
 */
export async function journalPage(
  db: Executor,
  personId: string,
  upTo: number,
  page: { page: number; pageSize: number },
): Promise<{ total: number; events: StoredEvent[] }> {
  const base = journalOf(db, personId).where('seq', 'is not', null).where('seq', '<=', upTo);
  const total = Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const rows = await base
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize)
    .execute();
  return { total, events: rows.map(stored) };
}

/**
 * Who did it: an actor's or an organisation's events in a window that name a person, up to a
 * tree size (the same size always gives the same answer). The blast radius of an incident.
 */
export interface IdentityWindow {
  column: 'actor_id' | 'organisation_id';
  value: string;
  from: string;
  to: string;
  size: number;
}

/**
 * The kind is checked on the rows, not in SQL: with `kind = …` in the query, a planner without
 * statistics (SQLite as Rempart runs it) weighs the `(kind, at)` index like the identity's own
 * and may scan every access of the window (7.3 s instead of 1.2 s over 10 million events). An
 * identity's other events in the window (logins, refusals) are few beside its reads. Exported
 * for bench/incidents.ts, which asks the database how it plans this query.
 */
export function ofIdentity(db: Executor, w: IdentityWindow) {
  return db
    .selectFrom('ledger_events')
    .where(w.column, '=', w.value)
    .where('at', '>=', w.from)
    .where('at', '<=', w.to)
    .where('person_id', 'is not', null)
    .where('seq', '<', w.size);
}

/** How many events of the identity's window name a person (every kind). */
export async function countIdentityEvents(db: Executor, w: IdentityWindow): Promise<number> {
  const row = await ofIdentity(db, w)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The identity window's events naming a person, in (at, id) order, after `after` when given, `limit` at most. */
export async function identityEventsPage(
  db: Executor,
  w: IdentityWindow,
  after: { at: string; id: string } | undefined,
  limit: number,
): Promise<Array<Pick<StoredEvent, 'id' | 'at' | 'kind' | 'actorId' | 'personId' | 'body'>>> {
  let query = ofIdentity(db, w).select(['id', 'at', 'kind', 'actor_id', 'person_id', 'body']);
  if (after) {
    const { at, id } = after;
    query = query.where((eb) => eb.or([eb('at', '>', at), eb.and([eb('at', '=', at), eb('id', '>', id)])]));
  }
  const rows = await query.orderBy('at').orderBy('id').limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    kind: r.kind,
    actorId: r.actor_id,
    personId: r.person_id,
    body: r.body,
  }));
}

/** Operations that give a class to whoever was granted them; a write gives nothing away. */
const WRITES: ReadonlySet<string> = new Set(['write', 'update', 'create']);

/**
 * The organisations a class of a person's file was given to since an instant (GDPR Art. 19: the
 * recipients a rectification must reach), from the grants that name the person in the log, each
 * with its last such grant. Grants of the system itself (no organisation) are not recipients.
 * Events whose bodies retention deleted are gone from the log, and so from the answer.
 */
export async function organisationsGivenClassSince(
  db: Executor,
  personId: string,
  fieldClass: string,
  since: string,
): Promise<Array<{ organisationId: string; lastAt: string }>> {
  const rows = await db
    .selectFrom('ledger_events')
    .select(['organisation_id', 'at', 'body'])
    .where('person_id', '=', personId)
    .where('at', '>=', since)
    .where('kind', '=', 'access_granted')
    .where('organisation_id', 'is not', null)
    .execute();
  const last = new Map<string, string>();
  for (const row of rows) {
    const body = parseBody(row.body);
    if (WRITES.has(String(body.operation ?? ''))) continue;
    if (!(body.classes ?? []).includes(fieldClass)) continue;
    const at = last.get(row.organisation_id!);
    if (!at || row.at > at) last.set(row.organisation_id!, row.at);
  }
  return [...last]
    .map(([organisationId, lastAt]) => ({ organisationId, lastAt }))
    .sort((a, b) => (a.organisationId < b.organisationId ? -1 : 1));
}
