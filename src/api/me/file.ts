import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listFactors, listSessions } from '../../identity/index.ts';
import { appendEvent, parseBody, publicView } from '../../ledger/index.ts';
import { JOURNAL_KINDS } from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import type { Executor } from '../../store/index.ts';
import { ValidationError } from '../../domain/index.ts';
import { errorResponses, PersonRecordSchema } from '../schemas.ts';
import { requireSession } from '../session.ts';
import { requireJobSeeker } from './job-seeker.ts';

const tags = ['mon espace'];
const security = [{ cookieAuth: [] }];

/** The account's security events, in the words the job seeker reads. */
export const SECURITY_EVENT_LABELS: Record<string, string> = {
  login_succeeded: 'Connexion réussie',
  login_failed: 'Tentative de connexion échouée (mot de passe incorrect)',
  login_throttled: 'Connexions ralenties après plusieurs échecs',
  login_locked: 'Compte verrouillé après trop d’échecs',
  logout: 'Déconnexion',
  session_revoked: 'Session fermée',
  session_rejected: 'Session refusée',
  step_up_required: 'Confirmation d’identité demandée pour une opération sensible',
  account_created: 'Compte créé',
  account_disabled: 'Compte désactivé',
  password_changed: 'Mot de passe modifié',
  password_reset_requested: 'Réinitialisation du mot de passe demandée',
  password_reset_completed: 'Mot de passe réinitialisé',
  password_reset_refused: 'Réinitialisation du mot de passe refusée',
  factor_enrolled: 'Second facteur activé',
  factor_revoked: 'Second facteur retiré',
  second_factor_succeeded: 'Second facteur validé',
  second_factor_failed: 'Code de second facteur refusé',
  recovery_code_used: 'Code de secours utilisé',
  passkey_registered: 'Clé d’accès enregistrée',
  passkey_rejected: 'Clé d’accès refusée',
  channel_verified: 'Moyen de contact vérifié',
  federated_login: 'Connexion avec FranceConnect',
  federated_login_rejected: 'Connexion avec FranceConnect refusée',
  federated_identity_linked: 'Compte FranceConnect associé',
  federated_identity_unlinked: 'Compte FranceConnect dissocié',
  guard_containment: 'Compte suspendu par mesure de sécurité',
  guard_release: 'Suspension levée',
  access_reported: 'Accès signalé au délégué à la protection des données',
  subject_access: 'Consultation ou téléchargement de mon dossier',
};
const SECURITY_KINDS = Object.keys(SECURITY_EVENT_LABELS);
/** Details that may be shown: how a factor was passed, never a secret, an address or an identifier of someone else. */
const SHOWN_DETAILS = new Set(['method', 'operation']);

const SecurityEventView = Type.Object({ id: Type.String(), at: Type.String(), kind: Type.String(), label: Type.String(), method: Type.Union([Type.String(), Type.Null()]) });
const SecurityEventsPage = Type.Object({ page: Type.Integer(), pageSize: Type.Integer(), total: Type.Integer(), events: Type.Array(SecurityEventView) });

export const SECURITY_EVENTS_MAX_PAGE_SIZE = 100;

async function securityEvents(db: Executor, accountId: string, page: number, pageSize: number) {
  const base = db.selectFrom('ledger_events').where('account_id', '=', accountId).where('kind', 'in', SECURITY_KINDS);
  const total = Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const rows = await base
    .select(['id', 'at', 'kind', 'body'])
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  return {
    page,
    pageSize,
    total,
    events: rows.map((row) => {
      const details = parseBody(row.body).details;
      const shown = Object.entries(details).find(([k, v]) => SHOWN_DETAILS.has(k) && typeof v === 'string');
      return { id: row.id, at: row.at, kind: row.kind, label: SECURITY_EVENT_LABELS[row.kind] ?? row.kind, method: shown ? String(shown[1]) : null };
    }),
  };
}

const PageQuery = Type.Object(
  {
    page: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$' })),
    pageSize: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: `de 1 à ${SECURITY_EVENTS_MAX_PAGE_SIZE}` })),
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
      const held = [...((await runtime.persons.heldClasses([personId])).get(personId) ?? [])];
      // Durable before the values are decrypted and sent; a ledger failure stops the request here.
      await appendEvent(db, 'subject_access', { accountId, personId, operation, classes: held, details: { operation } });
      return runtime.persons.read(personId, held);
    };

    app.get(
      '/file',
      {
        schema: {
          tags,
          summary: 'Mon dossier : toutes les données qu’il contient, classe par classe (la lecture est inscrite au journal avant l’envoi)',
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
          summary: 'Activité de sécurité de mon compte : connexions, seconds facteurs, sessions, mots de passe (du plus récent au plus ancien)',
          security,
          querystring: PageQuery,
          response: { 200: SecurityEventsPage, ...errorResponses },
        },
      },
      async (request) => {
        const pageSize = Number(request.query.pageSize ?? 20);
        if (pageSize > SECURITY_EVENTS_MAX_PAGE_SIZE) throw new ValidationError([{ field: 'query.pageSize', rule: 'maximum', message: `au plus ${SECURITY_EVENTS_MAX_PAGE_SIZE}` }]);
        return securityEvents(db, request.account!.id, Number(request.query.page ?? 1), pageSize);
      },
    );

    app.get(
      '/export',
      {
        schema: {
          tags,
          summary: 'Télécharger mes données (RGPD art. 15 et 20) : dossier, journal des accès, facteurs, sessions, activité, coordonnées bancaires — fichier JSON',
          security,
          produces: ['application/json'],
        },
      },
      async (request, reply) => {
        const account = request.account!;
        const personId = account.person_id!;
        const file = await readOwnFile(account.id, personId, 'export');
        const journalRows = await db
          .selectFrom('ledger_events')
          .leftJoin('organisations', 'organisations.id', 'ledger_events.organisation_id')
          .select(['ledger_events.body', 'ledger_events.seq', 'organisations.name'])
          .where('ledger_events.person_id', '=', personId)
          .where('ledger_events.kind', 'in', JOURNAL_KINDS)
          .orderBy('ledger_events.at', 'desc')
          .orderBy('ledger_events.id', 'desc')
          .execute();
        const factors = await listFactors(db, account.id);
        const sessions = await listSessions(db, account.id);
        const activity = await securityEvents(db, account.id, 1, 100_000);
        const bankChanges = await runtime.bank.changes(personId);
        const document = {
          format: 'rempart-export/1',
          generatedAt: new Date().toISOString(),
          account: { id: account.id, login: account.login },
          file,
          accessJournal: journalRows.map((r) => ({ index: r.seq === null ? null : Number(r.seq), organisationName: r.name, event: publicView(parseBody(r.body)) })),
          factors,
          sessions,
          securityEvents: activity.events,
          bankChanges,
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
