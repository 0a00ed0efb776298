export { AccessPipeline, grantEvent, type Caller, type Granted, type PipelineOptions, type ReadOutcome } from './pipeline.ts';
