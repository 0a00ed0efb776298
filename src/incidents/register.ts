import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, type Clock } from '../domain/index.ts';
import { appendEvent } from '../ledger/index.ts';
import type { Executor, IncidentsTable } from '../store/index.ts';
import type { Desk } from './desk.ts';
import {
  notificationClock,
  VECTOR_LABELS_FR,
  type Compromised,
  type IncidentView,
  type ScopeSummary,
  type Vector,
} from './model.ts';
import type { RecordStep } from './notices.ts';

/** The register of incidents (GDPR Art. 33(5)): their rows, their views and the steps taken. */

export interface StepView {
  at: string;
  kind: string;
  accountId: string | null;
  summary: string;
  details: Record<string, unknown>;
  documentId: string | null;
}

/**
 * A register step, and its ledger event: what happened, who did it, what it produced. The
 * event names the incident and the figures, never a person's value.
 */
export function stepRecorder(clock: Clock): RecordStep {
  return async (trx, incidentId, kind, accountId, summary, details, documentId = null) => {
    const at = clock.now();
    // The incident's row is locked first (an update that changes nothing, not the key), so a step
    // taken at the same time on the same incident waits for this one rather than reading the same
    // last position (PostgreSQL; SQLite runs one write transaction at a time anyway).
    await trx
      .updateTable('incidents')
      .set((eb) => ({ status: eb.ref('status') }))
      .where('id', '=', incidentId)
      .execute();
    const last = await trx
      .selectFrom('incident_steps')
      .select((eb) => eb.fn.max('position').as('p'))
      .where('incident_id', '=', incidentId)
      .executeTakeFirst();
    await trx
      .insertInto('incident_steps')
      .values({
        id: randomUUID(),
        incident_id: incidentId,
        position: Number(last?.p ?? 0) + 1,
        at: at.toISOString(),
        kind,
        account_id: accountId,
        summary,
        details: JSON.stringify(details),
        document_id: documentId,
      })
      .execute();
    await appendEvent(trx, kind, {
      at,
      ...(accountId ? { accountId } : {}),
      operation: 'incident',
      details: { incident: incidentId, ...details, ...(documentId ? { document: documentId } : {}) },
    });
  };
}

/** The incident's id from its id or its reference (INC-2026-0001). */
export async function resolveIncident(db: Executor, idOrReference: string): Promise<string> {
  const byReference = /^INC-/i.test(idOrReference);
  const row = await db
    .selectFrom('incidents')
    .select('id')
    .where(byReference ? 'reference' : 'id', '=', byReference ? idOrReference.toUpperCase() : idOrReference)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('incident');
  return row.id;
}

export async function incidentRow(executor: Executor, id: string): Promise<IncidentsTable> {
  const row = await executor.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('incident');
  return row;
}

/** The incident's row, if it is still open: a closed incident takes no more steps. */
export async function openIncidentRow(executor: Executor, id: string): Promise<IncidentsTable> {
  const row = await incidentRow(executor, id);
  if (row.status === 'closed') throw new ConflictError('Incident clos : rouvrez-en un nouveau.', 'incident_closed');
  return row;
}

/** The scope frozen by the last computation of the blast radius; the steps that need one refuse without. */
export function frozenScope(row: IncidentsTable): ScopeSummary {
  if (!row.scope_summary)
    throw new ConflictError('Calculez d’abord le périmètre de l’incident.', 'incident_not_scoped');
  return JSON.parse(row.scope_summary) as ScopeSummary;
}

export function incidentView(row: IncidentsTable, now: Date): IncidentView {
  return {
    id: row.id,
    reference: row.reference,
    title: row.title,
    vector: row.vector,
    vectorLabel: VECTOR_LABELS_FR[row.vector as Vector] ?? row.vector,
    description: row.description,
    status: row.status,
    source: row.source,
    compromised: JSON.parse(row.compromised) as Compromised,
    window: { from: row.window_from, to: row.window_to },
    awareAt: row.aware_at,
    declaredAt: row.declared_at,
    clock: notificationClock(row.aware_at, now, row.cnil_filed_at),
    scope: row.scope_summary ? (JSON.parse(row.scope_summary) as ScopeSummary) : null,
    cnil: { reference: row.cnil_reference, filedAt: row.cnil_filed_at },
    closedAt: row.closed_at,
  };
}

export async function viewIncident(desk: Desk, id: string): Promise<IncidentView> {
  return incidentView(await incidentRow(desk.db, id), desk.clock.now());
}

export async function listIncidents(
  desk: Desk,
  options: { status?: IncidentsTable['status'] } = {},
): Promise<IncidentView[]> {
  let query = desk.db.selectFrom('incidents').selectAll();
  if (options.status) query = query.where('status', '=', options.status);
  const rows = await query.orderBy('declared_at', 'desc').limit(500).execute();
  return rows.map((r) => incidentView(r, desk.clock.now()));
}

export async function timeline(db: Executor, id: string): Promise<StepView[]> {
  const rows = await db
    .selectFrom('incident_steps')
    .selectAll()
    .where('incident_id', '=', id)
    .orderBy('position')
    .execute();
  return rows.map((r) => ({
    at: r.at,
    kind: r.kind,
    accountId: r.account_id,
    summary: r.summary,
    details: JSON.parse(r.details) as Record<string, unknown>,
    documentId: r.document_id,
  }));
}
