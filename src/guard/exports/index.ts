export { CANARIES_PER_EXPORT, canaryDigest, cellsOf } from './canaries.ts';
export { EXPORT_FORMAT, exportColumns, openExportFile, type ExportEnvelope } from './file.ts';
export {
  approveExport,
  downloadExport,
  expireExports,
  EXPORT_DEFAULT_DAYS,
  EXPORT_MAX_DAYS,
  ExportExpiredError,
  ExportRefusalSchema,
  ExportRequestSchema,
  getExport,
  listExports,
  listRecipientExports,
  refuseExport,
  requestExport,
  traceLeak,
  type ApprovedExport,
  type ExportRequest,
  type ExportServices,
  type ExportView,
  type LeakTrace,
  type RecipientExportView,
} from './workflow.ts';
export { exportsTouching, type ExportSummary } from './questions.ts';
export { retireExports } from './retention.ts';
