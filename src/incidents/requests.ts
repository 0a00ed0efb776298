import { randomUUID } from 'node:crypto';
import { ConflictError, frenchDay, NotFoundError } from '../domain/index.ts';
import { loginsOf } from '../identity/index.ts';
import { appendEvent, type EventKind } from '../ledger/index.ts';
import { inTransaction, type Executor, type IncidentRequestsTable } from '../store/index.ts';
import { checkDeclaration } from './declaration-check.ts';
import { amended, type Amendment } from './declaration.ts';
import type { Desk } from './desk.ts';
import { listDocuments } from './documents.ts';
import {
  organisationsSpanned,
  PERSONAL_DOCUMENTS,
  REQUEST_TTL_MS,
  requesterOf,
  requestView,
  type RequestKind,
  type RequestView,
} from './four-eyes.ts';
import type { Declaration } from './model.ts';
import { incidentRow, openIncidentRow } from './register.ts';
import { actionNeedsApproval, type Action } from './remediation.ts';

/**
 * Four eyes, the asking side: what one desk member may not do alone becomes a request for a
 * second person (src/incidents/four-eyes.ts says what needs one; approvals.ts decides them).
 */

type Requester = { accountId: string };

const iso = (d: Date) => d.toISOString();

/** A declaration reaching several organisations, for a second person to approve; checked now, nothing else written. */
export async function requestDeclaration(desk: Desk, input: Declaration, by: Requester): Promise<RequestView> {
  await checkDeclaration(desk.db, input, desk.clock.now());
  const organisations = (await organisationsSpanned(desk.db, input.compromised)).length;
  const payload = {
    ...input,
    windowFrom: iso(input.windowFrom),
    windowTo: iso(input.windowTo),
    awareAt: iso(input.awareAt),
  };
  return submit(desk, {
    kind: 'declare',
    incidentId: null,
    payload,
    summary: `Déclarer l’incident « ${input.title} » : ${organisations} organisation(s), du ${frenchDay(input.windowFrom)} au ${frenchDay(input.windowTo)}`,
    accountId: by.accountId,
    details: { organisations },
  });
}

export async function requestAmendment(
  desk: Desk,
  id: string,
  changes: Amendment,
  by: Requester,
): Promise<RequestView> {
  const row = await openIncidentRow(desk.db, id);
  const next = amended(row, changes);
  await checkDeclaration(desk.db, next, desk.clock.now());
  const organisations = (await organisationsSpanned(desk.db, next.compromised)).length;
  const payload = Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, v instanceof Date ? iso(v) : v]));
  return submit(desk, {
    kind: 'amend',
    incidentId: id,
    payload,
    summary: `Modifier l’incident ${row.reference} (${Object.keys(changes).join(', ')}) : ${organisations} organisation(s), du ${frenchDay(next.windowFrom)} au ${frenchDay(next.windowTo)}`,
    accountId: by.accountId,
    details: { organisations },
  });
}

export async function requestNotices(
  desk: Desk,
  id: string,
  options: { batchSize?: number; maxBatches?: number },
  by: Requester,
): Promise<RequestView> {
  const row = await openIncidentRow(desk.db, id);
  const status = await desk.notices.status(id);
  const left = (status.byStatus.pending ?? 0) + (status.byStatus.sending ?? 0);
  if (left === 0) throw new ConflictError('Aucun avis à envoyer : planifiez d’abord les avis.', 'no_notice_pending');
  return submit(desk, {
    kind: 'notices_run',
    incidentId: id,
    payload: options,
    summary: `Envoyer les avis de l’incident ${row.reference} : ${left} avis restant(s) (courriels et courriers)`,
    accountId: by.accountId,
    details: { notices: left },
  });
}

export async function requestDocument(desk: Desk, id: string, documentId: string, by: Requester): Promise<RequestView> {
  const row = await incidentRow(desk.db, id);
  const info = (await listDocuments(desk.db, id)).find((d) => d.id === documentId);
  if (!info) throw new NotFoundError('document');
  if (!PERSONAL_DOCUMENTS.includes(info.kind))
    throw new ConflictError(
      'Ce document ne nomme personne : il se télécharge sans approbation.',
      'approval_not_needed',
    );
  const persons =
    info.kind === 'letters_pdf'
      ? (
          await desk.db
            .selectFrom('incident_notices')
            .select('person_id')
            .distinct()
            .where('document_id', '=', documentId)
            .execute()
        ).length
      : undefined;
  return submit(desk, {
    kind: 'document',
    incidentId: id,
    payload: { documentId },
    summary: `Télécharger « ${info.title} » (incident ${row.reference}${persons !== undefined ? `, ${persons} personne(s) nommée(s)` : ''})`,
    accountId: by.accountId,
    details: { document: documentId, kind: info.kind },
  });
}

export async function requestAction(desk: Desk, id: string, action: Action, by: Requester): Promise<RequestView> {
  if (!actionNeedsApproval(action))
    throw new ConflictError('Cette mesure s’applique sans approbation.', 'approval_not_needed');
  const row = await openIncidentRow(desk.db, id);
  return submit(desk, {
    kind: 'action',
    incidentId: id,
    payload: { action },
    summary: `Mesure corrective « ${action} » sur l’incident ${row.reference}`,
    accountId: by.accountId,
    details: { action },
  });
}

interface Submission {
  kind: RequestKind;
  incidentId: string | null;
  payload: object;
  summary: string;
  accountId: string;
  details: Record<string, string | number>;
}

async function submit(desk: Desk, submission: Submission): Promise<RequestView> {
  const { kind, incidentId, summary, accountId } = submission;
  await requesterOf(desk.db, accountId);
  const now = desk.clock.now();
  const id = randomUUID();
  await inTransaction(desk.db, async (trx) => {
    await trx
      .insertInto('incident_requests')
      .values({
        id,
        incident_id: incidentId,
        kind,
        payload: JSON.stringify(submission.payload),
        summary,
        status: 'pending',
        requested_by: accountId,
        requested_at: iso(now),
        expires_at: iso(new Date(now.getTime() + REQUEST_TTL_MS)),
        decided_by: null,
        decided_at: null,
        decision_note: null,
        usable_until: null,
        used_at: null,
        outcome: null,
      })
      .execute();
    await recordRequestStep(
      desk,
      trx,
      incidentId,
      'incident_approval_requested',
      accountId,
      `Demande soumise à une seconde personne : ${summary}`,
      { request: id, kind, ...submission.details },
    );
  });
  return viewRequest(desk, id);
}

/** A step of the incident's register when there is an incident, else a ledger event of its own (a declaration not yet approved). */
export async function recordRequestStep(
  desk: Desk,
  trx: Executor,
  incidentId: string | null,
  kind: EventKind,
  accountId: string,
  summary: string,
  details: Record<string, string | number | boolean | null>,
): Promise<void> {
  if (incidentId) await desk.step(trx, incidentId, kind, accountId, summary, details);
  else await appendEvent(trx, kind, { at: desk.clock.now(), accountId, operation: 'incident', details });
}

function requestQuery(db: Executor) {
  return db.selectFrom('incident_requests').selectAll('incident_requests');
}

/** The requests with who asked and who decided by login (identity's answer: the accounts are its). */
async function withLogins(db: Executor, rows: readonly IncidentRequestsTable[]) {
  const logins = await loginsOf(
    db,
    rows.flatMap((r) => [r.requested_by, r.decided_by]),
  );
  return rows.map((r) => ({
    ...r,
    requester_login: logins.get(r.requested_by) ?? null,
    decider_login: r.decided_by ? (logins.get(r.decided_by) ?? null) : null,
  }));
}

export async function viewRequest(desk: Desk, requestId: string): Promise<RequestView> {
  const row = await requestQuery(desk.db).where('incident_requests.id', '=', requestId).executeTakeFirst();
  if (!row) throw new NotFoundError('demande');
  return requestView((await withLogins(desk.db, [row]))[0]!, desk.clock.now());
}

/** Requests, newest first; those awaiting a decision with `status: 'pending'`. */
export async function listRequests(
  desk: Desk,
  options: { incidentId?: string; status?: IncidentRequestsTable['status']; limit?: number } = {},
): Promise<RequestView[]> {
  let query = requestQuery(desk.db);
  if (options.incidentId) query = query.where('incident_requests.incident_id', '=', options.incidentId);
  // Lapsed requests are still `pending` or `approved` in their row: their view says `expired`.
  if (options.status)
    query = query.where(
      'incident_requests.status',
      'in',
      options.status === 'expired' ? ['expired', 'pending', 'approved'] : [options.status],
    );
  const rows = await query
    .orderBy('incident_requests.requested_at', 'desc')
    .orderBy('incident_requests.id')
    .limit(options.limit ?? 200)
    .execute();
  const now = desk.clock.now();
  return (await withLogins(desk.db, rows))
    .map((r) => requestView(r, now))
    .filter((v) => !options.status || v.status === options.status);
}
