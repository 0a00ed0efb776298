import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  announceFactorChange,
  beginTotpEnrolment,
  blockedUntil,
  clearFailures,
  confirmTotpEnrolment,
  listFactors,
  proveEnrolment,
  recordFailure,
  requiresPasskey,
  revokeSecondFactor,
  secondFactorScope,
  spendEnrolmentProof,
  upgradeSession,
} from '../../identity/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { messengerOf } from '../messenger.ts';
import { errorsFor } from '../schemas.ts';
import { clientOf } from '../session.ts';
import { setSessionCookie } from './cookie.ts';
import {
  ActivationCodeField,
  passkeyRequired,
  refusedWithoutStepUp,
  refuseEnrolment,
  tooManyCodes,
} from './refusals.ts';

/** The account's second factors: authenticator apps (TOTP) enrolled, listed and removed. */
export function totpRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.post(
      '/factors/totp',
      {
        config: { beforeSecondFactor: 'first_enrolment' },
        schema: {
          tags: ['authentification'],
          summary: 'Commencer l’enrôlement d’une application d’authentification (TOTP)',
          response: {
            200: Type.Object({ factorId: Type.String(), secret: Type.String(), otpauthUri: Type.String() }),
            ...errorsFor(401, 403),
          },
        },
      },
      async (request, reply) => {
        if (await requiresPasskey(db, request.account!.id)) return passkeyRequired(reply, request.id);
        if (await refusedWithoutStepUp(db, request, reply, 'totp_enrolment')) return reply;
        const enrolment = await beginTotpEnrolment(db, runtime.keyring, request.account!.id, request.account!.login);
        return { factorId: enrolment.factorId, secret: enrolment.secret, otpauthUri: enrolment.uri };
      },
    );

    app.post(
      '/factors/totp/confirm',
      {
        config: { beforeSecondFactor: 'first_enrolment' },
        schema: {
          tags: ['authentification'],
          summary: 'Confirmer l’application par un premier code ; renvoie les codes de secours',
          body: Type.Object(
            {
              factorId: Type.String({ format: 'uuid' }),
              code: Type.String({ pattern: '^[0-9]{6}$' }),
              activationCode: ActivationCodeField,
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ recoveryCodes: Type.Array(Type.String()), csrfToken: Type.String() }),
            ...errorsFor(400, 401, 403, 429),
          },
        },
      },
      async (request, reply) => {
        const account = request.account!;
        if (await requiresPasskey(db, account.id)) return passkeyRequired(reply, request.id);
        // Checked again here: the app is only added now, and the five minutes may have run out since.
        if (await refusedWithoutStepUp(db, request, reply, 'totp_enrolment')) return reply;
        const throttled = await blockedUntil(db, [secondFactorScope(account.id)]);
        if (throttled) return tooManyCodes(reply, throttled, request.id);
        const proof = await proveEnrolment(db, account.id, request.body.activationCode);
        if (!proof.ok) return refuseEnrolment(db, request, reply, proof.reason);
        const codes = await confirmTotpEnrolment(
          db,
          runtime.keyring,
          account.id,
          request.body.factorId,
          request.body.code,
        );
        if (!codes) {
          await recordFailure(db, secondFactorScope(account.id));
          await appendEvent(db, 'second_factor_failed', {
            accountId: account.id,
            address: request.ip,
            details: { during: 'enrolment' },
          });
          return reply.status(400).send({
            error: 'invalid_code',
            message: 'Code incorrect ou déjà utilisé.',
            issues: [{ field: 'body.code', rule: 'totp', message: 'code incorrect ou déjà utilisé' }],
            requestId: request.id,
          });
        }
        await clearFailures(db, secondFactorScope(account.id));
        await spendEnrolmentProof(db, proof);
        await announceFactorChange(messengerOf(runtime), account.id, 'added', 'totp');
        const issued = await upgradeSession(db, request.session!, account.kind, clientOf(request));
        setSessionCookie(reply, issued);
        return { recoveryCodes: codes, csrfToken: issued.csrfToken };
      },
    );

    app.get(
      '/factors',
      {
        schema: {
          tags: ['authentification'],
          summary: 'Mes seconds facteurs (jamais leurs secrets)',
          response: {
            200: Type.Object({
              factors: Type.Array(
                Type.Object({
                  id: Type.String(),
                  kind: Type.String(),
                  status: Type.String(),
                  label: Type.String(),
                  createdAt: Type.String(),
                  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
                  remaining: Type.Optional(Type.Integer()),
                }),
              ),
            }),
            ...errorsFor(401, 403),
          },
        },
      },
      async (request) => ({ factors: await listFactors(db, request.account!.id) }),
    );

    app.delete(
      '/factors/totp/:id',
      {
        schema: {
          tags: ['authentification'],
          summary:
            'Retirer une de mes applications d’authentification (second facteur validé depuis moins de cinq minutes ; jamais le dernier second facteur d’un compte agent)',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
          response: {
            204: Type.Null(),
            ...errorsFor(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const account = request.account!;
        // A session lifted from a browser must not be able to strip the account of its factor.
        if (await refusedWithoutStepUp(db, request, reply, 'totp_revocation')) return reply;
        const outcome = await revokeSecondFactor(db, account.id, request.params.id, 'totp', request.ip);
        if (outcome === 'not_found')
          return reply
            .status(404)
            .send({ error: 'not_found', message: 'Application d’authentification inconnue.', requestId: request.id });
        if (outcome === 'last_factor') {
          return reply.status(409).send({
            error: 'last_factor',
            message:
              'C’est votre dernier second facteur utilisable : enregistrez-en un autre avant de retirer celui-ci.',
            requestId: request.id,
          });
        }
        await announceFactorChange(messengerOf(runtime), account.id, 'removed', 'totp');
        return reply.status(204).send(null);
      },
    );
  };
}
