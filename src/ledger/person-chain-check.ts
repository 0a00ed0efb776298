import type { ChainLink } from './event.ts';
import { isChained } from './person-chain.ts';

/**
 * The persons' journal chains checked across the log, for `ledger verify` (issue 20): fed the
 * events in leaf order with their recomputed leaf hashes, it says where a chain breaks — an
 * event whose `n` does not follow its person's previous one, or whose `prev` / `prevIndex` do
 * not name it — and, at the end, where `ledger_person_heads` disagrees with the last event
 * seen. Not wired into verify.ts here: call `add` for each event the verifier hashes (after
 * the leaf is computed) and `heads` once at the end.
 *
 * Memory: one entry per person seen (their last n, leaf hash and index).
 */

export interface ChainBreak {
  seq: number | null;
  personId: string;
  message: string;
}

const LINK = /"chain":\{"n":(\d{1,15}),"prev":(null|"([A-Za-z0-9_-]*)"),"prevIndex":(null|\d{1,15})\}/;

/**
 * The chain link of a stored body, read from its text (no JSON.parse: the verifier hashes the
 * stored text as it is). Only the integrator's spelling is recognised; another spelling of a
 * link reads as none, and the chain breaks there. Details never hold an object, so the first
 * `"chain":{` is the event's own.
 */
export function chainLinkIn(body: string): ChainLink | undefined {
  const at = body.indexOf('"chain":{');
  if (at < 0) return undefined;
  const match = LINK.exec(body.slice(at, at + 120));
  if (!match || match.index !== 0) return undefined;
  return { n: Number(match[1]), prev: match[3] ?? null, prevIndex: match[4] === 'null' ? null : Number(match[4]) };
}

export class PersonChainCheck {
  readonly #last = new Map<string, { n: number; leaf: string; seq: number }>();
  readonly #before: number;

  /**
   * `before`: events below this leaf index are not fed (pruned bodies, or a range verified
   * earlier); a person's first chained event seen may link to one of them.
   */
  constructor(before: number) {
    this.#before = before;
  }

  /** One event, in leaf order; a break, if this event is one. */
  add(seq: number, kind: string, personId: string | null, body: string, leaf: Uint8Array): ChainBreak | undefined {
    if (!isChained(kind, personId)) return undefined;
    const link = chainLinkIn(body);
    const last = this.#last.get(personId);
    if (!link) {
      // Before the chain existed, a person's events have no link; once it started, every one has.
      return last
        ? {
            seq,
            personId,
            message: `l'événement ${seq} de la personne ${personId} n'a pas de maillon, après le n°${last.n}`,
          }
        : undefined;
    }
    this.#last.set(personId, { n: link.n, leaf: Buffer.from(leaf).toString('base64url'), seq });
    if (!last) {
      if (link.n === 1 && link.prev === null && link.prevIndex === null) return undefined;
      if (link.n > 1 && link.prev !== null && link.prevIndex !== null && link.prevIndex < this.#before)
        return undefined;
      return {
        seq,
        personId,
        message: `l'événement ${seq} porte le n°${link.n} de la personne ${personId}, dont le précédent (${link.prevIndex ?? 'aucun'}) manque`,
      };
    }
    if (link.n !== last.n + 1)
      return {
        seq,
        personId,
        message: `l'événement ${seq} porte le n°${link.n} de la personne ${personId}, après le n°${last.n} (événement ${last.seq})`,
      };
    if (link.prevIndex !== last.seq || link.prev !== last.leaf)
      return {
        seq,
        personId,
        message: `l'événement ${seq} (n°${link.n} de la personne ${personId}) ne désigne pas l'événement ${last.seq} qui le précède`,
      };
    return undefined;
  }

  /** After the last event: each stored head must be the last chained event seen of its person (heads of persons not seen are not judged). */
  heads(rows: Iterable<{ person_id: string; n: number; seq: number }>): ChainBreak[] {
    const breaks: ChainBreak[] = [];
    for (const row of rows) {
      const last = this.#last.get(row.person_id);
      if (last && (Number(row.n) !== last.n || Number(row.seq) !== last.seq)) {
        breaks.push({
          seq: Number(row.seq),
          personId: row.person_id,
          message: `la tête du journal de la personne ${row.person_id} dit n°${row.n} (événement ${row.seq}), le journal finit au n°${last.n} (événement ${last.seq})`,
        });
      }
    }
    return breaks;
  }
}
