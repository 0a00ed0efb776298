import type { IncidentRequestsTable, IncidentsTable } from '../store/index.ts';
import { approve, refuse } from './approvals.ts';
import type { ScopeProgress } from './blast-radius.ts';
import { draftCnil, markCnilFiled, type CnilDocuments } from './cnil-report.ts';
import {
  amend,
  amendmentNeedsApproval,
  closeIncident,
  declarationNeedsApproval,
  declare,
  openFromContainment,
  type Amendment,
} from './declaration.ts';
import type { By, Desk, IncidentDeps } from './desk.ts';
import { incidentDocuments, openIncidentDocument } from './document-flow.ts';
import type { DocumentInfo } from './documents.ts';
import { fourEyesRequired, type DownloadGate, type RequestView } from './four-eyes.ts';
import type { BlastRadius, Compromised, Declaration, Exposure, IncidentView } from './model.ts';
import { NoticeBatch, type NoticeRun, type NoticeStatus } from './notices.ts';
import {
  frozenScope,
  incidentRow,
  listIncidents,
  openIncidentRow,
  resolveIncident,
  stepRecorder,
  timeline,
  viewIncident,
  type StepView,
} from './register.ts';
import { act, type Action, type ActionResult } from './remediation.ts';
import {
  listRequests,
  requestAction,
  requestAmendment,
  requestDeclaration,
  requestDocument,
  requestNotices,
  viewRequest,
} from './requests.ts';
import { exportScope, exposures, scope } from './scoping.ts';

/**
 * The incident desk: declare a compromise, measure its blast radius from the ledger, assess the
 * risk per person, draft the CNIL notification, notify the persons, remediate, and keep the
 * register (GDPR Art. 33(5)) of every step. Each verb lives in a module of its own (declaration,
 * scoping, cnil-report, remediation, document-flow, requests, approvals, register); this class
 * binds them to the desk's dependencies for the routes, the command line and the runtime.
 */
export class Incidents {
  readonly #desk: Desk;

  constructor(deps: IncidentDeps) {
    const step = stepRecorder(deps.clock);
    this.#desk = { ...deps, step, notices: new NoticeBatch(deps, step) };
  }

  // ---- Declaring, amending, closing ----

  declare(input: Declaration, by: By): Promise<IncidentView> {
    return declare(this.#desk, input, by);
  }

  declarationNeedsApproval(compromised: Compromised): Promise<boolean> {
    return declarationNeedsApproval(this.#desk, compromised);
  }

  openFromContainment(containment: {
    id: string;
    actorId: string | null;
    organisationId: string;
    signal: string;
    at: string;
  }): Promise<string | undefined> {
    return openFromContainment(this.#desk, containment);
  }

  amend(id: string, changes: Amendment, by: By): Promise<IncidentView> {
    return amend(this.#desk, id, changes, by);
  }

  amendmentNeedsApproval(id: string, changes: Amendment): Promise<boolean> {
    return amendmentNeedsApproval(this.#desk, id, changes);
  }

  close(id: string, note: string, by: By): Promise<IncidentView> {
    return closeIncident(this.#desk, id, note, by);
  }

  // ---- The register ----

  resolve(idOrReference: string): Promise<string> {
    return resolveIncident(this.#desk.db, idOrReference);
  }

  view(id: string): Promise<IncidentView> {
    return viewIncident(this.#desk, id);
  }

  list(options: { status?: IncidentsTable['status'] } = {}): Promise<IncidentView[]> {
    return listIncidents(this.#desk, options);
  }

  timeline(id: string): Promise<StepView[]> {
    return timeline(this.#desk.db, id);
  }

  // ---- The blast radius ----

  scope(id: string, by: By, progress?: ScopeProgress): Promise<BlastRadius> {
    return scope(this.#desk, id, by, progress);
  }

  exposures(
    id: string,
    options: { decoys?: boolean; afterPersonId?: string; limit?: number } = {},
  ): Promise<Exposure[]> {
    return exposures(this.#desk.db, id, options);
  }

  exportScope(id: string, by: By): Promise<DocumentInfo> {
    return exportScope(this.#desk, id, by);
  }

  // ---- The CNIL notification and the documents ----

  draftCnil(id: string, by: By): Promise<CnilDocuments> {
    return draftCnil(this.#desk, id, by);
  }

  markCnilFiled(id: string, filing: { reference: string; filedAt: Date }, by: By): Promise<IncidentView> {
    return markCnilFiled(this.#desk, id, filing, by);
  }

  documents(id: string): Promise<DocumentInfo[]> {
    return incidentDocuments(this.#desk.db, id);
  }

  openDocument(
    id: string,
    documentId: string,
    by: By,
    gate?: DownloadGate,
  ): Promise<{ info: DocumentInfo; content: Buffer }> {
    return openIncidentDocument(this.#desk, id, documentId, by, gate);
  }

  // ---- Notices to the persons (Art. 34) ----

  async planNotices(id: string, by: By): Promise<{ planned: number; already: number }> {
    const row = await openIncidentRow(this.#desk.db, id);
    frozenScope(row);
    return this.#desk.notices.plan(row, by);
  }

  /** Sending the notices reads every exposed person's identity and contact and prints letters: a desk member does it on approval only (`requestNotices`). */
  async runNotices(
    id: string,
    by: By,
    options: { batchSize?: number; maxBatches?: number; progress?: ScopeProgress } = {},
  ): Promise<NoticeRun> {
    if (by.accountId !== null) throw fourEyesRequired('L’envoi des avis aux personnes');
    return this.#desk.notices.run(await incidentRow(this.#desk.db, id), by, options);
  }

  noticeStatus(id: string): Promise<NoticeStatus> {
    return this.#desk.notices.status(id);
  }

  // ---- Remediation ----

  act(id: string, action: Action, by: By): Promise<ActionResult> {
    return act(this.#desk, id, action, by);
  }

  // ---- Four eyes: requests, approvals, refusals (src/incidents/four-eyes.ts says what needs them) ----

  requestDeclaration(input: Declaration, by: { accountId: string }): Promise<RequestView> {
    return requestDeclaration(this.#desk, input, by);
  }

  requestAmendment(id: string, changes: Amendment, by: { accountId: string }): Promise<RequestView> {
    return requestAmendment(this.#desk, id, changes, by);
  }

  requestNotices(
    id: string,
    options: { batchSize?: number; maxBatches?: number },
    by: { accountId: string },
  ): Promise<RequestView> {
    return requestNotices(this.#desk, id, options, by);
  }

  requestDocument(id: string, documentId: string, by: { accountId: string }): Promise<RequestView> {
    return requestDocument(this.#desk, id, documentId, by);
  }

  requestAction(id: string, action: Action, by: { accountId: string }): Promise<RequestView> {
    return requestAction(this.#desk, id, action, by);
  }

  approve(requestId: string, by: { accountId: string }): Promise<{ request: RequestView; result: unknown }> {
    return approve(this.#desk, requestId, by);
  }

  refuse(requestId: string, note: string, by: { accountId: string }): Promise<RequestView> {
    return refuse(this.#desk, requestId, note, by);
  }

  request(requestId: string): Promise<RequestView> {
    return viewRequest(this.#desk, requestId);
  }

  /** Requests, newest first; those awaiting a decision with `status: 'pending'`. */
  requests(
    options: { incidentId?: string; status?: IncidentRequestsTable['status']; limit?: number } = {},
  ): Promise<RequestView[]> {
    return listRequests(this.#desk, options);
  }
}
