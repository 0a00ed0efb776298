export { createLogger } from './logger.ts';
export { buildServer } from './server.ts';
export { requireSession } from './session.ts';
