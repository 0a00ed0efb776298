import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import { Type, type Static } from 'typebox';
import { agreementFromRow, agreementInForce } from '../../policy/index.ts';
// The guard's own budgets: the dashboard draws exactly what the guard enforces.
import { budgetFor } from '../../guard/index.ts';
import { appendEvent, parseBody, verifyLedger } from '../../ledger/index.ts';
import type { LedgerIntegrityStatus } from '../../ledger/watch.ts';
import type { Runtime } from '../../runtime/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';
import { requireDesk } from './desk-access.ts';

const tags = ['sécurité'];
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const HoursQuery = Type.Object(
  {
    hours: Type.Optional(
      Type.String({
        pattern: '^(?:[1-9]|[1-9][0-9]|1[0-5][0-9]|16[0-8])$',
        description: 'de 1 à 168 heures (24 par défaut)',
      }),
    ),
  },
  { additionalProperties: false },
);
const DaysQuery = Type.Object(
  {
    days: Type.Optional(
      Type.String({ pattern: '^(?:[1-9]|[1-8][0-9]|90)$', description: 'de 1 à 90 jours (30 par défaut)' }),
    ),
  },
  { additionalProperties: false },
);

const Limits = Type.Object({ soft: Type.Integer(), hard: Type.Integer() });
const ReadsView = Type.Object({
  from: Type.String(),
  to: Type.String(),
  hours: Type.Array(Type.String({ description: 'début de chaque heure (UTC, ISO 8601)' })),
  organisations: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      kind: Type.String(),
      /** Reads per hour, aligned on `hours`. */
      reads: Type.Array(Type.Integer()),
      total: Type.Integer(),
      budget: Type.Object({
        /** What the guard allows one of the organisation's actors in an hour (the most generous of its active actors), distinct persons. */
        actorHour: Type.Union([Limits, Type.Null()]),
        /** The largest daily ceiling of its agreements in force (distinct persons per day and purpose). */
        dailyCeiling: Type.Union([Type.Integer(), Type.Null()]),
      }),
    }),
  ),
});
const AlertsView = Type.Object({
  from: Type.String(),
  days: Type.Array(Type.String({ description: 'jour (UTC, AAAA-MM-JJ)' })),
  series: Type.Array(
    Type.Object({
      kind: Type.Enum(['signal_alert', 'signal_contain', 'containment']),
      signal: Type.String(),
      counts: Type.Array(Type.Integer()),
      total: Type.Integer(),
    }),
  ),
});
const VerificationView = Type.Object({
  at: Type.String(),
  ok: Type.Boolean(),
  checkpointSize: Type.Union([Type.Integer(), Type.Null()]),
  eventsChecked: Type.Integer(),
  findings: Type.Integer(),
  firstFinding: Type.Union([Type.String(), Type.Null()]),
});
const ProblemView = Type.Object({
  source: Type.String({
    description:
      'full (vérification complète), incremental, witness (fichier témoin), external (témoin externe), file, sign (contrôles avant signature)',
  }),
  kind: Type.String(),
  index: Type.Union([Type.Integer(), Type.Null()]),
  eventId: Type.Union([Type.String(), Type.Null()]),
  message: Type.String(),
  since: Type.String(),
});
const IntegrityView = Type.Object(
  {
    status: Type.Enum(['ok', 'altered', 'rollback']),
    background: Type.Boolean({ description: 'la vérification de fond tourne dans ce processus' }),
    signing: Type.Enum(['allowed', 'refused']),
    verifiedSize: Type.Integer({ description: 'positions vérifiées depuis leurs événements par ce processus' }),
    lastIncrementalAt: Type.Union([Type.String(), Type.Null()]),
    lastFull: Type.Union([
      Type.Object({
        at: Type.String(),
        ok: Type.Boolean(),
        eventsChecked: Type.Integer(),
        durationMs: Type.Integer(),
        firstFinding: Type.Union([Type.String(), Type.Null()]),
      }),
      Type.Null(),
    ]),
    nextFullAt: Type.Union([Type.String(), Type.Null()]),
    problems: Type.Array(ProblemView),
    witness: Type.Object({
      file: Type.Union([Type.String(), Type.Null()]),
      size: Type.Union([Type.Integer(), Type.Null()]),
      at: Type.Union([Type.String(), Type.Null()]),
      external: Type.Union([
        Type.Object({
          url: Type.String(),
          status: Type.String(),
          size: Type.Union([Type.Integer(), Type.Null()]),
          at: Type.Union([Type.String(), Type.Null()]),
          message: Type.Union([Type.String(), Type.Null()]),
        }),
        Type.Null(),
      ]),
    }),
  },
  { description: 'la vérification continue du journal et ses témoins (issue 20)' },
);
const LedgerView = Type.Object({
  checkpoint: Type.Union([
    Type.Object({ size: Type.Integer(), at: Type.String(), root: Type.String({ description: 'racine en base64' }) }),
    Type.Null(),
  ]),
  treeSize: Type.Integer(),
  pending: Type.Integer(),
  lastVerification: Type.Union([VerificationView, Type.Null()]),
  integrity: IntegrityView,
});
const AdminRequestView = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  organisationName: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  requestedBy: Type.String(),
  requestedAt: Type.String(),
  expiresAt: Type.String(),
  /** What is asked, without secrets nor contact details: the login, roles or client name. */
  summary: Type.Object({
    login: Type.Optional(Type.String()),
    displayName: Type.Optional(Type.String()),
    roles: Type.Optional(Type.Array(Type.String())),
    name: Type.Optional(Type.String()),
    resetFactors: Type.Optional(Type.Boolean()),
  }),
});

function integrityOf(status: LedgerIntegrityStatus): Static<typeof IntegrityView> {
  return {
    ...status,
    problems: status.problems.map((p) => ({
      source: p.source,
      kind: p.kind,
      index: p.index ?? null,
      eventId: p.eventId ?? null,
      message: p.message,
      since: p.since,
    })),
  };
}

function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

function verificationOf(at: string, details: Record<string, unknown>): Static<typeof VerificationView> {
  return {
    at,
    ok: details.ok === true,
    checkpointSize: typeof details.checkpointSize === 'number' ? details.checkpointSize : null,
    eventsChecked: typeof details.eventsChecked === 'number' ? details.eventsChecked : 0,
    findings: typeof details.findings === 'number' ? details.findings : 0,
    firstFinding: typeof details.firstFinding === 'string' ? details.firstFinding : null,
  };
}

/** The security desk's figures: reads per organisation per hour with budgets, alerts over time, ledger status (issue 9). */
export function securityDashboardRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  const postgres = runtime.database.flavour === 'postgres';
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    const read = { preValidation: requireDesk(db, 'read') };

    app.get(
      '/reads',
      {
        ...read,
        schema: {
          tags,
          summary: 'Lectures de dossiers par organisation et par heure, avec le budget horaire appliqué par la garde',
          querystring: HoursQuery,
          response: { 200: ReadsView, ...errorResponses },
        },
      },
      async (request) => {
        const hours = Number(request.query.hours ?? 24);
        const now = runtime.clock.now().getTime();
        const first = hourStart(now) - (hours - 1) * HOUR_MS;
        const from = new Date(first).toISOString();
        const slots = Array.from({ length: hours }, (_, i) => new Date(first + i * HOUR_MS).toISOString());
        // Range scan on (kind, at); the operation lives only in the event body.
        const operation = postgres
          ? sql<string>`(body::jsonb ->> 'operation')`
          : sql<string>`json_extract(body, '$.operation')`;
        const hour = sql<string>`substr(at, 1, 13)`;
        const rows = await db
          .selectFrom('ledger_events')
          .select([hour.as('hour'), 'organisation_id', (eb) => eb.fn.countAll<number | string>().as('n')])
          .where('kind', '=', 'access_granted')
          .where('at', '>=', from)
          .where(operation, '=', 'read')
          .where('organisation_id', 'is not', null)
          .groupBy([hour, 'organisation_id'])
          .execute();
        const organisations = await db
          .selectFrom('organisations')
          .select(['id', 'name', 'kind'])
          .orderBy('name')
          .execute();
        const actors = await db
          .selectFrom('actors')
          .select(['organisation_id', 'roles'])
          .where('status', '=', 'active')
          .execute();
        const agreements = (await db.selectFrom('agreements').selectAll().execute()).map(agreementFromRow);
        const nowDate = new Date(now);
        const slotIndex = new Map(slots.map((s, i) => [s.slice(0, 13), i]));
        const byOrg = new Map<string, number[]>();
        for (const row of rows) {
          const index = slotIndex.get(row.hour);
          if (index === undefined || !row.organisation_id) continue;
          const series = byOrg.get(row.organisation_id) ?? new Array<number>(hours).fill(0);
          series[index]! += Number(row.n);
          byOrg.set(row.organisation_id, series);
        }
        return {
          from,
          to: new Date(hourStart(now) + HOUR_MS).toISOString(),
          hours: slots,
          organisations: organisations.map((org) => {
            const ceilings = agreements
              .filter((a) => a.organisationId === org.id && agreementInForce(a, nowDate))
              .flatMap((a) => a.purposes.map((p) => p.dailyCeiling));
            const dailyCeiling = ceilings.length ? Math.max(...ceilings) : null;
            const budgets =
              dailyCeiling === null
                ? []
                : actors
                    .filter((a) => a.organisation_id === org.id)
                    .map((a) => budgetFor(JSON.parse(a.roles) as string[], dailyCeiling).hour);
            const actorHour = budgets.length ? budgets.reduce((a, b) => (b.hard > a.hard ? b : a)) : null;
            const reads = byOrg.get(org.id) ?? new Array<number>(hours).fill(0);
            return {
              id: org.id,
              name: org.name,
              kind: org.kind,
              reads,
              total: reads.reduce((a, b) => a + b, 0),
              budget: { actorHour, dailyCeiling },
            };
          }),
        };
      },
    );

    app.get(
      '/alerts',
      {
        ...read,
        schema: {
          tags,
          summary: 'Alertes de la garde (signaux et confinements) par jour et par motif',
          querystring: DaysQuery,
          response: { 200: AlertsView, ...errorResponses },
        },
      },
      async (request) => {
        const days = Number(request.query.days ?? 30);
        const now = runtime.clock.now().getTime();
        const first = Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
        const from = new Date(first).toISOString();
        const dayList = Array.from({ length: days }, (_, i) => new Date(first + i * DAY_MS).toISOString().slice(0, 10));
        const day = sql<string>`substr(at, 1, 10)`;
        const signals = await db
          .selectFrom('guard_signals')
          .select([day.as('day'), 'signal', 'severity', (eb) => eb.fn.countAll<number | string>().as('n')])
          .where('at', '>=', from)
          .groupBy([day, 'signal', 'severity'])
          .execute();
        const containedDay = sql<string>`substr(contained_at, 1, 10)`;
        const containments = await db
          .selectFrom('guard_containments')
          .select([containedDay.as('day'), 'signal', (eb) => eb.fn.countAll<number | string>().as('n')])
          .where('contained_at', '>=', from)
          .groupBy([containedDay, 'signal'])
          .execute();
        const index = new Map(dayList.map((d, i) => [d, i]));
        const series = new Map<
          string,
          { kind: 'signal_alert' | 'signal_contain' | 'containment'; signal: string; counts: number[]; total: number }
        >();
        const add = (
          kind: 'signal_alert' | 'signal_contain' | 'containment',
          signal: string,
          dayText: string,
          n: number,
        ) => {
          const i = index.get(dayText);
          if (i === undefined) return;
          const key = `${kind}:${signal}`;
          const entry = series.get(key) ?? { kind, signal, counts: new Array<number>(days).fill(0), total: 0 };
          entry.counts[i]! += n;
          entry.total += n;
          series.set(key, entry);
        };
        for (const row of signals)
          add(row.severity === 'contain' ? 'signal_contain' : 'signal_alert', row.signal, row.day, Number(row.n));
        for (const row of containments) add('containment', row.signal, row.day, Number(row.n));
        return {
          from,
          days: dayList,
          series: [...series.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.signal.localeCompare(b.signal)),
        };
      },
    );

    const ledgerStatus = async (): Promise<Static<typeof LedgerView>> => {
      const checkpoint = await runtime.ledger.latestCheckpoint();
      const pending = await db
        .selectFrom('ledger_events')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('seq', 'is', null)
        .executeTakeFirstOrThrow();
      const last = await db
        .selectFrom('ledger_events')
        .select(['at', 'body'])
        .where('kind', '=', 'ledger_verified')
        .orderBy('at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return {
        checkpoint: checkpoint
          ? { size: Number(checkpoint.size), at: checkpoint.at, root: checkpoint.root.toString('base64') }
          : null,
        treeSize: await runtime.ledger.size(),
        pending: Number(pending.n),
        lastVerification: last ? verificationOf(last.at, parseBody(last.body).details) : null,
        integrity: integrityOf(runtime.ledgerWatch.status()),
      };
    };

    app.get(
      '/ledger',
      {
        ...read,
        schema: {
          tags,
          summary: 'État du journal : dernier point de contrôle signé, événements en attente, dernière vérification',
          response: { 200: LedgerView, ...errorResponses },
        },
      },
      async () => ledgerStatus(),
    );

    app.post(
      '/ledger/verify',
      {
        preValidation: requireDesk(db, 'act_on'),
        schema: {
          tags,
          summary:
            'Vérifier maintenant le journal contre ses points de contrôle signés (le résultat est inscrit au journal)',
          response: { 200: Type.Object({ verification: VerificationView, status: LedgerView }), ...errorResponses },
        },
      },
      async (request) => {
        const started = performance.now();
        const report = await verifyLedger(db, runtime.ledger, { maxFindings: 20 });
        // What the button finds counts as the background's whole-log pass: found, the log stops signing and the officers
        // are alerted; clean, a problem found earlier is cleared.
        await runtime.ledgerWatch.recordFull(report, performance.now() - started, { recordEvent: false });
        const details = {
          ok: report.ok,
          checkpointSize: report.checkpoint?.size ?? null,
          eventsChecked: report.eventsChecked,
          findings: report.findings.length,
          firstFinding: report.findings[0]?.message ?? null,
        };
        const event = await appendEvent(db, 'ledger_verified', { accountId: request.account!.id, details });
        return { verification: verificationOf(event.at, details), status: await ledgerStatus() };
      },
    );

    app.get(
      '/admin-requests',
      {
        ...read,
        schema: {
          tags,
          summary:
            'Demandes d’administration des comptes en attente d’une seconde approbation, toutes organisations (lecture seule)',
          response: { 200: Type.Object({ requests: Type.Array(AdminRequestView) }), ...errorResponses },
        },
      },
      async () => {
        const rows = await db
          .selectFrom('admin_requests')
          .innerJoin('organisations', 'organisations.id', 'admin_requests.organisation_id')
          .leftJoin('accounts', 'accounts.id', 'admin_requests.requested_by')
          .select([
            'admin_requests.id',
            'admin_requests.organisation_id',
            'organisations.name',
            'admin_requests.kind',
            'admin_requests.status',
            'admin_requests.requested_by',
            'accounts.login',
            'admin_requests.requested_at',
            'admin_requests.expires_at',
            'admin_requests.payload',
          ])
          .where('admin_requests.status', '=', 'pending')
          .where('admin_requests.expires_at', '>', runtime.clock.now().toISOString())
          .orderBy('admin_requests.requested_at', 'desc')
          .limit(200)
          .execute();
        return {
          requests: rows.map((row) => {
            const payload = JSON.parse(row.payload) as Record<string, unknown>;
            const summary: Static<typeof AdminRequestView>['summary'] = {};
            if (typeof payload.login === 'string') summary.login = payload.login;
            if (typeof payload.displayName === 'string') summary.displayName = payload.displayName;
            if (Array.isArray(payload.roles)) summary.roles = payload.roles.map(String);
            if (typeof payload.name === 'string') summary.name = payload.name;
            if (typeof payload.resetFactors === 'boolean') summary.resetFactors = payload.resetFactors;
            return {
              id: row.id,
              organisationId: row.organisation_id,
              organisationName: row.name,
              kind: row.kind,
              status: row.status,
              requestedBy: row.login ?? row.requested_by,
              requestedAt: row.requested_at,
              expiresAt: row.expires_at,
              summary,
            };
          }),
        };
      },
    );
  };
}
