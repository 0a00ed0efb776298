/**
 * An appointment between a person and an agent of an organisation: metadata only, in clear like
 * a caseload, for the agenda and for the guard (a read the day's appointments explain).
 */
export interface AppointmentsTable {
  id: string;
  person_id: string;
  organisation_id: string;
  /** The agent the person meets. */
  actor_id: string;
  /** ISO 8601 UTC instant. */
  at: string;
  /** entretien, atelier, telephone, visio. */
  kind: string;
  /** Who booked it: an agent, or null when the person booked it from their space (or an import). */
  created_by: string | null;
  created_at: string;
  cancelled_at: string | null;
}

export interface AppointmentTables {
  appointments: AppointmentsTable;
}
