/**
 * The guard's shared state: what each actor, organisation and purpose has read in its sliding
 * windows, the signals raised, the containments in force, and the decoy persons. It lives in
 * the database so that several server processes share it and a restart resets nothing.
 */

/**
 * One subject seen in one scope, with the last time: the distinct subjects read within a
 * window are those whose last read falls in it. Scopes: `actor:<id>` (persons read),
 * `org:<id>:<purpose>` (persons read under one purpose), `readers:<org>:<person>` (actors of one
 * organisation who read one person), `net:<actor>` (networks an actor read from).
 */
export interface GuardSeenTable {
  scope: string;
  subject: string;
  first_at: string;
  last_at: string;
  /** 1 once the actor wrote to the person after reading them (a follow-up action). */
  followed_up: number;
}

/** Distinct persons an actor read on each day, for their own baseline. */
export interface GuardActorDaysTable {
  actor_id: string;
  day: string;
  persons: number;
}

/**
 * Searches, for the enumeration signals. Never the identifier searched: a keyed digest of its
 * neighbourhood (a block of consecutive numbers) and, for names, the rank of the first two
 * letters (0–675), enough to see a sweep and nothing more. Kept two days.
 */
export interface GuardSearchesTable {
  id: string;
  actor_id: string;
  at: string;
  kind: string;
  bucket: string | null;
  rank: number | null;
  hit: number;
}

/** A signal raised: an alert, or the reason for a containment. No personal value. */
export interface GuardSignalsTable {
  id: string;
  at: string;
  actor_id: string | null;
  organisation_id: string;
  signal: string;
  severity: 'alert' | 'contain';
  /** JSON: figures and thresholds, the persons read in the window (ids only). */
  details: string;
}

/** An actor or an organisation contained by the guard, until a security officer releases it. */
export interface GuardContainmentsTable {
  id: string;
  scope: 'actor' | 'organisation';
  actor_id: string | null;
  organisation_id: string;
  signal: string;
  details: string;
  contained_at: string;
  released_at: string | null;
  /** Account id of the security officer who released it. */
  released_by: string | null;
  release_note: string | null;
}

/** A person an actor had read (in the day before) when the guard contained it: who the containment may have exposed. */
export interface GuardContainmentPersonsTable {
  containment_id: string;
  person_id: string;
}

/**
 * Decoy persons (honeytokens): real, sealed files of nobody; any read of one contains the reader.
 * A decoy is renewed after a while (`guard/decoy-coverage.ts`): it leaves every caseload and
 * referral, and its row stays, retired, so that naming it later still contains.
 */
export interface GuardDecoysTable {
  person_id: string;
  /** When it was planted. */
  created_at: string;
  /** When it left every organisation's scope (renewed); null while in service. */
  retired_at: string | null;
}

export interface GuardTables {
  guard_seen: GuardSeenTable;
  guard_actor_days: GuardActorDaysTable;
  guard_searches: GuardSearchesTable;
  guard_signals: GuardSignalsTable;
  guard_containments: GuardContainmentsTable;
  guard_containment_persons: GuardContainmentPersonsTable;
  guard_decoys: GuardDecoysTable;
}
