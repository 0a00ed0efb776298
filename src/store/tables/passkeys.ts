/** Tables of this capability, each named by its table name. */
export type PasskeyTables = Record<never, never>;
