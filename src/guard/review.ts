import { ConflictError, NotFoundError, type Clock } from '../domain/index.ts';
import { appendEvent, grantsToActorAbout } from '../ledger/index.ts';
import { inTransaction, locksRows, type Executor } from '../store/index.ts';

export interface SignalView {
  id: string;
  at: string;
  actorId: string | null;
  actorLogin: string | null;
  organisationId: string;
  organisationName: string;
  signal: string;
  severity: 'alert' | 'contain';
  figures: Record<string, unknown>;
  personsRead: number;
}

export interface ContainmentView {
  id: string;
  scope: 'actor' | 'organisation';
  actorId: string | null;
  actorLogin: string | null;
  organisationId: string;
  organisationName: string;
  signal: string;
  figures: Record<string, unknown>;
  containedAt: string;
  releasedAt: string | null;
  releasedBy: string | null;
  releaseNote: string | null;
}

interface Details {
  figures?: Record<string, unknown>;
  personsRead?: string[];
  actors?: string[];
}

/** The security officer's queue: signals, newest first. */
export async function listSignals(db: Executor, options: { limit: number }): Promise<SignalView[]> {
  const rows = await db
    .selectFrom('guard_signals')
    .innerJoin('organisations', 'organisations.id', 'guard_signals.organisation_id')
    .leftJoin('actors', 'actors.id', 'guard_signals.actor_id')
    .select([
      'guard_signals.id',
      'guard_signals.at',
      'guard_signals.actor_id',
      'actors.login',
      'guard_signals.organisation_id',
      'organisations.name',
      'guard_signals.signal',
      'guard_signals.severity',
      'guard_signals.details',
    ])
    .orderBy('guard_signals.at', 'desc')
    .orderBy('guard_signals.id')
    .limit(options.limit)
    .execute();
  return rows.map((r) => {
    const details = JSON.parse(r.details) as Details;
    return {
      id: r.id,
      at: r.at,
      actorId: r.actor_id,
      actorLogin: r.login,
      organisationId: r.organisation_id,
      organisationName: r.name,
      signal: r.signal,
      severity: r.severity,
      figures: details.figures ?? {},
      personsRead: details.personsRead?.length ?? 0,
    };
  });
}

const containmentColumns = [
  'guard_containments.id',
  'guard_containments.scope',
  'guard_containments.actor_id',
  'actors.login',
  'guard_containments.organisation_id',
  'organisations.name',
  'guard_containments.signal',
  'guard_containments.details',
  'guard_containments.contained_at',
  'guard_containments.released_at',
  'guard_containments.released_by',
  'guard_containments.release_note',
] as const;

function containmentQuery(db: Executor) {
  return db
    .selectFrom('guard_containments')
    .innerJoin('organisations', 'organisations.id', 'guard_containments.organisation_id')
    .leftJoin('actors', 'actors.id', 'guard_containments.actor_id')
    .select(containmentColumns);
}

type ContainmentRow = Awaited<ReturnType<ReturnType<typeof containmentQuery>['executeTakeFirstOrThrow']>>;

function containmentView(r: ContainmentRow): ContainmentView {
  const details = JSON.parse(r.details) as Details;
  return {
    id: r.id,
    scope: r.scope,
    actorId: r.actor_id,
    actorLogin: r.login,
    organisationId: r.organisation_id,
    organisationName: r.name,
    signal: r.signal,
    figures: details.figures ?? {},
    containedAt: r.contained_at,
    releasedAt: r.released_at,
    releasedBy: r.released_by,
    releaseNote: r.release_note,
  };
}

/** Containments, newest first; only those in force when asked. */
export async function listContainments(
  db: Executor,
  options: { inForce?: boolean; limit: number },
): Promise<ContainmentView[]> {
  let query = containmentQuery(db).orderBy('guard_containments.contained_at', 'desc').limit(options.limit);
  if (options.inForce) query = query.where('guard_containments.released_at', 'is', null);
  return (await query.execute()).map(containmentView);
}

/**
 * One containment with what was read: the persons the actor read in the day before, and for each
 * the field classes the ledger recorded as granted to this actor (ids and class names, never values).
 */
export async function containmentDetail(
  db: Executor,
  id: string,
): Promise<ContainmentView & { personsRead: Array<{ personId: string; classes: string[] }>; actors: string[] }> {
  const row = await containmentQuery(db).where('guard_containments.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Confinement inconnu.');
  const details = JSON.parse(row.details) as Details;
  const persons = details.personsRead ?? [];
  const classes = new Map<string, Set<string>>(persons.map((p) => [p, new Set<string>()]));
  if (row.actor_id && persons.length) {
    for (const e of await grantsToActorAbout(db, row.actor_id, persons)) {
      const body = JSON.parse(e.body) as { classes?: string[] };
      for (const c of body.classes ?? []) classes.get(e.personId)?.add(c);
    }
  }
  return {
    ...containmentView(row),
    personsRead: persons.map((personId) => ({ personId, classes: [...classes.get(personId)!].sort() })),
    actors: details.actors ?? [],
  };
}

/**
 * Lift a containment, after the security officer re-verified the holder through the
 * organisation's security contact (the note says how). The actor or organisation becomes active
 * again; sessions and tokens stay revoked: the holder signs in afresh. Recorded in the ledger.
 */
export async function releaseContainment(
  db: Executor,
  clock: Clock,
  id: string,
  releasedBy: string,
  note: string,
): Promise<ContainmentView> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('guard_containments')
      .selectAll()
      .where('id', '=', id)
      .$if(locksRows(trx), (q) => q.forUpdate())
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Confinement inconnu.');
    if (row.released_at) throw new ConflictError('Ce confinement est déjà levé.', 'already_released');
    const at = clock.now().toISOString();
    const released = await trx
      .updateTable('guard_containments')
      .set({ released_at: at, released_by: releasedBy, release_note: note })
      .where('id', '=', id)
      .where('released_at', 'is', null)
      .executeTakeFirst();
    // Another officer released it in between: one release, one event, one reactivation.
    if (Number(released.numUpdatedRows) !== 1)
      throw new ConflictError('Ce confinement vient d’être levé par un autre responsable.', 'already_released');
    if (row.scope === 'actor' && row.actor_id) {
      const other = await trx
        .selectFrom('guard_containments')
        .select('id')
        .where('actor_id', '=', row.actor_id)
        .where('released_at', 'is', null)
        .executeTakeFirst();
      if (!other)
        await trx
          .updateTable('actors')
          .set({ status: 'active' })
          .where('id', '=', row.actor_id)
          .where('status', '=', 'suspended')
          .execute();
    } else {
      await trx
        .updateTable('organisations')
        .set({ status: 'active' })
        .where('id', '=', row.organisation_id)
        .where('status', '=', 'suspended')
        .execute();
    }
    // Who acts is the security officer (from the request); the released actor and organisation are what.
    await appendEvent(trx, 'guard_release', {
      accountId: releasedBy,
      operation: `release_${row.scope}`,
      details: {
        containment: id,
        signal: row.signal,
        releasedActor: row.actor_id,
        releasedOrganisation: row.organisation_id,
      },
    });
    const view = await containmentQuery(trx).where('guard_containments.id', '=', id).executeTakeFirstOrThrow();
    return containmentView(view);
  });
}
