export {
  AccessPipeline,
  BOOTSTRAP_DAILY_CEILING,
  BOOTSTRAP_PURPOSE,
  grantEvent,
  type Caller,
  type CaseloadOutcome,
  type Granted,
  type PipelineOptions,
  type ReadOutcome,
  type SearchOutcome,
  type SearchRequest,
  type WriteOutcome,
} from './pipeline.ts';
