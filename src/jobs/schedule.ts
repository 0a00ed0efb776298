const DAY_SECONDS = 86_400;

/**
 * The fleet's background jobs and their default periods in seconds (`ledger.checkpoint`: the
 * checkpoint interval, REMPART_CHECKPOINT_SECONDS). REMPART_JOB_PERIODS overrides any of them,
 * e.g. `bank.settle=30,accounts.sweep=3600`. What each does is in src/runtime/jobs.ts.
 */
export const JOB_PERIODS = {
  'ledger.integrate': 1,
  'ledger.checkpoint': 0,
  'ledger.partitions': 3600,
  'bank.settle': 60,
  'messages.deliver': 5,
  'exports.expire': 300,
  'accounts.sweep': DAY_SECONDS,
  'decoys.maintain': DAY_SECONDS,
  'jobs.purge': DAY_SECONDS,
  'retention.purge': DAY_SECONDS,
  'rights.overdue': DAY_SECONDS,
  // Cheap when there is nothing to do: the check of a month runs once, after its window closes.
  'updates.missed': 3600,
  // From the 13th, once per person and month: « your update closes on the 15th ».
  'updates.remind': 3600,
  // Mandates to an aidant: a notice some days before one ends, and one when it has ended (issue 25 §4).
  'mandates.expiry': 3600,
} as const;

export type JobName = keyof typeof JOB_PERIODS;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOB_PERIODS, name);
}
