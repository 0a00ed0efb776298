import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  addChannel,
  announceToAccount,
  canonicalAddress,
  channelAddresses,
  checkCode,
  hasActiveSecondFactor,
  issueCode,
  listChannels,
  markChannelVerified,
  sendMessage,
  spendCode,
  type ChannelKind,
} from '../../identity/index.ts';
import { maskAddress } from '../../notify/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { inTransaction } from '../../store/index.ts';
import { messengerOf } from '../messenger.ts';
import { errorResponses } from '../schemas.ts';
import { requireRecentSecondFactor, requireSession } from '../session.ts';
import { appendEvent } from '../../ledger/index.ts';

const tags = ['authentification'];
const VERIFICATION_TTL_SECONDS = 15 * 60;

const ChannelView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  masked: Type.String(),
  verified: Type.Boolean(),
  createdAt: Type.String(),
});

/**
 * The channels a password reset can use. Adding one is what an intruder would do first, so:
 * a fresh second factor when the account has one, a code to the new address, and a warning
 * on every channel already known.
 */
export function channelRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  const stepUp = requireRecentSecondFactor(db);
  async function stepUpIfFactor(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (await hasActiveSecondFactor(db, request.account!.id)) return stepUp(request, reply);
  }
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireSession(db));

    app.get(
      '/',
      {
        schema: {
          tags,
          summary: 'Mes moyens de contact (masqués)',
          response: { 200: Type.Object({ channels: Type.Array(ChannelView) }), ...errorResponses },
        },
      },
      async (request) => ({
        channels: await listChannels(db, request.account!.id),
      }),
    );

    app.post(
      '/',
      {
        preHandler: stepUpIfFactor,
        schema: {
          tags,
          summary: 'Ajouter une adresse électronique ou un mobile ; un code de vérification y est envoyé',
          body: Type.Object(
            { kind: Type.Enum(['email', 'sms']), address: Type.String({ minLength: 3, maxLength: 254 }) },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({ channelId: Type.String(), verificationId: Type.String() }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const m = messengerOf(runtime);
        const accountId = request.account!.id;
        const kind = request.body.kind as ChannelKind;
        const address = canonicalAddress(kind, request.body.address, 'body.address');
        // Warn the channels known before this one, then add it: the new address must not be the only one to hear of itself.
        const known = await channelAddresses(db, m.keyring, accountId);
        // The channel and its code are written together: no channel left without the code that verifies it.
        const { channelId, issued } = await inTransaction(db, async (trx) => {
          const channelId = await addChannel(trx, m.keyring, accountId, kind, address);
          const issued = await issueCode(trx, {
            accountId,
            purpose: 'channel_verification',
            channelId,
            ttlSeconds: VERIFICATION_TTL_SECONDS,
          });
          return { channelId, issued };
        });
        const masked = maskAddress(kind, address);
        await sendMessage(
          m,
          'channel_verification',
          {
            channel: kind,
            to: address,
            subject: 'Rempart : vérification de votre moyen de contact',
            body: `Code de vérification : ${issued.code} (valable 15 minutes).`,
          },
          { accountId },
        );
        for (const channel of known) {
          await sendMessage(
            m,
            'channel_added_announcement',
            {
              channel: channel.kind,
              to: channel.address,
              subject: 'Rempart : un moyen de contact a été ajouté à votre compte',
              body: `Un nouveau moyen de contact (${masked}) vient d’être ajouté à votre compte. Si ce n’est pas vous, changez votre mot de passe et prévenez votre conseiller.`,
            },
            { accountId },
          );
        }
        return reply.status(201).send({ channelId, verificationId: issued.id });
      },
    );

    app.post(
      '/:id/verify',
      {
        schema: {
          tags,
          summary: 'Confirmer un moyen de contact avec le code reçu',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
          body: Type.Object(
            { verificationId: Type.String({ format: 'uuid' }), code: Type.String({ minLength: 6, maxLength: 12 }) },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const accountId = request.account!.id;
        const check = await checkCode(db, request.body.verificationId, 'channel_verification', request.body.code);
        const channelId = request.params.id;
        // Spending the code and verifying the channel are one write: never a spent code with the channel left unverified.
        const verified =
          check.ok &&
          check.row.account_id === accountId &&
          check.row.channel_id === channelId &&
          (await inTransaction(db, async (trx) => {
            if (!(await spendCode(trx, check.row.id))) return false;
            await markChannelVerified(trx, channelId);
            await appendEvent(trx, 'channel_verified', {
              accountId,
              address: request.ip,
              details: { channel: channelId },
            });
            return true;
          }));
        if (!verified) {
          const rule = check.ok ? 'mismatch' : check.reason;
          return reply.status(400).send({
            error: 'invalid_code',
            message: 'Code incorrect, expiré ou déjà utilisé.',
            issues: [{ field: 'body.code', rule, message: 'code incorrect, expiré ou déjà utilisé' }],
            requestId: request.id,
          });
        }
        await announceToAccount(
          messengerOf(runtime),
          accountId,
          'channel_verified_announcement',
          'Rempart : moyen de contact vérifié',
          'Un moyen de contact de votre compte vient d’être vérifié ; il pourra servir à réinitialiser votre mot de passe.',
        );
        return reply.status(204).send(null);
      },
    );
  };
}
