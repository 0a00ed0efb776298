export {
  MandateCodeSchema,
  MandateLetterSchema,
  MandateRequestSchema,
  MandateRevocationSchema,
  type MandateRequest,
  type MandateState,
  type MandateView,
} from './model.ts';
export {
  CODE_MAX_ATTEMPTS as MANDATE_CODE_MAX_ATTEMPTS,
  MANDATE_CODE_MINUTES,
  MANDATE_NOTICE_DAYS,
  MANDATE_PENDING_HOURS,
  mandateWordings,
  Mandates,
  stateOf,
  type MandateDeps,
  type MandateHelper,
} from './service.ts';
export { retireMandates } from './retention.ts';
export { mandateText, textDigest } from './text.ts';
