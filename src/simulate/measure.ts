import { parseBody } from '../ledger/index.ts';
import type { SimContext } from './context.ts';

/**
 * What the simulator reports is read from the server's own records, not from its own counting:
 * the ledger's `access_granted` events for exposure, `guard_containments` and `sessions` for
 * containment, `guard_signals` for alerts.
 */

export interface Exposure {
  /** Distinct real persons (decoys excluded) whose data a grant let out. */
  persons: number;
  /** Distinct decoys granted. */
  decoys: number;
}

/** Persons granted to these actors, optionally only to requests from one address (a thief's). */
export async function exposureOf(
  ctx: SimContext,
  actorIds: readonly string[],
  options: { address?: string } = {},
): Promise<Exposure> {
  if (actorIds.length === 0) return { persons: 0, decoys: 0 };
  const rows = await ctx.db
    .selectFrom('ledger_events')
    .select(['person_id', 'body'])
    .where('kind', '=', 'access_granted')
    .where('actor_id', 'in', [...actorIds])
    .where('person_id', 'is not', null)
    .execute();
  const persons = new Set<string>();
  const decoys = new Set<string>();
  for (const row of rows) {
    if (options.address && parseBody(row.body).restricted.address !== options.address) continue;
    (ctx.decoys.has(row.person_id!) ? decoys : persons).add(row.person_id!);
  }
  return { persons: persons.size, decoys: decoys.size };
}

export interface Containment {
  actorId: string;
  signal: string;
  containedAt: Date;
}

/** The first containment of one of these actors (scope actor), if any. */
export async function containmentOf(ctx: SimContext, actorIds: readonly string[]): Promise<Containment | undefined> {
  if (actorIds.length === 0) return undefined;
  const row = await ctx.db
    .selectFrom('guard_containments')
    .select(['actor_id', 'signal', 'contained_at'])
    .where('scope', '=', 'actor')
    .where('actor_id', 'in', [...actorIds])
    .orderBy('contained_at')
    .executeTakeFirst();
  return row ? { actorId: row.actor_id!, signal: row.signal, containedAt: new Date(row.contained_at) } : undefined;
}

/** Every containment of these actors. */
export async function containmentsOf(ctx: SimContext, actorIds: readonly string[]): Promise<Containment[]> {
  if (actorIds.length === 0) return [];
  const rows = await ctx.db
    .selectFrom('guard_containments')
    .select(['actor_id', 'signal', 'contained_at'])
    .where('scope', '=', 'actor')
    .where('actor_id', 'in', [...actorIds])
    .orderBy('contained_at')
    .execute();
  return rows.map((row) => ({ actorId: row.actor_id!, signal: row.signal, containedAt: new Date(row.contained_at) }));
}

/** Organisations whose circuit breaker tripped since `from` (simulated time). */
export async function breakersSince(
  ctx: SimContext,
  from: Date,
): Promise<Array<{ organisationId: string; containedAt: Date }>> {
  const rows = await ctx.db
    .selectFrom('guard_containments')
    .select(['organisation_id', 'contained_at'])
    .where('scope', '=', 'organisation')
    .where('contained_at', '>=', from.toISOString())
    .execute();
  return rows.map((r) => ({ organisationId: r.organisation_id, containedAt: new Date(r.contained_at) }));
}

/** Signals raised since `from` (simulated time), by name, optionally only those naming these actors. */
export async function signalsSince(
  ctx: SimContext,
  from: Date,
  actorIds?: readonly string[],
): Promise<Record<string, number>> {
  let query = ctx.db.selectFrom('guard_signals').select(['signal', 'actor_id']).where('at', '>=', from.toISOString());
  if (actorIds) {
    if (actorIds.length === 0) return {};
    query = query.where('actor_id', 'in', [...actorIds]);
  }
  const out: Record<string, number> = {};
  for (const row of await query.execute()) out[row.signal] = (out[row.signal] ?? 0) + 1;
  return out;
}

/**
 * After a scenario, put the network back as a security officer would after the incident: the
 * organisations its circuit breakers suspended are reinstated (their containment marked
 * released), so the next scenario starts from a working network. Returns how many.
 */
export async function reinstateOrganisations(ctx: SimContext): Promise<number> {
  const open = await ctx.db
    .selectFrom('guard_containments')
    .select(['id', 'organisation_id'])
    .where('scope', '=', 'organisation')
    .where('released_at', 'is', null)
    .execute();
  for (const row of open) {
    await ctx.db
      .updateTable('guard_containments')
      .set({
        released_at: ctx.clock.now().toISOString(),
        release_note: 'simulation : organisation rétablie entre deux scénarios',
      })
      .where('id', '=', row.id)
      .execute();
    await ctx.db.updateTable('organisations').set({ status: 'active' }).where('id', '=', row.organisation_id).execute();
  }
  return open.length;
}
