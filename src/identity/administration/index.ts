export {
  approveAdminRequest,
  disableStaffAccount,
  listAdminRequests,
  listOrganisationAccounts,
  refuseAdminRequest,
  requestAdminChange,
  requireOrgAdmin,
  REQUEST_TTL_MS,
  type AdminRequestInput,
  type AdminRequestView,
} from './requests.ts';
export {
  currentRecertification,
  decideRecertification,
  RECERTIFICATION_EVERY_DAYS,
  RECERTIFICATION_WINDOW_DAYS,
  runRecertificationSchedule,
  startRecertification,
  type RecertificationView,
} from './recertification.ts';
export { GRANTABLE_ROLES, grantableRoles, ORG_ADMIN_ROLE } from './roles.ts';
