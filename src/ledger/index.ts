export {
  appendEvent,
  appendEvents,
  appendEventsWith,
  EVENTS_WRITER,
  LedgerUnavailableError,
  observeAppends,
  type AppendObserver,
} from './append.ts';
export { formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.ts';
export { CompactRange } from './compact-range.ts';
export { currentEventContext, runWithEventContext, updateEventContext, type EventContext } from './context.ts';
export {
  canonicalJson,
  EVENT_KINDS,
  leafData,
  parseBody,
  publicView,
  restrictedDigest,
  type ChainLink,
  type DetailValue,
  type EventBody,
  type EventInput,
  type EventKind,
  type PublicEvent,
} from './event.ts';
export { isChained, JOURNAL_KINDS, personHead } from './person-chain.ts';
// Questions the capabilities ask of the log, rather than reading its tables.
export {
  accountEventsPage,
  countIdentityEvents,
  eventBodiesOfKindSince,
  eventById,
  eventsByIds,
  grantsToActorAbout,
  identityEventsPage,
  journalAwaitsIntegration,
  journalOfPerson,
  journalPage,
  ledgerSize,
  oldestEventAtFrom,
  organisationsGivenClassSince,
  prunedBelow,
  type IdentityWindow,
  type StoredEvent,
} from './questions.ts';
export { Ledger, LedgerIntegrityError, type LedgerBacklog, type SignedCheckpoint } from './log.ts';
export {
  consistencyProof,
  EMPTY_ROOT,
  HASH_BYTES,
  inclusionProof,
  leafHash,
  nodeHash,
  ProofError,
  rootFromInclusionProof,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';
export {
  keyId,
  NoteError,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signerFromSeed,
  signNote,
  verifierKeyOf,
  type NoteSigner,
  type NoteVerifier,
} from './note.ts';
export { StoredTree } from './stored-tree.ts';
export { completedSubtrees, consistencyPath, inclusionPath, rangeHash, rootAt, type SubtreeSource } from './tree.ts';
export { verifyLedger, type Finding, type FindingKind, type VerifyReport } from './verify.ts';
export { openSignedCheckpoint, verifyCheckpointPair, verifyEventInclusion, WitnessError } from './witness.ts';
export { LedgerUpkeep, startLedgerSchedule, type LedgerSchedule } from './scheduler.ts';
export {
  ensureCurrentLedgerPartitions,
  ensureLedgerPartition,
  LEDGER_MIN_RETENTION_DAYS,
  pruneLedger,
  type PruneResult,
} from './retention.ts';
export { countPrunableBodies } from './retention-count.ts';
export type { CheckpointOptions, IntegrityEvent, IntegrityProblem, IntegritySource } from './log.ts';
export {
  describeLedgerProblem,
  LedgerRollbackError,
  LedgerWatch,
  type LedgerAlert,
  type LedgerIntegrityState,
  type LedgerIntegrityStatus,
  type LedgerWatchOptions,
} from './watch.ts';
export {
  LocalWitness,
  WITNESS_FILE_FORMAT,
  WitnessFileError,
  type WitnessRecord,
  type Witnessed,
} from './witness-file.ts';
export { ExternalWitness, type WitnessOutcome } from './external-witness.ts';
export {
  cosignedMessage,
  cosignerKeyId,
  parseCosignerKey,
  verifyCosignature,
  COSIGNATURE_V1,
  type CosignerKey,
} from './cosignature.ts';
