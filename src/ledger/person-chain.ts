import { sql } from 'kysely';
import type { Executor, Flavour } from '../store/index.ts';
import { canonicalJson, parseBody, type ChainLink, type EventKind } from './event.ts';
import { canonicalLeafHash, storedLeafHash } from './stored-leaf.ts';

/**
 * Each person's journal is a chain (issue 20). Inclusion proofs show that every entry the job
 * seeker sees is in the signed log, not that none is missing: a row deleted from the store
 * leaves the others verifying. So every event of a journal kind that names a person gets, when
 * it is integrated, `chain: { n, prev, prevIndex }` in its body — the person's count of such
 * events, and the leaf hash and leaf index of their previous one — before its leaf is hashed:
 * the tree commits to the count, and a missing entry leaves a gap (or a count short of the head
 * the journal states) that the person's browser names.
 *
 * Assigned at integration, not at append: the request path stays as it is (no per-person read
 * there), and the integrator is the log's one writer (under the ledger_state lock), in batches,
 * reading each person's head once per batch (`ledger_person_heads`). Bodies are not yet covered
 * by the tree then, so rewriting them changes nothing already proven.
 */

/** The events « Qui a consulté mon dossier » shows: accesses to the file, granted or refused, and exceptional ones; each person's chain counts these. */
export const JOURNAL_KINDS = [
  'access_granted',
  'access_denied',
  'break_glass_used',
  'caller_verification_started',
  'caller_verified',
  'person_created',
  'access_reported',
  // a class of the file destroyed by retention (issue 24 §2): the person's journal shows it
  'retention_purged',
  // … or moved to the intermediate archive, which only the DPO reads (each read an access event)
  'retention_archived',
  'archive_read',
  'rights_request_received',
  'rights_request_transition',
  'rights_request_answered',
  'rights_request_overdue',
  'processing_restricted',
  'restriction_lifted',
  // the monthly update declared, and a registration ended for a missed one (issue 25 §2)
  'monthly_update_declared',
  'registration_ceased',
  // a mandate to an aidant: prepared, confirmed by the person, steps withdrawn, ended (issue 25 §4)
  'mandate_requested',
  'mandate_confirmed',
  'mandate_revoked',
  'mandate_expired',
  // a class rectified, and the DPO reading the value it replaced (Art. 16)
  'data_rectified',
  'previous_value_read',
  // a letter that came back and an agent reached the person another way (issue 25 §5)
  'paper_letter_reached',
  // a registration that created the file, and an agent's decision on a registration that matched it (issue 25 §1)
  'person_registered',
  'registration_review_decided',
  'registration_renewed',
  // who registered the person (an agent, with the consent recorded, or a partner's import) and where the receipt went
  'registration_intake_recorded',
] as const satisfies readonly EventKind[];

const CHAINED: ReadonlySet<string> = new Set(JOURNAL_KINDS);

/** Whether an event of this kind naming this person is chained. */
export function isChained(kind: string, personId: string | null): personId is string {
  return personId !== null && CHAINED.has(kind);
}

/** A pending event as the integrator reads it. */
export interface ChainCandidate {
  kind: string;
  person_id: string | null;
  body: string;
}

interface Head {
  n: number;
  /** Leaf hash of the person's last chained event, base64url. */
  head: string;
  seq: number;
}

/** The link's canonical JSON (keys n < prev < prevIndex; integers, null, base64url: nothing to escape). */
function linkText(link: ChainLink): string {
  return `{"n":${link.n},"prev":${link.prev === null ? 'null' : `"${link.prev}"`},"prevIndex":${link.prevIndex === null ? 'null' : link.prevIndex}}`;
}

/** The end (after its closing quote) of the JSON string opening at `open`, or −1. */
function stringEnd(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

const AT = '{"at":';
const CASE_REFERENCE = ',"caseReference":';
const CLASSES = ',"classes":';

/**
 * Where `"chain":…,` goes in a canonical event body: keys sort as at < caseReference < chain <
 * classes, and an event's first two values are a string and a string or null, so it is right
 * before `"classes"`. −1 when the text does not start that way (the slow way then).
 */
function chainInsertionPoint(text: string): number {
  if (!text.startsWith(AT) || text.charCodeAt(AT.length) !== 0x22) return -1;
  let i = stringEnd(text, AT.length);
  if (i < 0 || !text.startsWith(CASE_REFERENCE, i)) return -1;
  i += CASE_REFERENCE.length;
  if (text.startsWith('null', i)) i += 4;
  else if (text.charCodeAt(i) === 0x22) i = stringEnd(text, i);
  else return -1;
  return i >= 0 && text.startsWith(CLASSES, i) ? i + 1 : -1;
}

/**
 * How the store turns a stored body into the chained one: `insert` put at character `at` of the
 * stored text (the store does it, so the body does not travel back), or the whole new `body`.
 */
export type BodyRewrite = { at: number; insert: string } | { body: string };

/** Only ASCII before the insertion point: a character offset then means the same to JavaScript and to either store, whatever its encoding. */
// eslint-disable-next-line no-control-regex
const ASCII = /^[\u0000-\u007f]*$/;

/**
 * The stored body with its chain link, and its leaf hash. A canonical body gets the link's text
 * put in place (the result checked canonical again, so the leaf is hashed the fast way and the
 * stored text stays exactly `canonicalJson` of the event); anything else is parsed, given the
 * link and canonicalized.
 */
export function withChainLink(text: string, link: ChainLink): { body: string; leaf: Buffer; rewrite: BodyRewrite } {
  const at = chainInsertionPoint(text);
  if (at >= 0) {
    const insert = `"chain":${linkText(link)},`;
    const body = `${text.slice(0, at)}${insert}${text.slice(at)}`;
    const leaf = canonicalLeafHash(body);
    if (leaf) return { body, leaf, rewrite: ASCII.test(text.slice(0, at)) ? { at, insert } : { body } };
  }
  const body = canonicalJson({ ...parseBody(text), chain: link });
  return { body, leaf: storedLeafHash(body), rewrite: { body } };
}

async function readHeads(trx: Executor, flavour: Flavour, persons: readonly string[]): Promise<Map<string, Head>> {
  const rows =
    flavour === 'sqlite'
      ? (
          await sql<{
            person_id: string;
            n: number;
            head: string;
            seq: number;
          }>`SELECT person_id, n, head, seq FROM ledger_person_heads WHERE person_id IN (SELECT value FROM json_each(${JSON.stringify(persons)}))`.execute(
            trx,
          )
        ).rows
      : (
          await sql<{
            person_id: string;
            n: number;
            head: string;
            seq: string;
          }>`SELECT person_id, n, head, seq FROM ledger_person_heads WHERE person_id = ANY(${persons}::text[])`.execute(
            trx,
          )
        ).rows;
  return new Map(rows.map((r) => [r.person_id, { n: Number(r.n), head: r.head, seq: Number(r.seq) }]));
}

async function writeHeads(trx: Executor, flavour: Flavour, heads: ReadonlyMap<string, Head>): Promise<void> {
  const persons = [...heads.keys()];
  const values = [...heads.values()];
  if (flavour === 'sqlite') {
    const rows = JSON.stringify(values.map((h, i) => [persons[i], h.n, h.head, h.seq]));
    // `WHERE true`: SQLite's parser needs it between a SELECT and ON CONFLICT.
    await sql`INSERT INTO ledger_person_heads (person_id, n, head, seq) SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3 FROM json_each(${rows}) AS j WHERE true
      ON CONFLICT (person_id) DO UPDATE SET n = excluded.n, head = excluded.head, seq = excluded.seq`.execute(trx);
    return;
  }
  await sql`INSERT INTO ledger_person_heads (person_id, n, head, seq)
    SELECT * FROM unnest(${persons}::text[], ${values.map((h) => h.n)}::int[], ${values.map((h) => h.head)}::text[], ${values.map((h) => h.seq)}::bigint[])
    ON CONFLICT (person_id) DO UPDATE SET n = excluded.n, head = excluded.head, seq = excluded.seq`.execute(trx);
}

export interface ChainedBatch {
  /** Each event's leaf hash, in order. */
  leaves: Buffer[];
  /** How each event's stored body changes, or null when it does not; undefined when no event of the batch is chained. */
  rewrites: Array<BodyRewrite | null> | undefined;
}

/**
 * Chain a batch of pending events about to take the leaf indexes `size`, `size + 1`, …: link
 * each chained one to its person's head (read once for the batch), hash every leaf, and move
 * the heads on. Inside the integration's transaction, under the ledger_state lock.
 */
export async function chainBatch(
  trx: Executor,
  flavour: Flavour,
  events: readonly ChainCandidate[],
  size: number,
): Promise<ChainedBatch> {
  const persons = new Set<string>();
  for (const e of events) if (isChained(e.kind, e.person_id)) persons.add(e.person_id);
  if (persons.size === 0) return { leaves: events.map((e) => storedLeafHash(e.body)), rewrites: undefined };
  const heads = await readHeads(trx, flavour, [...persons]);
  const moved = new Map<string, Head>();
  const leaves: Buffer[] = [];
  const rewrites: Array<BodyRewrite | null> = [];
  for (const [i, e] of events.entries()) {
    if (!isChained(e.kind, e.person_id)) {
      leaves.push(storedLeafHash(e.body));
      rewrites.push(null);
      continue;
    }
    const head = moved.get(e.person_id) ?? heads.get(e.person_id);
    const link: ChainLink = head
      ? { n: head.n + 1, prev: head.head, prevIndex: head.seq }
      : { n: 1, prev: null, prevIndex: null };
    const chained = withChainLink(e.body, link);
    leaves.push(chained.leaf);
    rewrites.push(chained.rewrite);
    moved.set(e.person_id, { n: link.n, head: chained.leaf.toString('base64url'), seq: size + i });
  }
  await writeHeads(trx, flavour, moved);
  return { leaves, rewrites };
}

/** A person's chain head: how many chained events of theirs the log holds, and the leaf index of the last; undefined before the first. */
export async function personHead(db: Executor, personId: string): Promise<{ n: number; seq: number } | undefined> {
  const row = await db
    .selectFrom('ledger_person_heads')
    .select(['n', 'seq'])
    .where('person_id', '=', personId)
    .executeTakeFirst();
  return row ? { n: Number(row.n), seq: Number(row.seq) } : undefined;
}
