/** One declaration of a person for a month (a new version per correction), sealed. */
export interface MonthlyUpdatesTable {
  id: string;
  person_id: string;
  period: string;
  version: number;
  declared_at: string;
  account_id: string | null;
  secret_version: number;
  sealed: Buffer;
}

/** The check of missed updates for a month: done once. */
export interface MonthlyUpdateChecksTable {
  period: string;
  checked_at: string;
  ceased: number;
}

/** A person reminded, once, that their update for a month closes soon. */
export interface MonthlyUpdateRemindersTable {
  person_id: string;
  period: string;
  reminded_at: string;
}

export interface MonthlyUpdateTables {
  monthly_updates: MonthlyUpdatesTable;
  monthly_update_checks: MonthlyUpdateChecksTable;
  monthly_update_reminders: MonthlyUpdateRemindersTable;
}
