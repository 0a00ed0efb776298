/** Hash of the complete subtree of 2^level leaves starting at leaf idx·2^level; level 0 holds the leaf hashes. */
export interface LedgerNodesTable {
  level: number;
  idx: number;
  hash: Buffer;
}

/**
 * One ledger event. `body` is the event itself (canonical JSON) and the only thing the tree
 * covers; the other columns copy it for lookups and `ledger verify` checks they agree. `seq` is
 * the leaf index, given when the event is integrated into the tree (null until then).
 */
export interface LedgerEventsTable {
  id: string;
  seq: number | null;
  at: string;
  kind: string;
  account_id: string | null;
  actor_id: string | null;
  organisation_id: string | null;
  person_id: string | null;
  body: string;
}

/** One row: the log's origin line, how many events the tree holds, and below which index event bodies were pruned. */
export interface LedgerStateTable {
  id: number;
  origin: string;
  size: number;
  pruned_below: number;
}

/**
 * The head of one person's journal chain (issue 20): their count of chained events, the leaf
 * hash (base64url) and the leaf index of the last one integrated. Written by the integrator only.
 */
export interface LedgerPersonHeadsTable {
  person_id: string;
  n: number;
  head: string;
  seq: number;
}

/** Every checkpoint the log signed: a witness can ask for any of them. */
export interface LedgerCheckpointsTable {
  size: number;
  root: Buffer;
  note: string;
  at: string;
}

export interface LedgerTables {
  ledger_nodes: LedgerNodesTable;
  ledger_events: LedgerEventsTable;
  ledger_state: LedgerStateTable;
  ledger_checkpoints: LedgerCheckpointsTable;
  ledger_person_heads: LedgerPersonHeadsTable;
}
