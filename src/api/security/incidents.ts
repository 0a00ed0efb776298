import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { DESK_DOWNLOAD_PURPOSE } from '../../guard/index.ts';
import {
  ACTIONS,
  actionNeedsApproval,
  DownloadRefusedError,
  VECTORS,
  type Amendment,
  type Compromised,
  type DownloadGate,
  type RequestView,
} from '../../incidents/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireRecentSecondFactor, requireSession } from '../session.ts';
import { requireDesk } from './desk-access.ts';
import { deskDownloadGate } from './desk-download.ts';

const tags = ['incidents'];
const Ids = (description: string) =>
  Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 1000, description }));
const CompromisedSchema = Type.Object(
  {
    actors: Ids('acteurs (comptes professionnels, acteurs machine)'),
    organisations: Ids('organisations entières'),
    clients: Ids('client_id OAuth de systèmes partenaires'),
    sessions: Ids('identifiants publics de sessions professionnelles volées'),
  },
  { additionalProperties: false },
);
const Instant = (description: string) => Type.String({ format: 'date-time', description });
const DeclareBody = Type.Object(
  {
    title: Type.String({ minLength: 3, maxLength: 200 }),
    vector: Type.Enum([...VECTORS]),
    description: Type.String({ minLength: 10, maxLength: 5000, description: 'circonstances, telles que connues' }),
    compromised: CompromisedSchema,
    windowFrom: Instant('début de la fenêtre de compromission'),
    windowTo: Instant('fin de la fenêtre de compromission'),
    awareAt: Instant('prise de connaissance : le délai de 72 heures de l’article 33 part de là'),
  },
  { additionalProperties: false },
);
const AmendBody = Type.Partial(DeclareBody, { additionalProperties: false, minProperties: 1 });
const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64, description: 'identifiant ou référence (INC-2026-0001)' }) },
  { additionalProperties: false },
);
const DocParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }), documentId: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);
const RequestParams = Type.Object({ requestId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const RequestQuery = Type.Object(
  {
    status: Type.Optional(Type.Enum(['pending', 'approved', 'executed', 'used', 'refused', 'expired', 'failed'])),
    incident: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'identifiant ou référence de l’incident' }),
    ),
  },
  { additionalProperties: false },
);
const NoticeRunBody = Type.Object(
  {
    maxBatches: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    batchSize: Type.Optional(Type.Integer({ minimum: 10, maximum: 2000 })),
  },
  { additionalProperties: false },
);
const ActionParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }), action: Type.Enum([...ACTIONS]) },
  { additionalProperties: false },
);
const ExposureQuery = Type.Object(
  {
    decoys: Type.Optional(Type.Enum(['true', 'false'])),
    after: Type.Optional(Type.String({ format: 'uuid', description: 'dernière personne de la page précédente' })),
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'au plus 1000' })),
  },
  { additionalProperties: false },
);
// Views are documented by their TypeScript types (src/incidents/model.ts); serialised as they are.
const Loose = Type.Unknown();
const Submitted = Type.Object({ request: Loose, message: Type.String() });

/** A request now awaiting a second person (202): what the desk shows and what to do next. */
function submitted(request: RequestView) {
  return {
    request,
    message: `Demande enregistrée : un autre responsable de la sécurité ou le délégué à la protection des données doit l’approuver (avant le ${new Date(request.expiresAt).toLocaleString('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' })}).`,
  };
}

function compromisedOf(body: {
  actors?: string[];
  organisations?: string[];
  clients?: string[];
  sessions?: string[];
}): Compromised {
  const unique = (ids: string[] | undefined) => [...new Set(ids ?? [])];
  return {
    actors: unique(body.actors),
    organisations: unique(body.organisations),
    clients: unique(body.clients),
    sessions: unique(body.sessions),
  };
}

/**
 * The incident desk: the security officer declares, scopes, drafts the CNIL notification,
 * notifies the persons, remediates, closes; every step goes to the register. What one account
 * must not do alone (an incident over several organisations, sending the notices, a document
 * naming people, wiping credentials) is a request that another officer or the DPO approves
 * (src/incidents/four-eyes.ts). The DPO reads, approves or refuses, drafts the CNIL
 * notification and records its filing; nothing else. What touches accounts or names people
 * needs a fresh second factor.
 */
export function incidentRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  const incidents = runtime.incidents;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    const role = { preValidation: requireDesk(db, 'read') };
    const officer = { preValidation: requireDesk(db, 'act_on') };
    const sensitive = { ...role, preHandler: requireRecentSecondFactor(db) };
    const officerSensitive = { ...officer, preHandler: requireRecentSecondFactor(db) };
    const by = (request: { account?: { id: string } }) => ({ accountId: request.account!.id });
    /** The guard on a desk download: the downloader's actor, counted under the desk's own profile and purpose. */
    const gateFor = (request: FastifyRequest): DownloadGate =>
      deskDownloadGate(runtime, request, DESK_DOWNLOAD_PURPOSE);

    app.get(
      '/requests',
      {
        ...role,
        schema: {
          tags,
          summary:
            'Demandes du bureau soumises à une seconde personne (déclaration sur plusieurs organisations, envoi des avis, documents nominatifs, réinitialisations)',
          querystring: RequestQuery,
          response: { 200: Type.Object({ requests: Type.Array(Loose) }), ...errorResponses },
        },
      },
      async (request) => ({
        requests: await incidents.requests({
          ...(request.query.status ? { status: request.query.status } : {}),
          ...(request.query.incident ? { incidentId: await incidents.resolve(request.query.incident) } : {}),
        }),
      }),
    );

    app.post(
      '/requests/:requestId/approve',
      {
        ...sensitive,
        schema: {
          tags,
          summary:
            'Approuver la demande d’une autre personne du bureau : elle est exécutée (un document devient téléchargeable une fois par son demandeur)',
          params: RequestParams,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => incidents.approve(request.params.requestId, by(request)),
    );

    app.post(
      '/requests/:requestId/refuse',
      {
        ...sensitive,
        schema: {
          tags,
          summary: 'Refuser la demande d’une autre personne du bureau, ou retirer la sienne',
          params: RequestParams,
          body: Type.Object(
            { note: Type.String({ minLength: 10, maxLength: 1000, description: 'motif' }) },
            { additionalProperties: false },
          ),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => incidents.refuse(request.params.requestId, request.body.note, by(request)),
    );

    app.get(
      '/',
      {
        ...role,
        schema: {
          tags,
          summary: 'Incidents déclarés, avec le délai de 72 heures restant',
          response: { 200: Type.Object({ incidents: Type.Array(Loose) }), ...errorResponses },
        },
      },
      async () => ({
        incidents: await incidents.list(),
      }),
    );

    app.post(
      '/',
      {
        ...officer,
        schema: {
          tags,
          summary:
            'Déclarer un incident (identités compromises, fenêtre, vecteur, prise de connaissance) ; sur plusieurs organisations, une demande à approuver (202)',
          body: DeclareBody,
          response: { 201: Loose, 202: Submitted, ...errorResponses },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const declaration = {
          title: b.title,
          vector: b.vector,
          description: b.description,
          compromised: compromisedOf(b.compromised),
          windowFrom: new Date(b.windowFrom),
          windowTo: new Date(b.windowTo),
          awareAt: new Date(b.awareAt),
        };
        if (await incidents.declarationNeedsApproval(declaration.compromised))
          return reply.status(202).send(submitted(await incidents.requestDeclaration(declaration, by(request))));
        return reply.status(201).send(await incidents.declare(declaration, by(request)));
      },
    );

    app.get(
      '/:id',
      {
        ...role,
        schema: {
          tags,
          summary: 'Un incident : état, délai, périmètre, registre, documents, avis',
          params: IdParams,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => {
        const id = await incidents.resolve(request.params.id);
        return {
          ...(await incidents.view(id)),
          timeline: await incidents.timeline(id),
          documents: await incidents.documents(id),
          notices: await incidents.noticeStatus(id),
        };
      },
    );

    app.patch(
      '/:id',
      {
        ...officer,
        schema: {
          tags,
          summary:
            'Corriger les identités, la fenêtre ou les faits (le périmètre est à recalculer) ; étendu à plusieurs organisations, une demande à approuver (202)',
          params: IdParams,
          body: AmendBody,
          response: { 200: Loose, 202: Submitted, ...errorResponses },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const id = await incidents.resolve(request.params.id);
        const changes: Amendment = {
          ...(b.title !== undefined ? { title: b.title } : {}),
          ...(b.vector !== undefined ? { vector: b.vector } : {}),
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.compromised !== undefined ? { compromised: compromisedOf(b.compromised) } : {}),
          ...(b.windowFrom !== undefined ? { windowFrom: new Date(b.windowFrom) } : {}),
          ...(b.windowTo !== undefined ? { windowTo: new Date(b.windowTo) } : {}),
          ...(b.awareAt !== undefined ? { awareAt: new Date(b.awareAt) } : {}),
        };
        if (await incidents.amendmentNeedsApproval(id, changes))
          return reply.status(202).send(submitted(await incidents.requestAmendment(id, changes, by(request))));
        return incidents.amend(id, changes, by(request));
      },
    );

    app.post(
      '/:id/scope',
      {
        ...officer,
        schema: {
          tags,
          summary: 'Calculer le périmètre depuis le journal (personnes × classes exposées, leurres à part)',
          params: IdParams,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => {
        const { persons, decoys, ...summary } = await incidents.scope(
          await incidents.resolve(request.params.id),
          by(request),
        );
        return {
          ...summary,
          message: summary.empty
            ? 'Aucune donnée n’est sortie par ces identités dans cette fenêtre.'
            : `${persons.length} personne(s) exposée(s), ${decoys.length} leurre(s) consulté(s).`,
        };
      },
    );

    app.get(
      '/:id/exposures',
      {
        ...role,
        schema: {
          tags,
          summary: 'Les personnes exposées (identifiants, classes, dates, acteurs, risque), page par page',
          params: IdParams,
          querystring: ExposureQuery,
          response: { 200: Type.Object({ exposures: Type.Array(Loose) }), ...errorResponses },
        },
      },
      async (request) => ({
        exposures: await incidents.exposures(await incidents.resolve(request.params.id), {
          decoys: request.query.decoys === 'true',
          limit: Math.min(1000, Number(request.query.limit ?? 200)),
          ...(request.query.after ? { afterPersonId: request.query.after } : {}),
        }),
      }),
    );

    app.post(
      '/:id/scope/export',
      {
        ...officer,
        schema: {
          tags,
          summary: 'Exporter le périmètre en CSV (document conservé au registre)',
          params: IdParams,
          response: { 201: Loose, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await incidents.exportScope(await incidents.resolve(request.params.id), by(request))),
    );

    app.post(
      '/:id/cnil',
      {
        ...role,
        schema: {
          tags,
          summary: 'Produire le projet de notification à la CNIL (JSON et PDF)',
          params: IdParams,
          response: { 201: Loose, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await incidents.draftCnil(await incidents.resolve(request.params.id), by(request))),
    );

    app.post(
      '/:id/cnil/filed',
      {
        ...role,
        schema: {
          tags,
          summary:
            'Enregistrer le dépôt de la notification initiale auprès de la CNIL (les suivantes sont complémentaires)',
          params: IdParams,
          body: Type.Object(
            { reference: Type.String({ minLength: 3, maxLength: 100 }), filedAt: Instant('date et heure du dépôt') },
            { additionalProperties: false },
          ),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) =>
        incidents.markCnilFiled(
          await incidents.resolve(request.params.id),
          { reference: request.body.reference, filedAt: new Date(request.body.filedAt) },
          by(request),
        ),
    );

    app.post(
      '/:id/notices/plan',
      {
        ...officer,
        schema: {
          tags,
          summary: 'Planifier un avis par personne exposée (courriel et courrier)',
          params: IdParams,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => incidents.planNotices(await incidents.resolve(request.params.id), by(request)),
    );

    app.post(
      '/:id/notices/run',
      {
        ...officerSensitive,
        schema: {
          tags,
          summary:
            'Demander l’envoi des avis restants, par lots : exécuté quand une seconde personne l’approuve (reprend là où un envoi interrompu s’est arrêté, sans rien envoyer deux fois)',
          params: IdParams,
          body: NoticeRunBody,
          response: { 202: Submitted, ...errorResponses },
        },
      },
      async (request, reply) => {
        const id = await incidents.resolve(request.params.id);
        const options = {
          maxBatches: request.body.maxBatches ?? 20,
          ...(request.body.batchSize ? { batchSize: request.body.batchSize } : {}),
        };
        return reply.status(202).send(submitted(await incidents.requestNotices(id, options, by(request))));
      },
    );

    app.get(
      '/:id/notices',
      {
        ...role,
        schema: {
          tags,
          summary: 'Où en sont les avis (par canal et par état)',
          params: IdParams,
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => incidents.noticeStatus(await incidents.resolve(request.params.id)),
    );

    app.post(
      '/:id/actions/:action',
      {
        ...officerSensitive,
        schema: {
          tags,
          summary:
            'Mesure corrective (révocation, surveillance bancaire, contrôle des leurres et des exports) ; la réinitialisation forcée est une demande à approuver (202)',
          params: ActionParams,
          response: { 200: Loose, 202: Submitted, ...errorResponses },
        },
      },
      async (request, reply) => {
        const id = await incidents.resolve(request.params.id);
        if (actionNeedsApproval(request.params.action))
          return reply
            .status(202)
            .send(submitted(await incidents.requestAction(id, request.params.action, by(request))));
        return incidents.act(id, request.params.action, by(request));
      },
    );

    app.post(
      '/:id/close',
      {
        ...officer,
        schema: {
          tags,
          summary: 'Clore l’incident (il reste au registre)',
          params: IdParams,
          body: Type.Object({ note: Type.String({ minLength: 10, maxLength: 2000 }) }, { additionalProperties: false }),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => incidents.close(await incidents.resolve(request.params.id), request.body.note, by(request)),
    );

    app.post(
      '/:id/documents/:documentId/request',
      {
        ...officerSensitive,
        schema: {
          tags,
          summary:
            'Demander le téléchargement d’un document qui nomme des personnes (courriers, liste du périmètre) : une seconde personne l’approuve',
          params: DocParams,
          response: { 202: Submitted, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(202)
          .send(
            submitted(
              await incidents.requestDocument(
                await incidents.resolve(request.params.id),
                request.params.documentId,
                by(request),
              ),
            ),
          ),
    );

    app.get(
      '/:id/documents/:documentId',
      {
        ...sensitive,
        schema: {
          tags,
          summary:
            'Télécharger un document (la lecture est inscrite au registre) ; s’il nomme des personnes, une fois, par qui l’a demandé et obtenu l’approbation d’une seconde personne, dans le budget du bureau',
          params: DocParams,
          response: { 200: Type.Unknown({ description: 'le document (PDF, CSV ou JSON)' }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const id = await incidents.resolve(request.params.id);
        let opened;
        try {
          opened = await incidents.openDocument(id, request.params.documentId, by(request), await gateFor(request));
        } catch (error) {
          // A session replayed from another network is closed, as on every guarded read: sign in again.
          if (error instanceof DownloadRefusedError && error.reason === 'session_moved')
            return reply.status(401).send({ error: error.reason, message: error.message, requestId: request.id });
          throw error;
        }
        const { info, content } = opened;
        const extension = info.mediaType.startsWith('application/pdf')
          ? 'pdf'
          : info.mediaType.startsWith('text/csv')
            ? 'csv'
            : 'json';
        return reply
          .header('content-type', info.mediaType)
          .header('content-disposition', `attachment; filename="${info.kind}-v${info.version}.${extension}"`)
          .header('cache-control', 'no-store')
          .header('x-content-sha256', info.sha256)
          .send(content);
      },
    );
  };
}
