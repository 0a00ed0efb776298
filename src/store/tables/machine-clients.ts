/** Tables of this capability, each named by its table name. */
export type MachineClientTables = Record<never, never>;
