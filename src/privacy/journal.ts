import { canonicalJson, leafHash, parseBody, publicView, type Ledger, type PublicEvent } from '../ledger/index.ts';
import type { Executor } from '../store/index.ts';

/** The events a job seeker's journal shows: accesses to their file, granted or refused, and exceptional ones. */
export const JOURNAL_KINDS = ['access_granted', 'access_denied', 'break_glass_used', 'caller_verification_started', 'caller_verified', 'person_created', 'access_reported'] as const;

export interface JournalEntry {
  /** The event as the tree covers it: who acted and from where are only a salted digest. */
  event: PublicEvent;
  organisation: { id: string; name: string } | null;
  /** The declared purpose in words, from the organisation's agreement (outside the proof: it explains, it is not evidence). */
  purposeLabel: string | null;
  /** Leaf index in the tree. */
  index: number;
  /** Base64 of the RFC 9162 audit path from this event to the checkpoint's root. */
  proof: string[];
}

export interface JournalPage {
  page: number;
  pageSize: number;
  total: number;
  entries: JournalEntry[];
  /** The signed checkpoint every proof of the page leads to (C2SP signed note). */
  checkpoint: { size: number; note: string } | null;
}

export const JOURNAL_MAX_PAGE_SIZE = 100;

/**
 * "Qui a consulté mon dossier": the person's accesses, newest first, each with an inclusion
 * proof against one signed checkpoint, so the journal can be checked rather than believed. A
 * page whose events are not yet under a checkpoint has one signed on the spot.
 */
export async function accessJournal(db: Executor, ledger: Ledger, personId: string, options: { page: number; pageSize: number }): Promise<JournalPage> {
  const pageSize = Math.min(Math.max(1, options.pageSize), JOURNAL_MAX_PAGE_SIZE);
  const page = Math.max(1, options.page);
  const base = db.selectFrom('ledger_events').where('person_id', '=', personId).where('kind', 'in', JOURNAL_KINDS);
  const total = Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const rows = await base
    .select(['id', 'seq', 'body', 'organisation_id'])
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  if (rows.length === 0) return { page, pageSize, total, entries: [], checkpoint: null };

  let checkpoint = await ledger.latestCheckpoint();
  const pending = rows.some((r) => r.seq === null);
  if (!checkpoint || pending || Number(checkpoint.size) <= Math.max(...rows.map((r) => Number(r.seq)))) checkpoint = await ledger.checkpoint();
  // Events still pending were given their leaf index by the checkpoint just signed: read them again.
  const seqs = pending
    ? new Map((await db.selectFrom('ledger_events').select(['id', 'seq']).where('id', 'in', rows.map((r) => r.id)).execute()).map((r) => [r.id, Number(r.seq)]))
    : new Map(rows.map((r) => [r.id, Number(r.seq)]));
  const size = Number(checkpoint!.size);
  const proofs = await ledger.inclusionProofs(
    rows.map((r) => seqs.get(r.id)!),
    size,
  );

  const organisationIds = [...new Set(rows.map((r) => r.organisation_id).filter((id): id is string => id !== null))];
  const names = new Map(
    organisationIds.length ? (await db.selectFrom('organisations').select(['id', 'name']).where('id', 'in', organisationIds).execute()).map((o) => [o.id, o.name]) : [],
  );

  // The purposes' words, from the organisations' agreements; the newest version's wording wins.
  const labels = new Map<string, string>();
  if (organisationIds.length) {
    const agreements = await db.selectFrom('agreements').select(['organisation_id', 'purposes']).where('organisation_id', 'in', organisationIds).orderBy('version', 'asc').execute();
    for (const agreement of agreements) {
      for (const rule of JSON.parse(agreement.purposes) as Array<{ purpose: string; label?: string }>) if (rule.label) labels.set(`${agreement.organisation_id} ${rule.purpose}`, rule.label);
    }
  }

  const entries: JournalEntry[] = [];
  for (const [i, row] of rows.entries()) {
    const index = seqs.get(row.id)!;
    const body = parseBody(row.body);
    const proof = proofs[i]!;
    entries.push({
      event: publicView(body),
      organisation: row.organisation_id ? { id: row.organisation_id, name: names.get(row.organisation_id) ?? row.organisation_id } : null,
      purposeLabel: row.organisation_id && body.purpose ? (labels.get(`${row.organisation_id} ${body.purpose}`) ?? null) : null,
      index,
      proof: proof.map((p) => p.toString('base64')),
    });
  }
  return { page, pageSize, total, entries, checkpoint: { size, note: checkpoint!.note } };
}

/** The leaf hash of a journal entry, recomputed from what the entry shows: what a client does to check it. */
export function journalLeafHash(event: PublicEvent): Buffer {
  return leafHash(Buffer.from(canonicalJson(event), 'utf8'));
}
