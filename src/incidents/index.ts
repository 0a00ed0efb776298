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
export {
  assessRisk,
  HARMS_FR,
  RISK_LABELS_FR,
  RISK_RULES,
  type Assessment,
  type RiskLevel,
  type RiskRule,
} from './risk.ts';
export {
  ACTIONS,
  actionNeedsApproval,
  Incidents,
  type Action,
  type ActionResult,
  type Amendment,
  type IncidentDeps,
  type PlaceBankHold,
  type StepView,
} from './service.ts';
export {
  DESK_APPROVER_ROLES,
  DESK_REQUESTER_ROLES,
  DownloadRefusedError,
  FOUR_EYES_ACTIONS,
  PERSONAL_DOCUMENTS,
  REQUEST_KINDS,
  type DownloadGate,
  type RequestView,
} from './four-eyes.ts';
