import { sql } from 'kysely';
import { SENSITIVE_FIELD_CLASSES, type FieldClass, type SensitiveFieldClass } from '../domain/index.ts';
import { decoysAmong } from '../guard/index.ts';
import { actorsOfMachineClients, actorsOfSessions } from '../identity/index.ts';
import {
  countIdentityEvents,
  identityEventsPage,
  oldestEventAtFrom,
  parseBody,
  prunedBelow as prunedBelowInLedger,
  type IdentityWindow,
} from '../ledger/index.ts';
import { chunks, type Executor } from '../store/index.ts';
import type { BlastRadius, CitedCheckpoint, Compromised, Exposure, Totals } from './model.ts';
import { assessRisk } from './risk.ts';

/** Events read per query: bounded memory whatever the incident's size. */
const PAGE = 20_000;

export interface ScopeProgress {
  start(total: number): void;
  update(done: number): void;
  stop(): void;
}

/** The incident as the computation needs it. */
export interface ScopeInput {
  incidentId: string;
  reference: string;
  compromised: Compromised;
  windowFrom: string;
  windowTo: string;
}

export interface Source {
  column: 'actor_id' | 'organisation_id';
  value: string;
  /** Only the requests made with these sessions (their public ids). */
  sessions?: ReadonlySet<string>;
}

/** The actor each machine client acts as. */
export async function actorsOfClients(db: Executor, clients: readonly string[]): Promise<string[]> {
  return [...(await actorsOfMachineClients(db, clients)).values()];
}

/** The ledger columns a source selects on: actors (clients resolved to their actor, sessions to their staff actor) and organisations. */
async function sourcesOf(db: Executor, compromised: Compromised): Promise<Source[]> {
  const sources: Source[] = [];
  const actors = new Set([...compromised.actors, ...(await actorsOfClients(db, compromised.clients))]);
  for (const actor of actors) sources.push({ column: 'actor_id', value: actor });
  const byActor = new Map<string, Set<string>>();
  for (const [session, actor] of await actorsOfSessions(db, compromised.sessions)) {
    // A session of an actor named whole is already covered by the actor.
    if (!actor || actors.has(actor)) continue;
    (byActor.get(actor) ?? byActor.set(actor, new Set()).get(actor)!).add(session);
  }
  for (const [actor, sessions] of byActor) sources.push({ column: 'actor_id', value: actor, sessions });
  for (const organisation of compromised.organisations)
    sources.push({ column: 'organisation_id', value: organisation });
  return sources;
}

/** The identity's events in the window that name a person, as the ledger is asked for them. */
function windowOf(source: Source, from: string, to: string, size: number): IdentityWindow {
  return { column: source.column, value: source.value, from, to, size };
}

interface Accumulator {
  classes: Set<FieldClass>;
  firstAt: string;
  lastAt: string;
  via: Set<string>;
  events: number;
}

/**
 * Every person whose data left through the compromised identities within the window, from the
 * ledger's access events (the classes each one recorded as leaving), up to the tree size given:
 * the same size always gives the same answer, and the checkpoint of that size signs the events
 * it was computed from. An event matched by two identities (an actor of a compromised
 * organisation) counts once.
 */
export async function computeBlastRadius(
  db: Executor,
  input: ScopeInput,
  ledger: { size: number; checkpoint: CitedCheckpoint | null },
  progress?: ScopeProgress,
): Promise<BlastRadius> {
  const from = input.windowFrom;
  const to = input.windowTo;
  const sources = await sourcesOf(db, input.compromised);
  const prunedBelow = await prunedBelowInLedger(db);
  let windowBeforeRetention = false;
  if (prunedBelow > 0) {
    const oldest = await oldestEventAtFrom(db, prunedBelow);
    windowBeforeRetention = !oldest || oldest > from;
  }

  let total = 0;
  for (const source of sources) total += await countIdentityEvents(db, windowOf(source, from, to, ledger.size));
  progress?.start(total);

  const byPerson = new Map<string, Accumulator>();
  const seen = sources.length > 1 ? new Set<string>() : undefined;
  let events = 0;
  let read = 0;
  for (const source of sources) {
    let cursor: { at: string; id: string } | undefined;
    for (;;) {
      // The kind is checked on the rows (access_granted), not in the ledger's query: see identityEventsPage.
      const rows = await identityEventsPage(db, windowOf(source, from, to, ledger.size), cursor, PAGE);
      for (const row of rows) {
        read++;
        if (row.kind !== 'access_granted') continue;
        const body = parseBody(row.body);
        if (source.sessions && !(body.restricted.session && source.sessions.has(body.restricted.session))) continue;
        // Marked seen only once counted: a read a session source passes over (another session of
        // the actor) is still its organisation's, when the organisation is named too.
        if (seen) {
          if (seen.has(row.id)) continue;
          seen.add(row.id);
        }
        events++;
        const personId = row.personId!;
        let acc = byPerson.get(personId);
        if (!acc)
          byPerson.set(
            personId,
            (acc = { classes: new Set(), firstAt: row.at, lastAt: row.at, via: new Set(), events: 0 }),
          );
        for (const c of body.classes) acc.classes.add(c as FieldClass);
        if (row.at < acc.firstAt) acc.firstAt = row.at;
        if (row.at > acc.lastAt) acc.lastAt = row.at;
        if (row.actorId) acc.via.add(row.actorId);
        acc.events++;
      }
      progress?.update(read);
      if (rows.length < PAGE) break;
      const last = rows[rows.length - 1]!;
      cursor = { at: last.at, id: last.id };
    }
  }
  progress?.stop();

  const decoySet = await decoysIn(db, [...byPerson.keys()]);
  const persons: Exposure[] = [];
  const decoys: Exposure[] = [];
  for (const [personId, acc] of [...byPerson].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // A grant with no class (a list, a count) let nothing of the person out.
    if (acc.classes.size === 0) continue;
    const classes = [...acc.classes].sort();
    const assessment = assessRisk(classes);
    const exposure: Exposure = {
      personId,
      classes,
      firstAt: acc.firstAt,
      lastAt: acc.lastAt,
      via: [...acc.via].sort(),
      events: acc.events,
      risk: assessment.level,
      rules: assessment.rules,
    };
    (decoySet.has(personId) ? decoys : persons).push(exposure);
  }
  const others = await otherIncidents(
    db,
    input.incidentId,
    persons.map((p) => p.personId),
  );
  return {
    incidentId: input.incidentId,
    reference: input.reference,
    window: { from, to },
    ledger: { size: ledger.size, checkpoint: ledger.checkpoint, prunedBelow, windowBeforeRetention },
    events,
    persons,
    decoys,
    totals: totalsOf(persons, decoys, others),
    empty: persons.length === 0 && decoys.length === 0,
  };
}

/** The guard's decoys among these persons, asked a thousand at a time (a blast radius may name many). */
async function decoysIn(db: Executor, personIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunks(personIds, 1, 1000)) for (const decoy of await decoysAmong(db, part)) out.add(decoy);
  return out;
}

/** Persons of this result already counted by another incident, and which incidents. */
async function otherIncidents(
  db: Executor,
  incidentId: string,
  personIds: readonly string[],
): Promise<{ persons: number; references: string[] }> {
  const persons = new Set<string>();
  const references = new Set<string>();
  for (const part of chunks(personIds, 1, 1000)) {
    const rows = await db
      .selectFrom('incident_exposures')
      .innerJoin('incidents', 'incidents.id', 'incident_exposures.incident_id')
      .select(['incident_exposures.person_id', 'incidents.reference'])
      .where('incident_exposures.person_id', 'in', part)
      .where('incident_exposures.incident_id', '!=', incidentId)
      .where('incident_exposures.decoy', '=', 0)
      .execute();
    for (const row of rows) {
      persons.add(row.person_id);
      references.add(row.reference);
    }
  }
  return { persons: persons.size, references: [...references].sort() };
}

function totalsOf(
  persons: readonly Exposure[],
  decoys: readonly Exposure[],
  others: { persons: number; references: string[] },
): Totals {
  const byClass: Partial<Record<FieldClass, number>> = {};
  const byActor: Record<string, number> = {};
  const byRisk = { high: 0, medium: 0, low: 0 };
  for (const p of persons) {
    for (const c of p.classes) byClass[c] = (byClass[c] ?? 0) + 1;
    for (const a of p.via) byActor[a] = (byActor[a] ?? 0) + 1;
    byRisk[p.risk]++;
  }
  return {
    persons: persons.length,
    decoys: decoys.length,
    byClass,
    special: Object.fromEntries(SENSITIVE_FIELD_CLASSES.map((c) => [c, byClass[c] ?? 0])) as Record<
      SensitiveFieldClass,
      number
    >,
    byRisk,
    byActor,
    alsoInOtherIncidents: others.persons,
    otherIncidents: others.references,
  };
}

/** Replace the incident's stored exposures by this result, in one transaction with the caller's. */
export async function storeExposures(trx: Executor, radius: BlastRadius): Promise<void> {
  await trx.deleteFrom('incident_exposures').where('incident_id', '=', radius.incidentId).execute();
  const rows = [...radius.persons.map((p) => ({ p, decoy: 0 })), ...radius.decoys.map((p) => ({ p, decoy: 1 }))].map(
    ({ p, decoy }) => ({
      incident_id: radius.incidentId,
      person_id: p.personId,
      decoy,
      classes: JSON.stringify(p.classes),
      first_at: p.firstAt,
      last_at: p.lastAt,
      via: JSON.stringify(p.via),
      events: p.events,
      risk: p.risk,
      rules: JSON.stringify(p.rules),
    }),
  );
  for (const part of chunks(rows, 10)) await trx.insertInto('incident_exposures').values(part).execute();
}

/** The stored exposures of an incident (real persons, or decoys), in person order. */
export async function storedExposures(
  db: Executor,
  incidentId: string,
  options: { decoys?: boolean; afterPersonId?: string; limit?: number } = {},
): Promise<Exposure[]> {
  let query = db
    .selectFrom('incident_exposures')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('decoy', '=', options.decoys ? 1 : 0);
  if (options.afterPersonId) query = query.where('person_id', '>', options.afterPersonId);
  if (options.limit) query = query.limit(options.limit);
  const rows = await query.orderBy('person_id').execute();
  return rows.map((r) => ({
    personId: r.person_id,
    classes: JSON.parse(r.classes) as FieldClass[],
    firstAt: r.first_at,
    lastAt: r.last_at,
    via: JSON.parse(r.via) as string[],
    events: r.events,
    risk: r.risk,
    rules: JSON.parse(r.rules) as string[],
  }));
}

/** Distinct real persons exposed by any incident (the network-wide count, each person once). */
export async function personsExposedByAnyIncident(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('incident_exposures')
    .select(sql<string | number>`count(distinct person_id)`.as('n'))
    .where('decoy', '=', 0)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
