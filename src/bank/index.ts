export { BankDetails, canonicalFreezeCode, type BankChangeView, type BankDeps, type BankHoldView, type ChangeOutcome, type ChangeRequester } from './service.ts';
export { AGENT_REQUEST_KINDS, CHANGE_STATUS_LABELS, HOLD_REASONS, isHoldReason, reasonLabel, type AgentRequestKind, type HoldReason } from './reasons.ts';
export { DEFAULT_BANK_SETTINGS, type BankSettings } from './settings.ts';
