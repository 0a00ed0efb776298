import type { PurposeRule } from '../../policy/index.ts';
import { chunks } from '../../store/index.ts';
import { randomUUID } from 'node:crypto';
import { DAY_MS, MINUTE_MS, nextWorkingDay, parisDay, parisTime } from '../clock.ts';
import {
  createActor,
  newClient,
  organisationId,
  referredTo,
  signIn,
  Traffic,
  type Agent,
  type Client,
  type Reply,
  type SimContext,
} from '../context.ts';
import { breakersSince, containmentsOf, signalsSince } from '../measure.ts';
import { checkGoals, type ScenarioReport } from '../report.ts';

const AGENCIES = ['bastide', 'merignac', 'libourne'] as const;

/** Partner organisations whose staff read files referred to them, their purpose, and their share of partner staff. */
const PARTNERS = [
  { key: 'mission-locale', prefix: 'ml.bordeaux', purpose: 'accompagnement_jeunes', weight: 0.3, maxAge: 25 },
  { key: 'cap-emploi', prefix: 'capemploi.gironde', purpose: 'accompagnement_handicap', weight: 0.2 },
  { key: 'departement', prefix: 'cd33.insertion', purpose: 'insertion_rsa', weight: 0.2 },
  { key: 'region', prefix: 'region.formation', purpose: 'formation', weight: 0.1 },
  { key: 'caf', prefix: 'caf33.agent', purpose: 'verification_droits', weight: 0.1 },
  { key: 'training-body', prefix: 'iafp.formateur', purpose: 'entree_formation', weight: 0.1 },
] as const;

type Role = 'counsellor' | 'indemnisation_agent' | 'partner_staff';

interface Staff {
  login: string;
  role: Role;
  organisationKey: string;
  purpose: string;
  actorId: string;
  client: Client;
  /** The persons this member works on today: their caseload, their agency's files, or their partner portfolio. */
  portfolio: string[];
  /** Whether their purpose lets them write a follow-up. */
  writesFollowUp: boolean;
  /** A counsellor's appointments today and tomorrow (persons of their portfolio). */
  agenda?: { today: string[]; tomorrow: string[] };
  agent?: Agent;
}

interface Action {
  at: number;
  staff: Staff;
  kind: 'caseload' | 'referrals' | 'read' | 'search_name' | 'search_ft';
  personId?: string;
  followUp?: boolean;
}

/** Split `total` by weights, largest remainders first, so the parts add up. */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const raw = weights.map((w) => (total * w) / sum);
  const out = raw.map(Math.floor);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; out.reduce((a, b) => a + b, 0) < total; k++) out[order[k % order.length]![1]]! += 1;
  return out;
}

const ageOn = (birthDate: string, on: Date) => {
  const b = new Date(`${birthDate}T00:00:00Z`);
  let age = on.getUTCFullYear() - b.getUTCFullYear();
  if (on.getUTCMonth() < b.getUTCMonth() || (on.getUTCMonth() === b.getUTCMonth() && on.getUTCDate() < b.getUTCDate()))
    age--;
  return age;
};

/** Room an agreement leaves above an average day (a busy Monday must not hit the ceiling). */
const CEILING_HEADROOM = 1.5;

/** A scaled agreement: every purpose's daily ceiling multiplied for the head count it now serves, with headroom. */
async function scaleAgreement(ctx: SimContext, key: string, factors: Record<string, number>): Promise<void> {
  const row = await ctx.db
    .selectFrom('agreements')
    .select(['id', 'purposes'])
    .where('organisation_id', '=', organisationId(ctx, key))
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  const purposes = (JSON.parse(row.purposes) as PurposeRule[]).map((p) => ({
    ...p,
    dailyCeiling: Math.max(p.dailyCeiling, Math.ceil(p.dailyCeiling * (factors[p.purpose] ?? 1) * CEILING_HEADROOM)),
  }));
  await ctx.db
    .updateTable('agreements')
    .set({ purposes: JSON.stringify(purposes) })
    .where('id', '=', row.id)
    .execute();
}

async function seededHeadCount(ctx: SimContext, key: string, role: string): Promise<number> {
  const rows = await ctx.db
    .selectFrom('actors')
    .select('roles')
    .where('organisation_id', '=', organisationId(ctx, key))
    .where('login', 'not like', 'sim.%')
    .execute();
  return Math.max(1, rows.filter((r) => (JSON.parse(r.roles) as string[]).includes(role)).length);
}

/** The network staffed for the day: new actors (established a year ago), caseloads spread over the counsellors, agreements sized for the head count. */
async function staffUp(ctx: SimContext, size: number): Promise<Staff[]> {
  const [counsellors, indemnisation] = [Math.round(size * 0.7), Math.round(size * 0.1)];
  const partners = Math.max(0, size - counsellors - indemnisation);
  const established = new Date(ctx.clock.now().getTime() - 400 * DAY_MS);
  const staff: Staff[] = [];
  const perAgency = apportion(counsellors, [1, 1, 1]);
  const indemPerAgency = apportion(indemnisation, [1, 1, 1]);
  for (const [a, slug] of AGENCIES.entries()) {
    const key = `agency-${slug}`;
    const org = organisationId(ctx, key);
    const factors = {
      accompagnement: perAgency[a]! / (await seededHeadCount(ctx, key, 'counsellor')),
      indemnisation: indemPerAgency[a]! / (await seededHeadCount(ctx, key, 'indemnisation_agent')),
    };
    const files = (
      await ctx.db.selectFrom('caseloads').select('person_id').where('organisation_id', '=', org).execute()
    )
      .map((r) => r.person_id)
      .filter((id) => !ctx.decoys.has(id));
    const mine: Staff[] = [];
    for (let n = 1; n <= perAgency[a]!; n++) {
      const login = `sim.conseiller.${slug}.${String(n).padStart(3, '0')}`;
      mine.push({
        login,
        role: 'counsellor',
        organisationKey: key,
        purpose: 'accompagnement',
        actorId: await createActor(ctx, key, login, ['counsellor'], established),
        client: newClient(ctx),
        portfolio: [],
        writesFollowUp: true,
      });
    }
    // Caseloads moved to the day's counsellors: each person followed by one of them.
    if (mine.length) {
      for (const [i, personId] of ctx.rng.shuffle(files).entries()) mine[i % mine.length]!.portfolio.push(personId);
      for (const c of mine)
        for (const part of chunks(c.portfolio, 500))
          await ctx.db
            .updateTable('caseloads')
            .set({ actor_id: c.actorId })
            .where('organisation_id', '=', org)
            .where('person_id', 'in', part)
            .execute();
      for (const c of mine) await bookAgenda(ctx, c, org);
    }
    staff.push(...mine);
    for (let n = 1; n <= indemPerAgency[a]!; n++) {
      const login = `sim.indemnisation.${slug}.${String(n).padStart(3, '0')}`;
      staff.push({
        login,
        role: 'indemnisation_agent',
        organisationKey: key,
        purpose: 'indemnisation',
        actorId: await createActor(ctx, key, login, ['indemnisation_agent'], established),
        client: newClient(ctx),
        portfolio: files,
        writesFollowUp: false,
      });
    }
    await scaleAgreement(ctx, key, factors);
  }
  const perPartner = apportion(
    partners,
    PARTNERS.map((p) => p.weight),
  );
  const today = new Date();
  for (const [i, partner] of PARTNERS.entries()) {
    const count = perPartner[i]!;
    if (count === 0) continue;
    let pool = (await referredTo(ctx, partner.key)).filter((id) => !ctx.decoys.has(id));
    if ('maxAge' in partner) {
      // The mission locale follows the young: its advisers open the files its agreement allows.
      const young: string[] = [];
      for (const id of pool) {
        const birth = (await ctx.runtime.persons.read(id, ['identity'])).fields.identity?.birthDate;
        if (birth && ageOn(birth, today) <= partner.maxAge) young.push(id);
      }
      pool = young;
    }
    const rule = (
      JSON.parse(
        (
          await ctx.db
            .selectFrom('agreements')
            .select('purposes')
            .where('organisation_id', '=', organisationId(ctx, partner.key))
            .executeTakeFirstOrThrow()
        ).purposes,
      ) as PurposeRule[]
    ).find((p) => p.purpose === partner.purpose)!;
    const factor = count / (await seededHeadCount(ctx, partner.key, 'partner_staff'));
    const members: Staff[] = [];
    for (let n = 1; n <= count; n++) {
      const login = `sim.${partner.prefix}.${String(n).padStart(3, '0')}`;
      members.push({
        login,
        role: 'partner_staff',
        organisationKey: partner.key,
        purpose: partner.purpose,
        actorId: await createActor(ctx, partner.key, login, ['partner_staff'], established),
        client: newClient(ctx),
        portfolio: [],
        writesFollowUp: rule.write.includes('follow_up'),
      });
    }
    for (const [k, personId] of ctx.rng.shuffle(pool).entries()) members[k % members.length]!.portfolio.push(personId);
    staff.push(...members);
    await scaleAgreement(ctx, partner.key, { [partner.purpose]: factor });
  }
  return staff;
}

/**
 * A counsellor's agenda for today and the next working day, booked by themself three weeks
 * before: six to twelve appointments a day, as a counsellor's day holds.
 */
async function bookAgenda(ctx: SimContext, c: Staff, organisationId: string): Promise<void> {
  const persons = ctx.rng.shuffle(c.portfolio);
  const today = persons.splice(0, ctx.rng.int(6, 12));
  const tomorrow = persons.splice(0, ctx.rng.int(6, 12));
  c.agenda = { today, tomorrow };
  const days: Array<[Date, string[]]> = [
    [parisTime(ctx.clock.now(), 9, 0), today],
    [nextWorkingDay(ctx.clock.now(), 1, 9, 0), tomorrow],
  ];
  const rows = days.flatMap(([day, ids]) =>
    ids.map((personId, k) => {
      const at = new Date(day.getTime() + k * 40 * MINUTE_MS);
      return {
        id: randomUUID(),
        person_id: personId,
        organisation_id: organisationId,
        actor_id: c.actorId,
        at: at.toISOString(),
        kind: 'entretien',
        created_by: c.actorId,
        created_at: new Date(at.getTime() - 21 * DAY_MS).toISOString(),
        cancelled_at: null,
      };
    }),
  );
  for (const part of chunks(rows, 9)) await ctx.db.insertInto('appointments').values(part).execute();
}

/** A minute of the working day (08:30–12:00, 13:30–17:30 Paris), at random, after `from`. */
function workingMinute(ctx: SimContext, day: Date, from: number): number {
  const slots: Array<[number, number]> = [
    [parisTime(day, 8, 30).getTime(), parisTime(day, 12, 0).getTime()],
    [parisTime(day, 13, 30).getTime(), parisTime(day, 17, 30).getTime()],
  ];
  for (;;) {
    const [start, end] = ctx.rng.chance(3.5 / 7.5) ? slots[0]! : slots[1]!;
    const at = start + ctx.rng.int(0, Math.floor((end - start) / MINUTE_MS) - 1) * MINUTE_MS;
    if (at >= from) return at;
    if (from >= slots[1]![1]) return from;
  }
}

function plan(ctx: SimContext, staff: Staff[], day: Date): Action[] {
  const actions: Action[] = [];
  for (const s of staff) {
    const arrival = parisTime(day, 8, 30).getTime() + ctx.rng.int(0, 45) * MINUTE_MS;
    const range = s.role === 'indemnisation_agent' ? [20, 40] : [8, 15];
    const count = Math.min(s.portfolio.length, ctx.rng.int(range[0]!, range[1]!));
    // A counsellor's day: the day's appointments, some of tomorrow's prepared, and a few unplanned calls or walk-ins.
    const persons = s.agenda ? counsellorsDay(ctx, s) : ctx.rng.shuffle(s.portfolio).slice(0, count);
    // The day starts with the list: a counsellor's caseload, a partner's persons referred to it.
    if (s.role === 'counsellor') actions.push({ at: arrival, staff: s, kind: 'caseload' });
    if (s.role === 'partner_staff') actions.push({ at: arrival, staff: s, kind: 'referrals' });
    for (const personId of persons) {
      const searched = s.role === 'counsellor' && ctx.rng.chance(0.15);
      actions.push({
        at: workingMinute(ctx, day, arrival),
        staff: s,
        kind: searched ? (ctx.rng.chance(0.5) ? 'search_name' : 'search_ft') : 'read',
        personId,
        followUp: s.writesFollowUp && ctx.rng.chance(0.8),
      });
    }
  }
  return actions.sort((a, b) => a.at - b.at);
}

function counsellorsDay(ctx: SimContext, s: Staff): string[] {
  const { today, tomorrow } = s.agenda!;
  const planned = new Set([...today, ...tomorrow]);
  const unplanned = ctx.rng.shuffle(s.portfolio.filter((id) => !planned.has(id))).slice(0, ctx.rng.int(0, 8));
  return [...today, ...ctx.rng.shuffle(tomorrow).slice(0, ctx.rng.int(0, 6)), ...unplanned];
}

interface DayCounters {
  traffic: Traffic;
  relogins: number;
  reads: number;
  followUps: number;
  searches: number;
  /** Pages of lists asked for, and those refused. */
  listings: number;
  listingsRefused: number;
}

async function perform(ctx: SimContext, action: Action, counters: DayCounters): Promise<void> {
  const s = action.staff;
  const send = async (method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<Reply> => {
    s.agent ??= await signIn(ctx, s.actorId, s.client, counters.traffic);
    const options = {
      purpose: s.purpose,
      caseReference: `SIM-${s.login.slice(-3)}-${(action.personId ?? 'liste').slice(0, 8)}`,
      ...(body !== undefined ? { body } : {}),
    };
    let reply = await s.agent.request(method, path, options);
    if (reply.status === 401 && (reply.error === 'session_idle' || reply.error === 'session_expired')) {
      // The browser was left alone too long (wall-clock): the member signs in again.
      counters.relogins++;
      s.agent = await signIn(ctx, s.actorId, s.client, counters.traffic);
      reply = await s.agent.request(method, path, options);
    }
    return reply;
  };
  if (action.kind === 'caseload' || action.kind === 'referrals') {
    // Every page of the list, by next appointment, as the console shows it.
    for (let page = 1; ; page++) {
      const reply = await send('GET', `/api/staff/${action.kind}?pageSize=100&page=${page}`);
      counters.listings++;
      if (reply.status !== 200) {
        counters.listingsRefused++;
        return;
      }
      const { total } = reply.body as { total: number };
      if (page * 100 >= total) return;
    }
  }
  const personId = action.personId!;
  if (action.kind === 'search_name' || action.kind === 'search_ft') {
    const file = await ctx.runtime.persons.read(personId, ['identity', 'registration']);
    const identity = file.fields.identity!;
    const body =
      action.kind === 'search_name'
        ? { person: { lastName: identity.lastName, firstName: identity.firstNames[0]!, birthDate: identity.birthDate } }
        : { franceTravailId: file.fields.registration!.franceTravailId };
    counters.searches++;
    await send('POST', '/api/staff/persons/search', body);
  }
  const read = await send('GET', `/api/staff/persons/${personId}`);
  counters.reads++;
  if (read.status !== 200 || !action.followUp) return;
  const fields = (read.body.fields ?? {}) as {
    follow_up?: { orientation?: string; appointments: unknown[]; actions: unknown[] };
  };
  const current = fields.follow_up ?? { appointments: [], actions: [] };
  const followUp = {
    ...current,
    actions: [
      ...current.actions.slice(-150),
      { date: parisDay(ctx.clock.now()), kind: 'entretien', label: 'Point d’étape avec la personne (simulation)' },
    ],
  };
  counters.followUps++;
  await send('PATCH', `/api/staff/persons/${personId}`, { follow_up: followUp });
}

/** Run the actions minute by minute: the clock on the minute, members in parallel, each member's own actions in order. */
async function playDay(ctx: SimContext, actions: Action[], counters: DayCounters, concurrency: number): Promise<void> {
  let done = 0;
  let lastShown = 0;
  for (let i = 0; i < actions.length;) {
    const at = actions[i]!.at;
    const minute: Action[] = [];
    while (i < actions.length && actions[i]!.at === at) minute.push(actions[i++]!);
    ctx.clock.set(new Date(at));
    const byStaff = new Map<Staff, Action[]>();
    for (const a of minute) byStaff.set(a.staff, [...(byStaff.get(a.staff) ?? []), a]);
    const queues = [...byStaff.values()];
    const workers = Array.from({ length: Math.min(concurrency, queues.length) }, async () => {
      for (let q = queues.shift(); q; q = queues.shift()) for (const a of q) await perform(ctx, a, counters);
    });
    await Promise.all(workers);
    done += minute.length;
    if (done - lastShown >= 500 || done === actions.length) {
      lastShown = done;
      ctx.progress(
        `journée de travail : ${done}/${actions.length} actions (${parisDay(new Date(at))} ${new Date(at).toISOString().slice(11, 16)} UTC)`,
      );
    }
  }
}

/** 500 (or `size`) staff doing a day's work: who among them does the guard stop? */
export async function workday(ctx: SimContext, size: number): Promise<ScenarioReport> {
  const staff = await staffUp(ctx, size);
  const day = ctx.clock.now();
  const from = parisTime(day, 0, 0);
  const actions = plan(ctx, staff, day);
  const counters: DayCounters = {
    traffic: new Traffic(),
    relogins: 0,
    reads: 0,
    followUps: 0,
    searches: 0,
    listings: 0,
    listingsRefused: 0,
  };
  await playDay(ctx, actions, counters, 12);
  const ids = staff.map((s) => s.actorId);
  const byId = new Map(staff.map((s) => [s.actorId, s]));
  const contained = await containmentsOf(ctx, ids);
  const alerts = await signalsSince(ctx, from, ids);
  const orgAlerts = await signalsSince(ctx, from);
  for (const [signal, n] of Object.entries(orgAlerts)) if (!(signal in alerts)) alerts[`${signal} (organisation)`] = n;
  const breakers = await breakersSince(ctx, from);
  const roles = (r: Role) => staff.filter((s) => s.role === r).length;
  const r: Omit<ScenarioReport, 'goals'> = {
    scenario: 'workday',
    variant: '',
    title: `journée de travail ordinaire de ${staff.length} agents (8 h 30 – 17 h 30, heure de Paris)`,
    available: true,
    attack: false,
    requests: counters.traffic.requests,
    refused: counters.traffic.refused,
    refusals: Object.fromEntries(counters.traffic.reasons),
    personsExposed: null,
    decoysRead: null,
    contained: contained.length > 0,
    containment: null,
    decoyToContainmentMs: null,
    circuitBreakers: breakers.length,
    staff: staff.length,
    falsePositives: new Set(contained.map((c) => c.actorId)).size,
    containedLegit: contained.map((c) => ({
      login: byId.get(c.actorId)!.login,
      role: byId.get(c.actorId)!.role,
      signal: c.signal,
    })),
    alerts,
    notes: [
      `${roles('counsellor')} conseillers (les 6 à 12 rendez-vous du jour, jusqu’à 6 de ceux du lendemain préparés, 0 à 8 appels ou visites imprévus, suivi écrit après 80 % des lectures, recherche par nom et date de naissance ou identifiant dans 15 % des cas), ${roles('indemnisation_agent')} agents d’indemnisation (20 à 40 dossiers de l’agence, lecture seule), ${roles('partner_staff')} agents partenaires (8 à 15 dossiers orientés, suivi écrit quand la convention le permet)`,
      `${counters.reads} lectures, ${counters.followUps} suivis écrits, ${counters.searches} recherches, ${counters.listings} pages de liste (portefeuille à l’arrivée des conseillers, personnes orientées à celle des partenaires ; ${counters.listingsRefused} refusées), ${counters.relogins} reconnexions (session inactive en temps réel)`,
      'portefeuilles répartis entre les conseillers simulés ; plafonds journaliers des conventions relevés en proportion de l’effectif, avec 50 % de marge',
    ],
  };
  return { ...r, goals: checkGoals(r) };
}
