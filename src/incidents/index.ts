export { computeBlastRadius, personsExposedByAnyIncident, type ScopeProgress } from './blast-radius.ts';
export { buildCnilDraft, type CnilDraft } from './cnil.ts';
export type { DocumentInfo } from './documents.ts';
export {
  notificationClock,
  VECTOR_LABELS_FR,
  VECTORS,
  type BlastRadius,
  type Compromised,
  type Declaration,
  type Exposure,
  type IncidentView,
  type NotificationClock,
  type Totals,
  type Vector,
} from './model.ts';
export type { NoticeRun, NoticeStatus } from './notices.ts';
export { exposedByAnIncidentSince } from './questions.ts';
// The letter format and the postal block, for the other desks that write to people (rights requests).
export { addressee, postalBlock } from './notice-text.ts';
export { renderLetters, renderReport, type Letter, type LetterLayout } from './pdf.ts';
export {
  assessRisk,
  HARMS_FR,
  RISK_LABELS_FR,
  RISK_RULES,
  type Assessment,
  type RiskLevel,
  type RiskRule,
} from './risk.ts';
export { Incidents } from './service.ts';
export type { Amendment } from './declaration.ts';
export type { IncidentDeps, PlaceBankHold } from './desk.ts';
export type { StepView } from './register.ts';
export { ACTIONS, actionNeedsApproval, type Action, type ActionResult } from './remediation.ts';
export {
  DownloadRefusedError,
  FOUR_EYES_ACTIONS,
  PERSONAL_DOCUMENTS,
  REQUEST_KINDS,
  type DownloadGate,
  type RequestView,
} from './four-eyes.ts';
export { retireIncidentDocuments } from './retention.ts';
