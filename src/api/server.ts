import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Runtime } from '../runtime/index.ts';
import { agencyPersonRoutes } from './agency/persons.ts';
import { accountAdministrationRoutes } from './admin/accounts.ts';
import { channelRoutes } from './auth/channels.ts';
import { federationRoutes } from './auth/federation.ts';
import { passkeyRoutes } from './auth/passkeys.ts';
import { recoveryRoutes } from './auth/recovery.ts';
import { authRoutes } from './auth/routes.ts';
import { errorHandler } from './errors.ts';
import { registerStrictJsonBodies } from './json-body.ts';
import { machineClientRoutes } from './oauth/token.ts';
import { partnerAgreementRoutes } from './partner/agreements.ts';
import { partnerPersonRoutes } from './partner/persons.ts';
import { partnerRegistrationRoutes } from './partner/registrations.ts';
import { employerCertificateRoutes } from './employer/certificates.ts';
import { breakGlassReviewRoutes } from './security/break-glass.ts';
import { restrictionRoutes } from './security/restrictions.ts';
import { rectificationDeskRoutes, rectificationNoticeRoutes } from './security/rectifications.ts';
import { securityPostureRoutes } from './security/posture.ts';
import { registerDpiaRoutes } from './security/register.ts';
import { staffRoutes } from './staff/index.ts';
import { healthRoutes } from './system/health.ts';
import { metricsRoutes, registerRequestMetrics } from './system/metrics.ts';
import { validatorCompiler } from './validation.ts';
import { registerEventContext } from './event-context.ts';
import { registerOriginCheck } from './origin.ts';
import { guardRoutes } from './security/guard.ts';
import { exportRoutes } from './security/exports.ts';
import { incidentRoutes } from './security/incidents.ts';
import { ledgerRoutes } from './ledger/routes.ts';
import { myJournalRoutes } from './me/journal.ts';
import { accessReportRoutes } from './security/access-reports.ts';
import { retentionRoutes } from './security/retention.ts';
import { freezeRoutes } from './bank/freeze.ts';
import { myBankDetailsRoutes } from './me/bank-details.ts';
import { myFileRoutes } from './me/file.ts';
import { myRightsRequestRoutes } from './me/rights-requests.ts';
import { myMonthlyUpdateRoutes } from './me/monthly-update.ts';
import { myMandateRoutes } from './me/mandates.ts';
import { myEmployerCertificateRoutes } from './me/employer-certificates.ts';
import { rightsRequestDeskRoutes, staffRightsRequestRoutes } from './security/rights-requests.ts';
import { securityDashboardRoutes } from './security/dashboard.ts';
import { myCorrespondenceRoutes } from './me/correspondence.ts';
import { paperLetterRoutes } from './security/letters.ts';
import { registrationRoutes } from './registration/online.ts';
import { myRegistrationRoutes } from './me/registration.ts';
import { registrationReviewRoutes } from './staff/registration-reviews.ts';
import { staffCorrespondenceRoutes } from './staff/correspondence.ts';
import { staffRegistrationRoutes } from './staff/registrations.ts';
import { registerSecurityHeaders, webRoutes } from './web.ts';

export interface ServerOptions {
  /**
   * Addresses of a reverse proxy whose `X-Forwarded-For` is believed (Fastify's `trustProxy`):
   * the operator's list (REMPART_TRUST_PROXY, `runtime.config.trustProxy`) unless given here.
   * Empty: the client address is the socket's and the header is ignored. The attack simulator
   * sets it (to 127.0.0.1), to give each simulated actor its own network while it drives the
   * server over loopback.
   */
  trustProxy?: string | string[];
}

export async function buildServer(
  runtime: Runtime,
  logger: Logger,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  const trustProxy = options.trustProxy ?? runtime.config.trustProxy;
  const trusting = typeof trustProxy === 'string' ? trustProxy !== '' : trustProxy.length > 0;
  const app = Fastify({
    // `request.ip` is then the first address not trusted, walking X-Forwarded-For from the right:
    // every consumer of the client's address (guard, partner network gate, throttle, ledger) reads it.
    ...(trusting ? { trustProxy } : {}),
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // First, so that every answer is timed, a refusal by any later hook included.
  registerRequestMetrics(app, runtime.metrics);
  if (trusting) registerForwardedAddressCheck(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(errorHandler);
  registerStrictJsonBodies(app);
  registerEventContext(app);
  app.decorate('guard', runtime.guard);
  app.decorate('persons', runtime.persons);
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  await registerSecurityHeaders(app);
  registerOriginCheck(app, runtime.database.db, runtime.config.publicUrl);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Rempart API',
        version: '0.1.0',
        description:
          'Registre des données personnelles des demandeurs d’emploi : chiffrement par classe de données, accès finalisés, journal inaltérable.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          cookieAuth: { type: 'apiKey', in: 'cookie', name: 'rempart_session' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes(runtime), { prefix: '/api' });
  await app.register(metricsRoutes(runtime), { prefix: '/api' });
  await app.register(agencyPersonRoutes(runtime), { prefix: '/api/agency' });
  await app.register(authRoutes(runtime), { prefix: '/api/auth' });
  await app.register(passkeyRoutes(runtime), { prefix: '/api/auth/passkeys' });
  await app.register(recoveryRoutes(runtime), { prefix: '/api/auth/recovery' });
  await app.register(channelRoutes(runtime), { prefix: '/api/auth/channels' });
  await app.register(federationRoutes(runtime), { prefix: '/api/auth/oidc' });
  await app.register(accountAdministrationRoutes(runtime), { prefix: '/api/admin' });
  await app.register(machineClientRoutes(runtime), { prefix: '/api/oauth' });
  await app.register(partnerAgreementRoutes(runtime), { prefix: '/api/partner' });
  await app.register(partnerPersonRoutes(runtime), { prefix: '/api/partner' });
  await app.register(partnerRegistrationRoutes(runtime), { prefix: '/api/partner/registrations' });
  await app.register(employerCertificateRoutes(runtime), { prefix: '/api/employer' });
  await app.register(securityPostureRoutes(runtime), { prefix: '/api/security' });
  await app.register(registerDpiaRoutes(runtime), { prefix: '/api/security' });
  await app.register(staffRoutes(runtime), { prefix: '/api/staff' });
  await app.register(breakGlassReviewRoutes(runtime), { prefix: '/api/security/break-glass' });
  await app.register(restrictionRoutes(runtime), { prefix: '/api/security/persons' });
  await app.register(rectificationDeskRoutes(runtime), { prefix: '/api/security' });
  await app.register(rectificationNoticeRoutes(runtime), { prefix: '/api/staff/rectification-notices' });
  await app.register(accessReportRoutes(runtime), { prefix: '/api/security/access-reports' });
  await app.register(retentionRoutes(runtime), { prefix: '/api/security/retention' });
  await app.register(guardRoutes(runtime), { prefix: '/api/security/guard' });
  await app.register(exportRoutes(runtime), { prefix: '/api/security/exports' });
  await app.register(incidentRoutes(runtime), { prefix: '/api/security/incidents' });
  await app.register(ledgerRoutes(runtime), { prefix: '/api/ledger' });
  await app.register(myJournalRoutes(runtime), { prefix: '/api/me' });
  await app.register(myBankDetailsRoutes(runtime), { prefix: '/api/me/bank-details' });
  await app.register(myFileRoutes(runtime), { prefix: '/api/me' });
  await app.register(myRightsRequestRoutes(runtime), { prefix: '/api/me' });
  await app.register(myMonthlyUpdateRoutes(runtime), { prefix: '/api/me' });
  await app.register(myMandateRoutes(runtime), { prefix: '/api/me' });
  await app.register(myEmployerCertificateRoutes(runtime), { prefix: '/api/me' });
  await app.register(staffRightsRequestRoutes(runtime), { prefix: '/api/staff/rights-requests' });
  await app.register(rightsRequestDeskRoutes(runtime), { prefix: '/api/security/rights-requests' });
  await app.register(securityDashboardRoutes(runtime), { prefix: '/api/security/dashboard' });
  // The paper channel (issue 25 §5): the choice of paper, by the person or an agent, and the mail room.
  await app.register(myCorrespondenceRoutes(runtime), { prefix: '/api/me' });
  await app.register(staffCorrespondenceRoutes(runtime), { prefix: '/api/staff' });
  await app.register(staffRegistrationRoutes(runtime), { prefix: '/api/staff/registrations/desk' });
  await app.register(paperLetterRoutes(runtime), { prefix: '/api/security/letters' });
  await app.register(registrationRoutes(runtime), { prefix: '/api/registration' });
  await app.register(myRegistrationRoutes(runtime), { prefix: '/api/me' });
  await app.register(registrationReviewRoutes(runtime), { prefix: '/api/staff/registration-reviews' });
  await app.register(freezeRoutes(runtime));
  await app.register(webRoutes);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: 'not_found', message: 'Ressource inconnue.', requestId: request.id });
  });
  return app;
}

/**
 * Behind a trusted proxy `request.ip` is taken from X-Forwarded-For, and the matcher keeps an
 * entry that is not an address at all ("unknown", a hostname, nothing) as the client's. A proxy
 * appends the peer it saw, so this only happens when one passes the header through untouched:
 * refused, rather than throttling, gating and recording a string a client chose.
 */
function registerForwardedAddressCheck(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (isIP(request.ip) !== 0) return done();
    void reply.status(400).send({
      error: 'invalid_forwarded_for',
      message: 'Adresse du client illisible dans l’en-tête X-Forwarded-For transmis par le mandataire.',
      requestId: request.id,
    });
  });
}
