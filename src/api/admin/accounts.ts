import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  approveAdminRequest,
  currentRecertification,
  decideRecertification,
  disableStaffAccount,
  listAdminRequests,
  listOrganisationAccounts,
  listOrganisationMachineClients,
  refuseAdminRequest,
  requestAdminChange,
  revokeOrganisationMachineClient,
  startRecertification,
} from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { messengerOf } from '../messenger.ts';
import { errorResponses } from '../schemas.ts';
import { requireRecentSecondFactor, requireSession } from '../session.ts';

const tags = ['administration des comptes'];
const Id = Type.String({ format: 'uuid' });
const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
const Roles = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 8 });

const RequestBody = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('create_staff_account'),
      login: Type.String({ minLength: 3, maxLength: 63 }),
      displayName: Type.String({ minLength: 2, maxLength: 120 }),
      roles: Roles,
      email: Type.String({ minLength: 3, maxLength: 254 }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ kind: Type.Literal('grant_roles'), accountId: Id, roles: Roles }, { additionalProperties: false }),
  Type.Object(
    { kind: Type.Literal('reset_staff_credentials'), accountId: Id, resetFactors: Type.Boolean() },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('register_machine_client'),
      name: Type.String({ minLength: 1, maxLength: 120 }),
      jwks: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 5 }) }),
    },
    { additionalProperties: false },
  ),
]);

const RequestView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  targetAccountId: Type.Union([Type.String(), Type.Null()]),
  summary: Type.Record(Type.String(), Type.Unknown()),
  requestedBy: Type.String(),
  requestedAt: Type.String(),
  expiresAt: Type.String(),
  decidedBy: Type.Union([Type.String(), Type.Null()]),
  decidedAt: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});

const RecertificationView = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  startedAt: Type.String(),
  dueAt: Type.String(),
  closedAt: Type.Union([Type.String(), Type.Null()]),
  accounts: Type.Array(
    Type.Object({
      accountId: Type.String(),
      login: Type.String(),
      decision: Type.String(),
      decidedBy: Type.Union([Type.String(), Type.Null()]),
      decidedAt: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

/**
 * Account administration for an organisation's administrators. Every change that gives access
 * (new account, new role, reset credentials) is a request a second administrator approves;
 * every step alerts the organisation's security contact; every write needs a fresh second factor.
 */
export function accountAdministrationRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireSession(db));
    const stepUp = requireRecentSecondFactor(db);

    app.get(
      '/accounts',
      {
        schema: {
          tags,
          summary: 'Les comptes de mon organisation',
          response: {
            200: Type.Object({ accounts: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
            ...errorResponses,
          },
        },
      },
      async (request) => ({ accounts: await listOrganisationAccounts(db, request.account!.id) }),
    );

    app.post(
      '/accounts/:id/disable',
      {
        preHandler: stepUp,
        schema: {
          tags,
          summary: 'Désactiver un compte tout de suite (sans second administrateur : retirer un accès n’attend pas)',
          params: IdParams,
          response: { 200: Type.Object({ revokedSessions: Type.Integer() }), ...errorResponses },
        },
      },
      async (request) => disableStaffAccount(messengerOf(runtime), request.account!.id, request.params.id, request.ip),
    );

    app.post(
      '/requests',
      {
        preHandler: stepUp,
        schema: {
          tags,
          summary:
            'Demander une création de compte, une attribution de rôle, une réinitialisation ou le raccordement d’un client machine (à faire approuver)',
          body: RequestBody,
          response: { 202: RequestView, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(202)
          .send(await requestAdminChange(messengerOf(runtime), request.account!.id, request.body, request.ip)),
    );

    app.get(
      '/requests',
      {
        schema: {
          tags,
          summary: 'Les demandes de mon organisation',
          querystring: Type.Object(
            { status: Type.Optional(Type.Enum(['pending', 'approved', 'refused', 'expired'])) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ requests: Type.Array(RequestView) }), ...errorResponses },
        },
      },
      async (request) => ({ requests: await listAdminRequests(db, request.account!.id, request.query.status) }),
    );

    app.post(
      '/requests/:id/approve',
      {
        preHandler: stepUp,
        schema: {
          tags,
          summary: 'Approuver la demande d’un autre administrateur (quatre yeux)',
          params: IdParams,
          response: { 200: RequestView, ...errorResponses },
        },
      },
      async (request) => approveAdminRequest(messengerOf(runtime), request.account!.id, request.params.id, request.ip),
    );

    app.post(
      '/requests/:id/refuse',
      {
        preHandler: stepUp,
        schema: {
          tags,
          summary: 'Refuser une demande',
          params: IdParams,
          response: { 200: RequestView, ...errorResponses },
        },
      },
      async (request) => refuseAdminRequest(messengerOf(runtime), request.account!.id, request.params.id, request.ip),
    );

    app.get(
      '/machine-clients',
      {
        schema: {
          tags,
          summary: 'Les systèmes d’information partenaires (clients machine) de mon organisation',
          response: {
            200: Type.Object({ clients: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
            ...errorResponses,
          },
        },
      },
      async (request) => ({ clients: await listOrganisationMachineClients(db, request.account!.id) }),
    );

    app.post(
      '/machine-clients/:id/revoke',
      {
        preHandler: stepUp,
        schema: {
          tags,
          summary: 'Révoquer un client machine tout de suite (ses jetons cessent de fonctionner)',
          params: IdParams,
          response: { 200: Type.Object({ revoked: Type.Boolean() }), ...errorResponses },
        },
      },
      async (request) => revokeOrganisationMachineClient(messengerOf(runtime), request.account!.id, request.params.id),
    );

    app.post(
      '/recertifications',
      {
        preHandler: stepUp,
        schema: {
          tags,
          summary: 'Ouvrir la revue périodique des comptes de mon organisation',
          response: { 201: RecertificationView, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await startRecertification(messengerOf(runtime), request.account!.id)),
    );

    app.get(
      '/recertifications/current',
      {
        schema: {
          tags,
          summary: 'La revue des comptes en cours',
          response: { 200: RecertificationView, ...errorResponses },
        },
      },
      async (request, reply) => {
        const current = await currentRecertification(db, request.account!.id);
        if (!current)
          return reply
            .status(404)
            .send({ error: 'not_found', message: 'Aucune revue des comptes en cours.', requestId: request.id });
        return current;
      },
    );

    app.post(
      '/recertifications/current/accounts/:id',
      {
        preHandler: stepUp,
        schema: {
          tags,
          summary: 'Confirmer ou désactiver un compte dans la revue en cours (jamais le sien)',
          params: IdParams,
          body: Type.Object({ decision: Type.Enum(['kept', 'disabled']) }, { additionalProperties: false }),
          response: { 200: RecertificationView, ...errorResponses },
        },
      },
      async (request) =>
        decideRecertification(
          messengerOf(runtime),
          request.account!.id,
          request.params.id,
          request.body.decision as 'kept' | 'disabled',
          request.ip,
        ),
    );
  };
}
