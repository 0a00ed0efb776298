import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { NotFoundError, ValidationError } from '../../domain/index.ts';
import { staffMemberOf } from '../../identity/index.ts';
import { updateEventContext } from '../../ledger/index.ts';
import { can } from '../../policy/index.ts';
import {
  PAPER_LETTER_STATUSES,
  PAPER_LETTERS_MAX_PAGE_SIZE,
  PAPER_PURPOSE,
  REACHED_MEANS,
  RETURN_REASONS,
} from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import type { Executor } from '../../store/index.ts';
import { refusedByGuard } from '../access.ts';
import { errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';
import { deskDownloadGate } from './desk-download.ts';

const tags = ['courrier papier'];
const security = [{ cookieAuth: [] }];
// Views are documented by their TypeScript type (src/privacy/paper/service.ts: PaperLetterView).
const Loose = Type.Unknown();
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const Day = Type.String({ format: 'date', description: 'AAAA-MM-JJ ; aujourd’hui si absent' });

/** Active staff of an active organisation whom the abilities table lets handle the letters (the mail room), or 403. */
function requireMailRoom(db: Executor) {
  return async function mailRoom(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const member = request.account ? await staffMemberOf(db, request.account.id) : undefined;
    if (
      member &&
      member.organisationStatus === 'active' &&
      member.actorStatus === 'active' &&
      can(member, 'handle', 'paper_letters')
    ) {
      request.staff = member;
      updateEventContext({ actorId: member.actorId, organisationId: member.organisationId });
      return;
    }
    void reply.status(403).send({
      error: 'role_required',
      message: 'Réservé au bureau sécurité (service courrier).',
      requestId: request.id,
    });
    return reply;
  };
}

/** A letter that does not exist: 404 naming the parameter. */
function unknownLetter(reply: FastifyReply, requestId: string) {
  return reply.status(404).send({
    error: 'not_found',
    message: 'Courrier inconnu.',
    requestId,
    issues: [{ field: 'params.id', rule: 'exists', message: 'aucun courrier ne porte cet identifiant' }],
  });
}

/** A day (AAAA-MM-JJ) as the instant it is recorded with: noon in Paris is the same day everywhere. */
function dayInstant(day: string | undefined): string | undefined {
  return day === undefined ? undefined : `${day}T12:00:00.000Z`;
}

/**
 * The mail room of the paper channel (issue 25 §5), for the print-and-post service run by the
 * security desk: the letters queued, each as a PDF (the address read through the access pipeline,
 * recorded), then « posté » with its date, or « revenu » with La Poste's reason — the person is
 * then told the same notice on their verified channels, or flagged for an agent.
 */
export function paperLetterRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  const paper = runtime.paper;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('preValidation', requireMailRoom(db));
    const by = (request: FastifyRequest) => ({
      accountId: request.account!.id,
      actorId: request.staff?.actorId ?? null,
    });
    const orNotFound = async <T>(reply: FastifyReply, requestId: string, work: () => Promise<T>) => {
      try {
        return await work();
      } catch (error) {
        if (error instanceof NotFoundError) return unknownLetter(reply, requestId);
        throw error;
      }
    };

    app.get(
      '/',
      {
        schema: {
          tags,
          summary: 'Les courriers : en attente d’impression, postés, revenus (sans adresse ni texte)',
          security,
          querystring: Type.Object(
            {
              status: Type.Optional(Type.Enum([...PAPER_LETTER_STATUSES])),
              needsAgent: Type.Optional(
                Type.Enum(['true', 'false'], { description: 'revenus sans autre moyen de joindre la personne' }),
              ),
              page: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$', description: 'à partir de 1' })),
              pageSize: Type.Optional(
                Type.String({
                  pattern: '^[1-9][0-9]{0,2}$',
                  description: `de 1 à ${PAPER_LETTERS_MAX_PAGE_SIZE} (20 par défaut)`,
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => {
        const { status, needsAgent, page, pageSize } = request.query;
        if (pageSize !== undefined && Number(pageSize) > PAPER_LETTERS_MAX_PAGE_SIZE)
          throw new ValidationError([
            { field: 'query.pageSize', rule: 'maximum', message: `au plus ${PAPER_LETTERS_MAX_PAGE_SIZE}` },
          ]);
        return paper.list({
          ...(status ? { status } : {}),
          ...(needsAgent ? { needsAgent: needsAgent === 'true' } : {}),
          ...(page ? { page: Number(page) } : {}),
          ...(pageSize ? { pageSize: Number(pageSize) } : {}),
        });
      },
    );

    app.get(
      '/:id',
      {
        schema: {
          tags,
          summary: 'Un courrier',
          security,
          params: IdParams,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request, reply) => orNotFound(reply, request.id, () => paper.get(request.params.id)),
    );

    app.get(
      '/:id/pdf',
      {
        schema: {
          tags,
          summary: 'Le courrier à imprimer (PDF) : l’adresse lue dans le dossier, lecture enregistrée',
          security,
          params: IdParams,
          response: { 200: Type.Unknown({ description: 'application/pdf' }), ...errorResponses },
        },
      },
      async (request, reply) =>
        orNotFound(reply, request.id, async () => {
          // Each letter names a person and, once printed, their address: the guard counts it as a
          // desk download, so a stolen mail-room account is contained, not a list of addresses.
          const { personId } = await paper.get(request.params.id);
          const admission = await deskDownloadGate(runtime, request, PAPER_PURPOSE)([personId]);
          if (await refusedByGuard(db, request, reply, admission, { personId, operation: 'print_letter' }))
            return reply;
          const { content, letter } = await paper.pdf(request.params.id, { accountId: request.account!.id });
          return reply
            .type('application/pdf')
            .header('content-disposition', `attachment; filename="courrier-${letter.id}.pdf"`)
            .header('cache-control', 'no-store')
            .send(content);
        }),
    );

    app.post(
      '/:id/posted',
      {
        schema: {
          tags,
          summary: 'Marquer un courrier « posté » (remis à La Poste)',
          security,
          params: IdParams,
          body: Type.Object({ postedOn: Type.Optional(Day) }, { additionalProperties: false }),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request, reply) =>
        orNotFound(reply, request.id, () => {
          const postedAt = dayInstant(request.body.postedOn);
          return paper.markPosted(request.params.id, postedAt ? { postedAt } : {}, by(request));
        }),
    );

    app.post(
      '/:id/returned',
      {
        schema: {
          tags,
          summary: 'Marquer un courrier « revenu », avec le motif : la personne est alors jointe autrement',
          security,
          params: IdParams,
          body: Type.Object(
            {
              reason: Type.Enum([...RETURN_REASONS], { description: 'le motif de La Poste' }),
              returnedOn: Type.Optional(Day),
            },
            { additionalProperties: false },
          ),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request, reply) =>
        orNotFound(reply, request.id, () => {
          const returnedAt = dayInstant(request.body.returnedOn);
          return paper.markReturned(
            request.params.id,
            { reason: request.body.reason, ...(returnedAt ? { returnedAt } : {}) },
            by(request),
          );
        }),
    );

    app.post(
      '/:id/reached',
      {
        schema: {
          tags,
          summary:
            'Joint par un agent : un courrier revenu n’a trouvé la personne par aucun autre moyen ; l’agent dit comment et quel jour il l’a jointe',
          security,
          params: IdParams,
          body: Type.Object(
            {
              how: Type.Enum([...REACHED_MEANS], { description: 'comment la personne a été jointe' }),
              reachedOn: Type.Optional(Day),
            },
            { additionalProperties: false },
          ),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request, reply) =>
        orNotFound(reply, request.id, () =>
          paper.markReached(
            request.params.id,
            { how: request.body.how, ...(request.body.reachedOn ? { reachedOn: request.body.reachedOn } : {}) },
            by(request),
          ),
        ),
    );
  };
}
