import { ConflictError, ForbiddenError, NotFoundError } from '../domain/index.ts';
import { inTransaction, type IncidentRequestsTable } from '../store/index.ts';
import { amendNow, declareNow, type Amendment } from './declaration.ts';
import type { Desk } from './desk.ts';
import { approverOf, DOWNLOAD_TTL_MS, requesterOf, type RequestView } from './four-eyes.ts';
import type { Declaration } from './model.ts';
import { incidentRow } from './register.ts';
import { actNow, type Action } from './remediation.ts';
import { recordRequestStep, viewRequest } from './requests.ts';

/** Four eyes, the deciding side: a second member of the desk approves (then it is carried out) or refuses. */

type Decider = { accountId: string };

const iso = (d: Date) => d.toISOString();

/**
 * A second member of the desk approves: the request is claimed (a conditional update: of two
 * approvals at once one wins), recorded, then carried out in its requester's name (a document
 * becomes downloadable once, by its requester, for 24 hours). Never by the requester.
 */
export async function approve(
  desk: Desk,
  requestId: string,
  by: Decider,
): Promise<{ request: RequestView; result: unknown }> {
  await approverOf(desk.db, by.accountId);
  const row = await requestRow(desk, requestId);
  if (row.requested_by === by.accountId)
    throw new ForbiddenError(
      'La personne qui a fait la demande ne peut pas l’approuver : une seconde personne du bureau doit le faire.',
      'four_eyes',
    );
  const now = desk.clock.now();
  await pendingOrThrow(desk, row, now);
  await requesterStillEntitled(desk, row);
  await claim(desk, row, by, now);
  if (row.kind === 'document') return { request: await viewRequest(desk, requestId), result: null };
  const requester = { accountId: row.requested_by };
  try {
    const { result, outcome } = await carryOut(desk, row, requester, by.accountId);
    await settle(desk, requestId, 'executed', outcome);
    return { request: await viewRequest(desk, requestId), result };
  } catch (error) {
    await settle(desk, requestId, 'failed', { error: (error as Error).message });
    throw error;
  }
}

/** A requester contained or stripped of the role since: their requests die with them. */
async function requesterStillEntitled(desk: Desk, row: IncidentRequestsTable): Promise<void> {
  try {
    await requesterOf(desk.db, row.requested_by);
  } catch {
    throw new ConflictError(
      'Le demandeur n’est plus habilité (compte suspendu ou rôle retiré) : la demande ne peut pas être approuvée.',
      'requester_inactive',
    );
  }
}

async function claim(desk: Desk, row: IncidentRequestsTable, by: Decider, now: Date): Promise<void> {
  await inTransaction(desk.db, async (trx) => {
    const claimed = await trx
      .updateTable('incident_requests')
      .set({
        status: 'approved',
        decided_by: by.accountId,
        decided_at: iso(now),
        usable_until: row.kind === 'document' ? iso(new Date(now.getTime() + DOWNLOAD_TTL_MS)) : null,
      })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1)
      throw new ConflictError('Cette demande a déjà été traitée.', 'request_not_pending');
    await recordRequestStep(
      desk,
      trx,
      row.incident_id,
      'incident_approval_granted',
      by.accountId,
      `Demande approuvée : ${row.summary}`,
      { request: row.id, kind: row.kind },
    );
  });
}

async function settle(
  desk: Desk,
  requestId: string,
  status: 'executed' | 'failed',
  outcome: Record<string, unknown>,
): Promise<void> {
  await desk.db
    .updateTable('incident_requests')
    .set({ status, outcome: JSON.stringify(outcome) })
    .where('id', '=', requestId)
    .execute();
}

async function carryOut(
  desk: Desk,
  row: IncidentRequestsTable,
  requester: Decider,
  approvedBy: string,
): Promise<{ result: unknown; outcome: Record<string, unknown> }> {
  const payload = JSON.parse(row.payload) as Record<string, unknown>;
  const dates = (p: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(p).map(([k, v]) => [
        k,
        ['windowFrom', 'windowTo', 'awareAt'].includes(k) && typeof v === 'string' ? new Date(v) : v,
      ]),
    );
  switch (row.kind) {
    case 'declare': {
      const view = await declareNow(desk, dates(payload) as unknown as Declaration, requester, {
        request: row.id,
        approvedBy,
      });
      return { result: view, outcome: { incident: view.id, reference: view.reference } };
    }
    case 'amend': {
      const view = await amendNow(desk, row.incident_id!, dates(payload) as Amendment, requester);
      return { result: view, outcome: { incident: view.id } };
    }
    case 'notices_run': {
      const run = await desk.notices.run(
        await incidentRow(desk.db, row.incident_id!),
        requester,
        payload as { batchSize?: number; maxBatches?: number },
      );
      return { result: run, outcome: { ...run } };
    }
    case 'action': {
      const result = await actNow(desk, row.incident_id!, payload.action as Action, requester);
      return { result, outcome: result.figures };
    }
    case 'document':
      throw new Error('a document is downloaded by its requester, not carried out on approval');
  }
}

/** Refused by another member of the desk, or withdrawn by its requester: nothing is carried out. */
export async function refuse(desk: Desk, requestId: string, note: string, by: Decider): Promise<RequestView> {
  const row = await requestRow(desk, requestId);
  if (row.requested_by !== by.accountId) await approverOf(desk.db, by.accountId);
  await pendingOrThrow(desk, row, desk.clock.now());
  await inTransaction(desk.db, async (trx) => {
    const result = await trx
      .updateTable('incident_requests')
      .set({ status: 'refused', decided_by: by.accountId, decided_at: iso(desk.clock.now()), decision_note: note })
      .where('id', '=', requestId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1)
      throw new ConflictError('Cette demande a déjà été traitée.', 'request_not_pending');
    const withdrawn = row.requested_by === by.accountId;
    await recordRequestStep(
      desk,
      trx,
      row.incident_id,
      'incident_approval_refused',
      by.accountId,
      `Demande ${withdrawn ? 'retirée' : 'refusée'} : ${row.summary}`,
      { request: requestId, kind: row.kind, withdrawn },
    );
  });
  return viewRequest(desk, requestId);
}

async function requestRow(desk: Desk, requestId: string): Promise<IncidentRequestsTable> {
  const row = await desk.db.selectFrom('incident_requests').selectAll().where('id', '=', requestId).executeTakeFirst();
  if (!row) throw new NotFoundError('demande');
  return row;
}

async function pendingOrThrow(desk: Desk, row: IncidentRequestsTable, now: Date): Promise<void> {
  if (row.status !== 'pending') throw new ConflictError('Cette demande a déjà été traitée.', 'request_not_pending');
  if (row.expires_at <= iso(now)) {
    await desk.db
      .updateTable('incident_requests')
      .set({ status: 'expired' })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .execute();
    throw new ConflictError(
      'Cette demande a expiré (48 heures sans approbation) : elle doit être refaite.',
      'request_expired',
    );
  }
}
