import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { announceToAccount, sendMessage } from '../../identity/index.ts';
import { ValidationError } from '../../domain/index.ts';
import { dpoContactsFor } from '../../policy/index.ts';
import { accessJournal, JOURNAL_MAX_PAGE_SIZE, reportAccess } from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { messengerOf } from '../messenger.ts';
import { errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';
import { requireJobSeeker } from './job-seeker.ts';

const tags = ['mon espace'];
const security = [{ cookieAuth: [] }];

const PublicEventView = Type.Object(
  {
    v: Type.Literal(1),
    id: Type.String(),
    at: Type.String(),
    kind: Type.String(),
    organisation: Type.Union([Type.String(), Type.Null()]),
    person: Type.Union([Type.String(), Type.Null()]),
    purpose: Type.Union([Type.String(), Type.Null()]),
    caseReference: Type.Union([Type.String(), Type.Null()]),
    operation: Type.Union([Type.String(), Type.Null()]),
    classes: Type.Array(Type.String()),
    details: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
    restricted: Type.String({
      description: 'empreinte salée de qui a agi et d’où (visible du délégué à la protection des données)',
    }),
    chain: Type.Optional(
      Type.Object(
        {
          n: Type.Integer({ description: 'rang de l’entrée dans votre journal (1 pour la première)' }),
          prev: Type.Union([Type.String(), Type.Null()], {
            description: 'empreinte (feuille de l’arbre, base64url) de votre entrée précédente',
          }),
          prevIndex: Type.Union([Type.Integer(), Type.Null()], {
            description: 'position dans l’arbre de votre entrée précédente',
          }),
        },
        {
          description:
            'le chaînage de votre journal, fixé à l’intégration dans l’arbre : une entrée supprimée laisse un trou',
        },
      ),
    ),
  },
  { description: 'l’événement tel que l’arbre de Merkle le couvre : son JSON canonique (RFC 8785) est la feuille' },
);

const JournalView = Type.Object({
  page: Type.Integer(),
  pageSize: Type.Integer(),
  total: Type.Integer(),
  checkpoint: Type.Union([Type.Object({ size: Type.Integer(), note: Type.String() }), Type.Null()]),
  verifierKey: Type.String(),
  pending: Type.Integer({ description: 'entrées de la page en attente du prochain point de contrôle signé' }),
  chain: Type.Object(
    {
      head: Type.Integer({ description: 'nombre d’entrées chaînées de votre journal : la plus récente porte ce rang' }),
      headIndex: Type.Union([Type.Integer(), Type.Null()], { description: 'position dans l’arbre de la plus récente' }),
      prunedBelow: Type.Integer({
        description: 'les événements avant cette position ont été supprimés au terme de la durée de conservation',
      }),
    },
    { description: 'de quoi vérifier qu’aucune entrée ne manque' },
  ),
  entries: Type.Array(
    Type.Object({
      event: PublicEventView,
      organisation: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
      purposeLabel: Type.Union([Type.String(), Type.Null()], {
        description: 'la finalité déclarée, en clair (hors preuve)',
      }),
      mandate: Type.Optional(
        Type.String({
          description: 'pour un acte sous mandat : « X (France Services de Y), avec votre mandat du … » (hors preuve)',
        }),
      ),
      index: Type.Integer(),
      proof: Type.Array(Type.String(), { description: 'vide tant que l’entrée est en attente' }),
      pending: Type.Boolean({
        description:
          'pas encore couverte par le point de contrôle signé de la page : sa preuve viendra avec le prochain (quelques secondes)',
      }),
    }),
  ),
});

/**
 * The job seeker's own space, for the ledger: who read their file, when and why, each entry
 * with its proof; and a way to flag an access they do not recognise.
 */
export function myJournalRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('onRequest', requireJobSeeker);

    app.get(
      '/journal',
      {
        schema: {
          tags,
          summary: 'Qui a consulté mon dossier : chaque accès, avec sa preuve d’inclusion dans le journal signé',
          security,
          querystring: Type.Object(
            // Query strings are text (the validator does not coerce): decimal patterns, as elsewhere in the API.
            {
              page: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$' })),
              pageSize: Type.Optional(
                Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: `de 1 à ${JOURNAL_MAX_PAGE_SIZE}` }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: JournalView, ...errorResponses },
        },
      },
      async (request) => {
        const pageSize = Number(request.query.pageSize ?? 20);
        if (pageSize > JOURNAL_MAX_PAGE_SIZE)
          throw new ValidationError([
            { field: 'query.pageSize', rule: 'maximum', message: `au plus ${JOURNAL_MAX_PAGE_SIZE}` },
          ]);
        const page = await accessJournal(db, runtime.ledger, request.account!.person_id!, {
          page: Number(request.query.page ?? 1),
          pageSize,
        });
        return { ...page, verifierKey: runtime.ledger.verifierKey };
      },
    );

    app.post(
      '/journal/:eventId/report',
      {
        schema: {
          tags,
          summary: 'Signaler un accès suspect au délégué à la protection des données',
          security,
          params: Type.Object({ eventId: Type.String({ format: 'uuid' }) }),
          body: Type.Object(
            {
              comment: Type.Optional(
                Type.String({ maxLength: 2000, description: 'ce qui vous paraît anormal (facultatif)' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({ id: Type.String(), at: Type.String(), eventId: Type.String(), status: Type.String() }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const account = request.account!;
        const { report, event } = await reportAccess(db, runtime.keyring, {
          accountId: account.id,
          personId: account.person_id!,
          eventId: request.params.eventId,
          ...(request.body.comment !== undefined ? { comment: request.body.comment } : {}),
        });
        const m = messengerOf(runtime);
        // The report names the event, never a value, nor who acted or from where.
        const contacts = await dpoContactsFor(db, event.organisation);
        const body = [
          'Un demandeur d’emploi signale un accès suspect à son dossier.',
          `Signalement : ${report.id}`,
          `Événement du journal : ${event.id} (${event.kind}, ${event.at})`,
          `Organisation : ${event.organisation ?? '—'} ; finalité : ${event.purpose ?? '—'} ; référence : ${event.caseReference ?? '—'}`,
          `Classes de données : ${event.classes.join(', ') || '—'}`,
          'Le détail (agent, adresse) est dans la file des signalements : GET /api/security/access-reports.',
        ].join('\n');
        for (const to of contacts)
          await sendMessage(
            m,
            'access_reported',
            { channel: 'email', to, subject: '[Rempart] Accès signalé comme suspect par un demandeur d’emploi', body },
            {},
          );
        await announceToAccount(
          m,
          account.id,
          'access_reported_ack',
          'Votre signalement a été transmis',
          `Votre signalement (${report.id}) a été transmis au délégué à la protection des données. Il vous répondra.`,
        );
        return reply.status(201).send({ id: report.id, at: report.at, eventId: report.eventId, status: report.status });
      },
    );
  };
}
