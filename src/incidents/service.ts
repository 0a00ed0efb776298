import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  type FieldClass,
  type ValidationIssue as Issue,
} from '../domain/index.ts';
import { revokeAllSessions, revokeMachineClient } from '../identity/index.ts';
import { appendEvent, appendEvents, parseBody, type EventInput, type EventKind, type Ledger } from '../ledger/index.ts';
import { inTransaction, type Executor, type IncidentRequestsTable, type IncidentsTable } from '../store/index.ts';
import {
  actorsOfClients,
  actorsOfSessions,
  computeBlastRadius,
  storedExposures,
  storeExposures,
  type ScopeProgress,
} from './blast-radius.ts';
import { buildCnilDraft, cnilSections, type CnilDraft } from './cnil.ts';
import {
  latestDocument,
  listDocuments,
  nextVersion,
  openDocument,
  sha256Hex,
  storeDocument,
  type DocumentInfo,
} from './documents.ts';
import {
  approverOf,
  DOWNLOAD_TTL_MS,
  DownloadRefusedError,
  FOUR_EYES_ACTIONS,
  fourEyesRequired,
  organisationsSpanned,
  PERSONAL_DOCUMENTS,
  REQUEST_TTL_MS,
  requesterOf,
  requestView,
  type DownloadGate,
  type RequestKind,
  type RequestView,
} from './four-eyes.ts';
import {
  notificationClock,
  VECTOR_LABELS_FR,
  VECTORS,
  type BlastRadius,
  type CitedCheckpoint,
  type Compromised,
  type Declaration,
  type Exposure,
  type IncidentView,
  type ScopeSummary,
  type Vector,
} from './model.ts';
import { NoticeBatch, type NoticeDeps, type NoticeRun, type NoticeStatus } from './notices.ts';
import { renderReport } from './pdf.ts';
import { assessRisk, type Harm } from './risk.ts';

/** Placing a hold on a person's bank-detail changes (the bank capability's, injected by the runtime). */
export type PlaceBankHold = (
  personId: string,
  hold: { reference: string; note: string },
  event: EventInput,
) => Promise<'placed' | 'already'>;

export interface IncidentDeps extends NoticeDeps {
  ledger: Ledger;
  placeBankHold: PlaceBankHold;
}

export const ACTIONS = [
  'revoke_access',
  'force_reenrolment',
  'hold_bank_changes',
  'check_decoys',
  'check_exports',
] as const;
export type Action = (typeof ACTIONS)[number];

export interface ActionResult {
  action: Action;
  summary: string;
  figures: Record<string, number | string>;
  /** For the checks: what was found (ids, never values). */
  findings?: Array<Record<string, unknown>>;
}

export interface StepView {
  at: string;
  kind: string;
  accountId: string | null;
  summary: string;
  details: Record<string, unknown>;
  documentId: string | null;
}

const EMPTY: Compromised = { actors: [], organisations: [], clients: [], sessions: [] };

export type Amendment = Partial<
  Pick<Declaration, 'compromised' | 'windowFrom' | 'windowTo' | 'awareAt' | 'description' | 'vector' | 'title'>
>;

/** Remediation that wipes credentials waits for a second person. */
export function actionNeedsApproval(action: Action): boolean {
  return (FOUR_EYES_ACTIONS as readonly string[]).includes(action);
}

const frenchDay = (d: Date) =>
  d.toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris', day: 'numeric', month: 'long', year: 'numeric' });
const iso = (d: Date) => d.toISOString();

/**
 * The incident desk: declare a compromise, measure its blast radius from the ledger, assess the
 * risk per person, draft the CNIL notification, notify the persons, remediate, and keep the
 * register (GDPR Art. 33(5)) of every step.
 */
export class Incidents {
  readonly #d: IncidentDeps;
  readonly #notices: NoticeBatch;

  constructor(deps: IncidentDeps) {
    this.#d = deps;
    this.#notices = new NoticeBatch(deps, (trx, incidentId, kind, accountId, summary, details, documentId) =>
      this.#step(trx, incidentId, kind, accountId, summary, details, documentId),
    );
  }

  #now(): Date {
    return this.#d.clock.now();
  }

  /**
   * A security officer declares an incident; nothing is written unless every field holds. One that
   * reaches more than one organisation takes a second person's approval (`requestDeclaration`);
   * the operator's command line (no account) declares alone.
   */
  async declare(input: Declaration, by: { accountId: string | null }): Promise<IncidentView> {
    await this.#checkDeclaration(input, this.#now());
    if (by.accountId !== null && (await this.declarationNeedsApproval(input.compromised)))
      throw fourEyesRequired('Un incident qui touche plusieurs organisations');
    return this.#declareNow(input, by);
  }

  /** Whether a compromise reaches more than one organisation (then declaring or widening it takes four eyes). */
  async declarationNeedsApproval(compromised: Compromised): Promise<boolean> {
    return (await organisationsSpanned(this.#d.db, compromised)).length > 1;
  }

  async #declareNow(
    input: Declaration,
    by: { accountId: string | null },
    approval?: { request: string; approvedBy: string },
  ): Promise<IncidentView> {
    const now = this.#now();
    await this.#checkDeclaration(input, now);
    const id = await this.#insert(
      { ...input, source: 'manual', containmentId: null, declaredBy: by.accountId, ...(approval ? { approval } : {}) },
      now,
    );
    return this.view(id);
  }

  /**
   * The guard contained an actor (or suspended an organisation): an incident is opened for it, its
   * window the week before (the guard's longest look-back), its awareness the containment. A
   * security officer narrows or widens it afterwards. Once per containment.
   */
  async openFromContainment(containment: {
    id: string;
    actorId: string | null;
    organisationId: string;
    signal: string;
    at: string;
  }): Promise<string | undefined> {
    const existing = await this.#d.db
      .selectFrom('incidents')
      .select('id')
      .where('containment_id', '=', containment.id)
      .executeTakeFirst();
    if (existing) return existing.id;
    const at = new Date(containment.at);
    const compromised: Compromised = containment.actorId
      ? { ...EMPTY, actors: [containment.actorId] }
      : { ...EMPTY, organisations: [containment.organisationId] };
    try {
      return await this.#insert(
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
        this.#now(),
      );
    } catch (error) {
      // Two deliveries of one containment at once: the unique column kept one.
      const again = await this.#d.db
        .selectFrom('incidents')
        .select('id')
        .where('containment_id', '=', containment.id)
        .executeTakeFirst();
      if (again) return again.id;
      throw error;
    }
  }

  async #checkDeclaration(
    input: Pick<Declaration, 'compromised' | 'windowFrom' | 'windowTo' | 'awareAt' | 'vector'>,
    now: Date,
  ): Promise<void> {
    const issues: Issue[] = [];
    const c = input.compromised;
    if (!(VECTORS as readonly string[]).includes(input.vector))
      issues.push({ field: 'body.vector', rule: 'enum', message: `vecteur inconnu (attendu : ${VECTORS.join(', ')})` });
    if (c.actors.length + c.organisations.length + c.clients.length + c.sessions.length === 0) {
      issues.push({
        field: 'body.compromised',
        rule: 'required',
        message: 'au moins une identité compromise : compte, organisation, client machine ou session',
      });
    }
    if (!(input.windowFrom < input.windowTo))
      issues.push({ field: 'body.windowTo', rule: 'after', message: 'la fin de la fenêtre doit suivre son début' });
    if (input.windowFrom.getTime() > now.getTime())
      issues.push({
        field: 'body.windowFrom',
        rule: 'past',
        message: 'la fenêtre ne peut pas commencer dans le futur',
      });
    if (input.awareAt.getTime() > now.getTime() + 60_000)
      issues.push({
        field: 'body.awareAt',
        rule: 'past',
        message: 'la prise de connaissance ne peut pas être dans le futur',
      });
    if (input.awareAt < input.windowFrom)
      issues.push({
        field: 'body.awareAt',
        rule: 'after',
        message: 'la prise de connaissance ne peut pas précéder le début de la fenêtre',
      });
    const db = this.#d.db;
    const missing = async (
      table: 'actors' | 'organisations' | 'machine_clients',
      ids: readonly string[],
      field: string,
    ) => {
      if (!ids.length) return;
      const found = new Set(
        (
          await db
            .selectFrom(table)
            .select('id')
            .where('id', 'in', [...ids])
            .execute()
        ).map((r) => r.id),
      );
      ids.forEach((id, i) => {
        if (!found.has(id))
          issues.push({ field: `body.compromised.${field}[${i}]`, rule: 'exists', message: 'identifiant inconnu' });
      });
    };
    await missing('actors', c.actors, 'actors');
    await missing('organisations', c.organisations, 'organisations');
    await missing('machine_clients', c.clients, 'clients');
    const staff = await actorsOfSessions(db, c.sessions);
    c.sessions.forEach((id, i) => {
      if (!staff.has(id))
        issues.push({ field: `body.compromised.sessions[${i}]`, rule: 'exists', message: 'session inconnue' });
      else if (!staff.get(id))
        issues.push({
          field: `body.compromised.sessions[${i}]`,
          rule: 'staff',
          message: 'seule une session professionnelle peut être déclarée compromise',
        });
    });
    if (issues.length) throw new ValidationError(issues);
  }

  async #insert(
    input: Declaration & {
      source: IncidentsTable['source'];
      containmentId: string | null;
      declaredBy: string | null;
      approval?: { request: string; approvedBy: string };
    },
    now: Date,
  ): Promise<string> {
    const id = randomUUID();
    for (let attempt = 0; ; attempt++) {
      try {
        await inTransaction(this.#d.db, async (trx) => {
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
          await this.#step(
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

  /** The incident's id from its id or its reference (INC-2026-0001). */
  async resolve(idOrReference: string): Promise<string> {
    const byReference = /^INC-/i.test(idOrReference);
    const row = await this.#d.db
      .selectFrom('incidents')
      .select('id')
      .where(byReference ? 'reference' : 'id', '=', byReference ? idOrReference.toUpperCase() : idOrReference)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('incident');
    return row.id;
  }

  async #row(id: string, executor: Executor = this.#d.db): Promise<IncidentsTable> {
    const row = await executor.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('incident');
    return row;
  }

  async #open(id: string): Promise<IncidentsTable> {
    const row = await this.#row(id);
    if (row.status === 'closed') throw new ConflictError('Incident clos : rouvrez-en un nouveau.', 'incident_closed');
    return row;
  }

  /**
   * A register step, and its ledger event: what happened, who did it, what it produced. The
   * event names the incident and the figures, never a person's value.
   */
  async #step(
    trx: Executor,
    incidentId: string,
    kind: EventKind,
    accountId: string | null,
    summary: string,
    details: Record<string, string | number | boolean | null>,
    documentId: string | null = null,
  ): Promise<void> {
    const at = this.#now();
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
        at: iso(at),
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
  }

  /** Change what was compromised, the window or the facts (the scope must be recomputed; a complementary notification follows). */
  async amend(id: string, changes: Amendment, by: { accountId: string | null }): Promise<IncidentView> {
    if (by.accountId !== null && (await this.amendmentNeedsApproval(id, changes)))
      throw fourEyesRequired('Étendre un incident à plusieurs organisations');
    return this.#amendNow(id, changes, by);
  }

  /** Changing the identities or the window of an incident that then reaches several organisations takes four eyes. */
  async amendmentNeedsApproval(id: string, changes: Amendment): Promise<boolean> {
    const row = await this.#open(id);
    if (!changes.compromised && !changes.windowFrom && !changes.windowTo) return false;
    await this.#checkDeclaration(this.#amended(row, changes), this.#now());
    return this.declarationNeedsApproval(changes.compromised ?? (JSON.parse(row.compromised) as Compromised));
  }

  #amended(row: IncidentsTable, changes: Amendment) {
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

  async #amendNow(id: string, changes: Amendment, by: { accountId: string | null }): Promise<IncidentView> {
    const row = await this.#open(id);
    const next = this.#amended(row, changes);
    await this.#checkDeclaration(next, this.#now());
    await inTransaction(this.#d.db, async (trx) => {
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
        .execute();
      await this.#step(
        trx,
        id,
        'incident_amended',
        by.accountId,
        `Incident modifié (${Object.keys(changes).join(', ')}) : le périmètre est à recalculer`,
        { fields: Object.keys(changes).join(',') },
      );
    });
    return this.view(id);
  }

  /**
   * The blast radius, from the ledger. The ledger is first brought up to date (pending events
   * integrated, a checkpoint signed), so the result covers every event recorded until now and
   * cites the signed checkpoint of exactly that size.
   */
  async scope(id: string, by: { accountId: string | null }, progress?: ScopeProgress): Promise<BlastRadius> {
    const row = await this.#open(id);
    await this.#d.ledger.integrate();
    await this.#d.ledger.checkpoint(this.#now());
    const size = await this.#d.ledger.size();
    const signed = await this.#d.ledger.latestCheckpoint();
    const checkpoint: CitedCheckpoint | null = signed
      ? { size: Number(signed.size), root: signed.root.toString('hex'), at: signed.at }
      : null;
    const radius = await computeBlastRadius(
      this.#d.db,
      {
        incidentId: id,
        reference: row.reference,
        compromised: JSON.parse(row.compromised) as Compromised,
        windowFrom: row.window_from,
        windowTo: row.window_to,
      },
      { size, checkpoint },
      progress,
    );
    const { persons: _p, decoys: _d, ...summary } = radius;
    await inTransaction(this.#d.db, async (trx) => {
      await storeExposures(trx, radius);
      await trx
        .updateTable('incidents')
        .set({ scope_summary: JSON.stringify(summary) })
        .where('id', '=', id)
        .execute();
      const t = radius.totals;
      await this.#step(
        trx,
        id,
        'incident_scoped',
        by.accountId,
        radius.empty
          ? 'Périmètre calculé : aucune donnée n’est sortie par ces identités dans cette fenêtre'
          : `Périmètre calculé : ${t.persons} personne(s) exposée(s), ${t.decoys} leurre(s), ${radius.events} consultation(s)`,
        {
          persons: t.persons,
          decoys: t.decoys,
          events: radius.events,
          high: t.byRisk.high,
          medium: t.byRisk.medium,
          low: t.byRisk.low,
          ledgerSize: size,
          checkpointRoot: checkpoint?.root ?? null,
        },
      );
    });
    return radius;
  }

  #scopeOrThrow(row: IncidentsTable): ScopeSummary {
    if (!row.scope_summary)
      throw new ConflictError('Calculez d’abord le périmètre de l’incident.', 'incident_not_scoped');
    return JSON.parse(row.scope_summary) as ScopeSummary;
  }

  async exposures(
    id: string,
    options: { decoys?: boolean; afterPersonId?: string; limit?: number } = {},
  ): Promise<Exposure[]> {
    await this.#row(id);
    return storedExposures(this.#d.db, id, options);
  }

  /** The exposures as CSV (one row per person, decoys flagged), kept as a document. */
  async exportScope(id: string, by: { accountId: string | null }): Promise<DocumentInfo> {
    const row = await this.#row(id);
    const scope = this.#scopeOrThrow(row);
    const rows: string[][] = [];
    for (const decoys of [false, true]) {
      for (const e of await storedExposures(this.#d.db, id, { decoys })) {
        rows.push([
          e.personId,
          decoys ? 'leurre' : 'personne',
          e.classes.join(' '),
          e.firstAt,
          e.lastAt,
          e.via.join(' '),
          String(e.events),
          e.risk,
          e.rules.join(' '),
        ]);
      }
    }
    const content = Buffer.from(
      stringify([
        [
          'personne',
          'nature',
          'classes',
          'premiere_exposition',
          'derniere_exposition',
          'via_acteurs',
          'consultations',
          'risque',
          'regles',
        ],
        ...rows,
      ]),
      'utf8',
    );
    return this.#produce(
      row,
      'scope_csv',
      `Périmètre ${row.reference}`,
      'text/csv; charset=utf-8',
      content,
      scope.ledger.size,
      by.accountId,
    );
  }

  /** Store a document unless the latest of its kind is byte for byte the same (then that one is the answer). */
  async #produce(
    row: IncidentsTable,
    kind: 'scope_csv' | 'cnil_json' | 'cnil_pdf',
    title: string,
    mediaType: string,
    content: Buffer,
    ledgerSize: number,
    accountId: string | null,
  ): Promise<DocumentInfo> {
    const latest = await latestDocument(this.#d.db, row.id, kind);
    if (latest && latest.sha256 === sha256Hex(content)) return latest;
    return inTransaction(this.#d.db, async (trx) => {
      const version = await nextVersion(trx, row.id, kind);
      const doc = await storeDocument(trx, this.#d.keyring(), {
        incidentId: row.id,
        kind,
        version,
        title: `${title} (v${version})`,
        mediaType,
        createdAt: iso(this.#now()),
        createdBy: accountId,
        ledgerSize,
        content,
      });
      await this.#step(
        trx,
        row.id,
        'incident_document_produced',
        accountId,
        `Document produit : ${doc.title}`,
        { kind, version, sha256: doc.sha256, bytes: doc.bytes },
        doc.id,
      );
      return doc;
    });
  }

  /**
   * The CNIL notification draft, as JSON and PDF. Its "as of" instant is the last step that
   * changed the incident (not the clock), so drafting again without a change gives the same
   * documents, and the same ledger size the same figures.
   */
  async draftCnil(
    id: string,
    by: { accountId: string | null },
  ): Promise<{ draft: CnilDraft; json: DocumentInfo; pdf: DocumentInfo }> {
    const row = await this.#row(id);
    const scope = this.#scopeOrThrow(row);
    const steps = (await this.timeline(id)).filter(
      (s) => s.kind !== 'incident_document_produced' && s.kind !== 'incident_document_read',
    );
    const asOf = steps.length ? steps[steps.length - 1]!.at : row.declared_at;
    const harms = new Set<Harm>();
    const classesSeen = await this.#d.db
      .selectFrom('incident_exposures')
      .select('classes')
      .distinct()
      .where('incident_id', '=', id)
      .where('decoy', '=', 0)
      .execute();
    for (const r of classesSeen) for (const h of assessRisk(JSON.parse(r.classes) as FieldClass[]).harms) harms.add(h);
    const notices = await this.#notices.status(id);
    const latestJson = await latestDocument(this.#d.db, id, 'cnil_json');
    const draft = buildCnilDraft({
      version: (latestJson?.version ?? 0) + 1,
      asOf,
      controller: this.#d.controller,
      dpo: this.#d.dpoContact,
      incident: {
        reference: row.reference,
        title: row.title,
        vector: row.vector,
        description: row.description,
        awareAt: row.aware_at,
        windowFrom: row.window_from,
        windowTo: row.window_to,
        status: row.status,
        compromised: JSON.parse(row.compromised) as Compromised,
        cnilReference: row.cnil_reference,
      },
      clock: notificationClock(row.aware_at, new Date(asOf), row.cnil_filed_at),
      scope,
      harms: [...harms].sort(),
      measuresTaken: steps
        .filter((s) => s.kind === 'incident_action')
        .map(
          (s) =>
            `${s.summary} (${new Date(s.at).toLocaleString('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' })})`,
        ),
      notices: { planned: notices.planned, sent: notices.byStatus.sent ?? 0, printed: notices.byStatus.printed ?? 0 },
      timeline: steps.map((s) => ({ at: s.at, step: s.summary })),
    });
    // The version is part of the content: compare against the latest with its own number first.
    if (latestJson) {
      const same = { ...draft, notification: { ...draft.notification, version: latestJson.version } };
      if (sha256Hex(Buffer.from(JSON.stringify(same, null, 2) + '\n', 'utf8')) === latestJson.sha256) {
        const pdf = (await latestDocument(this.#d.db, id, 'cnil_pdf'))!;
        return { draft: same, json: latestJson, pdf };
      }
    }
    const json = await this.#produce(
      row,
      'cnil_json',
      `Notification CNIL ${row.reference}`,
      'application/json',
      Buffer.from(JSON.stringify(draft, null, 2) + '\n', 'utf8'),
      scope.ledger.size,
      by.accountId,
    );
    const pdfContent = await renderReport(
      new Date(asOf),
      `Notification de violation de données — ${row.reference}`,
      `Projet établi par Rempart pour le formulaire de notification de la CNIL (RGPD, article 33). ${draft.deadline.label}.`,
      cnilSections(draft),
    );
    const pdf = await this.#produce(
      row,
      'cnil_pdf',
      `Notification CNIL ${row.reference} (PDF)`,
      'application/pdf',
      pdfContent,
      scope.ledger.size,
      by.accountId,
    );
    return { draft, json, pdf };
  }

  /** The DPO filed the notification on the CNIL's service: its case number; later drafts are complementary. */
  async markCnilFiled(
    id: string,
    filing: { reference: string; filedAt: Date },
    by: { accountId: string | null },
  ): Promise<IncidentView> {
    const row = await this.#row(id);
    if (row.cnil_reference)
      throw new ConflictError(
        'La notification initiale est déjà enregistrée : les suivantes sont complémentaires.',
        'cnil_already_filed',
      );
    if (filing.filedAt.getTime() > this.#now().getTime() + 60_000)
      throw new ValidationError([
        { field: 'body.filedAt', rule: 'past', message: 'la date de dépôt ne peut pas être dans le futur' },
      ]);
    await inTransaction(this.#d.db, async (trx) => {
      await trx
        .updateTable('incidents')
        .set({ cnil_reference: filing.reference, cnil_filed_at: iso(filing.filedAt) })
        .where('id', '=', id)
        .execute();
      const clock = notificationClock(row.aware_at, filing.filedAt, iso(filing.filedAt));
      await this.#step(
        trx,
        id,
        'incident_cnil_filed',
        by.accountId,
        `Notification initiale déposée auprès de la CNIL (${filing.reference}) : ${clock.label}`,
        { cnilReference: filing.reference, filedAt: iso(filing.filedAt), late: clock.late },
      );
    });
    return this.view(id);
  }

  /**
   * A remediation action; each is a register step and a ledger event. Revoking and resetting
   * credentials commit in one transaction with their step (a write is one transaction with its
   * event); the bank holds are the bank's own transactions, one per person, and the checks write nothing.
   */
  async act(id: string, action: Action, by: { accountId: string | null }): Promise<ActionResult> {
    if (by.accountId !== null && actionNeedsApproval(action))
      throw fourEyesRequired('Cette mesure efface les moyens de connexion');
    return this.#actNow(id, action, by);
  }

  async #actNow(id: string, action: Action, by: { accountId: string | null }): Promise<ActionResult> {
    const row = await this.#open(id);
    const compromised = JSON.parse(row.compromised) as Compromised;
    const record = (trx: Executor, result: ActionResult) =>
      this.#step(trx, id, 'incident_action', by.accountId, result.summary, { action, ...result.figures });
    if (action === 'revoke_access' || action === 'force_reenrolment') {
      return inTransaction(this.#d.db, async (trx) => {
        const result = await this.#carryOut(trx, row, compromised, action, by);
        await record(trx, result);
        return result;
      });
    }
    const result = await this.#carryOut(this.#d.db, row, compromised, action, by);
    await inTransaction(this.#d.db, (trx) => record(trx, result));
    return result;
  }

  async #actorsOf(db: Executor, compromised: Compromised): Promise<{ actors: string[]; accounts: string[] }> {
    const actors = new Set([...compromised.actors, ...(await actorsOfClients(db, compromised.clients))]);
    if (compromised.organisations.length)
      for (const r of await db
        .selectFrom('actors')
        .select('id')
        .where('organisation_id', 'in', compromised.organisations)
        .execute())
        actors.add(r.id);
    const accounts = actors.size
      ? (
          await db
            .selectFrom('accounts')
            .select('id')
            .where('actor_id', 'in', [...actors])
            .execute()
        ).map((r) => r.id)
      : [];
    return { actors: [...actors], accounts };
  }

  async #carryOut(
    db: Executor,
    row: IncidentsTable,
    compromised: Compromised,
    action: Action,
    by: { accountId: string | null },
  ): Promise<ActionResult> {
    const at = iso(this.#now());
    const event: EventInput = { accountId: by.accountId, details: { incident: row.id } };
    switch (action) {
      case 'revoke_access': {
        const { actors, accounts } = await this.#actorsOf(db, compromised);
        let sessions = 0;
        let tokens = 0;
        await inTransaction(db, async (trx) => {
          for (const account of accounts) sessions += await revokeAllSessions(trx, account, 'incident');
          if (compromised.sessions.length) {
            const r = await trx
              .updateTable('sessions')
              .set({ revoked_at: at, revoked_reason: 'incident' })
              .where('public_id', 'in', compromised.sessions)
              .where('revoked_at', 'is', null)
              .executeTakeFirst();
            sessions += Number(r.numUpdatedRows);
          }
          if (actors.length) {
            const r = await trx
              .updateTable('actor_credentials')
              .set({ revoked_at: at })
              .where('actor_id', 'in', actors)
              .where('revoked_at', 'is', null)
              .executeTakeFirst();
            tokens += Number(r.numUpdatedRows);
            const m = await trx
              .deleteFrom('machine_tokens')
              .where('client_id', 'in', (eb) =>
                eb.selectFrom('machine_clients').select('id').where('actor_id', 'in', actors),
              )
              .executeTakeFirst();
            tokens += Number(m.numDeletedRows);
          }
        });
        let clients = 0;
        for (const client of compromised.clients) if (await revokeMachineClient(db, client, this.#now())) clients++;
        return {
          action,
          summary: `Accès révoqués : ${sessions} session(s), ${tokens} jeton(s), ${clients} client(s) machine`,
          figures: { sessions, tokens, clients },
        };
      }
      case 'force_reenrolment': {
        const { accounts } = await this.#actorsOf(db, compromised);
        const sessionAccounts = compromised.sessions.length
          ? (
              await db
                .selectFrom('sessions')
                .select('account_id')
                .where('public_id', 'in', compromised.sessions)
                .execute()
            ).map((r) => r.account_id)
          : [];
        const targets = [...new Set([...accounts, ...sessionAccounts])];
        let factors = 0;
        await inTransaction(db, async (trx) => {
          for (const account of targets) {
            await trx
              .updateTable('accounts')
              .set({ password_hash: null, password_changed_at: at })
              .where('id', '=', account)
              .execute();
            await revokeAllSessions(trx, account, 'incident_reenrolment');
            const r = await trx
              .updateTable('account_factors')
              .set({ revoked_at: at })
              .where('account_id', '=', account)
              .where('revoked_at', 'is', null)
              .executeTakeFirst();
            factors += Number(r.numUpdatedRows);
            await appendEvent(trx, 'password_reset_completed', {
              ...event,
              accountId: account,
              details: { by: 'incident', incident: row.id, revokedFactors: Number(r.numUpdatedRows) },
            });
          }
        });
        return {
          action,
          summary: `Réinitialisation forcée de ${targets.length} compte(s) (mot de passe effacé, ${factors} facteur(s) révoqué(s)) : retour par une demande de réinitialisation approuvée par deux administrateurs`,
          figures: { accounts: targets.length, factors },
        };
      }
      case 'hold_bank_changes': {
        this.#scopeOrThrow(row);
        let placed = 0;
        let already = 0;
        let after: string | undefined;
        for (;;) {
          const page = await storedExposures(db, row.id, { limit: 500, ...(after ? { afterPersonId: after } : {}) });
          for (const exposure of page) {
            const outcome = await this.#d.placeBankHold(
              exposure.personId,
              {
                reference: row.reference,
                note: `Personne exposée par l’incident ${row.reference} : tout changement de coordonnées bancaires est vérifié par un conseiller.`,
              },
              { ...event, details: { incident: row.id } },
            );
            if (outcome === 'placed') placed++;
            else already++;
          }
          if (page.length < 500) break;
          after = page[page.length - 1]!.personId;
        }
        return {
          action,
          summary: `Coordonnées bancaires sous surveillance : ${placed} personne(s)${already ? ` (${already} déjà sous surveillance pour cet incident)` : ''}`,
          figures: { placed, already },
        };
      }
      case 'check_decoys': {
        this.#scopeOrThrow(row);
        const decoys = await storedExposures(db, row.id, { decoys: true });
        const { actors } = await this.#actorsOf(db, compromised);
        const containments = actors.length
          ? await db
              .selectFrom('guard_containments')
              .select(['id', 'actor_id', 'signal', 'contained_at', 'released_at'])
              .where('actor_id', 'in', actors)
              .orderBy('contained_at')
              .execute()
          : [];
        return {
          action,
          summary: decoys.length
            ? `Leurres consultés : ${decoys.length} (preuve que les fichiers ont été parcourus par l’attaquant) ; ${containments.length} confinement(s) de la garde`
            : `Aucun leurre consulté ; ${containments.length} confinement(s) de la garde`,
          figures: { decoys: decoys.length, containments: containments.length },
          findings: [
            ...decoys.map((d) => ({ decoy: d.personId, firstAt: d.firstAt, via: d.via })),
            ...containments.map((c) => ({
              containment: c.id,
              actor: c.actor_id,
              signal: c.signal,
              containedAt: c.contained_at,
              releasedAt: c.released_at,
            })),
          ],
        };
      }
      case 'check_exports': {
        const { accounts } = await this.#actorsOf(db, compromised);
        let query = db
          .selectFrom('exports')
          .select([
            'id',
            'recipient_organisation_id',
            'purpose',
            'status',
            'requested_at',
            'decided_at',
            'row_count',
            'downloads',
            'requested_by',
            'decided_by',
          ])
          .where('requested_at', '<=', row.window_to);
        const orgs = compromised.organisations;
        query = query.where((eb) =>
          eb.or([
            ...(orgs.length ? [eb('recipient_organisation_id', 'in', orgs)] : []),
            ...(accounts.length ? [eb('requested_by', 'in', accounts), eb('decided_by', 'in', accounts)] : []),
            eb.lit(false),
          ]),
        );
        const exports = await query.orderBy('requested_at').execute();
        const traced = exports.length
          ? await db
              .selectFrom('ledger_events')
              .select(['body'])
              .where('kind', '=', 'export_traced')
              .where('at', '>=', row.window_from)
              .execute()
          : [];
        const ids = new Set(exports.map((e) => e.id));
        const traces = traced.map((t) => parseBody(t.body)).filter((b) => ids.has(String(b.details.export ?? '')));
        return {
          action,
          summary: exports.length
            ? `Exports à suivre : ${exports.length} (${exports.reduce((n, e) => n + e.downloads, 0)} téléchargement(s), ${traces.length} fichier(s) retrouvé(s) par leurs lignes témoins)`
            : 'Aucun export vers ou par les identités compromises',
          figures: {
            exports: exports.length,
            downloads: exports.reduce((n, e) => n + e.downloads, 0),
            traces: traces.length,
          },
          findings: exports.map((e) => ({
            export: e.id,
            recipient: e.recipient_organisation_id,
            purpose: e.purpose,
            status: e.status,
            requestedAt: e.requested_at,
            rows: e.row_count,
            downloads: e.downloads,
          })),
        };
      }
    }
  }

  async close(id: string, note: string, by: { accountId: string | null }): Promise<IncidentView> {
    const row = await this.#open(id);
    await inTransaction(this.#d.db, async (trx) => {
      await trx
        .updateTable('incidents')
        .set({ status: 'closed', closed_at: iso(this.#now()), closed_by: by.accountId, closing_note: note })
        .where('id', '=', row.id)
        .execute();
      await this.#step(trx, id, 'incident_closed', by.accountId, `Incident clos : ${note}`, {});
    });
    return this.view(id);
  }

  async view(id: string): Promise<IncidentView> {
    return this.#view(await this.#row(id));
  }

  #view(row: IncidentsTable): IncidentView {
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
      clock: notificationClock(row.aware_at, this.#now(), row.cnil_filed_at),
      scope: row.scope_summary ? (JSON.parse(row.scope_summary) as ScopeSummary) : null,
      cnil: { reference: row.cnil_reference, filedAt: row.cnil_filed_at },
      closedAt: row.closed_at,
    };
  }

  async list(options: { status?: IncidentsTable['status'] } = {}): Promise<IncidentView[]> {
    let query = this.#d.db.selectFrom('incidents').selectAll();
    if (options.status) query = query.where('status', '=', options.status);
    return (await query.orderBy('declared_at', 'desc').limit(500).execute()).map((r) => this.#view(r));
  }

  async timeline(id: string): Promise<StepView[]> {
    const rows = await this.#d.db
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

  async documents(id: string): Promise<DocumentInfo[]> {
    await this.#row(id);
    return listDocuments(this.#d.db, id);
  }

  /**
   * A document, opened for someone: reading it is a step of the register. One that names people
   * (letters, the scope list) is given to a desk member only on a second person's approval of
   * their request, once, and through the guard: the persons it names are counted against the
   * desk's budget, and the download is recorded in the guard's transaction (a batch of letters
   * also as an access to each person's identity and contact, which they see in their journal).
   * The operator's command line (no account) opens any.
   */
  async openDocument(
    id: string,
    documentId: string,
    by: { accountId: string | null },
    gate?: DownloadGate,
  ): Promise<{ info: DocumentInfo; content: Buffer }> {
    const db = this.#d.db;
    const opened = await openDocument(db, this.#d.keyring(), id, documentId);
    const { info } = opened;
    if (by.accountId === null || !PERSONAL_DOCUMENTS.includes(info.kind)) {
      await inTransaction(db, (trx) =>
        this.#step(
          trx,
          id,
          'incident_document_read',
          by.accountId,
          `Document consulté : ${info.title}`,
          { kind: info.kind, version: info.version },
          documentId,
        ),
      );
      return opened;
    }
    const accountId = by.accountId;
    const now = iso(this.#now());
    const approvals = await db
      .selectFrom('incident_requests')
      .select(['id', 'payload'])
      .where('incident_id', '=', id)
      .where('kind', '=', 'document')
      .where('requested_by', '=', accountId)
      .where('status', '=', 'approved')
      .where('usable_until', '>', now)
      .execute();
    const approval = approvals.find(
      (a) => (JSON.parse(a.payload) as { documentId?: string }).documentId === documentId,
    );
    if (!approval) throw fourEyesRequired('Ce document nomme des personnes : demandez son téléchargement');
    if (!gate) throw new Error('a desk download of a document naming persons goes through the guard');
    const persons = await this.#personsNamedBy(id, info, opened.content);
    const row = await this.#row(id);
    const admission = await gate(persons, async (trx) => {
      // Used once: of two downloads at once, one takes the approval, the other fails closed.
      const used = await trx
        .updateTable('incident_requests')
        .set({ status: 'used', used_at: now })
        .where('id', '=', approval.id)
        .where('status', '=', 'approved')
        .executeTakeFirst();
      if (Number(used.numUpdatedRows) !== 1)
        throw new ConflictError(
          'Ce téléchargement approuvé a déjà eu lieu : faites une nouvelle demande.',
          'request_used',
        );
      if (info.kind === 'letters_pdf') {
        await appendEvents(
          trx,
          persons.map((personId) => ({
            kind: 'access_granted' as const,
            input: {
              accountId,
              personId,
              purpose: 'incident_notification',
              operation: 'incident_document',
              classes: ['identity', 'contact'] as FieldClass[],
              details: { incident: row.reference, document: documentId },
            },
          })),
        );
      }
      await this.#step(
        trx,
        id,
        'incident_document_read',
        accountId,
        `Document consulté : ${info.title} (${persons.length} personne(s) nommée(s), téléchargement approuvé)`,
        { kind: info.kind, version: info.version, persons: persons.length, request: approval.id },
        documentId,
      );
    });
    if (!admission.allowed) throw new DownloadRefusedError(admission.reason);
    return opened;
  }

  /** The real persons a document names (decoys, flagged as such in a scope list, are evidence, not people). */
  async #personsNamedBy(incidentId: string, info: DocumentInfo, content: Buffer): Promise<string[]> {
    if (info.kind === 'letters_pdf') {
      return (
        await this.#d.db
          .selectFrom('incident_notices')
          .select('person_id')
          .distinct()
          .where('incident_id', '=', incidentId)
          .where('document_id', '=', info.id)
          .execute()
      )
        .map((r) => r.person_id)
        .sort();
    }
    if (info.kind === 'scope_csv') {
      const rows = parse(content.toString('utf8'), { columns: true }) as Array<Record<string, string>>;
      return [...new Set(rows.filter((r) => r.nature === 'personne').map((r) => r.personne!))].sort();
    }
    return [];
  }

  async planNotices(id: string, by: { accountId: string | null }): Promise<{ planned: number; already: number }> {
    const row = await this.#open(id);
    this.#scopeOrThrow(row);
    return this.#notices.plan(row, by);
  }

  /** Sending the notices reads every exposed person's identity and contact and prints letters: a desk member does it on approval only (`requestNotices`). */
  async runNotices(
    id: string,
    by: { accountId: string | null },
    options: { batchSize?: number; maxBatches?: number; progress?: ScopeProgress } = {},
  ): Promise<NoticeRun> {
    if (by.accountId !== null) throw fourEyesRequired('L’envoi des avis aux personnes');
    return this.#notices.run(await this.#row(id), by, options);
  }

  // ---- Four eyes: requests, approvals, refusals (src/incidents/four-eyes.ts says what needs them) ----

  /** A declaration reaching several organisations, for a second person to approve; checked now, nothing else written. */
  async requestDeclaration(input: Declaration, by: { accountId: string }): Promise<RequestView> {
    await this.#checkDeclaration(input, this.#now());
    const organisations = (await organisationsSpanned(this.#d.db, input.compromised)).length;
    const payload = {
      ...input,
      windowFrom: iso(input.windowFrom),
      windowTo: iso(input.windowTo),
      awareAt: iso(input.awareAt),
    };
    return this.#submit(
      'declare',
      null,
      payload,
      `Déclarer l’incident « ${input.title} » : ${organisations} organisation(s), du ${frenchDay(input.windowFrom)} au ${frenchDay(input.windowTo)}`,
      by.accountId,
      { organisations },
    );
  }

  async requestAmendment(id: string, changes: Amendment, by: { accountId: string }): Promise<RequestView> {
    const row = await this.#open(id);
    const next = this.#amended(row, changes);
    await this.#checkDeclaration(next, this.#now());
    const organisations = (await organisationsSpanned(this.#d.db, next.compromised)).length;
    const payload = Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, v instanceof Date ? iso(v) : v]));
    return this.#submit(
      'amend',
      id,
      payload,
      `Modifier l’incident ${row.reference} (${Object.keys(changes).join(', ')}) : ${organisations} organisation(s), du ${frenchDay(next.windowFrom)} au ${frenchDay(next.windowTo)}`,
      by.accountId,
      { organisations },
    );
  }

  async requestNotices(
    id: string,
    options: { batchSize?: number; maxBatches?: number },
    by: { accountId: string },
  ): Promise<RequestView> {
    const row = await this.#open(id);
    const status = await this.#notices.status(id);
    const left = (status.byStatus.pending ?? 0) + (status.byStatus.sending ?? 0);
    if (left === 0) throw new ConflictError('Aucun avis à envoyer : planifiez d’abord les avis.', 'no_notice_pending');
    return this.#submit(
      'notices_run',
      id,
      options,
      `Envoyer les avis de l’incident ${row.reference} : ${left} avis restant(s) (courriels et courriers)`,
      by.accountId,
      { notices: left },
    );
  }

  async requestDocument(id: string, documentId: string, by: { accountId: string }): Promise<RequestView> {
    const row = await this.#row(id);
    const info = (await listDocuments(this.#d.db, id)).find((d) => d.id === documentId);
    if (!info) throw new NotFoundError('document');
    if (!PERSONAL_DOCUMENTS.includes(info.kind))
      throw new ConflictError(
        'Ce document ne nomme personne : il se télécharge sans approbation.',
        'approval_not_needed',
      );
    const persons =
      info.kind === 'letters_pdf'
        ? (
            await this.#d.db
              .selectFrom('incident_notices')
              .select('person_id')
              .distinct()
              .where('document_id', '=', documentId)
              .execute()
          ).length
        : undefined;
    return this.#submit(
      'document',
      id,
      { documentId },
      `Télécharger « ${info.title} » (incident ${row.reference}${persons !== undefined ? `, ${persons} personne(s) nommée(s)` : ''})`,
      by.accountId,
      { document: documentId, kind: info.kind },
    );
  }

  async requestAction(id: string, action: Action, by: { accountId: string }): Promise<RequestView> {
    if (!actionNeedsApproval(action))
      throw new ConflictError('Cette mesure s’applique sans approbation.', 'approval_not_needed');
    const row = await this.#open(id);
    return this.#submit(
      'action',
      id,
      { action },
      `Mesure corrective « ${action} » sur l’incident ${row.reference}`,
      by.accountId,
      { action },
    );
  }

  async #submit(
    kind: RequestKind,
    incidentId: string | null,
    payload: object,
    summary: string,
    accountId: string,
    details: Record<string, string | number>,
  ): Promise<RequestView> {
    const db = this.#d.db;
    await requesterOf(db, accountId);
    const now = this.#now();
    const id = randomUUID();
    await inTransaction(db, async (trx) => {
      await trx
        .insertInto('incident_requests')
        .values({
          id,
          incident_id: incidentId,
          kind,
          payload: JSON.stringify(payload),
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
      await this.#record(
        trx,
        incidentId,
        'incident_approval_requested',
        accountId,
        `Demande soumise à une seconde personne : ${summary}`,
        { request: id, kind, ...details },
      );
    });
    return this.request(id);
  }

  /** A step of the incident's register when there is an incident, else a ledger event of its own (a declaration not yet approved). */
  async #record(
    trx: Executor,
    incidentId: string | null,
    kind: EventKind,
    accountId: string,
    summary: string,
    details: Record<string, string | number | boolean | null>,
  ): Promise<void> {
    if (incidentId) await this.#step(trx, incidentId, kind, accountId, summary, details);
    else await appendEvent(trx, kind, { at: this.#now(), accountId, operation: 'incident', details });
  }

  /**
   * A second member of the desk approves: the request is claimed (a conditional update: of two
   * approvals at once one wins), recorded, then carried out in its requester's name (a document
   * becomes downloadable once, by its requester, for 24 hours). Never by the requester.
   */
  async approve(requestId: string, by: { accountId: string }): Promise<{ request: RequestView; result: unknown }> {
    const db = this.#d.db;
    await approverOf(db, by.accountId);
    const row = await this.#requestRow(requestId);
    if (row.requested_by === by.accountId)
      throw new ForbiddenError(
        'La personne qui a fait la demande ne peut pas l’approuver : une seconde personne du bureau doit le faire.',
        'four_eyes',
      );
    const now = this.#now();
    await this.#pendingOrThrow(row, now);
    // A requester contained or stripped of the role since: their requests die with them.
    try {
      await requesterOf(db, row.requested_by);
    } catch {
      throw new ConflictError(
        'Le demandeur n’est plus habilité (compte suspendu ou rôle retiré) : la demande ne peut pas être approuvée.',
        'requester_inactive',
      );
    }
    const document = row.kind === 'document';
    await inTransaction(db, async (trx) => {
      const claimed = await trx
        .updateTable('incident_requests')
        .set({
          status: 'approved',
          decided_by: by.accountId,
          decided_at: iso(now),
          usable_until: document ? iso(new Date(now.getTime() + DOWNLOAD_TTL_MS)) : null,
        })
        .where('id', '=', requestId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1)
        throw new ConflictError('Cette demande a déjà été traitée.', 'request_not_pending');
      await this.#record(
        trx,
        row.incident_id,
        'incident_approval_granted',
        by.accountId,
        `Demande approuvée : ${row.summary}`,
        { request: requestId, kind: row.kind },
      );
    });
    if (document) return { request: await this.request(requestId), result: null };
    const requester = { accountId: row.requested_by };
    try {
      const { result, outcome } = await this.#carryOutRequest(row, requester, by.accountId);
      await db
        .updateTable('incident_requests')
        .set({ status: 'executed', outcome: JSON.stringify(outcome) })
        .where('id', '=', requestId)
        .execute();
      return { request: await this.request(requestId), result };
    } catch (error) {
      await db
        .updateTable('incident_requests')
        .set({ status: 'failed', outcome: JSON.stringify({ error: (error as Error).message }) })
        .where('id', '=', requestId)
        .execute();
      throw error;
    }
  }

  async #carryOutRequest(
    row: IncidentRequestsTable,
    requester: { accountId: string },
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
        const view = await this.#declareNow(dates(payload) as unknown as Declaration, requester, {
          request: row.id,
          approvedBy,
        });
        return { result: view, outcome: { incident: view.id, reference: view.reference } };
      }
      case 'amend': {
        const view = await this.#amendNow(row.incident_id!, dates(payload) as Amendment, requester);
        return { result: view, outcome: { incident: view.id } };
      }
      case 'notices_run': {
        const run = await this.#notices.run(
          await this.#row(row.incident_id!),
          requester,
          payload as { batchSize?: number; maxBatches?: number },
        );
        return { result: run, outcome: { ...run } };
      }
      case 'action': {
        const result = await this.#actNow(row.incident_id!, payload.action as Action, requester);
        return { result, outcome: result.figures };
      }
      case 'document':
        throw new Error('a document is downloaded by its requester, not carried out on approval');
    }
  }

  /** Refused by another member of the desk, or withdrawn by its requester: nothing is carried out. */
  async refuse(requestId: string, note: string, by: { accountId: string }): Promise<RequestView> {
    const db = this.#d.db;
    const row = await this.#requestRow(requestId);
    if (row.requested_by !== by.accountId) await approverOf(db, by.accountId);
    await this.#pendingOrThrow(row, this.#now());
    await inTransaction(db, async (trx) => {
      const result = await trx
        .updateTable('incident_requests')
        .set({ status: 'refused', decided_by: by.accountId, decided_at: iso(this.#now()), decision_note: note })
        .where('id', '=', requestId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1)
        throw new ConflictError('Cette demande a déjà été traitée.', 'request_not_pending');
      const withdrawn = row.requested_by === by.accountId;
      await this.#record(
        trx,
        row.incident_id,
        'incident_approval_refused',
        by.accountId,
        `Demande ${withdrawn ? 'retirée' : 'refusée'} : ${row.summary}`,
        { request: requestId, kind: row.kind, withdrawn },
      );
    });
    return this.request(requestId);
  }

  async #requestRow(requestId: string): Promise<IncidentRequestsTable> {
    const row = await this.#d.db
      .selectFrom('incident_requests')
      .selectAll()
      .where('id', '=', requestId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('demande');
    return row;
  }

  async #pendingOrThrow(row: IncidentRequestsTable, now: Date): Promise<void> {
    if (row.status !== 'pending') throw new ConflictError('Cette demande a déjà été traitée.', 'request_not_pending');
    if (row.expires_at <= iso(now)) {
      await this.#d.db
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

  #requestQuery() {
    return this.#d.db
      .selectFrom('incident_requests')
      .leftJoin('accounts as requester', 'requester.id', 'incident_requests.requested_by')
      .leftJoin('accounts as decider', 'decider.id', 'incident_requests.decided_by')
      .selectAll('incident_requests')
      .select(['requester.login as requester_login', 'decider.login as decider_login']);
  }

  async request(requestId: string): Promise<RequestView> {
    const row = await this.#requestQuery().where('incident_requests.id', '=', requestId).executeTakeFirst();
    if (!row) throw new NotFoundError('demande');
    return requestView(row, this.#now());
  }

  /** Requests, newest first; those awaiting a decision with `status: 'pending'`. */
  async requests(
    options: { incidentId?: string; status?: IncidentRequestsTable['status']; limit?: number } = {},
  ): Promise<RequestView[]> {
    let query = this.#requestQuery();
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
    const now = this.#now();
    return rows.map((r) => requestView(r, now)).filter((v) => !options.status || v.status === options.status);
  }

  noticeStatus(id: string): Promise<NoticeStatus> {
    return this.#notices.status(id);
  }
}
