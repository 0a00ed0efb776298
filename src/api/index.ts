export { createLogger } from './logger.ts';
export { buildServer, type ServerOptions } from './server.ts';
export { requireSession } from './session.ts';
