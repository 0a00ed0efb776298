/** The two SQL engines Rempart runs on: SQLite embedded by default, PostgreSQL in production. */
export type Flavour = 'sqlite' | 'postgres';
