export {
  activeRetentionRules,
  defaultRetentionRules,
  importRetentionRules,
  periodEnd,
  RETENTION_FORMAT,
  RETENTION_OUTCOMES,
  RETENTION_RECORDS,
  RETENTION_TRIGGERS,
  validateRetentionFile,
  type RetentionFile,
  type RetentionRule,
} from './rules.ts';
export { heldPersons, liftRetentionHold, listRetentionHolds, setRetentionHold, type RetentionHold } from './holds.ts';
export {
  purgeRetention,
  retentionStatistics,
  type PurgeOptions,
  type RetentionReport,
  type RetentionReportLine,
} from './purge.ts';
export { recordUnusedKeyVersions, retireKeyVersions, type RetireOutcome } from './keys.ts';
