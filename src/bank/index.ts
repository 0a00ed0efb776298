export {
  BankDetails,
  canonicalFreezeCode,
  type BankChangeView,
  type BankDeps,
  type BankHoldView,
  type ChangeOutcome,
  type ChangeRequester,
} from './service.ts';
export {
  AGENT_REQUEST_KINDS,
  CHANGE_STATUS_LABELS,
  HOLD_REASONS,
  isHoldReason,
  REACH_METHODS,
  reasonLabel,
  type AgentRequestKind,
  type HoldReason,
  type ReachMethod,
} from './reasons.ts';
export { DEFAULT_BANK_SETTINGS, type BankSettings } from './settings.ts';
export { retireBankChanges } from './retention.ts';
