export {
  approveAdminRequest,
  disableStaffAccount,
  listAdminRequests,
  listOrganisationMachineClients,
  listOrganisationAccounts,
  refuseAdminRequest,
  requestAdminChange,
  requireOrgAdmin,
  revokeOrganisationMachineClient,
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
