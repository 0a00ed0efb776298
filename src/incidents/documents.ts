import { createHash, randomUUID } from 'node:crypto';
import { openField, sealField, type Keyring } from '../crypto/index.ts';
import { NotFoundError } from '../domain/index.ts';
import type { Executor, IncidentDocumentsTable } from '../store/index.ts';

/**
 * Documents an incident produces are kept sealed: a batch of letters names and addresses the
 * persons, a scope export lists them. Each is bound to its own id (associated data), under the
 * `contact` class's key, the most a document holds.
 */
const SEAL_CLASS = 'contact' as const;
const sealedName = (id: string) => `incident-document:${id}`;

export interface DocumentInfo {
  id: string;
  kind: IncidentDocumentsTable['kind'];
  version: number;
  title: string;
  mediaType: string;
  createdAt: string;
  ledgerSize: number;
  sha256: string;
  bytes: number;
}

export function sha256Hex(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export async function nextVersion(
  db: Executor,
  incidentId: string,
  kind: IncidentDocumentsTable['kind'],
): Promise<number> {
  const row = await db
    .selectFrom('incident_documents')
    .select((eb) => eb.fn.max('version').as('v'))
    .where('incident_id', '=', incidentId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return Number(row?.v ?? 0) + 1;
}

export async function storeDocument(
  trx: Executor,
  keyring: Keyring,
  doc: {
    incidentId: string;
    kind: IncidentDocumentsTable['kind'];
    version: number;
    title: string;
    mediaType: string;
    createdAt: string;
    createdBy: string | null;
    ledgerSize: number;
    content: Buffer;
  },
): Promise<DocumentInfo> {
  const id = randomUUID();
  const sealed = sealField(keyring, sealedName(id), SEAL_CLASS, doc.content);
  const sha256 = sha256Hex(doc.content);
  await trx
    .insertInto('incident_documents')
    .values({
      id,
      incident_id: doc.incidentId,
      kind: doc.kind,
      version: doc.version,
      title: doc.title,
      media_type: doc.mediaType,
      created_at: doc.createdAt,
      created_by: doc.createdBy,
      ledger_size: doc.ledgerSize,
      sha256,
      bytes: doc.content.length,
      kek_version: sealed.kekVersion,
      wrapped_key: sealed.wrappedKey,
      ciphertext: sealed.ciphertext,
    })
    .execute();
  return {
    id,
    kind: doc.kind,
    version: doc.version,
    title: doc.title,
    mediaType: doc.mediaType,
    createdAt: doc.createdAt,
    ledgerSize: doc.ledgerSize,
    sha256,
    bytes: doc.content.length,
  };
}

const info = (r: IncidentDocumentsTable): DocumentInfo => ({
  id: r.id,
  kind: r.kind,
  version: r.version,
  title: r.title,
  mediaType: r.media_type,
  createdAt: r.created_at,
  ledgerSize: Number(r.ledger_size),
  sha256: r.sha256,
  bytes: r.bytes,
});

export async function listDocuments(db: Executor, incidentId: string): Promise<DocumentInfo[]> {
  const rows = await db
    .selectFrom('incident_documents')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('created_at')
    .orderBy('kind')
    .orderBy('version')
    .execute();
  return rows.map(info);
}

export async function latestDocument(
  db: Executor,
  incidentId: string,
  kind: IncidentDocumentsTable['kind'],
): Promise<DocumentInfo | undefined> {
  const row = await db
    .selectFrom('incident_documents')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('kind', '=', kind)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? info(row) : undefined;
}

/** The plain document; its digest is checked against the one recorded when it was produced. */
export async function openDocument(
  db: Executor,
  keyring: Keyring,
  incidentId: string,
  documentId: string,
): Promise<{ info: DocumentInfo; content: Buffer }> {
  const row = await db
    .selectFrom('incident_documents')
    .selectAll()
    .where('id', '=', documentId)
    .where('incident_id', '=', incidentId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('document');
  const content = openField(keyring, sealedName(row.id), SEAL_CLASS, {
    kekVersion: row.kek_version,
    wrappedKey: row.wrapped_key,
    ciphertext: row.ciphertext,
  });
  if (sha256Hex(content) !== row.sha256) throw new Error(`document ${row.id}: digest mismatch`);
  return { info: info(row), content };
}
