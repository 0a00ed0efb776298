/** Tables of this capability, each named by its table name. */
export type FederationTables = Record<never, never>;
