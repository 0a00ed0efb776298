/** Tables of this capability, each named by its table name. */
export type AdministrationTables = Record<never, never>;
