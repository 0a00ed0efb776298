export { createAlertSink, webhookSignature, type AlertSink, type AlertSinkOptions, type GuardAlert } from './alerts.ts';
// Questions the other capabilities ask of the guard, rather than reading its tables.
export { containmentsOfActors, readByContainedAccountSince, type ActorContainment } from './contained-reads.ts';
export { GuardUnavailableError } from './errors.ts';
export {
  decoysAmong,
  Guard,
  type Admission,
  type GuardCheck,
  type GuardedActor,
  type GuardObserver,
  type GuardOptions,
  type GuardOutcome,
  type GuardRefusal,
  type ReadRequest,
} from './guard.ts';
export {
  budgetFor,
  DESK_DOWNLOAD_DAILY_CEILING,
  DESK_DOWNLOAD_PROFILE,
  DESK_DOWNLOAD_PURPOSE,
  DESK_REGISTRATION_DAILY_CEILING,
  DESK_REGISTRATION_PROFILE,
  DESK_REGISTRATION_PURPOSE,
  SIGNAL_THRESHOLDS,
} from './profiles.ts';
export {
  containmentDetail,
  listContainments,
  listSignals,
  releaseContainment,
  type ContainmentView,
  type SignalView,
} from './review.ts';
export {
  DECOY_RENEWAL_DAYS,
  DECOYS_PER_ORGANISATION,
  ensureDecoyCoverage,
  maintainDecoys,
  renewDecoys,
  type DecoyCoverage,
  type DecoyFileMaker,
  type DecoyRenewal,
} from './decoy-coverage.ts';
export { freshDecoyFile } from './synthetic/decoy-file.ts';
export type { SearchCriterion } from './search-shape.ts';
export * from './exports/index.ts';
export { SIGNAL_LABELS, signalLabel } from './signal-labels.ts';
