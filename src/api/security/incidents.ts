import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ACTIONS, VECTORS, type Compromised } from '../../incidents/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireRecentSecondFactor, requireSession } from '../session.ts';
import { READERS, requireSecurityRole } from './roles.ts';

const tags = ['incidents'];
const Ids = (description: string) => Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 1000, description }));
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
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'identifiant ou référence (INC-2026-0001)' }) }, { additionalProperties: false });
const DocParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), documentId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const ActionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), action: Type.Enum([...ACTIONS]) }, { additionalProperties: false });
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

function compromisedOf(body: { actors?: string[]; organisations?: string[]; clients?: string[]; sessions?: string[] }): Compromised {
  const unique = (ids: string[] | undefined) => [...new Set(ids ?? [])];
  return { actors: unique(body.actors), organisations: unique(body.organisations), clients: unique(body.clients), sessions: unique(body.sessions) };
}

/**
 * The incident desk of the security officer and the DPO: declare, scope, draft the CNIL
 * notification, notify the persons, remediate, close; every step goes to the register. What
 * touches accounts or names people (actions, notices, documents) needs a fresh second factor.
 */
export function incidentRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  const incidents = runtime.incidents;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    const role = { preValidation: requireSecurityRole(db, READERS) };
    const sensitive = { ...role, preHandler: requireRecentSecondFactor(db) };
    const by = (request: { account?: { id: string } }) => ({ accountId: request.account!.id });

    app.get('/', { ...role, schema: { tags, summary: 'Incidents déclarés, avec le délai de 72 heures restant', response: { 200: Type.Object({ incidents: Type.Array(Loose) }), ...errorResponses } } }, async () => ({
      incidents: await incidents.list(),
    }));

    app.post('/', { ...role, schema: { tags, summary: 'Déclarer un incident (identités compromises, fenêtre, vecteur, prise de connaissance)', body: DeclareBody, response: { 201: Loose, ...errorResponses } } }, async (request, reply) => {
      const b = request.body;
      const view = await incidents.declare(
        { title: b.title, vector: b.vector, description: b.description, compromised: compromisedOf(b.compromised), windowFrom: new Date(b.windowFrom), windowTo: new Date(b.windowTo), awareAt: new Date(b.awareAt) },
        by(request),
      );
      return reply.status(201).send(view);
    });

    app.get('/:id', { ...role, schema: { tags, summary: 'Un incident : état, délai, périmètre, registre, documents, avis', params: IdParams, response: { 200: Loose, ...errorResponses } } }, async (request) => {
      const id = await incidents.resolve(request.params.id);
      return { ...(await incidents.view(id)), timeline: await incidents.timeline(id), documents: await incidents.documents(id), notices: await incidents.noticeStatus(id) };
    });

    app.patch('/:id', { ...role, schema: { tags, summary: 'Corriger les identités, la fenêtre ou les faits (le périmètre est à recalculer)', params: IdParams, body: AmendBody, response: { 200: Loose, ...errorResponses } } }, async (request) => {
      const b = request.body;
      return incidents.amend(
        await incidents.resolve(request.params.id),
        {
          ...(b.title !== undefined ? { title: b.title } : {}),
          ...(b.vector !== undefined ? { vector: b.vector } : {}),
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.compromised !== undefined ? { compromised: compromisedOf(b.compromised) } : {}),
          ...(b.windowFrom !== undefined ? { windowFrom: new Date(b.windowFrom) } : {}),
          ...(b.windowTo !== undefined ? { windowTo: new Date(b.windowTo) } : {}),
          ...(b.awareAt !== undefined ? { awareAt: new Date(b.awareAt) } : {}),
        },
        by(request),
      );
    });

    app.post('/:id/scope', { ...role, schema: { tags, summary: 'Calculer le périmètre depuis le journal (personnes × classes exposées, leurres à part)', params: IdParams, response: { 200: Loose, ...errorResponses } } }, async (request) => {
      const { persons, decoys, ...summary } = await incidents.scope(await incidents.resolve(request.params.id), by(request));
      return { ...summary, message: summary.empty ? 'Aucune donnée n’est sortie par ces identités dans cette fenêtre.' : `${persons.length} personne(s) exposée(s), ${decoys.length} leurre(s) consulté(s).` };
    });

    app.get('/:id/exposures', { ...role, schema: { tags, summary: 'Les personnes exposées (identifiants, classes, dates, acteurs, risque), page par page', params: IdParams, querystring: ExposureQuery, response: { 200: Type.Object({ exposures: Type.Array(Loose) }), ...errorResponses } } }, async (request) => ({
      exposures: await incidents.exposures(await incidents.resolve(request.params.id), {
        decoys: request.query.decoys === 'true',
        limit: Math.min(1000, Number(request.query.limit ?? 200)),
        ...(request.query.after ? { afterPersonId: request.query.after } : {}),
      }),
    }));

    app.post('/:id/scope/export', { ...role, schema: { tags, summary: 'Exporter le périmètre en CSV (document conservé au registre)', params: IdParams, response: { 201: Loose, ...errorResponses } } }, async (request, reply) =>
      reply.status(201).send(await incidents.exportScope(await incidents.resolve(request.params.id), by(request))),
    );

    app.post('/:id/cnil', { ...role, schema: { tags, summary: 'Produire le projet de notification à la CNIL (JSON et PDF)', params: IdParams, response: { 201: Loose, ...errorResponses } } }, async (request, reply) =>
      reply.status(201).send(await incidents.draftCnil(await incidents.resolve(request.params.id), by(request))),
    );

    app.post(
      '/:id/cnil/filed',
      {
        ...role,
        schema: {
          tags,
          summary: 'Enregistrer le dépôt de la notification initiale auprès de la CNIL (les suivantes sont complémentaires)',
          params: IdParams,
          body: Type.Object({ reference: Type.String({ minLength: 3, maxLength: 100 }), filedAt: Instant('date et heure du dépôt') }, { additionalProperties: false }),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => incidents.markCnilFiled(await incidents.resolve(request.params.id), { reference: request.body.reference, filedAt: new Date(request.body.filedAt) }, by(request)),
    );

    app.post('/:id/notices/plan', { ...role, schema: { tags, summary: 'Planifier un avis par personne exposée (courriel et courrier)', params: IdParams, response: { 200: Loose, ...errorResponses } } }, async (request) =>
      incidents.planNotices(await incidents.resolve(request.params.id), by(request)),
    );

    app.post(
      '/:id/notices/run',
      {
        ...sensitive,
        schema: {
          tags,
          summary: 'Envoyer les avis restants, par lots (reprend là où un envoi interrompu s’est arrêté, sans rien envoyer deux fois)',
          params: IdParams,
          body: Type.Object({ maxBatches: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })), batchSize: Type.Optional(Type.Integer({ minimum: 10, maximum: 2000 })) }, { additionalProperties: false }),
          response: { 200: Loose, ...errorResponses },
        },
      },
      async (request) => {
        const id = await incidents.resolve(request.params.id);
        return incidents.runNotices(id, by(request), { maxBatches: request.body.maxBatches ?? 20, ...(request.body.batchSize ? { batchSize: request.body.batchSize } : {}) });
      },
    );

    app.get('/:id/notices', { ...role, schema: { tags, summary: 'Où en sont les avis (par canal et par état)', params: IdParams, response: { 200: Loose, ...errorResponses } } }, async (request) =>
      incidents.noticeStatus(await incidents.resolve(request.params.id)),
    );

    app.post('/:id/actions/:action', { ...sensitive, schema: { tags, summary: 'Mesure corrective (révocation, réinitialisation, surveillance bancaire, contrôle des leurres et des exports)', params: ActionParams, response: { 200: Loose, ...errorResponses } } }, async (request) =>
      incidents.act(await incidents.resolve(request.params.id), request.params.action, by(request)),
    );

    app.post(
      '/:id/close',
      { ...role, schema: { tags, summary: 'Clore l’incident (il reste au registre)', params: IdParams, body: Type.Object({ note: Type.String({ minLength: 10, maxLength: 2000 }) }, { additionalProperties: false }), response: { 200: Loose, ...errorResponses } } },
      async (request) => incidents.close(await incidents.resolve(request.params.id), request.body.note, by(request)),
    );

    app.get('/:id/documents/:documentId', { ...sensitive, schema: { tags, summary: 'Télécharger un document (la lecture est inscrite au registre)', params: DocParams, response: { 200: Type.Unknown({ description: 'le document (PDF, CSV ou JSON)' }), ...errorResponses } } }, async (request, reply) => {
      const id = await incidents.resolve(request.params.id);
      const { info, content } = await incidents.openDocument(id, request.params.documentId, by(request));
      const extension = info.mediaType.startsWith('application/pdf') ? 'pdf' : info.mediaType.startsWith('text/csv') ? 'csv' : 'json';
      return reply
        .header('content-type', info.mediaType)
        .header('content-disposition', `attachment; filename="${info.kind}-v${info.version}.${extension}"`)
        .header('cache-control', 'no-store')
        .header('x-content-sha256', info.sha256)
        .send(content);
    });
  };
}
