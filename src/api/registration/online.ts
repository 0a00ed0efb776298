import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ValidationError } from '../../domain/index.ts';
import { networkOf } from '../../identity/index.ts';
import { RegistrationThrottled, SubmitBodySchema } from '../../registration/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorsFor } from '../schemas.ts';

const tags = ['inscription'];
/** The draft's token travels in a header, never a cookie: no other site can make a browser send it. */
export const DRAFT_TOKEN_HEADER = 'x-registration-token';

const DraftView = Type.Object({
  email: Type.String(),
  draft: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  savedAt: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.String(),
});
const TokenHeaders = Type.Object({ [DRAFT_TOKEN_HEADER]: Type.String({ minLength: 1, maxLength: 128 }) });

function tokenOf(request: FastifyRequest): string {
  const token = request.headers[DRAFT_TOKEN_HEADER];
  if (typeof token !== 'string' || token === '')
    throw new ValidationError([
      {
        field: `headers.${DRAFT_TOKEN_HEADER}`,
        rule: 'required',
        message: 'Confirmez d’abord votre adresse électronique avec le code reçu.',
      },
    ]);
  return token;
}

/** A throttled request: 429 with when to come back; anything else is the error handler's. */
async function answering<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  work: () => Promise<T>,
): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof RegistrationThrottled)) throw error;
    return reply
      .status(429)
      .header('retry-after', String(Math.max(1, Math.ceil((error.until.getTime() - Date.now()) / 1000))))
      .send({ error: 'too_many_requests', message: error.message, requestId: request.id });
  }
}

/**
 * The online registration (issue 25 §1), public: prove an e-mail address with a code, keep a
 * draft 15 days, submit. Every endpoint is throttled per network and per address; the NIR is
 * never sent back (not even in the draft), and a possible duplicate gets the same neutral
 * « en cours de vérification » whoever the file belongs to.
 */
export function registrationRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const online = runtime.onlineRegistration;
  return async (app) => {
    app.post(
      '/code',
      {
        schema: {
          tags,
          summary: 'S’inscrire : recevoir un code pour confirmer son adresse électronique',
          body: Type.Unknown(),
          response: { 202: Type.Object({ message: Type.String() }), ...errorsFor(400, 429) },
        },
      },
      async (request, reply) =>
        answering(request, reply, async () => {
          await online.requestCode(request.body, networkOf(request.ip));
          return reply.status(202).send({
            message: 'Un code de confirmation vient d’être envoyé à cette adresse. Il est valable 15 minutes.',
          });
        }),
    );

    app.post(
      '/verify',
      {
        schema: {
          tags,
          summary: 'Confirmer son adresse avec le code : le brouillon enregistré à cette adresse, s’il y en a un',
          body: Type.Unknown(),
          response: { 200: Type.Intersect([Type.Object({ token: Type.String() }), DraftView]), ...errorsFor(400, 429) },
        },
      },
      async (request, reply) => answering(request, reply, () => online.verify(request.body, networkOf(request.ip))),
    );

    app.get(
      '/draft',
      {
        schema: {
          tags,
          summary: 'Reprendre son brouillon (conservé 15 jours après le dernier enregistrement)',
          headers: TokenHeaders,
          response: { 200: DraftView, ...errorsFor(400, 409) },
        },
      },
      async (request) => online.draft(tokenOf(request)),
    );

    app.put(
      '/draft',
      {
        schema: {
          tags,
          summary: 'Enregistrer son brouillon (ni mot de passe ni NIR n’y sont gardés)',
          headers: TokenHeaders,
          body: Type.Object({ draft: Type.Unknown() }, { additionalProperties: false }),
          response: { 200: DraftView, ...errorsFor(400, 409) },
        },
      },
      async (request) => online.save(tokenOf(request), request.body.draft),
    );

    app.post(
      '/submit',
      {
        schema: {
          tags,
          summary: 'Envoyer son inscription : le dossier, le compte et la confirmation',
          headers: TokenHeaders,
          body: SubmitBodySchema,
          response: {
            201: Type.Object({
              outcome: Type.Literal('registered'),
              franceTravailId: Type.String(),
              category: Type.String(),
              administrativeCategory: Type.Integer(),
              registeredOn: Type.String(),
              login: Type.String(),
              message: Type.String(),
            }),
            202: Type.Object({ outcome: Type.Literal('pending_check'), message: Type.String() }),
            ...errorsFor(400, 409, 429),
          },
        },
      },
      async (request, reply) =>
        answering(request, reply, async () => {
          const answer = await online.submit(tokenOf(request), request.body, networkOf(request.ip));
          if (answer.outcome === 'pending_check')
            return reply.status(202).send({
              outcome: 'pending_check',
              message:
                'Votre demande est en cours de vérification par un conseiller. Vous recevrez un courriel dès qu’elle aura été examinée.',
            });
          return reply.status(201).send({
            ...answer,
            message: 'Votre inscription est enregistrée. Une confirmation vous a été envoyée par courriel.',
          });
        }),
    );
  };
}
