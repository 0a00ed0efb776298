/** How long and how often: the bank-detail rules an operator may tune (environment, see config). */
export interface BankSettings {
  /** Hours between a change and the first payment to the new account. */
  coolingOffHours: number;
  /** A password reset, a new device or a new factor this recent holds a change for verification. */
  recentDays: number;
  /** An exposure (the person's file read by an account later contained) this recent holds it too. */
  exposureDays: number;
  /** Change requests a person may make in 30 days, whatever became of them. */
  maxRequestsPer30Days: number;
  /** Days a "ce n'est pas moi" code stays usable. */
  freezeCodeDays: number;
  /** A contact change this recent before a bank change (or during its cooling-off) holds it for an agent of another team. */
  contactChangeDays: number;
}

export const DEFAULT_BANK_SETTINGS: BankSettings = {
  coolingOffHours: 72,
  recentDays: 14,
  exposureDays: 90,
  maxRequestsPer30Days: 2,
  freezeCodeDays: 30,
  contactChangeDays: 30,
};

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
