export { createAlertSink, webhookSignature, type AlertSink, type AlertSinkOptions, type GuardAlert } from './alerts.ts';
export { GuardUnavailableError } from './errors.ts';
export { decoysAmong, Guard, withinWorkingHours, type Admission, type GuardedActor, type GuardOptions, type GuardRefusal, type ReadRequest } from './guard.ts';
export { budgetFor, organisationSoftLimit, SIGNAL_THRESHOLDS, type Budget } from './profiles.ts';
export { containmentDetail, listContainments, listSignals, releaseContainment, type ContainmentView, type SignalView } from './review.ts';
export { searchShape, type SearchCriterion, type SearchShape } from './search-shape.ts';
export * from './exports/index.ts';
