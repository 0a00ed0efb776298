import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { maskIban } from '../../domain/index.ts';
import { fingerprintOf, hasUsableSecondFactor } from '../../identity/index.ts';
import { parseBody } from '../../ledger/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { BankDetailsBody, ChangeOutcomeView, ChangeView, HoldView } from '../bank/schemas.ts';
import { errorResponses } from '../schemas.ts';
import { clientOf, requireRecentSecondFactor, requireSession } from '../session.ts';
import { requireJobSeeker } from './job-seeker.ts';

const tags = ['mon espace'];
const security = [{ cookieAuth: [] }];

/** What each step of the history says to the person. */
const HISTORY_LABELS: Record<string, string> = {
  bank_change_requested: 'Modification demandée',
  bank_change_held: 'Modification mise en attente de vérification',
  bank_change_notified: 'Avis de modification envoyé',
  bank_change_frozen: 'Modification bloquée (« ce n’est pas moi »)',
  bank_change_approved: 'Modification vérifiée par un agent',
  bank_change_rejected: 'Modification refusée par un agent',
  bank_change_effective: 'Nouveau compte en vigueur pour les paiements',
  bank_hold_placed: 'Coordonnées bancaires placées sous surveillance',
  bank_hold_lifted: 'Surveillance levée',
};

const MyBankDetails = Type.Object({
  current: Type.Union([Type.Object({ maskedIban: Type.String(), bic: Type.String() }), Type.Null()], {
    description: 'le compte sur lequel les allocations sont versées aujourd’hui',
  }),
  pending: Type.Union([ChangeView, Type.Null()]),
  holds: Type.Array(HoldView),
  coolingOffHours: Type.Integer(),
  canRequest: Type.Object(
    {
      allowed: Type.Boolean(),
      reason: Type.Union([
        Type.Literal('second_factor_missing'),
        Type.Literal('change_in_progress'),
        Type.Literal('too_frequent'),
        Type.Null(),
      ]),
    },
    {
      description:
        'si une demande de changement peut aboutir maintenant, et sinon pourquoi : le formulaire n’est offert que dans ce cas',
    },
  ),
  history: Type.Array(
    Type.Object({
      at: Type.String(),
      kind: Type.String(),
      label: Type.String(),
      maskedIban: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

/**
 * The job seeker's bank details: what payments go to, the change in progress and why it waits,
 * holds and their reasons, the history from the ledger (masked); and the change itself, behind
 * a second factor passed within five minutes.
 */
export function myBankDetailsRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('onRequest', requireJobSeeker);

    app.get(
      '/',
      {
        schema: {
          tags,
          summary: 'Mes coordonnées bancaires : compte en vigueur, modification en cours, surveillance, historique',
          security,
          response: { 200: MyBankDetails, ...errorResponses },
        },
      },
      async (request) => {
        const personId = request.account!.person_id!;
        await runtime.bank.settleDue(personId);
        const record = await runtime.persons.read(personId, ['bank']);
        const changes = await runtime.bank.changes(personId);
        const masked = new Map(changes.map((c) => [c.id, c.maskedIban]));
        const events = await db
          .selectFrom('ledger_events')
          .select(['at', 'kind', 'body'])
          .where('person_id', '=', personId)
          .where('kind', 'in', Object.keys(HISTORY_LABELS))
          .orderBy('at', 'desc')
          .limit(200)
          .execute();
        const pending = changes.find((c) => c.status === 'cooling_off' || c.status === 'awaiting_verification') ?? null;
        const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString();
        const reason = !(await hasUsableSecondFactor(db, request.account!.id))
          ? ('second_factor_missing' as const)
          : pending
            ? ('change_in_progress' as const)
            : changes.filter((c) => c.requestedAt > monthAgo).length >= runtime.bank.settings.maxRequestsPer30Days
              ? ('too_frequent' as const)
              : null;
        return {
          canRequest: { allowed: reason === null, reason },
          current: record.fields.bank
            ? { maskedIban: maskIban(record.fields.bank.iban), bic: record.fields.bank.bic }
            : null,
          pending,
          holds: await runtime.bank.holds(personId),
          coolingOffHours: runtime.bank.settings.coolingOffHours,
          history: events.map((e) => {
            const change = parseBody(e.body).details.change;
            return {
              at: e.at,
              kind: e.kind,
              label: HISTORY_LABELS[e.kind]!,
              maskedIban: typeof change === 'string' ? (masked.get(change) ?? null) : null,
            };
          }),
        };
      },
    );

    app.post(
      '/changes',
      {
        schema: {
          tags,
          summary:
            'Changer de compte bancaire (second facteur de moins de 5 minutes ; effectif après le délai de sécurité)',
          security,
          body: Type.Object(BankDetailsBody, { additionalProperties: false }),
          response: { 201: ChangeOutcomeView, ...errorResponses },
        },
        preHandler: [
          async (request, reply) => {
            // Without a second factor, a password alone (perhaps stolen) would redirect the allowance.
            if (!(await hasUsableSecondFactor(db, request.account!.id))) {
              void reply.status(403).send({
                error: 'second_factor_enrolment_required',
                message:
                  'Pour modifier vos coordonnées bancaires, activez d’abord un second facteur (application d’authentification ou clé d’accès) dans votre espace, ou adressez-vous à votre conseiller.',
                requestId: request.id,
              });
              return reply;
            }
          },
          requireRecentSecondFactor(db),
        ],
      },
      async (request, reply) => {
        const account = request.account!;
        const outcome = await runtime.bank.requestChange(
          account.person_id!,
          request.body,
          { via: 'job_seeker', accountId: account.id, fingerprint: fingerprintOf(clientOf(request)) },
          { accountId: account.id },
        );
        return reply.status(201).send(outcome);
      },
    );
  };
}
