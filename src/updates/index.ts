export { DeclarationSchema, type Declaration, type OwnDeclaration, type UpdateState } from './model.ts';
export { MonthlyUpdates, type MonthlyUpdateDeps } from './service.ts';
export { lastClosedWindowAt, nextWindowAfter, openWindowAt, windowOf, type UpdateWindow } from './window.ts';
export { retireMonthlyUpdates } from './retention.ts';
