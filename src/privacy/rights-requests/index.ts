export { calendarMonthsAfter, dueDates, requestClock } from './deadline.ts';
export * from './model.ts';
export {
  RightsRequests,
  type AnswerInput,
  type NewRightsRequest,
  type ReadAddress,
  type ReadCopy,
  type RightsRequestDeps,
} from './service.ts';
