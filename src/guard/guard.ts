import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../domain/index.ts';
import {
  appendEvent,
  appendEvents,
  appendEventsWith,
  LedgerUnavailableError,
  type EventInput,
  type EventKind,
} from '../ledger/index.ts';
import { accountCredentialDates, revokeCredentials } from '../identity/index.ts';
import { part, type Executor, type Flavour } from '../store/index.ts';
import type { AlertSink, GuardAlert } from './alerts.ts';
import { recordContainedReads } from './contained-reads.ts';
import { GuardUnavailableError } from './errors.ts';
import { budgetFor, organisationSoftLimit, SIGNAL_THRESHOLDS } from './profiles.ts';
import { searchShape, type SearchCriterion } from './search-shape.ts';
import {
  countDayAndWeek,
  countSeen,
  countWindows,
  DAY_MS,
  HOUR_MS,
  lastSeen,
  lastSeenIn,
  newIn,
  scopes,
  SEEN_WRITER,
  since,
  touch,
  touchAll,
  type Seen,
} from './windows.ts';

/** Who reads: the actor and its organisation; the account and session when a person is behind it. */
export interface GuardedActor {
  id: string;
  organisationId: string;
  accountId?: string | null;
  /** The roles, when the request already loaded them (a staff member's); read in the transaction otherwise. */
  roles?: readonly string[];
  /** The staff session the request came with: its public id and the network it was issued to. */
  session?: { publicId: string; network: string } | undefined;
}

export interface ReadRequest {
  actor: GuardedActor;
  /** The network (a /24 or /48) the request comes from. */
  network: string;
  purpose: string;
  /** The agreement's daily ceiling for the purpose: distinct persons per organisation per day. */
  dailyCeiling: number;
  /** Whether the purpose lets the actor write a follow-up (then reading without one is a signal). */
  followUpExpected: boolean;
  personIds: readonly string[];
}

export type GuardRefusal = 'guard_limit_reached' | 'actor_contained' | 'session_moved';

export type Admission = { allowed: true } | { allowed: false; reason: GuardRefusal; containmentId?: string };

/** Which of the guard's checks: a read (an export's download too), a search, a booking. */
export type GuardCheck = 'read' | 'search' | 'booking' | 'list';

/**
 * What the guard said: admitted quietly or with an alert raised (`alerted`), a decoy served and
 * its reader contained (`decoy`), refused, refused with the actor contained (`contained`), or
 * no word at all (`error`: the guard's state was unreachable, 503).
 */
export type GuardOutcome = 'admitted' | 'alerted' | 'decoy' | 'refused' | 'contained' | 'error';

/** Told of each of the guard's words once it is final (the metrics): synchronous, cheap, codes only. */
export interface GuardObserver {
  /** The check, its outcome, and the signal behind it (`none` when no signal was raised). */
  admission(check: GuardCheck, outcome: GuardOutcome, signal: string): void;
}

/** What a check found besides its admission, for the observer: filled in as the check goes. */
interface Verdict {
  signal?: string;
  decoy?: boolean;
  alerted?: boolean;
}

export interface GuardOptions {
  db: Executor;
  flavour: Flavour;
  clock: Clock;
  /** The key for search neighbourhood digests (follows keyring rotations). */
  key: () => Buffer;
  alerts: AlertSink;
  /**
   * False only in the attack simulator, to measure what a network without the guard would lose
   * (the incident test's worst case): every read is admitted and nothing is counted. No
   * configuration of a server sets it.
   */
  enforce?: boolean;
  /** Told of every admission, search and booking decided (the metrics). */
  observe?: GuardObserver;
}

interface Raised {
  signal: string;
  severity: 'alert' | 'contain';
  figures: Record<string, number | string | boolean>;
  /** Dedup: an alert is raised once per actor (or organisation) and signal within this window. */
  onceWithin?: number;
}

/** What one admission decided inside its transaction, delivered after it commits. */
interface Outcome<T> {
  value: T;
  alerts: GuardAlert[];
}

const iso = (d: Date) => d.toISOString();

/**
 * The guard on the read path: every person about to leave the server is counted against the
 * actor's and the organisation's sliding windows, checked against the decoys, and weighed by
 * the behavioural signals, before the access event is written and anything is decrypted. The
 * state is in the database, one organisation at a time under a lock, so several server
 * processes share the counters and a restart forgets nothing.
 */
/** `guard_seen.followed_up` for an actor's read that awaits no follow-up yet (1 is a follow-up written, 0 none). */
const FOLLOW_UP_NOT_AWAITED = 2;

/** What the actor's work does not explain in a read (see `Guard.#unexplained`). */
interface Unexplained {
  /** Persons of this read nothing explains. */
  persons: string[];
  /** Distinct unexplained persons today, this week, and this read's new ones in the hour. */
  day: number;
  week: number;
  hour: number;
  /** Persons of this read explained by an appointment still to come or a portfolio just given: no follow-up awaited. */
  awaitingNothing: string[];
}

/** Roles whose reads must be explained by their caseload's work (issue 19). */
function readsMustBeExplained(roles: readonly string[]): boolean {
  return roles.some((r) => SIGNAL_THRESHOLDS.unexplained.roles.includes(r));
}

export class Guard {
  readonly #options: GuardOptions;
  /** Medians of past days per actor and day: the past does not change. */
  readonly #medians = new Map<string, number | undefined>();

  constructor(options: GuardOptions) {
    this.#options = options;
  }

  /**
   * Count these persons for this actor before any of their data leaves; contain the actor if it
   * must. `onAdmitted` runs in the same transaction when the read is admitted (the access event):
   * the count and the event commit together, with one durable commit per read.
   */
  async admit(request: ReadRequest, onAdmitted?: (trx: Executor) => Promise<void>): Promise<Admission> {
    const verdict: Verdict = {};
    return this.#observed('read', verdict, this.#admit(request, onAdmitted, verdict));
  }

  /** Tell the observer what a check decided, once it is final (committed, or failed). */
  async #observed(check: GuardCheck, verdict: Verdict, decided: Promise<Admission>): Promise<Admission> {
    const observe = this.#options.observe;
    if (!observe) return decided;
    let admission: Admission;
    try {
      admission = await decided;
    } catch (error) {
      observe.admission(check, 'error', verdict.signal ?? 'none');
      throw error;
    }
    const outcome: GuardOutcome = admission.allowed
      ? verdict.decoy
        ? 'decoy'
        : verdict.alerted
          ? 'alerted'
          : 'admitted'
      : admission.reason === 'actor_contained' || admission.containmentId
        ? 'contained'
        : 'refused';
    observe.admission(check, outcome, verdict.signal ?? 'none');
    return admission;
  }

  async #admit(
    request: ReadRequest,
    onAdmitted: ((trx: Executor) => Promise<void>) | undefined,
    verdict: Verdict,
  ): Promise<Admission> {
    const { actor } = request;
    const admitted = async (trx: Executor): Promise<Admission> => {
      await onAdmitted?.(trx);
      return { allowed: true };
    };
    if (this.#options.enforce === false) return this.#options.db.transaction().execute(admitted);
    if (actor.session && actor.session.network !== request.network) {
      verdict.signal = 'session_moved';
      return this.#sessionMoved(request);
    }
    return this.#run(actor, async (trx, now, alerts) => {
      const decoys = await decoysAmong(trx, request.personIds);
      if (decoys.length) {
        Object.assign(verdict, { decoy: true, signal: 'honeytoken' });
        // A decoy is served like any file, so the reader cannot tell which one tripped the wire.
        // Counted first, so that the containment reports the decoy among what was read.
        await this.#count(trx, now, request);
        await this.#contain(
          trx,
          now,
          actor,
          { signal: 'honeytoken', severity: 'contain', figures: { decoys: decoys.length } },
          alerts,
        );
        return admitted(trx);
      }
      const actorScope = scopes.actor(actor.id);
      const orgScope = scopes.organisation(actor.organisationId, request.purpose);
      const unexplainedScope = scopes.unexplained(actor.id);
      const hourFrom = since(now, HOUR_MS);
      const dayFrom = since(now, DAY_MS);
      let seen = await lastSeenIn(trx, [actorScope, orgScope, unexplainedScope], request.personIds);
      if (newIn(seen.get(orgScope)!, request.personIds, dayFrom).length > 0) {
        // A person new to the organisation today moves its ceiling: counted under its lock, read again under it.
        await this.#lockOrganisation(trx, actor.organisationId);
        seen = await lastSeenIn(trx, [actorScope, orgScope, unexplainedScope], request.personIds);
      }
      const newHour = newIn(seen.get(actorScope)!, request.personIds, hourFrom).length;
      const newDay = newIn(seen.get(actorScope)!, request.personIds, dayFrom).length;
      const newOrgDay = newIn(seen.get(orgScope)!, request.personIds, dayFrom).length;
      if (newHour === 0 && newOrgDay === 0) {
        // Everyone here was read by this actor within the hour: no window moves, no signal changes.
        await this.#count(trx, now, request, 0);
        return admitted(trx);
      }
      const roles = actor.roles ?? (await rolesOf(trx, actor.id));
      const budget = budgetFor(roles, request.dailyCeiling);
      const counts = await countWindows(trx, [actorScope, orgScope], hourFrom, dayFrom);
      const hour = counts.get(actorScope)!.hour + newHour;
      const day = counts.get(actorScope)!.day + newDay;
      const orgDay = counts.get(orgScope)!.day + newOrgDay;

      if (hour > budget.hour.hard || day > budget.day.hard) {
        const window = hour > budget.hour.hard ? 'hour' : 'day';
        verdict.signal = `budget_${window}_hard`;
        const figures = {
          window,
          persons: window === 'hour' ? hour - newHour : day - newDay,
          limit: budget[window].hard,
        };
        if (await this.#releasedRecently(trx, actor.id, now)) {
          await this.#raise(
            trx,
            now,
            actor,
            { signal: `budget_${window}_hard`, severity: 'alert', figures, onceWithin: HOUR_MS },
            alerts,
          );
          return { allowed: false, reason: 'guard_limit_reached' };
        }
        const containmentId = await this.#contain(
          trx,
          now,
          actor,
          { signal: `budget_${window}_hard`, severity: 'contain', figures },
          alerts,
        );
        return { allowed: false, reason: 'guard_limit_reached', ...(containmentId ? { containmentId } : {}) };
      }
      if (orgDay > request.dailyCeiling) {
        // The agreement's ceiling: the organisation reads no more today under this purpose; not one actor's fault.
        verdict.signal = 'agreement_ceiling';
        await this.#raise(
          trx,
          now,
          { ...actor, id: '' },
          {
            signal: 'agreement_ceiling',
            severity: 'alert',
            figures: { purpose: request.purpose, persons: orgDay - 1, limit: request.dailyCeiling },
            onceWithin: DAY_MS,
          },
          alerts,
        );
        return { allowed: false, reason: 'guard_limit_reached' };
      }

      const unexplained = await this.#unexplained(
        trx,
        now,
        request,
        roles,
        seen.get(actorScope)!,
        seen.get(unexplainedScope)!,
      );
      const raised = await this.#signalsBeforeCounting(trx, now, request, {
        hour,
        day,
        orgDay,
        newHour,
        newDay,
        newOrgDay,
        budget,
        unexplained,
        roles,
      });
      const containing = raised.find((r) => r.severity === 'contain');
      if (containing) {
        verdict.signal = containing.signal;
        const containmentId = await this.#contain(trx, now, actor, containing, alerts);
        return { allowed: false, reason: 'actor_contained', ...(containmentId ? { containmentId } : {}) };
      }
      if (raised[0]) Object.assign(verdict, { alerted: true, signal: raised[0].signal });
      for (const r of raised) await this.#raise(trx, now, actor, r, alerts);
      await this.#count(trx, now, request, newDay);
      if (unexplained?.persons.length) await touch(trx, unexplainedScope, unexplained.persons, iso(now));
      if (unexplained?.awaitingNothing.length)
        await this.#noteAwaitingNothing(trx, actor.id, unexplained.awaitingNothing);
      return admitted(trx);
    });
  }

  /**
   * A read admitted with its access events. In the steady state — every person in it read by
   * this actor within the hour and by its organisation within the day, none a decoy — no window
   * moves and no signal can change, so nothing is locked: the sightings are refreshed and the
   * events recorded in the next group commit, durable before this returns. Anything else is
   * `admit`, under the actor's lock, events in its transaction.
   */
  async admitRead(
    request: ReadRequest,
    events: ReadonlyArray<{ kind: EventKind; input: EventInput }>,
  ): Promise<Admission> {
    const { actor } = request;
    const moved = actor.session !== undefined && actor.session.network !== request.network;
    if (this.#options.enforce !== false && !moved) {
      let sightings: Seen[] | undefined;
      try {
        sightings = await this.#steadySightings(request);
        if (sightings) await appendEventsWith(this.#options.db, events, [part(SEEN_WRITER, sightings)]);
      } catch (error) {
        this.#options.observe?.admission('read', 'error', 'none');
        throw error instanceof LedgerUnavailableError ? error : new GuardUnavailableError(error);
      }
      if (sightings) {
        this.#options.observe?.admission('read', 'admitted', 'none');
        return { allowed: true };
      }
    }
    return this.admit(request, async (trx) => {
      await appendEvents(trx, events);
    });
  }

  /** The sightings a steady-state read refreshes (as `#count` would write them), or undefined when the read is not one. */
  async #steadySightings(request: ReadRequest): Promise<Seen[] | undefined> {
    const { actor, personIds } = request;
    if (personIds.length === 0) return undefined;
    const now = this.#options.clock.now();
    const actorScope = scopes.actor(actor.id);
    const orgScope = scopes.organisation(actor.organisationId, request.purpose);
    // The decoys and both windows in one statement: on the hot path, round trips are the cost.
    const rows = (
      await sql<{ scope: string; subject: string; last_at: string }>`
        SELECT scope, subject, last_at FROM guard_seen WHERE scope IN (${sql.join([actorScope, orgScope])}) AND subject IN (${sql.join([...personIds])})
        UNION ALL SELECT 'decoy', person_id, '' FROM guard_decoys WHERE person_id IN (${sql.join([...personIds])})`.execute(
        this.#options.db,
      )
    ).rows;
    if (rows.some((r) => r.scope === 'decoy')) return undefined;
    const hourFrom = since(now, HOUR_MS);
    const dayFrom = since(now, DAY_MS);
    const seenBy = (scope: string, from: string) =>
      new Set(rows.filter((r) => r.scope === scope && r.last_at >= from).map((r) => r.subject));
    const actorHour = seenBy(actorScope, hourFrom);
    const orgDay = seenBy(orgScope, dayFrom);
    if (!personIds.every((id) => actorHour.has(id) && orgDay.has(id))) return undefined;
    const at = iso(now);
    return [
      ...personIds.map((subject) => ({ scope: actorScope, subject, at })),
      ...personIds.map((subject) => ({ scope: orgScope, subject, at })),
      ...personIds.map((personId) => ({
        scope: scopes.readers(actor.organisationId, personId),
        subject: actor.id,
        at,
      })),
      { scope: scopes.networks(actor.id), subject: request.network, at },
    ];
  }

  /**
   * A page of a list (a caseload, the persons referred to a partner) about to be shown, with its
   * access events. A list shows who is there, not their file, so it is not counted against the
   * read budget (a counsellor pages through their caseload every morning); it has its own window:
   * distinct persons listed in a day, above which no caseload explains it (a list that an
   * account administrator swelled, a session scraping it) and the actor is contained.
   */
  async admitListing(
    actor: GuardedActor,
    personIds: readonly string[],
    events: ReadonlyArray<{ kind: EventKind; input: EventInput }>,
  ): Promise<Admission> {
    const verdict: Verdict = {};
    const decided =
      this.#options.enforce === false
        ? this.#options.db.transaction().execute(async (trx) => {
            await appendEvents(trx, events);
            return { allowed: true } as Admission;
          })
        : this.#run(actor, async (trx, now, alerts): Promise<Admission> => {
            if ((await decoysAmong(trx, personIds)).length) {
              Object.assign(verdict, { decoy: true, signal: 'honeytoken' });
              await this.#contain(
                trx,
                now,
                actor,
                { signal: 'honeytoken', severity: 'contain', figures: { decoys: 1, listed: true } },
                alerts,
              );
              await appendEvents(trx, events);
              return { allowed: true };
            }
            const scope = scopes.listed(actor.id);
            const dayFrom = since(now, DAY_MS);
            const fresh = newIn(await lastSeen(trx, scope, personIds), personIds, dayFrom).length;
            const listed = (fresh ? await countSeen(trx, scope, dayFrom) : 0) + fresh;
            if (listed > SIGNAL_THRESHOLDS.listedPersonsDay) {
              verdict.signal = 'list_sweep';
              const containmentId = await this.#contain(
                trx,
                now,
                actor,
                {
                  signal: 'list_sweep',
                  severity: 'contain',
                  figures: { persons: listed - fresh, limit: SIGNAL_THRESHOLDS.listedPersonsDay },
                },
                alerts,
              );
              return { allowed: false, reason: 'actor_contained', ...(containmentId ? { containmentId } : {}) };
            }
            await touch(trx, scope, personIds, iso(now));
            await appendEvents(trx, events);
            return { allowed: true };
          });
    return this.#observed('list', verdict, decided);
  }

  /**
   * A search, before its results are admitted: its shape (never the identifier) is kept for the
   * enumeration signals. Returns the refusal when the search itself gives the sweep away.
   */
  async noteSearch(
    actor: GuardedActor,
    criterion: SearchCriterion,
    matches: readonly string[],
    hits: number,
  ): Promise<Admission> {
    const verdict: Verdict = {};
    return this.#observed('search', verdict, this.#noteSearch(actor, criterion, matches, hits, verdict));
  }

  async #noteSearch(
    actor: GuardedActor,
    criterion: SearchCriterion,
    matches: readonly string[],
    hits: number,
    verdict: Verdict,
  ): Promise<Admission> {
    if (this.#options.enforce === false) return { allowed: true };
    return this.#run(actor, async (trx, now, alerts) => {
      if ((await decoysAmong(trx, matches)).length) {
        Object.assign(verdict, { decoy: true, signal: 'honeytoken' });
        // Nobody doing their job looks a decoy up: contained, and answered as usual (the wire stays hidden).
        await this.#contain(
          trx,
          now,
          actor,
          { signal: 'honeytoken', severity: 'contain', figures: { decoys: 1, searched: true } },
          alerts,
        );
        return { allowed: true } as Admission;
      }
      const shape = searchShape(this.#options.key(), criterion);
      await trx
        .insertInto('guard_searches')
        .values({
          id: randomUUID(),
          actor_id: actor.id,
          at: iso(now),
          kind: criterion.kind,
          bucket: shape.bucket,
          rank: shape.rank,
          hit: hits > 0 ? 1 : 0,
        })
        .execute();
      const hourFrom = since(now, HOUR_MS);
      const recent = await trx
        .selectFrom('guard_searches')
        .select(['bucket', 'rank', 'hit', 'at'])
        .where('actor_id', '=', actor.id)
        .where('at', '>=', hourFrom)
        .orderBy('at', 'desc')
        .limit(200)
        .execute();
      let raised: Raised | undefined;
      const sameBlock = shape.bucket ? recent.filter((r) => r.bucket === shape.bucket).length : 0;
      const misses = recent.filter((r) => r.hit === 0).length;
      if (sameBlock >= SIGNAL_THRESHOLDS.sequentialSearches)
        raised = { signal: 'enumeration_sequential', severity: 'contain', figures: { searchesInOneBlock: sameBlock } };
      else if (misses >= SIGNAL_THRESHOLDS.missedSearches)
        raised = { signal: 'enumeration_misses', severity: 'contain', figures: { missedSearches: misses } };
      else if (hits === 0) {
        // A leaked list tried slowly, under the hour's threshold, still misses a lot in a day.
        const day = await trx
          .selectFrom('guard_searches')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .where('actor_id', '=', actor.id)
          .where('hit', '=', 0)
          .where('at', '>=', since(now, DAY_MS))
          .executeTakeFirstOrThrow();
        if (Number(day.n) >= SIGNAL_THRESHOLDS.missedSearchesDay)
          raised = {
            signal: 'enumeration_misses',
            severity: 'contain',
            figures: { missedSearchesInADay: Number(day.n) },
          };
      }
      if (!raised && shape.rank !== null) {
        const ranks = (
          await trx
            .selectFrom('guard_searches')
            .select('rank')
            .where('actor_id', '=', actor.id)
            .where('kind', '=', 'name_birth')
            .where('at', '>=', since(now, DAY_MS))
            .orderBy('at', 'desc')
            .limit(SIGNAL_THRESHOLDS.alphabeticalRun)
            .execute()
        )
          .map((r) => r.rank!)
          .reverse();
        const sorted = ranks.every((r, i) => i === 0 || r >= ranks[i - 1]!);
        if (ranks.length >= SIGNAL_THRESHOLDS.alphabeticalRun && sorted && ranks[ranks.length - 1]! > ranks[0]!)
          raised = {
            signal: 'enumeration_alphabetical',
            severity: 'contain',
            figures: { searchesInOrder: ranks.length },
          };
      }
      if (!raised) return { allowed: true } as Admission;
      verdict.signal = raised.signal;
      const containmentId = await this.#contain(trx, now, actor, raised, alerts);
      return { allowed: false, reason: 'actor_contained', ...(containmentId ? { containmentId } : {}) } as Admission;
    });
  }

  /** A refusal for a person out of scope: probing, or a decoy named by someone who should not know it. */
  async noteRefusal(actor: GuardedActor, personId: string | null): Promise<void> {
    if (this.#options.enforce === false) return;
    await this.#run(actor, async (trx, now, alerts) => {
      if (personId && (await decoysAmong(trx, [personId])).length) {
        await this.#contain(
          trx,
          now,
          actor,
          { signal: 'honeytoken', severity: 'contain', figures: { decoys: 1, refused: true } },
          alerts,
        );
        return;
      }
      const scope = scopes.refused(actor.id);
      await touch(trx, scope, [personId ?? randomUUID()], iso(now));
      const refusals = await countSeen(trx, scope, since(now, HOUR_MS));
      if (refusals >= SIGNAL_THRESHOLDS.refusalsOutOfScope)
        await this.#contain(
          trx,
          now,
          actor,
          { signal: 'probing', severity: 'contain', figures: { refusalsInAnHour: refusals } },
          alerts,
        );
    });
  }

  /**
   * The actor books an appointment for a person. A booking explains the actor's later reads of
   * that person, so bookings have their own budget: a day's and a week's agenda, well above a
   * full one; beyond it the actor is contained and the booking refused.
   */
  async noteBooking(actor: GuardedActor, personId: string): Promise<Admission> {
    const verdict: Verdict = {};
    return this.#observed('booking', verdict, this.#noteBooking(actor, personId, verdict));
  }

  async #noteBooking(actor: GuardedActor, personId: string, verdict: Verdict): Promise<Admission> {
    if (this.#options.enforce === false) return { allowed: true };
    return this.#run(actor, async (trx, now, alerts) => {
      const scope = scopes.booked(actor.id);
      const bookingLimits = SIGNAL_THRESHOLDS.bookings;
      const dayFrom = since(now, DAY_MS);
      const weekFrom = since(now, 7 * DAY_MS);
      const last = (await lastSeen(trx, scope, [personId])).get(personId);
      const counted = await countDayAndWeek(trx, scope, dayFrom, weekFrom);
      const day = counted.day + (last === undefined || last < dayFrom ? 1 : 0);
      const week = counted.week + (last === undefined || last < weekFrom ? 1 : 0);
      if (day > bookingLimits.dayHard || week > bookingLimits.weekHard) {
        const window = day > bookingLimits.dayHard ? 'day' : 'week';
        verdict.signal = 'booking_burst';
        const containmentId = await this.#contain(
          trx,
          now,
          actor,
          {
            signal: 'booking_burst',
            severity: 'contain',
            figures: {
              window,
              personsBooked: window === 'day' ? day - 1 : week - 1,
              limit: window === 'day' ? bookingLimits.dayHard : bookingLimits.weekHard,
            },
          },
          alerts,
        );
        return { allowed: false, reason: 'actor_contained', ...(containmentId ? { containmentId } : {}) } as Admission;
      }
      await touch(trx, scope, [personId], iso(now));
      return { allowed: true } as Admission;
    });
  }

  /** Reads that await no follow-up yet (an appointment to come, a portfolio being discovered): not idle for `no_follow_up`. */
  async #noteAwaitingNothing(trx: Executor, actorId: string, personIds: readonly string[]): Promise<void> {
    await trx
      .updateTable('guard_seen')
      .set({ followed_up: FOLLOW_UP_NOT_AWAITED })
      .where('scope', '=', scopes.actor(actorId))
      .where('subject', 'in', [...personIds])
      .where('followed_up', '=', 0)
      .execute();
  }

  /** Distinct persons the actor read in the last hour that nothing in their work explains, this read's included. */
  async #unexplainedHour(trx: Executor, now: Date, actorId: string, unexplained: Unexplained): Promise<number> {
    const row = await trx
      .selectFrom('guard_seen')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('scope', '=', scopes.unexplained(actorId))
      .where('last_at', '>=', since(now, HOUR_MS))
      .executeTakeFirstOrThrow();
    return Number(row.n) + unexplained.hour;
  }

  /** The actor wrote to the person: a follow-up action, what a person doing their job does after reading. */
  async noteFollowUp(trx: Executor, actorId: string, personId: string): Promise<void> {
    // Inside the write's own transaction: one row, no lock needed, and never a 503 after the write committed.
    await trx
      .updateTable('guard_seen')
      .set({ followed_up: 1 })
      .where('scope', '=', scopes.actor(actorId))
      .where('subject', '=', personId)
      .execute();
  }

  /**
   * One transaction under the actor's lock (its reads are counted one at a time, across
   * processes); what concerns the whole organisation (its ceiling, its alert wave, its circuit
   * breaker) takes the organisation's lock too, after the actor's, only when it comes to it.
   * Alerts go out after the commit; any failure fails closed.
   */
  async #run<T>(
    actor: Pick<GuardedActor, 'id' | 'organisationId'>,
    work: (trx: Executor, now: Date, alerts: GuardAlert[]) => Promise<T>,
  ): Promise<T> {
    const alerts: GuardAlert[] = [];
    let outcome: Outcome<T>;
    try {
      const now = this.#options.clock.now();
      const value = await this.#options.db.transaction().execute(async (trx) => {
        await this.#lock(trx, `actor:${actor.id}`);
        return work(trx, now, alerts);
      });
      outcome = { value, alerts };
    } catch (error) {
      // The ledger's own failure keeps its name (503 ledger_unavailable): the guard's state was fine.
      throw error instanceof GuardUnavailableError || error instanceof LedgerUnavailableError
        ? error
        : new GuardUnavailableError(error);
    }
    await this.#options.alerts.deliver(outcome.alerts);
    return outcome.value;
  }

  /** A lock held until the transaction ends (PostgreSQL; SQLite has one writer at a time anyway). Taking it twice is harmless. */
  async #lock(trx: Executor, name: string): Promise<void> {
    if (this.#options.flavour === 'postgres')
      await sql`select pg_advisory_xact_lock(hashtext(${`rempart-guard:${name}`}))`.execute(trx);
  }

  /** The organisation's lock, for what counts across its actors (always after the actor's). */
  #lockOrganisation(trx: Executor, organisationId: string): Promise<void> {
    return this.#lock(trx, `organisation:${organisationId}`);
  }

  async #count(trx: Executor, now: Date, request: ReadRequest, newDay?: number): Promise<void> {
    const at = iso(now);
    const { actor } = request;
    if (newDay === undefined)
      newDay = newIn(
        await lastSeen(trx, scopes.actor(actor.id), request.personIds),
        request.personIds,
        since(now, DAY_MS),
      ).length;
    await touchAll(
      trx,
      [
        ...request.personIds.map((subject) => ({ scope: scopes.actor(actor.id), subject })),
        ...request.personIds.map((subject) => ({
          scope: scopes.organisation(actor.organisationId, request.purpose),
          subject,
        })),
        ...request.personIds.map((personId) => ({
          scope: scopes.readers(actor.organisationId, personId),
          subject: actor.id,
        })),
        { scope: scopes.networks(actor.id), subject: request.network },
      ],
      at,
    );
    if (newDay > 0) {
      await trx
        .insertInto('guard_actor_days')
        .values({ actor_id: actor.id, day: at.slice(0, 10), persons: newDay })
        .onConflict((oc) =>
          oc.columns(['actor_id', 'day']).doUpdateSet({ persons: sql`guard_actor_days.persons + excluded.persons` }),
        )
        .execute();
    }
  }

  /**
   * The persons of this read that nothing in the actor's work explains, with the actor's
   * unexplained counts over the day and the week, for the roles whose reads must be explained
   * (undefined otherwise). Explained: read by the actor on an earlier day of the last two weeks (a
   * case in progress), an appointment of the person with the organisation around today (booked
   * by someone else, or by the actor long enough before), or a person newly in the actor's
   * caseload (a portfolio taken over). Of the explained, those whose read awaits no follow-up yet:
   * an appointment still to come (a day being prepared) or a portfolio being discovered.
   */
  async #unexplained(
    trx: Executor,
    now: Date,
    request: ReadRequest,
    roles: readonly string[],
    actorSeen: Map<string, string>,
    unexplainedSeen: Map<string, string>,
  ): Promise<Unexplained | undefined> {
    const unexplainedLimits = SIGNAL_THRESHOLDS.unexplained;
    if (!readsMustBeExplained(roles)) return undefined;
    const { actor } = request;
    const dayFrom = since(now, DAY_MS);
    const weekFrom = since(now, 7 * DAY_MS);
    const continuityFrom = since(now, unexplainedLimits.continuityDays * DAY_MS);
    // Persons not read by the actor today nor in the days before: the ones a read must explain.
    const fresh = newIn(actorSeen, request.personIds, dayFrom).filter(
      (id) => (actorSeen.get(id) ?? '') < continuityFrom,
    );
    // Nothing to explain (the usual read: a case in progress): no query at all on this path.
    if (fresh.length === 0) return undefined;
    const at = (days: number) => new Date(now.getTime() + days * DAY_MS).toISOString();
    const lead = since(now, unexplainedLimits.selfBookedLeadHours * HOUR_MS);
    const nowIso = iso(now);
    const explanations = await trx
      .selectFrom('appointments')
      .select((eb) => [
        'person_id',
        eb.case().when('at', '>', nowIso).then(1).else(0).end().$castTo<number | string>().as('awaits_nothing'),
      ])
      .where('person_id', 'in', fresh)
      .where('organisation_id', '=', actor.organisationId)
      .where('cancelled_at', 'is', null)
      .where('at', '>=', at(-unexplainedLimits.appointmentDaysAfter))
      .where('at', '<=', at(unexplainedLimits.appointmentDaysBefore))
      .where((eb) =>
        eb.or([eb('created_by', 'is', null), eb('created_by', '!=', actor.id), eb('created_at', '<=', lead)]),
      )
      .union(
        trx
          .selectFrom('caseloads')
          .select(['person_id', sql<number>`1`.as('awaits_nothing')])
          .where('actor_id', '=', actor.id)
          .where('person_id', 'in', fresh)
          .where('until', 'is', null)
          .where('since', '>=', since(now, unexplainedLimits.newCaseloadDays * DAY_MS).slice(0, 10)),
      )
      .execute();
    const explained = new Set(explanations.map((r) => r.person_id));
    const awaitingNothing = [
      ...new Set(explanations.filter((r) => Number(r.awaits_nothing) === 1).map((r) => r.person_id)),
    ];
    const persons = fresh.filter((id) => !explained.has(id));
    if (persons.length === 0) return { persons, day: 0, week: 0, hour: 0, awaitingNothing };
    const counted = await countDayAndWeek(trx, scopes.unexplained(actor.id), dayFrom, weekFrom);
    // Counted once a day and once a week: a person already unexplained today adds nothing.
    return {
      persons,
      day: counted.day + newIn(unexplainedSeen, persons, dayFrom).length,
      week: counted.week + newIn(unexplainedSeen, persons, weekFrom).length,
      hour: newIn(unexplainedSeen, persons, since(now, HOUR_MS)).length,
      awaitingNothing,
    };
  }

  /** Signals weighed before this read is counted: containing ones refuse it, the others alert. */
  async #signalsBeforeCounting(
    trx: Executor,
    now: Date,
    request: ReadRequest,
    figures: {
      hour: number;
      day: number;
      orgDay: number;
      newHour: number;
      newDay: number;
      newOrgDay: number;
      budget: ReturnType<typeof budgetFor>;
      unexplained: Unexplained | undefined;
      roles: readonly string[];
    },
  ): Promise<Raised[]> {
    const { actor } = request;
    const raised: Raised[] = [];
    const { hour, day, orgDay, budget, unexplained } = figures;
    // Soft limits alert when crossed, not on every read above them.
    const crossed = (value: number, added: number, limit: number) => value >= limit && value - added < limit;

    // Files opened that nothing in the day's work explains: a patient thief stays under every budget but this one.
    if (unexplained && unexplained.persons.length > 0) {
      const unexplainedLimits = SIGNAL_THRESHOLDS.unexplained;
      if (unexplained.day > unexplainedLimits.dayHard || unexplained.week > unexplainedLimits.weekHard) {
        const window = unexplained.day > unexplainedLimits.dayHard ? 'day' : 'week';
        return [
          {
            signal: 'unexplained_reads',
            severity: 'contain',
            figures: {
              window,
              unexplainedPersons:
                window === 'day'
                  ? unexplained.day - unexplained.persons.length
                  : unexplained.week - unexplained.persons.length,
              limit: window === 'day' ? unexplainedLimits.dayHard : unexplainedLimits.weekHard,
            },
          },
        ];
      }
      if (crossed(unexplained.day, unexplained.persons.length, unexplainedLimits.daySoft))
        raised.push({
          signal: 'unexplained_reads_soft',
          severity: 'alert',
          figures: {
            unexplainedPersons: unexplained.day,
            soft: unexplainedLimits.daySoft,
            hard: unexplainedLimits.dayHard,
          },
          onceWithin: DAY_MS,
        });
    }
    if (crossed(hour, figures.newHour, budget.hour.soft))
      raised.push({
        signal: 'budget_hour_soft',
        severity: 'alert',
        figures: { persons: hour, soft: budget.hour.soft, hard: budget.hour.hard },
        onceWithin: HOUR_MS,
      });
    if (crossed(day, figures.newDay, budget.day.soft))
      raised.push({
        signal: 'budget_day_soft',
        severity: 'alert',
        figures: { persons: day, soft: budget.day.soft, hard: budget.day.hard },
        onceWithin: DAY_MS,
      });
    if (crossed(orgDay, figures.newOrgDay, organisationSoftLimit(request.dailyCeiling)))
      raised.push({
        signal: 'agreement_ceiling_soft',
        severity: 'alert',
        figures: { purpose: request.purpose, persons: orgDay, limit: request.dailyCeiling },
        onceWithin: DAY_MS,
      });

    // A burst from an account created or reset in the last days (an administrator's new accounts, a reset by phone).
    // Where reads must be explained, only the unexplained count: a new hire discovering the
    // portfolio given to them, or preparing its appointments, is doing the job (docs/guard-calibration.md).
    const burst = !readsMustBeExplained(figures.roles)
      ? hour
      : unexplained?.persons.length
        ? await this.#unexplainedHour(trx, now, actor.id, unexplained)
        : 0;
    if (actor.accountId && burst >= SIGNAL_THRESHOLDS.newAccountBurst) {
      const account = await accountCredentialDates(trx, actor.accountId);
      const latest = [account?.createdAt, account?.passwordChangedAt]
        .filter((x): x is string => !!x)
        .sort()
        .pop();
      if (latest && latest >= since(now, SIGNAL_THRESHOLDS.newAccountDays * DAY_MS))
        raised.push({
          signal: 'new_account_burst',
          severity: 'contain',
          figures: { personsInAnHour: burst, accountSince: latest },
        });
    }

    // Many files read and nothing done with them, where the purpose expects a follow-up.
    if (request.followUpExpected) {
      const week = await trx
        .selectFrom('guard_seen')
        .select((eb) => [
          eb.fn.countAll<number | string>().as('all'),
          eb.fn.sum<number | string | null>(eb.case().when('followed_up', '=', 0).then(1).else(0).end()).as('idle'),
        ])
        .where('scope', '=', scopes.actor(actor.id))
        .where('last_at', '>=', since(now, 7 * DAY_MS))
        .executeTakeFirstOrThrow();
      const all = Number(week.all) + figures.newDay;
      // A day being prepared or a portfolio discovered awaits no follow-up yet.
      const idle = Number(week.idle ?? 0) + figures.newDay - (unexplained?.awaitingNothing.length ?? 0);
      if (idle >= SIGNAL_THRESHOLDS.noFollowUpPersons && idle / all >= SIGNAL_THRESHOLDS.noFollowUpShare)
        raised.push({
          signal: 'no_follow_up',
          severity: 'contain',
          figures: { personsWithoutFollowUp: idle, personsRead: all },
        });
    }

    // A surge against the actor's own baseline (its median day over the last two weeks).
    if (figures.newDay > 0 && day > SIGNAL_THRESHOLDS.baselineFloor) {
      const median = await this.#medianDay(trx, actor.id, now);
      if (median !== undefined) {
        if (day > SIGNAL_THRESHOLDS.baselineFactor * median)
          raised.push({
            signal: 'baseline_surge',
            severity: 'alert',
            figures: { personsToday: day, medianDay: median },
            onceWithin: DAY_MS,
          });
      }
    }

    // Outside working hours (Paris time), or from a network this actor never read from.
    if (!withinWorkingHours(now))
      raised.push({ signal: 'off_hours', severity: 'alert', figures: { at: iso(now) }, onceWithin: DAY_MS });
    const knownNetwork = (await lastSeen(trx, scopes.networks(actor.id), [request.network])).get(request.network);
    const networks =
      knownNetwork && knownNetwork >= since(now, 30 * DAY_MS)
        ? []
        : await trx
            .selectFrom('guard_seen')
            .select('subject')
            .where('scope', '=', scopes.networks(actor.id))
            .where('last_at', '>=', since(now, 30 * DAY_MS))
            .execute();
    if (networks.length > 0 && !networks.some((n) => n.subject === request.network))
      raised.push({
        signal: 'new_network',
        severity: 'alert',
        figures: { knownNetworks: networks.length },
        onceWithin: DAY_MS,
      });

    // The same person read by many actors of one organisation within a day.
    for (const personId of figures.newDay > 0 ? request.personIds : []) {
      const readers = await trx
        .selectFrom('guard_seen')
        .select('subject')
        .where('scope', '=', scopes.readers(actor.organisationId, personId))
        .where('last_at', '>=', since(now, DAY_MS))
        .execute();
      const count = readers.filter((r) => r.subject !== actor.id).length + 1;
      if (count >= SIGNAL_THRESHOLDS.readersOfOnePerson)
        raised.push({
          signal: 'many_readers',
          severity: 'alert',
          figures: { actorsReadingOnePerson: count },
          onceWithin: DAY_MS,
        });
    }
    return raised;
  }

  /**
   * A staff session presented from a network other than its own, held by the session check
   * until a second factor is passed from there: the reads never reach the guard, so the desk is
   * alerted here (once an hour per actor), as it was when the guard itself saw the session move.
   */
  async noteSessionHeld(actor: GuardedActor, seenFrom: string): Promise<void> {
    if (this.#options.enforce === false || !actor.session) return;
    const session = actor.session;
    await this.#run(actor, async (trx, now, alerts) => {
      await this.#raise(
        trx,
        now,
        actor,
        {
          signal: 'session_moved',
          severity: 'alert',
          figures: { issuedTo: session.network, usedFrom: seenFrom, held: true },
          onceWithin: HOUR_MS,
        },
        alerts,
      );
    });
  }

  /** A stolen cookie replayed from elsewhere: the session dies, its holder signs in again (with the second factor). */
  async #sessionMoved(request: ReadRequest): Promise<Admission> {
    const { actor } = request;
    return this.#run(actor, async (trx, now, alerts) => {
      await revokeCredentials(
        trx,
        { sessions: [actor.session!.publicId] },
        { reason: 'guard_session_moved', at: now, sessions: true },
      );
      await appendEvent(trx, 'session_revoked', {
        actorId: actor.id,
        accountId: actor.accountId ?? null,
        organisationId: actor.organisationId,
        details: { session: actor.session!.publicId, reason: 'guard_session_moved' },
      });
      await this.#raise(
        trx,
        now,
        actor,
        {
          signal: 'session_moved',
          severity: 'alert',
          figures: { issuedTo: actor.session!.network, usedFrom: request.network },
        },
        alerts,
      );
      return { allowed: false, reason: 'session_moved' } as Admission;
    });
  }

  /** The actor's median day over the two weeks before today (enough history, else undefined): fixed for the day, so kept. */
  async #medianDay(trx: Executor, actorId: string, now: Date): Promise<number | undefined> {
    const today = iso(now).slice(0, 10);
    const key = `${actorId}:${today}`;
    if (this.#medians.has(key)) return this.#medians.get(key);
    const days = await trx
      .selectFrom('guard_actor_days')
      .select('persons')
      .where('actor_id', '=', actorId)
      .where('day', '<', today)
      .where('day', '>=', since(now, 14 * DAY_MS).slice(0, 10))
      .execute();
    const sorted = days.map((d) => d.persons).sort((a, b) => a - b);
    const median =
      sorted.length >= SIGNAL_THRESHOLDS.baselineMinDays ? sorted[Math.floor(sorted.length / 2)]! : undefined;
    if (this.#medians.size > 10_000) this.#medians.clear();
    this.#medians.set(key, median);
    return median;
  }

  async #releasedRecently(trx: Executor, actorId: string, now: Date): Promise<boolean> {
    const row = await trx
      .selectFrom('guard_containments')
      .select('id')
      .where('actor_id', '=', actorId)
      .where('released_at', '>=', since(now, DAY_MS))
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Record a signal (an alert, or the reason of a containment) unless the same was raised within its window. */
  async #raise(
    trx: Executor,
    now: Date,
    actor: GuardedActor,
    raised: Raised,
    alerts: GuardAlert[],
    kind: GuardAlert['kind'] = raised.severity === 'contain' ? 'containment' : 'alert',
  ): Promise<boolean> {
    const actorId = actor.id || null;
    // Deduplication and the organisation's wave count across its actors.
    await this.#lockOrganisation(trx, actor.organisationId);
    if (raised.onceWithin) {
      let recent = trx
        .selectFrom('guard_signals')
        .select('id')
        .where('organisation_id', '=', actor.organisationId)
        .where('signal', '=', raised.signal)
        .where('at', '>=', since(now, raised.onceWithin));
      recent = actorId ? recent.where('actor_id', '=', actorId) : recent.where('actor_id', 'is', null);
      if (await recent.executeTakeFirst()) return false;
    }
    const id = randomUUID();
    const persons = actorId ? await personsRead(trx, actorId, now) : [];
    await trx
      .insertInto('guard_signals')
      .values({
        id,
        at: iso(now),
        actor_id: actorId,
        organisation_id: actor.organisationId,
        signal: raised.signal,
        severity: raised.severity,
        details: JSON.stringify({ figures: raised.figures, personsRead: persons }),
      })
      .execute();
    await appendEvent(trx, raised.severity === 'contain' ? 'guard_containment' : 'guard_alert', {
      actorId,
      organisationId: actor.organisationId,
      operation: raised.signal,
      details: { signal: raised.signal, alert: id, ...raised.figures, personsRead: persons.length },
    });
    alerts.push(
      await alertOf(trx, {
        id,
        at: iso(now),
        kind,
        signal: raised.signal,
        actorId,
        organisationId: actor.organisationId,
        figures: raised.figures,
        personsRead: persons,
      }),
    );
    if (actorId && raised.severity === 'alert') await this.#organisationWave(trx, now, actor.organisationId, alerts);
    return true;
  }

  /** Many accounts of one organisation alerting together: one alert for the organisation. */
  async #organisationWave(trx: Executor, now: Date, organisationId: string, alerts: GuardAlert[]): Promise<void> {
    const actors = await trx
      .selectFrom('guard_signals')
      .select('actor_id')
      .distinct()
      .where('organisation_id', '=', organisationId)
      .where('actor_id', 'is not', null)
      .where('at', '>=', since(now, HOUR_MS))
      .execute();
    if (actors.length >= SIGNAL_THRESHOLDS.organisationAlerting) {
      await this.#raise(
        trx,
        now,
        { id: '', organisationId },
        {
          signal: 'organisation_alerting',
          severity: 'alert',
          figures: { actorsAlerting: actors.length },
          onceWithin: HOUR_MS,
        },
        alerts,
      );
    }
  }

  /**
   * Contain the actor: suspended (every decision then refuses it), its sessions revoked, its API
   * and machine tokens dropped; recorded, alerted. Several actors of one organisation contained
   * within a day trip the organisation's circuit breaker. Returns the containment id, or
   * undefined when the actor was already contained.
   */
  async #contain(
    trx: Executor,
    now: Date,
    actor: GuardedActor,
    raised: Raised,
    alerts: GuardAlert[],
  ): Promise<string | undefined> {
    // The circuit breaker counts the organisation's containments: one at a time.
    await this.#lockOrganisation(trx, actor.organisationId);
    const open = await trx
      .selectFrom('guard_containments')
      .select('id')
      .where('actor_id', '=', actor.id)
      .where('released_at', 'is', null)
      .executeTakeFirst();
    if (open) return undefined;
    const at = iso(now);
    const id = randomUUID();
    const persons = await personsRead(trx, actor.id, now);
    await trx
      .insertInto('guard_containments')
      .values({
        id,
        scope: 'actor',
        actor_id: actor.id,
        organisation_id: actor.organisationId,
        signal: raised.signal,
        details: JSON.stringify({ figures: raised.figures, personsRead: persons }),
        contained_at: at,
        released_at: null,
        released_by: null,
        release_note: null,
      })
      .execute();
    await recordContainedReads(trx, id, persons);
    await trx
      .updateTable('actors')
      .set({ status: 'suspended' })
      .where('id', '=', actor.id)
      .where('status', '=', 'active')
      .execute();
    await revokeCredentials(
      trx,
      { actors: [actor.id] },
      { reason: 'guard_containment', at: now, sessions: true, apiTokens: true },
    );
    await this.#raise(trx, now, actor, { ...raised, figures: { ...raised.figures, containment: id } }, alerts);
    await this.#circuitBreaker(trx, now, actor.organisationId, alerts);
    return id;
  }

  /** Several actors of one organisation contained within a day: the organisation is suspended. */
  async #circuitBreaker(trx: Executor, now: Date, organisationId: string, alerts: GuardAlert[]): Promise<void> {
    const contained = await trx
      .selectFrom('guard_containments')
      .select('actor_id')
      .distinct()
      .where('organisation_id', '=', organisationId)
      .where('scope', '=', 'actor')
      .where('contained_at', '>=', since(now, DAY_MS))
      .execute();
    if (contained.length < SIGNAL_THRESHOLDS.organisationContained) return;
    const open = await trx
      .selectFrom('guard_containments')
      .select('id')
      .where('organisation_id', '=', organisationId)
      .where('scope', '=', 'organisation')
      .where('released_at', 'is', null)
      .executeTakeFirst();
    if (open) return;
    const id = randomUUID();
    const figures = { actorsContained: contained.length };
    await trx
      .insertInto('guard_containments')
      .values({
        id,
        scope: 'organisation',
        actor_id: null,
        organisation_id: organisationId,
        signal: 'circuit_breaker',
        details: JSON.stringify({ figures, actors: contained.map((c) => c.actor_id) }),
        contained_at: iso(now),
        released_at: null,
        released_by: null,
        release_note: null,
      })
      .execute();
    await trx
      .updateTable('organisations')
      .set({ status: 'suspended' })
      .where('id', '=', organisationId)
      .where('status', '=', 'active')
      .execute();
    await this.#raise(
      trx,
      now,
      { id: '', organisationId },
      { signal: 'circuit_breaker', severity: 'contain', figures: { ...figures, containment: id } },
      alerts,
      'organisation_suspended',
    );
  }
}

/** The actor's roles, read in the guard's transaction (a role withdrawn a second ago counts). */
async function rolesOf(db: Executor, actorId: string): Promise<string[]> {
  const row = await db.selectFrom('actors').select('roles').where('id', '=', actorId).executeTakeFirst();
  return row ? (JSON.parse(row.roles) as string[]) : [];
}

/** Which of these persons are decoys (one query: a caller asking about many persons cuts them in parts). */
export async function decoysAmong(db: Executor, personIds: readonly string[]): Promise<string[]> {
  if (personIds.length === 0) return [];
  return (
    await db
      .selectFrom('guard_decoys')
      .select('person_id')
      .where('person_id', 'in', [...personIds])
      .execute()
  ).map((r) => r.person_id);
}

/** Persons the actor read in the last day (ids), what a containment reports. */
async function personsRead(db: Executor, actorId: string, now: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('guard_seen')
    .select('subject')
    .where('scope', '=', scopes.actor(actorId))
    .where('last_at', '>=', since(now, DAY_MS))
    .orderBy('last_at')
    .limit(1000)
    .execute();
  return rows.map((r) => r.subject);
}

async function alertOf(db: Executor, alert: Omit<GuardAlert, 'actorLogin' | 'organisationName'>): Promise<GuardAlert> {
  const actor = alert.actorId
    ? await db.selectFrom('actors').select('login').where('id', '=', alert.actorId).executeTakeFirst()
    : undefined;
  const organisation = await db
    .selectFrom('organisations')
    .select('name')
    .where('id', '=', alert.organisationId)
    .executeTakeFirst();
  return { ...alert, actorLogin: actor?.login ?? null, organisationName: organisation?.name ?? null };
}

const PARIS_HOUR = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Paris',
  hour: 'numeric',
  hourCycle: 'h23',
  weekday: 'short',
});

/** Monday to Saturday, 07:00 to 20:00 in Paris. */
export function withinWorkingHours(now: Date): boolean {
  const parts = PARIS_HOUR.formatToParts(now);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  const weekday = parts.find((p) => p.type === 'weekday')?.value;
  return weekday !== 'Sun' && hour >= SIGNAL_THRESHOLDS.workingHours.from && hour < SIGNAL_THRESHOLDS.workingHours.to;
}
