/**
 * Checking that « Qui a consulté mon dossier » is complete, not only that each entry is in the
 * signed log (proof.ts). Every entry integrated since the chain exists carries
 * `event.chain = { n, prev, prevIndex }`: the person's count of journal entries, and the leaf
 * hash and leaf index of their previous one, all under the entry's inclusion proof. The server
 * states the count of the newest (`head`). Newest first, the entries must then be numbered
 * head, head − 1, … 1 without a gap, each linked to the next one by its leaf hash; the chain
 * may stop above 1 only where older bodies were pruned at the end of the retention period
 * (the previous entry's leaf index is below `prunedBelow`). The browser also remembers the
 * highest number it saw for this person: a head that went back means entries were removed.
 *
 * Pure and synchronous (the leaf hashes are computed by the caller), so the server's tests run
 * the very function the page runs.
 */

export interface ChainLink {
  n: number;
  prev: string | null;
  prevIndex: number | null;
}

export interface ChainEntry {
  /** Leaf index of the entry in the tree (as its inclusion proof uses it). */
  index: number;
  /** The entry's leaf hash, base64url, recomputed from what the entry shows. */
  leafHash: string;
  /** `event.chain`; absent on entries integrated before the chain existed. */
  chain?: ChainLink | null | undefined;
}

/** What the journal's answer states of the person's chain. */
export interface ChainState {
  head: number;
  headIndex: number | null;
  prunedBelow: number;
}

export interface ChainInput {
  /** The page's entries, newest first, as the server sent them. */
  entries: readonly ChainEntry[];
  page: number;
  pageSize: number;
  total: number;
  chain: ChainState;
  /** The highest entry number this browser saw before for this person (0 if none). */
  remembered: number;
}

export type ChainFinding =
  /** Entries `from` to `to` are missing: a gap in the page, a newest entry short of the head, a head behind what was seen before, or a chain that stops above 1 without pruning. */
  | { kind: 'missing'; from: number; to: number; reason: 'gap' | 'head' | 'remembered' | 'start' }
  /** `count` entries are missing among those of the previous pages (this page starts too low). */
  | { kind: 'earlier'; count: number }
  /** An entry numbered `n` where another was expected (repeated, moved or foreign). */
  | { kind: 'unexpected'; n: number; expected: number }
  /** Entry `n` does not point at entry n − 1 (leaf hash or leaf index). */
  | { kind: 'link'; n: number };

export interface ChainReport {
  complete: boolean;
  /** The person's count of chained entries, as stated and checked. */
  head: number;
  /** Older entries pruned at the end of the retention period, when this page reaches them. */
  pruned: number;
  /** Entries of the page from before the chain existed (older than n = 1). */
  unchained: number;
  finding: ChainFinding | null;
  /** The highest entry number on the page (what to remember once its proof is checked). */
  highest: number;
}

export function checkChain(input: ChainInput): ChainReport {
  const { entries, chain, page, pageSize } = input;
  const highest = entries.reduce((max, e) => Math.max(max, e.chain?.n ?? 0), 0);
  const report = (finding: ChainFinding | null, pruned = 0, unchained = 0): ChainReport => ({
    complete: finding === null,
    head: chain.head,
    pruned,
    unchained,
    finding,
    highest,
  });

  if (input.remembered > chain.head)
    return report({ kind: 'missing', from: chain.head + 1, to: input.remembered, reason: 'remembered' });

  // The number the i-th entry of the page must carry: the head, less the entries before it.
  let expected = chain.head - (page - 1) * pageSize;
  let unchained = 0;
  let oldest: ChainEntry | undefined;
  for (const [i, entry] of entries.entries()) {
    const link = entry.chain;
    if (!link) {
      // Only entries older than n = 1 may come without a link.
      if (expected >= 1) return report({ kind: 'missing', from: expected, to: expected, reason: 'gap' });
      unchained++;
      expected--;
      continue;
    }
    if (link.n < expected) {
      if (i === 0 && page > 1) return report({ kind: 'earlier', count: expected - link.n });
      return report({ kind: 'missing', from: link.n + 1, to: expected, reason: i === 0 ? 'head' : 'gap' });
    }
    if (link.n > expected) return report({ kind: 'unexpected', n: link.n, expected });
    const older = entries[i + 1];
    if (
      older?.chain &&
      older.chain.n === link.n - 1 &&
      (link.prev !== older.leafHash || link.prevIndex !== older.index)
    )
      return report({ kind: 'link', n: link.n });
    if (link.n === 1 && (link.prev !== null || link.prevIndex !== null)) return report({ kind: 'link', n: 1 });
    oldest = entry;
    expected--;
  }

  // The last page reaches the start of the chain: n = 1, or older entries lawfully pruned.
  const lastPage = page * pageSize >= input.total;
  if (lastPage && expected >= 1) {
    // The leaf index of the newest entry not shown: the previous one of the oldest shown, or, on
    // an empty first page, the head itself. Below `prunedBelow` it is gone with every older one.
    const gone = oldest ? oldest.chain!.prevIndex : page === 1 && entries.length === 0 ? chain.headIndex : null;
    // Missing for sure: that entry; and every older one when nothing was ever pruned.
    if (gone === null || gone >= chain.prunedBelow)
      return report(
        { kind: 'missing', from: chain.prunedBelow === 0 ? 1 : expected, to: expected, reason: 'start' },
        0,
        unchained,
      );
    return report(null, expected, unchained);
  }
  return report(null, 0, unchained);
}

function entriesNamed(from: number, to: number): string {
  return from === to ? `l’entrée n°${from} manque` : `les entrées n°${from} à n°${to} manquent`;
}

/** The check's outcome in words, for the page (DSFR badge severity and sentence). */
export function describeChain(report: ChainReport): {
  severity: 'success' | 'info' | 'error';
  title: string;
  text: string;
} {
  const finding = report.finding;
  if (!finding && report.head === 0) {
    return {
      severity: 'info',
      title: 'Non chaîné',
      text: 'Ces entrées sont antérieures au chaînage du journal : chacune est prouvée, mais leur nombre ne peut pas être vérifié.',
    };
  }
  if (!finding) {
    const extra = [
      report.pruned > 0
        ? `dont ${report.pruned === 1 ? 'la plus ancienne supprimée' : `les ${report.pruned} plus anciennes supprimées`} au terme de la durée de conservation`
        : null,
      report.unchained > 0
        ? `et ${report.unchained} plus ancienne${report.unchained > 1 ? 's' : ''}, antérieure${report.unchained > 1 ? 's' : ''} au chaînage`
        : null,
    ].filter((part): part is string => part !== null);
    const count = report.head === 1 ? '1 entrée, chaînée' : `${report.head} entrées, chaînées`;
    return {
      severity: 'success',
      title: 'Chaînage vérifié',
      text: `Journal complet : ${count}${extra.length ? ` (${extra.join(', ')})` : ''}.`,
    };
  }
  const after = ' Signalez-le au délégué à la protection des données.';
  switch (finding.kind) {
    case 'missing': {
      const what = entriesNamed(finding.from, finding.to);
      const why =
        finding.reason === 'remembered'
          ? ` : votre navigateur ${finding.from === finding.to ? 'l’avait vue' : 'les avait vues'} lors d’une visite précédente`
          : finding.reason === 'head'
            ? ` : le registre annonce ${report.head} entrée${report.head > 1 ? 's' : ''}`
            : '';
      return { severity: 'error', title: 'Entrée manquante', text: `Journal incomplet : ${what}${why}.${after}` };
    }
    case 'earlier':
      return {
        severity: 'error',
        title: 'Entrée manquante',
        text: `Journal incomplet : ${finding.count === 1 ? 'une entrée manque' : `${finding.count} entrées manquent`} parmi les plus récentes (pages précédentes).${after}`,
      };
    case 'unexpected':
      return {
        severity: 'error',
        title: 'Chaînage rompu',
        text: `Journal incohérent : l’entrée n°${finding.n} se trouve là où l’entrée n°${finding.expected} était attendue.${after}`,
      };
    case 'link':
      return {
        severity: 'error',
        title: 'Chaînage rompu',
        text: `Journal incohérent : l’entrée n°${finding.n} ne suit pas l’entrée qui la précède.${after}`,
      };
  }
}
