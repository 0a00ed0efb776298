import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listFactors, listSessions } from '../../identity/index.ts';
import { journalEvents, SECURITY_EVENTS_MAX_PAGE_SIZE, securityEvents } from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { maskIban, ValidationError } from '../../domain/index.ts';
import { errorResponses, PersonRecordSchema } from '../schemas.ts';
import { requireSession } from '../session.ts';
import { requireJobSeeker } from './job-seeker.ts';
import { certificateViews } from './employer-certificates.ts';

const tags = ['mon espace'];
const security = [{ cookieAuth: [] }];

const SecurityEventView = Type.Object({
  id: Type.String(),
  at: Type.String(),
  kind: Type.String(),
  label: Type.String(),
  method: Type.Union([Type.String(), Type.Null()]),
});
const SecurityEventsPage = Type.Object({
  page: Type.Integer(),
  pageSize: Type.Integer(),
  total: Type.Integer(),
  events: Type.Array(SecurityEventView),
});

const PageQuery = Type.Object(
  {
    page: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$' })),
    pageSize: Type.Optional(
      Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: `de 1 à ${SECURITY_EVENTS_MAX_PAGE_SIZE}` }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The job seeker's own file, their security events and the download of their data (issue 9).
 *
 * Reading one's own file is recorded as `subject_access` (operation `read` or `export`) with the
 * account and the person, before anything leaves: the invariant "no access without a committed
 * event" holds for the person too, and an account taken over by someone else leaves a trace of
 * what it read. It is NOT a journal kind (JOURNAL_KINDS): « Qui a consulté mon dossier » answers
 * who else read the file, and the person's own visits would drown those entries; it is listed
 * instead in the account's security events, where a read the person did not make stands out.
 */
export function myFileRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('onRequest', requireJobSeeker);

    const readOwnFile = async (accountId: string, personId: string, operation: 'read' | 'export') => {
      // Recorded before the values are decrypted and sent; a ledger failure stops the request there.
      const record = await runtime.access.readOwn(accountId, personId, operation);
      // The account payments go to stays masked, as « Coordonnées bancaires » shows it: a session
      // taken over must not learn it here (nor from the download) when the bank page hides it.
      const bank = record.fields.bank;
      return bank ? { ...record, fields: { ...record.fields, bank: { ...bank, iban: maskIban(bank.iban) } } } : record;
    };

    app.get(
      '/file',
      {
        schema: {
          tags,
          summary:
            'Mon dossier : toutes les données qu’il contient, classe par classe (la lecture est inscrite au journal avant l’envoi)',
          security,
          response: { 200: PersonRecordSchema, ...errorResponses },
        },
      },
      async (request) => readOwnFile(request.account!.id, request.account!.person_id!, 'read'),
    );

    app.get(
      '/security-events',
      {
        schema: {
          tags,
          summary:
            'Activité de sécurité de mon compte : connexions, seconds facteurs, sessions, mots de passe (du plus récent au plus ancien)',
          security,
          querystring: PageQuery,
          response: { 200: SecurityEventsPage, ...errorResponses },
        },
      },
      async (request) => {
        const pageSize = Number(request.query.pageSize ?? 20);
        if (pageSize > SECURITY_EVENTS_MAX_PAGE_SIZE)
          throw new ValidationError([
            { field: 'query.pageSize', rule: 'maximum', message: `au plus ${SECURITY_EVENTS_MAX_PAGE_SIZE}` },
          ]);
        return securityEvents(db, request.account!.id, Number(request.query.page ?? 1), pageSize);
      },
    );

    app.get(
      '/export',
      {
        schema: {
          tags,
          summary:
            'Télécharger mes données (RGPD art. 15 et 20) : dossier, journal des accès, facteurs, sessions, activité, coordonnées bancaires, attestations employeur — fichier JSON',
          security,
          produces: ['application/json'],
        },
      },
      async (request, reply) => {
        const account = request.account!;
        const personId = account.person_id!;
        const file = await readOwnFile(account.id, personId, 'export');
        const factors = await listFactors(db, account.id);
        const sessions = await listSessions(db, account.id);
        const activity = await securityEvents(db, account.id, 1, 100_000);
        const bankChanges = await runtime.bank.changes(personId);
        // The certificates former employers sent (issue 25 §3), recorded as their own subject access when there are any.
        const employerCertificates = await certificateViews(
          runtime,
          await runtime.access.ownCertificates(account.id, personId),
        );
        const document = {
          format: 'rempart-export/1',
          generatedAt: new Date().toISOString(),
          account: { id: account.id, login: account.login },
          file,
          accessJournal: await journalEvents(db, personId),
          factors,
          sessions,
          securityEvents: activity.events,
          bankChanges,
          employerCertificates,
        };
        const day = document.generatedAt.slice(0, 10);
        return reply
          .header('content-type', 'application/json; charset=utf-8')
          .header('content-disposition', `attachment; filename="mes-donnees-rempart-${day}.json"`)
          .header('cache-control', 'no-store')
          .send(JSON.stringify(document, null, 2));
      },
    );
  };
}
