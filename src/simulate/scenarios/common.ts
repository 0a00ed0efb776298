import { performance } from 'node:perf_hooks';
import { nextWorkingDay } from '../clock.ts';
import type { Agent, Reply, SimContext, Traffic } from '../context.ts';
import { breakersSince, containmentOf, exposureOf } from '../measure.ts';
import { checkGoals, type ScenarioName, type ScenarioReport } from '../report.ts';

/** Refusals after which an attacker knows it is locked out (session gone, account suspended). */
const LOCKED_OUT = new Set([
  'session_revoked',
  'session_unknown',
  'session_client_changed',
  'session_moved',
  'actor_contained',
  'actor_suspended',
  'organisation_suspended',
]);

export function lockedOut(reply: Reply): boolean {
  return (reply.status === 401 || reply.status === 403) && reply.error !== undefined && LOCKED_OUT.has(reply.error);
}

/**
 * One attack as the simulator watches it: when it began (simulated and wall time), when the
 * guard's containment row appeared (checked after every request), and when a decoy was touched.
 */
export class AttackRun {
  readonly actorIds: string[];
  startedSim: Date | undefined;
  startedWall: number | undefined;
  containedWallMs: number | null = null;
  pendingDecoy: { actorId: string; sentAt: number } | undefined;
  decoyToContainmentMs: number | null = null;
  readonly from: Date;

  constructor(
    readonly ctx: SimContext,
    actorIds: string[],
  ) {
    this.actorIds = [...actorIds];
    this.from = ctx.clock.now();
  }

  addActor(actorId: string): void {
    this.actorIds.push(actorId);
  }

  /**
   * After each attacker request by `actorId`: `personIds` are those it named or received (to
   * spot a decoy). The decoy's time runs from sending the request that touched it to the
   * containment of the actor who touched it.
   */
  async after(reply: Reply, personIds: readonly string[], actorId: string): Promise<void> {
    this.#noteReceived(reply, personIds, actorId);
    if (this.startedSim === undefined) {
      this.startedSim = this.ctx.clock.now();
      this.startedWall = reply.sentAt;
    }
    if (
      this.pendingDecoy === undefined &&
      this.decoyToContainmentMs === null &&
      personIds.some((id) => this.ctx.decoys.has(id))
    ) {
      // Touched by an actor not contained before this request (else there is nothing left to time).
      if (!this.#containedBefore.has(actorId)) this.pendingDecoy = { actorId, sentAt: reply.sentAt };
    }
    if (this.containedWallMs === null && (await containmentOf(this.ctx, this.actorIds)))
      this.containedWallMs = performance.now() - this.startedWall!;
    if (this.pendingDecoy && (await containmentOf(this.ctx, [this.pendingDecoy.actorId]))) {
      this.decoyToContainmentMs = performance.now() - this.pendingDecoy.sentAt;
      this.pendingDecoy = undefined;
    }
    if (await containmentOf(this.ctx, [actorId])) this.#containedBefore.add(actorId);
  }

  /** The classes the answer carried, per person: a file's `fields`, or a search's results. */
  #noteReceived(reply: Reply, personIds: readonly string[], actorId: string): void {
    if (reply.status !== 200) return;
    const byPerson = this.ctx.received.get(actorId) ?? this.ctx.received.set(actorId, new Map()).get(actorId)!;
    const note = (personId: string, classes: readonly string[]) => {
      const set = byPerson.get(personId) ?? byPerson.set(personId, new Set()).get(personId)!;
      for (const c of classes) set.add(c);
    };
    const { fields, results } = reply.body as {
      fields?: Record<string, unknown>;
      results?: Array<Record<string, unknown> & { id: string }>;
    };
    if (fields && typeof fields === 'object' && personIds.length === 1) note(personIds[0]!, Object.keys(fields));
    if (Array.isArray(results))
      for (const r of results)
        note(
          r.id,
          Object.keys(r).filter((k) => k !== 'id'),
        );
  }

  /** Actors seen contained after an earlier request. */
  readonly #containedBefore = new Set<string>();

  /** The report from the server's records: exposure from the ledger, containment from the guard's table. */
  async report(base: {
    scenario: ScenarioName;
    variant: string;
    title: string;
    traffic: Traffic;
    notes?: string[];
    address?: string;
  }): Promise<ScenarioReport> {
    const exposure = await exposureOf(this.ctx, this.actorIds, base.address ? { address: base.address } : {});
    const containment = await containmentOf(this.ctx, this.actorIds);
    const breakers = await breakersSince(this.ctx, this.from);
    const r: Omit<ScenarioReport, 'goals'> = {
      scenario: base.scenario,
      variant: base.variant,
      title: base.title,
      available: true,
      attack: true,
      ...base.traffic.figures(),
      personsExposed: exposure.persons,
      decoysRead: exposure.decoys,
      contained: containment !== undefined,
      containment:
        containment && this.startedSim
          ? {
              kind: 'actor',
              signal: containment.signal,
              simulatedMs: containment.containedAt.getTime() - this.startedSim.getTime(),
              wallMs: this.containedWallMs ?? Number.NaN,
            }
          : null,
      decoyToContainmentMs: this.decoyToContainmentMs,
      circuitBreakers: breakers.length,
      notes: base.notes ?? [],
    };
    return { ...r, goals: checkGoals(r) };
  }
}

export interface ReadLoopOptions {
  purpose: string;
  /** Simulated time between two requests. */
  stepMs: number;
  /** Search by France Travail id first, then read what it returns (a sweep), instead of reading by id. */
  bySearch?: boolean;
  /** Give up after this many requests. */
  maxRequests?: number;
}

/**
 * Read persons one after another as fast as the server lets it: stop when locked out; when the
 * guard only refuses (a volume limit reached, nobody contained), come back the next working day.
 */
export async function readAsFastAsAllowed(
  run: AttackRun,
  agent: Agent,
  personIds: readonly string[],
  options: ReadLoopOptions,
): Promise<void> {
  const { ctx } = run;
  let refusedInARow = 0;
  let lockouts = 0;
  let days = 0;
  let requests = 0;
  for (const personId of personIds) {
    if (options.maxRequests !== undefined && requests >= options.maxRequests) break;
    ctx.clock.advance(options.stepMs);
    const reply = await agent.request('GET', `/api/staff/persons/${personId}`, { purpose: options.purpose });
    requests++;
    await run.after(reply, [personId], agent.actorId);
    if (lockedOut(reply)) {
      if (++lockouts >= 3) return;
      continue;
    }
    lockouts = 0;
    if (reply.error === 'guard_limit_reached') {
      if (++refusedInARow >= 5) {
        if (++days > 30) return;
        ctx.clock.set(nextWorkingDay(ctx.clock.now(), 1, 8, 30));
        refusedInARow = 0;
      }
    } else refusedInARow = 0;
  }
}
