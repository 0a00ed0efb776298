import { ConflictError, ValidationError, type FieldClass } from '../domain/index.ts';
import { inTransaction, type Executor, type IncidentsTable } from '../store/index.ts';
import { buildCnilDraft, cnilSections, type CnilDraft } from './cnil.ts';
import type { By, Desk } from './desk.ts';
import { produceDocument } from './document-flow.ts';
import { latestDocument, sha256Hex, type DocumentInfo } from './documents.ts';
import { notificationClock, type Compromised, type IncidentView, type ScopeSummary } from './model.ts';
import { renderReport } from './pdf.ts';
import { frozenScope, incidentRow, timeline, viewIncident, type StepView } from './register.ts';
import { assessRisk, type Harm } from './risk.ts';

/** The notification to the CNIL (GDPR Art. 33): drafted from the register, then filed by the DPO. */

export interface CnilDocuments {
  draft: CnilDraft;
  json: DocumentInfo;
  pdf: DocumentInfo;
}

const iso = (d: Date) => d.toISOString();

/**
 * The CNIL notification draft, as JSON and PDF. Its "as of" instant is the last step that
 * changed the incident (not the clock), so drafting again without a change gives the same
 * documents, and the same ledger size the same figures.
 */
export async function draftCnil(desk: Desk, id: string, by: By): Promise<CnilDocuments> {
  const row = await incidentRow(desk.db, id);
  const scope = frozenScope(row);
  const steps = (await timeline(desk.db, id)).filter(
    (s) => s.kind !== 'incident_document_produced' && s.kind !== 'incident_document_read',
  );
  const asOf = steps.length ? steps[steps.length - 1]!.at : row.declared_at;
  const latestJson = await latestDocument(desk.db, id, 'cnil_json');
  const draft = await draftOf(desk, row, scope, steps, asOf, (latestJson?.version ?? 0) + 1);
  // The version is part of the content: compare against the latest with its own number first.
  if (latestJson) {
    const same = { ...draft, notification: { ...draft.notification, version: latestJson.version } };
    if (sha256Hex(jsonContent(same)) === latestJson.sha256) {
      const pdf = (await latestDocument(desk.db, id, 'cnil_pdf'))!;
      return { draft: same, json: latestJson, pdf };
    }
  }
  const produced = { ledgerSize: scope.ledger.size, accountId: by.accountId };
  const json = await produceDocument(desk, row, {
    ...produced,
    kind: 'cnil_json',
    title: `Notification CNIL ${row.reference}`,
    mediaType: 'application/json',
    content: jsonContent(draft),
  });
  const pdf = await produceDocument(desk, row, {
    ...produced,
    kind: 'cnil_pdf',
    title: `Notification CNIL ${row.reference} (PDF)`,
    mediaType: 'application/pdf',
    content: await renderReport(
      new Date(asOf),
      `Notification de violation de données — ${row.reference}`,
      `Projet établi par Rempart pour le formulaire de notification de la CNIL (RGPD, article 33). ${draft.deadline.label}.`,
      cnilSections(draft),
    ),
  });
  return { draft, json, pdf };
}

const jsonContent = (draft: CnilDraft) => Buffer.from(JSON.stringify(draft, null, 2) + '\n', 'utf8');

async function draftOf(
  desk: Desk,
  row: IncidentsTable,
  scope: ScopeSummary,
  steps: StepView[],
  asOf: string,
  version: number,
): Promise<CnilDraft> {
  const harms = await harmsOf(desk.db, row.id);
  const notices = await desk.notices.status(row.id);
  return buildCnilDraft({
    version,
    asOf,
    controller: desk.controller,
    dpo: desk.dpoContact,
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
    harms,
    measuresTaken: steps
      .filter((s) => s.kind === 'incident_action')
      .map(
        (s) =>
          `${s.summary} (${new Date(s.at).toLocaleString('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' })})`,
      ),
    notices: { planned: notices.planned, sent: notices.byStatus.sent ?? 0, printed: notices.byStatus.printed ?? 0 },
    timeline: steps.map((s) => ({ at: s.at, step: s.summary })),
  });
}

/** The harms the exposed classes of real persons may cause, sorted. */
async function harmsOf(db: Executor, incidentId: string): Promise<Harm[]> {
  const harms = new Set<Harm>();
  const classesSeen = await db
    .selectFrom('incident_exposures')
    .select('classes')
    .distinct()
    .where('incident_id', '=', incidentId)
    .where('decoy', '=', 0)
    .execute();
  for (const r of classesSeen) for (const h of assessRisk(JSON.parse(r.classes) as FieldClass[]).harms) harms.add(h);
  return [...harms].sort();
}

/** The DPO filed the notification on the CNIL's service: its case number; later drafts are complementary. */
export async function markCnilFiled(
  desk: Desk,
  id: string,
  filing: { reference: string; filedAt: Date },
  by: By,
): Promise<IncidentView> {
  const row = await incidentRow(desk.db, id);
  if (row.cnil_reference)
    throw new ConflictError(
      'La notification initiale est déjà enregistrée : les suivantes sont complémentaires.',
      'cnil_already_filed',
    );
  if (filing.filedAt.getTime() > desk.clock.now().getTime() + 60_000)
    throw new ValidationError([
      { field: 'body.filedAt', rule: 'past', message: 'la date de dépôt ne peut pas être dans le futur' },
    ]);
  await inTransaction(desk.db, async (trx) => {
    const filed = await trx
      .updateTable('incidents')
      .set({ cnil_reference: filing.reference, cnil_filed_at: iso(filing.filedAt) })
      .where('id', '=', id)
      .where('cnil_reference', 'is', null)
      .executeTakeFirst();
    // Another member recorded the filing in between: one initial notification, never overwritten.
    if (Number(filed.numUpdatedRows) !== 1)
      throw new ConflictError(
        'La notification initiale vient d’être enregistrée par un autre membre de la cellule.',
        'cnil_already_filed',
      );
    const clock = notificationClock(row.aware_at, filing.filedAt, iso(filing.filedAt));
    await desk.step(
      trx,
      id,
      'incident_cnil_filed',
      by.accountId,
      `Notification initiale déposée auprès de la CNIL (${filing.reference}) : ${clock.label}`,
      { cnilReference: filing.reference, filedAt: iso(filing.filedAt), late: clock.late },
    );
  });
  return viewIncident(desk, id);
}
