import { parse } from 'csv-parse/sync';
import { ConflictError, type FieldClass } from '../domain/index.ts';
import { appendEvents } from '../ledger/index.ts';
import { inTransaction, type Executor, type IncidentsTable } from '../store/index.ts';
import type { By, Desk } from './desk.ts';
import {
  latestDocument,
  listDocuments,
  nextVersion,
  openDocument,
  sha256Hex,
  storeDocument,
  type DocumentInfo,
} from './documents.ts';
import { DownloadRefusedError, fourEyesRequired, PERSONAL_DOCUMENTS, type DownloadGate } from './four-eyes.ts';
import { incidentRow } from './register.ts';

/** The register's documents: produced as steps, listed, and opened (through the guard when they name people). */

export interface ProducedDocument {
  kind: 'scope_csv' | 'cnil_json' | 'cnil_pdf';
  title: string;
  mediaType: string;
  content: Buffer;
  /** The ledger's size the figures in the document cover. */
  ledgerSize: number;
  accountId: string | null;
}

const iso = (d: Date) => d.toISOString();

/** Store a document unless the latest of its kind is byte for byte the same (then that one is the answer). */
export async function produceDocument(
  desk: Desk,
  row: IncidentsTable,
  produced: ProducedDocument,
): Promise<DocumentInfo> {
  const { kind, accountId } = produced;
  const latest = await latestDocument(desk.db, row.id, kind);
  if (latest && latest.sha256 === sha256Hex(produced.content)) return latest;
  return inTransaction(desk.db, async (trx) => {
    const version = await nextVersion(trx, row.id, kind);
    const doc = await storeDocument(trx, desk.keyring(), {
      incidentId: row.id,
      kind,
      version,
      title: `${produced.title} (v${version})`,
      mediaType: produced.mediaType,
      createdAt: iso(desk.clock.now()),
      createdBy: accountId,
      ledgerSize: produced.ledgerSize,
      content: produced.content,
    });
    await desk.step(
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

export async function incidentDocuments(db: Executor, id: string): Promise<DocumentInfo[]> {
  await incidentRow(db, id);
  return listDocuments(db, id);
}

/**
 * A document, opened for someone: reading it is a step of the register. One that names people
 * (letters, the scope list) is given to a desk member only on a second person's approval of
 * their request, once, and through the guard: the persons it names are counted against the
 * desk's budget, and the download is recorded in the guard's transaction (a batch of letters
 * also as an access to each person's identity and contact, which they see in their journal).
 * The operator's command line (no account) opens any.
 */
export async function openIncidentDocument(
  desk: Desk,
  id: string,
  documentId: string,
  by: By,
  gate?: DownloadGate,
): Promise<{ info: DocumentInfo; content: Buffer }> {
  const opened = await openDocument(desk.db, desk.keyring(), id, documentId);
  const { info } = opened;
  if (by.accountId === null || !PERSONAL_DOCUMENTS.includes(info.kind)) {
    await inTransaction(desk.db, (trx) =>
      desk.step(
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
  const now = iso(desk.clock.now());
  const approval = await usableApproval(desk.db, id, documentId, accountId, now);
  if (!approval) throw fourEyesRequired('Ce document nomme des personnes : demandez son téléchargement');
  if (!gate) throw new Error('a desk download of a document naming persons goes through the guard');
  const persons = await personsNamedBy(desk.db, id, info, opened.content);
  const row = await incidentRow(desk.db, id);
  const admission = await gate(persons, async (trx) => {
    await spendApproval(trx, approval, now);
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
    await desk.step(
      trx,
      id,
      'incident_document_read',
      accountId,
      `Document consulté : ${info.title} (${persons.length} personne(s) nommée(s), téléchargement approuvé)`,
      { kind: info.kind, version: info.version, persons: persons.length, request: approval },
      documentId,
    );
  });
  if (!admission.allowed) throw new DownloadRefusedError(admission.reason);
  return opened;
}

/** The id of the requester's approved, unexpired request to download this document, if any. */
async function usableApproval(
  db: Executor,
  incidentId: string,
  documentId: string,
  accountId: string,
  now: string,
): Promise<string | undefined> {
  const approvals = await db
    .selectFrom('incident_requests')
    .select(['id', 'payload'])
    .where('incident_id', '=', incidentId)
    .where('kind', '=', 'document')
    .where('requested_by', '=', accountId)
    .where('status', '=', 'approved')
    .where('usable_until', '>', now)
    .execute();
  return approvals.find((a) => (JSON.parse(a.payload) as { documentId?: string }).documentId === documentId)?.id;
}

/** Used once: of two downloads at once, one takes the approval, the other fails closed. */
async function spendApproval(trx: Executor, requestId: string, at: string): Promise<void> {
  const used = await trx
    .updateTable('incident_requests')
    .set({ status: 'used', used_at: at })
    .where('id', '=', requestId)
    .where('status', '=', 'approved')
    .executeTakeFirst();
  if (Number(used.numUpdatedRows) !== 1)
    throw new ConflictError('Ce téléchargement approuvé a déjà eu lieu : faites une nouvelle demande.', 'request_used');
}

/** The real persons a document names (decoys, flagged as such in a scope list, are evidence, not people). */
async function personsNamedBy(
  db: Executor,
  incidentId: string,
  info: DocumentInfo,
  content: Buffer,
): Promise<string[]> {
  if (info.kind === 'letters_pdf') {
    return (
      await db
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
