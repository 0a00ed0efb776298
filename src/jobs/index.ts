export { InProcessJobRunner } from './local.ts';
export { PgBossJobRunner, type PgBossSettings } from './pg-boss.ts';
export { purgeRuns, slotOf } from './runs.ts';
export type { JobContext, JobHooks, JobQueueStatus, JobRunner, JobSpec } from './types.ts';
export { isJobName, JOB_PERIODS, type JobName } from './schedule.ts';
