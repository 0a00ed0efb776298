export { computeBlastRadius, personsExposedByAnyIncident, type ScopeProgress } from './blast-radius.ts';
export { buildCnilDraft, type CnilDraft } from './cnil.ts';
export type { DocumentInfo } from './documents.ts';
export { notificationClock, VECTOR_LABELS_FR, VECTORS, type BlastRadius, type Compromised, type Declaration, type Exposure, type IncidentView, type NotificationClock, type Totals, type Vector } from './model.ts';
export type { NoticeRun, NoticeStatus } from './notices.ts';
export { assessRisk, HARMS_FR, RISK_LABELS_FR, RISK_RULES, type Assessment, type RiskLevel, type RiskRule } from './risk.ts';
export { ACTIONS, Incidents, type Action, type ActionResult, type IncidentDeps, type PlaceBankHold, type StepView } from './service.ts';
