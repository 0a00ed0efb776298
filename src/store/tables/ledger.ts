/** Hash of the complete subtree of 2^level leaves starting at leaf idx·2^level; level 0 holds the leaf hashes. */
export interface LedgerNodesTable {
  level: number;
  idx: number;
  hash: Buffer;
}

export interface LedgerTables {
  ledger_nodes: LedgerNodesTable;
}
