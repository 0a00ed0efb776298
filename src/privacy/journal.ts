import {
  canonicalJson,
  JOURNAL_KINDS,
  journalAwaitsIntegration,
  journalPage,
  leafHash,
  parseBody,
  personHead,
  prunedBelow,
  publicView,
  type Ledger,
  type PublicEvent,
} from '../ledger/index.ts';
import { purposeLabelsOf } from '../policy/index.ts';
import type { Executor } from '../store/index.ts';
import { mandateWordings } from '../mandates/index.ts';
import { organisationNames } from './activity.ts';

/** The events a job seeker's journal shows: accesses to their file, granted or refused, and exceptional ones (each person's chain counts them). */
export { JOURNAL_KINDS };

export interface JournalEntry {
  /** The event as the tree covers it: who acted and from where are only a salted digest. */
  event: PublicEvent;
  organisation: { id: string; name: string } | null;
  /** The declared purpose in words, from the organisation's agreement (outside the proof: it explains, it is not evidence). */
  purposeLabel: string | null;
  /** Leaf index in the tree. */
  index: number;
  /**
   * For an act under a mandate (issue 25 §4), who acted and under which mandate, in words:
   * « X (France Services de Y), avec votre mandat du … » (outside the proof, as the purpose's label).
   */
  mandate?: string;
  /** Base64 of the RFC 9162 audit path from this event to the checkpoint's root; empty while pending. */
  proof: string[];
  /**
   * Not yet under the page's signed checkpoint (issue 20): the journal is served with the last
   * checkpoint signed by the schedule, never one signed for the visit; such an entry gets its
   * proof once the next checkpoint covers it (within REMPART_CHECKPOINT_SECONDS).
   */
  pending: boolean;
}

/**
 * What the browser needs to check that no entry is missing (issue 20): every entry integrated
 * since the chain exists carries `event.chain.n`, the person's count, so the entries, newest
 * first, must be numbered `head`, `head − 1`, … down to 1, each linked to the next by its leaf
 * hash; a chain may stop above 1 only where the older entries' bodies were pruned (retention).
 */
export interface JournalChain {
  /** The person's count of chained entries in the log (0 before the first): the newest entry must carry it. */
  head: number;
  /** Leaf index of that newest entry, null before the first. */
  headIndex: number | null;
  /** Event bodies below this leaf index were pruned (retention): an entry whose `prevIndex` is below it had older ones, now gone lawfully. */
  prunedBelow: number;
}

export interface JournalPage {
  page: number;
  pageSize: number;
  total: number;
  entries: JournalEntry[];
  /** The signed checkpoint every proof of the page leads to (C2SP signed note). */
  checkpoint: { size: number; note: string } | null;
  chain: JournalChain;
  /** Entries of this page not yet under the checkpoint (`pending`), proven at a later visit. */
  pending: number;
}

export const JOURNAL_MAX_PAGE_SIZE = 100;

/**
 * The purposes of the platform's own reads, which no agreement words (no organisation declares
 * them): the journal says them in French rather than as a code.
 */
export const SYSTEM_PURPOSE_LABELS: Readonly<Record<string, string>> = {
  retention_notice: 'Avis de fin de conservation',
  rights_request_answer: 'Réponse à votre demande d’exercice de vos droits',
  retention_archive: 'Consultation de l’archive intermédiaire par le délégué à la protection des données',
  actualisation: 'Actualisation mensuelle : votre déclaration reportée dans vos droits',
  paper_correspondence: 'Courrier papier : impression de votre lettre',
  inscription: 'Inscription comme demandeur d’emploi par un agent, avec votre accord',
  registration_review: 'Vérification d’une demande d’inscription qui ressemble à votre dossier (doublon possible)',
};

/**
 * "Qui a consulté mon dossier": the person's accesses, newest first, each with an inclusion
 * proof against one signed checkpoint, so the journal can be checked rather than believed; and
 * the head of the person's chain, so it can be checked complete. Accesses not yet integrated
 * are integrated on the spot; no checkpoint is signed for a visit: entries the last signed one
 * does not cover are marked pending, without a proof, until the schedule signs the next. The journal is read as of the head it
 * states: entries are in the order of the log (leaf index, newest first), which is the order of
 * the chain, up to the head's leaf; anything integrated meanwhile waits for the next visit.
 */
export async function accessJournal(
  db: Executor,
  ledger: Ledger,
  personId: string,
  options: { page: number; pageSize: number },
): Promise<JournalPage> {
  const pageSize = Math.min(Math.max(1, options.pageSize), JOURNAL_MAX_PAGE_SIZE);
  const page = Math.max(1, options.page);
  const waiting = await journalAwaitsIntegration(db, personId);
  // Integrated on the spot (one batch at most), but never signed for a visit (issue 20: 624 checkpoints in
  // 5 minutes): the page is served with the last checkpoint the schedule signed, and the entries it does not
  // cover yet are marked pending.
  if (waiting) await ledger.integrate({ maxBatches: 1 });
  const checkpoint = await ledger.latestCheckpoint();
  const head = await personHead(db, personId);
  const size = checkpoint ? Number(checkpoint.size) : 0;
  const chain: JournalChain = {
    head: head?.n ?? 0,
    headIndex: head?.seq ?? null,
    prunedBelow: await prunedBelow(db),
  };

  // Up to the head (entries integrated before the chain existed, if any, come after n = 1).
  const { total, events: rows } = await journalPage(db, personId, head ? head.seq : size - 1, { page, pageSize });
  if (rows.length === 0)
    return {
      page,
      pageSize,
      total,
      entries: [],
      checkpoint: checkpoint ? { size, note: checkpoint.note } : null,
      chain,
      pending: 0,
    };
  const covered = rows.filter((r) => Number(r.seq) < size);
  const proofs = new Map(
    (
      await ledger.inclusionProofs(
        covered.map((r) => Number(r.seq)),
        size,
      )
    ).map((proof, i) => [covered[i]!.id, proof]),
  );

  const organisationIds = [...new Set(rows.map((r) => r.organisationId).filter((id): id is string => id !== null))];
  const names = await organisationNames(db, organisationIds);
  // The purposes' words, from the organisations' agreements (policy's); the newest version's wording wins.
  const labels = await purposeLabelsOf(db, organisationIds);
  // Acts under a mandate: the aidant and their house named, as the mandates capability words them.
  const mandateIds = rows
    .map((r) => parseBody(r.body).details.mandate)
    .filter((id): id is string => typeof id === 'string');
  const wordings = await mandateWordings(db, mandateIds);

  const entries: JournalEntry[] = [];
  for (const row of rows) {
    const index = Number(row.seq);
    const body = parseBody(row.body);
    const proof = proofs.get(row.id) ?? [];
    entries.push({
      event: publicView(body),
      organisation: row.organisationId
        ? { id: row.organisationId, name: names.get(row.organisationId) ?? row.organisationId }
        : null,
      purposeLabel: body.purpose
        ? ((row.organisationId ? labels.get(`${row.organisationId} ${body.purpose}`) : undefined) ??
          SYSTEM_PURPOSE_LABELS[body.purpose] ??
          null)
        : null,
      ...(typeof body.details.mandate === 'string' && wordings.has(body.details.mandate)
        ? { mandate: wordings.get(body.details.mandate)! }
        : {}),
      index,
      proof: proof.map((p) => p.toString('base64')),
      pending: !proofs.has(row.id),
    });
  }
  return {
    page,
    pageSize,
    total,
    entries,
    checkpoint: checkpoint ? { size, note: checkpoint.note } : null,
    chain,
    pending: rows.length - covered.length,
  };
}

/** The leaf hash of a journal entry, recomputed from what the entry shows: what a client does to check it. */
export function journalLeafHash(event: PublicEvent): Buffer {
  return leafHash(Buffer.from(canonicalJson(event), 'utf8'));
}
