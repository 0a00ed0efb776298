import { randomUUID } from 'node:crypto';
import { ConflictError } from '../domain/index.ts';
import { inTransaction, type IncidentsTable } from '../store/index.ts';
import { checkDeclaration } from './declaration-check.ts';
import type { By, Desk } from './desk.ts';
import { fourEyesRequired, organisationsSpanned } from './four-eyes.ts';
import { VECTOR_LABELS_FR, type Compromised, type Declaration, type IncidentView, type Vector } from './model.ts';
import { openIncidentRow, viewIncident } from './register.ts';

/** An incident's life on the desk: declared (by hand or by the guard), amended, closed. */

export type Amendment = Partial<
  Pick<Declaration, 'compromised' | 'windowFrom' | 'windowTo' | 'awareAt' | 'description' | 'vector' | 'title'>
>;

/** Who approved a declaration that took four eyes. */
export interface Approval {
  request: string;
  approvedBy: string;
}

type NewIncident = Declaration & {
  source: IncidentsTable['source'];
  containmentId: string | null;
  declaredBy: string | null;
  approval?: Approval;
};

const EMPTY: Compromised = { actors: [], organisations: [], clients: [], sessions: [] };
const iso = (d: Date) => d.toISOString();

/**
 * A security officer declares an incident; nothing is written unless every field holds. One that
 * reaches more than one organisation takes a second person's approval (`requestDeclaration`);
 * the operator's command line (no account) declares alone.
 */
export async function declare(desk: Desk, input: Declaration, by: By): Promise<IncidentView> {
  await checkDeclaration(desk.db, input, desk.clock.now());
  if (by.accountId !== null && (await declarationNeedsApproval(desk, input.compromised)))
    throw fourEyesRequired('Un incident qui touche plusieurs organisations');
  return declareNow(desk, input, by);
}

/** Whether a compromise reaches more than one organisation (then declaring or widening it takes four eyes). */
export async function declarationNeedsApproval(desk: Desk, compromised: Compromised): Promise<boolean> {
  return (await organisationsSpanned(desk.db, compromised)).length > 1;
}

/** Declared without asking for approval: by the command line, alone, or once a second person approved. */
export async function declareNow(desk: Desk, input: Declaration, by: By, approval?: Approval): Promise<IncidentView> {
  const now = desk.clock.now();
  await checkDeclaration(desk.db, input, now);
  const id = await insertIncident(
    desk,
    { ...input, source: 'manual', containmentId: null, declaredBy: by.accountId, ...(approval ? { approval } : {}) },
    now,
  );
  return viewIncident(desk, id);
}

/**
 * The guard contained an actor (or suspended an organisation): an incident is opened for it, its
 * window the week before (the guard's longest look-back), its awareness the containment. A
 * security officer narrows or widens it afterwards. Once per containment.
 */
export async function openFromContainment(
  desk: Desk,
  containment: { id: string; actorId: string | null; organisationId: string; signal: string; at: string },
): Promise<string | undefined> {
  const existing = await incidentOfContainment(desk, containment.id);
  if (existing) return existing;
  const at = new Date(containment.at);
  const compromised: Compromised = containment.actorId
    ? { ...EMPTY, actors: [containment.actorId] }
    : { ...EMPTY, organisations: [containment.organisationId] };
  try {
    return await insertIncident(
      desk,
      {
        title: containment.actorId
          ? `Compte confiné par la garde (signal ${containment.signal})`
          : `Organisation suspendue par le disjoncteur de la garde`,
        vector: 'guard_containment',
        description: `Ouvert automatiquement par la garde (signal « ${containment.signal} »). À qualifier : confirmer la compromission, ajuster les identités et la fenêtre, ou clore comme fausse alerte.`,
        compromised,
        windowFrom: new Date(at.getTime() - 7 * 86_400_000),
        // The read that tripped a decoy is served (the wire stays hidden) and recorded just after the containment.
        windowTo: new Date(at.getTime() + 5 * 60_000),
        awareAt: at,
        source: 'guard',
        containmentId: containment.id,
        declaredBy: null,
      },
      desk.clock.now(),
    );
  } catch (error) {
    // Two deliveries of one containment at once: the unique column kept one.
    const again = await incidentOfContainment(desk, containment.id);
    if (again) return again;
    throw error;
  }
}

async function incidentOfContainment(desk: Desk, containmentId: string): Promise<string | undefined> {
  const row = await desk.db
    .selectFrom('incidents')
    .select('id')
    .where('containment_id', '=', containmentId)
    .executeTakeFirst();
  return row?.id;
}

/** The incident and its first step, under the next free reference of the year (two declarations at once: one retries). */
async function insertIncident(desk: Desk, input: NewIncident, now: Date): Promise<string> {
  const id = randomUUID();
  for (let attempt = 0; ; attempt++) {
    try {
      await inTransaction(desk.db, async (trx) => {
        const year = now.getUTCFullYear();
        const count = await trx
          .selectFrom('incidents')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where('reference', 'like', `INC-${year}-%`)
          .executeTakeFirst();
        const reference = `INC-${year}-${String(Number(count?.n ?? 0) + 1 + attempt).padStart(4, '0')}`;
        await trx
          .insertInto('incidents')
          .values({
            id,
            reference,
            title: input.title,
            vector: input.vector,
            description: input.description,
            status: 'open',
            source: input.source,
            containment_id: input.containmentId,
            compromised: JSON.stringify(input.compromised),
            window_from: iso(input.windowFrom),
            window_to: iso(input.windowTo),
            aware_at: iso(input.awareAt),
            declared_at: iso(now),
            declared_by: input.declaredBy,
            scope_summary: null,
            cnil_reference: null,
            cnil_filed_at: null,
            closed_at: null,
            closed_by: null,
            closing_note: null,
          })
          .execute();
        const c = input.compromised;
        await desk.step(
          trx,
          id,
          'incident_declared',
          input.declaredBy,
          `Incident ${reference} déclaré${input.source === 'guard' ? ' par la garde' : ''} : ${VECTOR_LABELS_FR[input.vector as Vector] ?? input.vector}`,
          {
            reference,
            actors: c.actors.length,
            organisations: c.organisations.length,
            clients: c.clients.length,
            sessions: c.sessions.length,
            windowFrom: iso(input.windowFrom),
            windowTo: iso(input.windowTo),
            awareAt: iso(input.awareAt),
            ...(input.approval ? { request: input.approval.request, approvedBy: input.approval.approvedBy } : {}),
          },
        );
      });
      return id;
    } catch (error) {
      const message = String((error as Error).message ?? '');
      if (attempt < 5 && /incidents\.reference|incidents_reference/.test(message)) continue;
      throw error;
    }
  }
}

/** Change what was compromised, the window or the facts (the scope must be recomputed; a complementary notification follows). */
export async function amend(desk: Desk, id: string, changes: Amendment, by: By): Promise<IncidentView> {
  if (by.accountId !== null && (await amendmentNeedsApproval(desk, id, changes)))
    throw fourEyesRequired('Étendre un incident à plusieurs organisations');
  return amendNow(desk, id, changes, by);
}

/** Changing the identities or the window of an incident that then reaches several organisations takes four eyes. */
export async function amendmentNeedsApproval(desk: Desk, id: string, changes: Amendment): Promise<boolean> {
  const row = await openIncidentRow(desk.db, id);
  if (!changes.compromised && !changes.windowFrom && !changes.windowTo) return false;
  await checkDeclaration(desk.db, amended(row, changes), desk.clock.now());
  return declarationNeedsApproval(desk, changes.compromised ?? (JSON.parse(row.compromised) as Compromised));
}

/** The declaration the incident would have once amended. */
export function amended(row: IncidentsTable, changes: Amendment): Declaration {
  return {
    title: changes.title ?? row.title,
    vector: changes.vector ?? row.vector,
    description: changes.description ?? row.description,
    compromised: changes.compromised ?? (JSON.parse(row.compromised) as Compromised),
    windowFrom: changes.windowFrom ?? new Date(row.window_from),
    windowTo: changes.windowTo ?? new Date(row.window_to),
    awareAt: changes.awareAt ?? new Date(row.aware_at),
  };
}

/** The incident was closed between the read and this update (another member of the desk): the step is not taken. */
function stillOpen(result: { numUpdatedRows: bigint }): void {
  if (Number(result.numUpdatedRows) !== 1)
    throw new ConflictError('Cet incident vient d’être clos par un autre membre de la cellule.', 'incident_closed');
}

export async function amendNow(desk: Desk, id: string, changes: Amendment, by: By): Promise<IncidentView> {
  const row = await openIncidentRow(desk.db, id);
  const next = amended(row, changes);
  await checkDeclaration(desk.db, next, desk.clock.now());
  await inTransaction(desk.db, async (trx) => {
    await trx
      .updateTable('incidents')
      .set({
        title: next.title,
        vector: next.vector,
        description: next.description,
        compromised: JSON.stringify(next.compromised),
        window_from: iso(next.windowFrom),
        window_to: iso(next.windowTo),
        aware_at: iso(next.awareAt),
      })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst()
      .then(stillOpen);
    await desk.step(
      trx,
      id,
      'incident_amended',
      by.accountId,
      `Incident modifié (${Object.keys(changes).join(', ')}) : le périmètre est à recalculer`,
      { fields: Object.keys(changes).join(',') },
    );
  });
  return viewIncident(desk, id);
}

export async function closeIncident(desk: Desk, id: string, note: string, by: By): Promise<IncidentView> {
  const row = await openIncidentRow(desk.db, id);
  await inTransaction(desk.db, async (trx) => {
    await trx
      .updateTable('incidents')
      .set({ status: 'closed', closed_at: iso(desk.clock.now()), closed_by: by.accountId, closing_note: note })
      .where('id', '=', row.id)
      .where('status', '=', 'open')
      .executeTakeFirst()
      .then(stillOpen);
    await desk.step(trx, id, 'incident_closed', by.accountId, `Incident clos : ${note}`, {});
  });
  return viewIncident(desk, id);
}
