import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Runtime } from '../../runtime/index.ts';
import { requireSession } from '../session.ts';
import { staffAppointmentRoutes } from './appointments.ts';
import { staffBankRoutes } from './bank-details.ts';
import { breakGlassRoutes } from './break-glass.ts';
import { callerVerificationRoutes } from './callers.ts';
import { requireStaff } from './common.ts';
import { staffExportRoutes } from './exports.ts';
import { staffPersonRoutes } from './persons.ts';
import { staffProfileRoutes } from './profile.ts';
import { staffEmployerCertificateRoutes } from './employer-certificates.ts';
import { staffMandateRoutes } from './mandates.ts';

/**
 * Staff in a browser session (second factor passed): files read and written under a declared
 * purpose, exact search within scope, caseload lists, verified callers, break-glass.
 */
export function staffRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('onRequest', requireStaff(db));
    await app.register(staffPersonRoutes(runtime));
    await app.register(staffAppointmentRoutes(runtime));
    await app.register(callerVerificationRoutes(runtime));
    await app.register(breakGlassRoutes(runtime));
    await app.register(staffExportRoutes(runtime));
    await app.register(staffBankRoutes(runtime));
    await app.register(staffProfileRoutes(runtime));
    await app.register(staffEmployerCertificateRoutes(runtime));
    await app.register(staffMandateRoutes(runtime));
  };
}
