import type { PurposeRule } from '../../policy/index.ts';
import { NETWORK } from '../../seed/index.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nirControlKey } from '../../domain/index.ts';
import { addChannel } from '../../identity/index.ts';
import { chunks, updateObligations } from '../../store/index.ts';
import { nextWindowAfter, openWindowAt } from '../../updates/index.ts';
import { randomUUID } from 'node:crypto';
import { DAY_MS, MINUTE_MS, nextWorkingDay, parisDay, parisTime } from '../clock.ts';
import {
  createActor,
  newClient,
  organisationId,
  referredTo,
  signIn,
  ensureJobSeekerAccount,
  signInJobSeeker,
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

type Role = 'counsellor' | 'indemnisation_agent' | 'partner_staff' | 'aidant';

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
  /** A counsellor hired this week who took the portfolio over today: discovers it, writes little. */
  newHire?: boolean;
  /** A counsellor who prepares all of tomorrow's appointments in one sitting at the end of the day. */
  preparesTomorrow?: boolean;
  /** When the account was made (a new hire's this week, everyone else's a year ago). */
  accountCreatedAt: Date;
  agent?: Agent;
}

interface Action {
  at: number;
  staff: Staff;
  kind: 'caseload' | 'referrals' | 'read' | 'search_name' | 'search_ft' | 'register_desk' | 'assist_update';
  personId?: string;
  followUp?: boolean;
  /** Pages of a list looked at (all of them when absent). */
  pages?: number;
}

/**
 * A job seeker updating from home (« M'actualiser »): the month declared once, and corrected the
 * same evening by some. The figures reach their `benefits` through the pipeline, out of any
 * staff member's budget.
 */
interface Seeker {
  personId: string;
  client: Client;
  agent?: Agent;
}

interface Declaring {
  at: number;
  seeker: Seeker;
  kind: 'declare' | 'correct';
}

type Step = Action | Declaring;

/**
 * Of the persons who must update this month, the share who do it on the simulated day (the window
 * runs 28th–15th: about eighteen days, busier at its start and its end), and of those, the share who
 * correct it later in the day.
 */
const DECLARING_SHARE = 0.08;
const CORRECTING_SHARE = 0.05;
/** Of the counsellors, the share who register a walk-in at the desk today (one or two each, issue 25 §1). */
const DESK_REGISTRAR_SHARE = 0.1;
/**
 * France Services aidants at work (issue 25 §4): one per hundred staff (at least one), each helping
 * three to six persons who must update and have not, under a mandate the person gives by the code
 * they receive on the spot; the aidant then declares the month with them.
 */
const AIDANTS_PER_STAFF = 0.01;

/**
 * Portfolio modalities of France Travail counsellors and their theoretical sizes (AFP, 22 January
 * 2016: « renforcé » 70 at most, « guidé » 100–150, « suivi » 200–350), with their share of the
 * counsellors; one in twenty holds an overloaded « suivi » portfolio (La Tour-du-Pin: 1,125 on
 * average). docs/guard-calibration.md gives the sources.
 */
const MODALITIES = [
  { name: 'renforcé', share: 0.2, size: 70 },
  { name: 'guidé', share: 0.3, size: 150 },
  { name: 'suivi', share: 0.45, size: 350 },
  { name: 'suivi surchargé', share: 0.05, size: 1_100 },
] as const;

/** New hires taking a portfolio over, and counsellors preparing tomorrow in one sitting, among the counsellors. */
const NEW_HIRE_SHARE = 0.03;
const PREPARER_SHARE = 0.25;

/** What the staffing of the day made of the portfolios, for the report. */
interface Staffing {
  staff: Staff[];
  /** Portfolio sizes as dealt (persons per counsellor) and the factor they were scaled by to fit the population. */
  caseloads: { persons: number; min: number; median: number; max: number; scale: number };
}

/** « 1 conseiller », « 3 conseillers ». */
const counted = (n: number, one: string, many: string) => `${n} ${n > 1 ? many : one}`;

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

/**
 * The seeded agreements give each purpose a daily ceiling of its head count times a busy day
 * of the role, with room (docs/guard-calibration.md): scaled for the simulated head count, they
 * need no more margin.
 */
const CEILING_HEADROOM = 1;

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

/**
 * The head count the seeded agreement was written for: the network's own staff list, not what
 * is in the store by now (the admin scenario's approved accounts would shrink every ceiling).
 */
function seededHeadCount(key: string, role: string): number {
  const spec = NETWORK.find((o) => o.key === key);
  return Math.max(1, spec?.staff.filter((s) => (s.roles as readonly string[]).includes(role)).length ?? 0);
}

/** The network staffed for the day: new actors (established a year ago), caseloads spread over the counsellors, agreements sized for the head count. */
async function staffUp(ctx: SimContext, size: number): Promise<Staffing> {
  const [counsellors, indemnisation] = [Math.round(size * 0.7), Math.round(size * 0.1)];
  const partners = Math.max(0, size - counsellors - indemnisation);
  const established = new Date(ctx.clock.now().getTime() - 400 * DAY_MS);
  const hired = new Date(ctx.clock.now().getTime() - 2 * DAY_MS);
  const today = parisDay(ctx.clock.now());
  const staff: Staff[] = [];
  const dealt: number[] = [];
  let scale = 1;
  // At least one new hire in the day as soon as there are counsellors; the rest by share.
  const hires = counsellors > 0 ? Math.max(1, Math.round(counsellors * NEW_HIRE_SHARE)) : 0;
  let hiresLeft = hires;
  const filesOf: string[][] = [];
  for (const slug of AGENCIES)
    filesOf.push(
      (
        await ctx.db
          .selectFrom('caseloads')
          .select('person_id')
          .where('organisation_id', '=', organisationId(ctx, `agency-${slug}`))
          .execute()
      )
        .map((r) => r.person_id)
        .filter((id) => !ctx.decoys.has(id)),
    );
  // Agencies are staffed in proportion to the persons they follow.
  const perAgency = apportion(
    counsellors,
    filesOf.map((f) => f.length),
  );
  const indemPerAgency = apportion(
    indemnisation,
    filesOf.map((f) => f.length),
  );
  for (const [a, slug] of AGENCIES.entries()) {
    const key = `agency-${slug}`;
    const org = organisationId(ctx, key);
    const factors = {
      accompagnement: perAgency[a]! / seededHeadCount(key, 'counsellor'),
      indemnisation: indemPerAgency[a]! / seededHeadCount(key, 'indemnisation_agent'),
    };
    const files = filesOf[a]!;
    const mine: Staff[] = [];
    const targets: number[] = [];
    for (let n = 1; n <= perAgency[a]!; n++) {
      const login = `sim.conseiller.${slug}.${String(n).padStart(3, '0')}`;
      // The agency's first counsellors are this week's new hires, while there are some to place.
      const newHire = hiresLeft > 0 && n <= Math.ceil(hires / AGENCIES.length);
      if (newHire) hiresLeft--;
      const createdAt = newHire ? hired : established;
      const draw = ctx.rng.int(0, 999) / 1000;
      let cumulated = 0;
      // A new hire takes over a « suivi » portfolio: the commonest, and one large enough to discover.
      const modality = newHire
        ? MODALITIES[2]
        : (MODALITIES.find((m) => (cumulated += m.share) > draw) ?? MODALITIES[0]);
      targets.push(modality.size);
      mine.push({
        login,
        role: 'counsellor',
        organisationKey: key,
        purpose: 'accompagnement',
        actorId: await createActor(ctx, key, login, ['counsellor'], createdAt),
        client: newClient(ctx),
        portfolio: [],
        writesFollowUp: true,
        accountCreatedAt: createdAt,
        ...(newHire ? { newHire } : {}),
        ...(!newHire && ctx.rng.chance(PREPARER_SHARE) ? { preparesTomorrow: true } : {}),
      });
    }
    // Caseloads moved to the day's counsellors, each person followed by one of them, in
    // proportion to their modality's size (all scaled down alike when the population is too small).
    if (mine.length) {
      const sizes = apportion(files.length, targets);
      scale = Math.min(scale, files.length / targets.reduce((x, y) => x + y, 0));
      const shuffled = ctx.rng.shuffle(files);
      for (const [i, c] of mine.entries()) {
        c.portfolio = shuffled.splice(0, sizes[i]!);
        dealt.push(c.portfolio.length);
      }
      for (const c of mine)
        for (const part of chunks(c.portfolio, 500))
          await ctx.db
            .updateTable('caseloads')
            // A new hire's portfolio became theirs today (taken over from a colleague who left).
            .set(c.newHire ? { actor_id: c.actorId, since: today } : { actor_id: c.actorId })
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
        accountCreatedAt: established,
      });
    }
    await scaleAgreement(ctx, key, factors);
  }
  const perPartner = apportion(
    partners,
    PARTNERS.map((p) => p.weight),
  );
  const birthdaysOn = new Date();
  for (const [i, partner] of PARTNERS.entries()) {
    const count = perPartner[i]!;
    if (count === 0) continue;
    let pool = (await referredTo(ctx, partner.key)).filter((id) => !ctx.decoys.has(id));
    if ('maxAge' in partner) {
      // The mission locale follows the young: its advisers open the files its agreement allows.
      const young: string[] = [];
      for (const id of pool) {
        const birth = (await ctx.runtime.persons.read(id, ['identity'])).fields.identity?.birthDate;
        if (birth && ageOn(birth, birthdaysOn) <= partner.maxAge) young.push(id);
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
    const factor = count / seededHeadCount(partner.key, 'partner_staff');
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
        accountCreatedAt: established,
      });
    }
    for (const [k, personId] of ctx.rng.shuffle(pool).entries()) members[k % members.length]!.portfolio.push(personId);
    staff.push(...members);
    await scaleAgreement(ctx, partner.key, { [partner.purpose]: factor });
  }
  const sorted = [...dealt].sort((x, y) => x - y);
  return {
    staff,
    caseloads: {
      persons: filesOf.reduce((sum, f) => sum + f.length, 0),
      min: sorted[0] ?? 0,
      median: sorted[Math.floor(sorted.length / 2)] ?? 0,
      max: sorted.at(-1) ?? 0,
      scale: Math.min(1, scale),
    },
  };
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
        // A new hire's agenda was booked by the colleague whose portfolio they took over.
        created_by: c.newHire ? null : c.actorId,
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
  // At least one counsellor registers someone at the desk, whatever the head count.
  const counsellors = staff.filter((s) => s.role === 'counsellor');
  const deskRegistrars = new Set(
    ctx.rng.shuffle(counsellors).slice(0, Math.max(1, Math.round(counsellors.length * DESK_REGISTRAR_SHARE))),
  );
  for (const s of staff) {
    const arrival = parisTime(day, 8, 30).getTime() + ctx.rng.int(0, 45) * MINUTE_MS;
    // The day starts with the list: a counsellor's caseload, a partner's persons referred to it.
    if (s.role === 'counsellor') actions.push({ at: arrival, staff: s, kind: 'caseload' });
    // A partner's list holds everyone referred to the organisation (thousands): an adviser looks
    // at its first pages, by next appointment; a counsellor pages through their own caseload.
    if (s.role === 'partner_staff')
      actions.push({ at: arrival, staff: s, kind: 'referrals', pages: ctx.rng.int(1, 3) });
    if (deskRegistrars.has(s))
      for (let k = ctx.rng.int(1, 2); k > 0; k--)
        actions.push({ at: workingMinute(ctx, day, arrival), staff: s, kind: 'register_desk' });
    if (s.agenda) {
      for (const read of counsellorsDay(ctx, s, day, arrival)) {
        const searched = ctx.rng.chance(0.15);
        actions.push({
          at: read.at,
          staff: s,
          kind: searched ? (ctx.rng.chance(0.5) ? 'search_name' : 'search_ft') : 'read',
          personId: read.personId,
          followUp: read.followUp,
        });
      }
      continue;
    }
    const range = s.role === 'indemnisation_agent' ? [20, 40] : [8, 15];
    const count = Math.min(s.portfolio.length, ctx.rng.int(range[0]!, range[1]!));
    for (const personId of ctx.rng.shuffle(s.portfolio).slice(0, count))
      actions.push({
        at: workingMinute(ctx, day, arrival),
        staff: s,
        kind: 'read',
        personId,
        followUp: s.writesFollowUp && ctx.rng.chance(0.8),
      });
  }
  return actions.sort((a, b) => a.at - b.at);
}

/**
 * A counsellor's reads of the day: the day's appointments (a follow-up written after most),
 * a few unplanned calls or walk-ins, and tomorrow's appointments prepared — some of them during
 * the day, or all of them in one sitting at the end of it. A new hire who took a portfolio over
 * today discovers it instead: a first hour reading files one after another, more through the day,
 * nothing written yet.
 */
function counsellorsDay(
  ctx: SimContext,
  s: Staff,
  day: Date,
  arrival: number,
): Array<{ personId: string; at: number; followUp: boolean }> {
  const { today, tomorrow } = s.agenda!;
  const planned = new Set([...today, ...tomorrow]);
  const others = ctx.rng.shuffle(s.portfolio.filter((id) => !planned.has(id)));
  const reads: Array<{ personId: string; at: number; followUp: boolean }> = today.map((personId) => ({
    personId,
    at: workingMinute(ctx, day, arrival),
    followUp: ctx.rng.chance(0.8),
  }));
  const anyTime = (personId: string) => ({ personId, at: workingMinute(ctx, day, arrival), followUp: false });
  if (s.newHire) {
    const discovered = others.slice(0, ctx.rng.int(15, 25));
    const firstHour = discovered.splice(0, 12);
    reads.push(
      ...firstHour.map((personId, k) => ({ personId, at: arrival + (k * 4 + 2) * MINUTE_MS, followUp: false })),
    );
    reads.push(...discovered.map(anyTime), ...tomorrow.map(anyTime));
    return reads;
  }
  reads.push(
    ...others.slice(0, ctx.rng.int(0, 8)).map((personId) => ({ ...anyTime(personId), followUp: ctx.rng.chance(0.8) })),
  );
  if (s.preparesTomorrow) {
    const sitting = parisTime(day, 16, 15).getTime();
    reads.push(...tomorrow.map((personId, k) => ({ personId, at: sitting + k * 4 * MINUTE_MS, followUp: false })));
  } else reads.push(...ctx.rng.shuffle(tomorrow).slice(0, ctx.rng.int(0, 6)).map(anyTime));
  return reads;
}

interface DayCounters {
  traffic: Traffic;
  /** Walk-ins registered at the desk, held as possible duplicates (sent to an agent), and refused. */
  registered: number;
  registrationsHeld: number;
  registrationsRefused: number;
  /** Mandates confirmed and months declared under them by aidants, and assisted acts refused. */
  assisted: number;
  assistedRefused: number;
  /** The consent text's hash, read once from the server as the desk page does. */
  consentTextHash?: string;
  /** Monthly updates declared (first versions), corrected, and refused (a legitimate person turned away). */
  declarations: number;
  corrections: number;
  declarationsRefused: number;
  relogins: number;
  reads: number;
  followUps: number;
  searches: number;
  /** Pages of lists asked for, and those refused. */
  listings: number;
  listingsRefused: number;
}

/** The persons who must update this month and declare today, each at a minute of their own (07:00–23:00 Paris), some correcting later. */
async function planDeclarations(
  ctx: SimContext,
  day: Date,
): Promise<{ steps: Declaring[]; due: number; undeclared: string[] }> {
  const ids = (await ctx.db.selectFrom('persons').select('id').where('status', '=', 'active').execute())
    .map((r) => r.id)
    .filter((id) => !ctx.decoys.has(id));
  const due = [...(await updateObligations(ctx.db, () => ctx.runtime.keyring, ids)).keys()].sort();
  const steps: Declaring[] = [];
  const from = parisTime(day, 7, 0).getTime();
  const span = Math.floor((parisTime(day, 23, 0).getTime() - from) / MINUTE_MS);
  const shuffled = ctx.rng.shuffle(due);
  const declaring = Math.round(due.length * DECLARING_SHARE);
  for (const personId of shuffled.slice(0, declaring)) {
    const seeker: Seeker = { personId, client: newClient(ctx) };
    const at = from + ctx.rng.int(0, span - 1) * MINUTE_MS;
    steps.push({ at, seeker, kind: 'declare' });
    if (ctx.rng.chance(CORRECTING_SHARE))
      steps.push({
        at: Math.min(at + ctx.rng.int(5, 180) * MINUTE_MS, from + span * MINUTE_MS),
        seeker,
        kind: 'correct',
      });
  }
  return { steps, due: due.length, undeclared: shuffled.slice(declaring) };
}

/** A month as people declare it: most without work, some with one or two contracts, a few in training or on sick leave. */
function aMonth(ctx: SimContext) {
  const contracts = ctx.rng.chance(0.3) ? ctx.rng.int(1, 2) : 0;
  return {
    stillLooking: !ctx.rng.chance(0.02),
    works: Array.from({ length: contracts }, (_, k) => {
      const hours = ctx.rng.int(8, 151);
      return { employer: `Employeur ${k + 1} (simulation)`, hours, grossCents: hours * ctx.rng.int(1_200, 2_400) };
    }),
    training: ctx.rng.chance(0.05),
    sickness: ctx.rng.chance(0.03),
    parentalLeave: ctx.rng.chance(0.01),
    retirement: false,
    invalidity: ctx.rng.chance(0.01),
    sworn: true as const,
  };
}

const parisToday = (ctx: SimContext) => parisDay(ctx.clock.now());

/**
 * A person registering at the desk today: a woman or a man born between 1960 and 2004 in
 * Gironde, with a NIR consistent with that (sex, year and month of birth, département 33, an
 * order number drawn from a range the seed does not use), a postal address for the receipt, a
 * job sought and what the form asks. Each walk-in is a new person: a match with an existing file
 * is held for an agent (202), not a refusal.
 */
function walkIn(ctx: SimContext, today: string) {
  const n = ++ctx.counters.networks;
  const female = ctx.rng.chance(0.5);
  const year = ctx.rng.int(1960, 2004);
  const month = ctx.rng.int(1, 12);
  const body = `${female ? 2 : 1}${String(year % 100).padStart(2, '0')}${String(month).padStart(2, '0')}33${String(ctx.rng.int(1, 599)).padStart(3, '0')}${String(900 + (n % 99)).padStart(3, '0')}`;
  const letters = Array.from({ length: 6 }, (_, i) => String.fromCharCode(97 + (Math.floor(n / 26 ** i) % 26))).join(
    '',
  );
  return {
    identity: {
      lastName: `GUICHET${letters.toUpperCase()}`,
      firstNames: [female ? 'Camille' : 'Thomas'],
      sex: female ? 'F' : 'M',
      birthDate: `${year}-${String(month).padStart(2, '0')}-${String(ctx.rng.int(1, 28)).padStart(2, '0')}`,
      birthPlace: 'Bordeaux (33)',
    },
    nir: body + nirControlKey(body),
    contact: {
      address: {
        line1: `${ctx.rng.int(1, 120)} cours de l’Yser`,
        postalCode: '33800',
        communeCode: '33063',
        commune: 'Bordeaux',
      },
    },
    education: [{ title: 'Baccalauréat professionnel', level: 4, year: Math.min(year + 19, 2025) }],
    experience: [],
    soughtJobs: [ctx.rng.pick(['D1106', 'N1103', 'K2204', 'J1501', 'H2909'] as const)],
    availability: { availableFrom: today, workingTime: 'full_time', contract: 'any' },
    mobility: { maxDistanceKm: 20, transport: ['public_transport'], drivingLicence: false },
    situation: { kind: 'available' },
  };
}

/**
 * An aidant's act under a mandate (issue 25 §4), with the person beside them: the person's espace
 * account has a verified e-mail (where the code goes); the aidant prepares a one-day mandate for the
 * monthly update, types the code the person received (read here from the outbox folder the demo's
 * mail goes to), and declares the person's month in their name. True when all three succeeded.
 */
async function assist(
  ctx: SimContext,
  personId: string,
  send: (method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) => Promise<Reply>,
): Promise<boolean> {
  const accountId = await ensureJobSeekerAccount(ctx, personId);
  const email = `sim.${personId.slice(0, 8)}@demandeur.example`;
  const known = await ctx.db.selectFrom('account_channels').select('id').where('account_id', '=', accountId).execute();
  if (known.length === 0) await addChannel(ctx.db, ctx.runtime.keyring, accountId, 'email', email, { verified: true });
  const registration = (await ctx.runtime.persons.read(personId, ['registration'])).fields.registration!;
  const prepared = await send('POST', '/api/staff/mandates', {
    franceTravailId: registration.franceTravailId,
    scopes: ['update'],
    duration: '1d',
    consent: 'code',
  });
  if (prepared.status !== 201) return false;
  const mandateId = String((prepared.body.mandate as { id: string }).id);
  await ctx.runtime.messages.deliverDue();
  const folder = join(ctx.runtime.config.dataDir, 'outbox');
  const sent = existsSync(folder)
    ? readdirSync(folder)
        .sort()
        .map((name) => JSON.parse(readFileSync(join(folder, name), 'utf8')) as { to: string; body: string })
        .filter((m) => m.to === email)
    : [];
  const code = /\b(\d{8})\b/.exec(sent.at(-1)?.body ?? '')?.[1];
  if (!code) return false;
  if ((await send('POST', `/api/staff/mandates/${mandateId}/confirm`, { code })).status !== 200) return false;
  return (await send('POST', `/api/staff/mandates/${mandateId}/monthly-update`, aMonth(ctx))).status === 201;
}

/** A job seeker's update in their espace: the page read, then the month declared (or corrected). */
async function declare(ctx: SimContext, step: Declaring, counters: DayCounters): Promise<void> {
  const seeker = step.seeker;
  seeker.agent ??= await signInJobSeeker(ctx, seeker.personId, seeker.client, counters.traffic);
  const state = await seeker.agent.request('GET', '/api/me/monthly-update');
  const sent = await seeker.agent.request('POST', '/api/me/monthly-update', { body: aMonth(ctx) });
  if (state.status !== 200 || sent.status !== 201) counters.declarationsRefused++;
  else if (step.kind === 'correct') counters.corrections++;
  else counters.declarations++;
}

async function perform(ctx: SimContext, step: Step, counters: DayCounters): Promise<void> {
  if ('seeker' in step) return declare(ctx, step, counters);
  const action = step;
  const s = action.staff;
  const send = async (method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<Reply> => {
    s.agent ??= await signIn(ctx, s.actorId, s.client, counters.traffic, { accountCreatedAt: s.accountCreatedAt });
    const options = {
      purpose: s.purpose,
      caseReference: `SIM-${s.login.slice(-3)}-${(action.personId ?? 'liste').slice(0, 8)}`,
      ...(body !== undefined ? { body } : {}),
    };
    let reply = await s.agent.request(method, path, options);
    if (reply.status === 401 && (reply.error === 'session_idle' || reply.error === 'session_expired')) {
      // The browser was left alone too long (wall-clock): the member signs in again.
      counters.relogins++;
      s.agent = await signIn(ctx, s.actorId, s.client, counters.traffic, { accountCreatedAt: s.accountCreatedAt });
      reply = await s.agent.request(method, path, options);
    }
    return reply;
  };
  if (action.kind === 'assist_update') {
    if (await assist(ctx, action.personId!, send)) counters.assisted++;
    else counters.assistedRefused++;
    return;
  }
  if (action.kind === 'register_desk') {
    counters.consentTextHash ??= String(
      (await send('GET', '/api/staff/registrations/desk/consent-text')).body.textHash ?? '',
    );
    const reply = await send('POST', '/api/staff/registrations/desk', {
      registration: walkIn(ctx, parisToday(ctx)),
      consent: { given: 'desk', signed: true, textHash: counters.consentTextHash },
      receipt: 'posted',
    });
    if (reply.status === 201) counters.registered++;
    else if (reply.status === 202) counters.registrationsHeld++;
    else counters.registrationsRefused++;
    return;
  }
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
      if (page * 100 >= total || page === action.pages) return;
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

/**
 * France Services aidants at work (issue 25 §4), when the network has a France Services house:
 * established accounts, each helping three to six persons who must update and have not declared,
 * at minutes of the working day.
 */
async function aidantsAtWork(
  ctx: SimContext,
  size: number,
  day: Date,
  undeclared: readonly string[],
): Promise<{ staff: Staff[]; actions: Action[] }> {
  if (!NETWORK.some((o) => o.key === 'france-services')) return { staff: [], actions: [] };
  const established = new Date(ctx.clock.now().getTime() - 400 * DAY_MS);
  const staff: Staff[] = [];
  const actions: Action[] = [];
  const persons = [...undeclared];
  const arrival = parisTime(day, 9, 0).getTime();
  for (let n = 1; n <= Math.max(1, Math.round(size * AIDANTS_PER_STAFF)); n++) {
    const login = `sim.fs.aidant.${String(n).padStart(3, '0')}`;
    const aidant: Staff = {
      login,
      role: 'aidant',
      organisationKey: 'france-services',
      purpose: 'aidant_actualisation',
      actorId: await createActor(ctx, 'france-services', login, ['aidant'], established),
      client: newClient(ctx),
      portfolio: persons.splice(0, ctx.rng.int(3, 6)),
      writesFollowUp: false,
      accountCreatedAt: established,
    };
    staff.push(aidant);
    for (const personId of aidant.portfolio)
      actions.push({ at: workingMinute(ctx, day, arrival), staff: aidant, kind: 'assist_update', personId });
  }
  return { staff, actions };
}

/** Run the actions minute by minute: the clock on the minute, members in parallel, each member's own actions in order. */
async function playDay(ctx: SimContext, actions: Step[], counters: DayCounters, concurrency: number): Promise<void> {
  let done = 0;
  let lastShown = 0;
  for (let i = 0; i < actions.length;) {
    const at = actions[i]!.at;
    const minute: Step[] = [];
    while (i < actions.length && actions[i]!.at === at) minute.push(actions[i++]!);
    ctx.clock.set(new Date(at));
    // Each member's (and each job seeker's) own steps in order, members in parallel.
    const byStaff = new Map<Staff | Seeker, Step[]>();
    for (const a of minute) {
      const who = 'seeker' in a ? a.seeker : a.staff;
      byStaff.set(who, [...(byStaff.get(who) ?? []), a]);
    }
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
  // The day is one when the monthly update is open (28th–15th): job seekers declare as staff work.
  if (!openWindowAt(ctx.clock.now())) ctx.clock.set(nextWorkingDay(nextWindowAfter(ctx.clock.now()).opensAt, 0, 7, 0));
  const { staff, caseloads } = await staffUp(ctx, size);
  const day = ctx.clock.now();
  const from = parisTime(day, 0, 0);
  const declaring = await planDeclarations(ctx, day);
  const aidants = await aidantsAtWork(ctx, size, day, declaring.undeclared);
  const actions: Step[] = [...plan(ctx, staff, day), ...aidants.actions, ...declaring.steps].sort(
    (a, b) => a.at - b.at,
  );
  const counters: DayCounters = {
    traffic: new Traffic(),
    registered: 0,
    registrationsHeld: 0,
    registrationsRefused: 0,
    assisted: 0,
    assistedRefused: 0,
    declarations: 0,
    corrections: 0,
    declarationsRefused: 0,
    relogins: 0,
    reads: 0,
    followUps: 0,
    searches: 0,
    listings: 0,
    listingsRefused: 0,
  };
  await playDay(ctx, actions, counters, 12);
  const ids = [...staff, ...aidants.staff].map((s) => s.actorId);
  const byId = new Map([...staff, ...aidants.staff].map((s) => [s.actorId, s]));
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
    // A legitimate person turned away from their monthly update is a false positive too.
    harms: [
      { label: 'Actualisations légitimes refusées', value: counters.declarationsRefused, goal: 0 },
      { label: 'Inscriptions à l’accueil refusées', value: counters.registrationsRefused, goal: 0 },
      ...(aidants.staff.length
        ? [{ label: 'Actualisations sous mandat refusées', value: counters.assistedRefused, goal: 0 }]
        : []),
    ],
    notes: [
      `${roles('counsellor')} conseillers (les 6 à 12 rendez-vous du jour avec un suivi écrit après 80 % d’entre eux, 0 à 8 appels ou visites imprévus, jusqu’à 6 rendez-vous du lendemain préparés, recherche par nom et date de naissance ou identifiant dans 15 % des cas), ${roles('indemnisation_agent')} agents d’indemnisation (20 à 40 dossiers de l’agence, lecture seule), ${roles('partner_staff')} agents partenaires (8 à 15 dossiers orientés, suivi écrit quand la convention le permet)`,
      `dont ${counted(staff.filter((s) => s.newHire).length, 'conseiller recruté il y a 2 jours qui reprend', 'conseillers recrutés il y a 2 jours qui reprennent')} ce matin le portefeuille « suivi » d’un collègue (compte neuf : 12 dossiers découverts dans la première heure, 15 à 25 dans la journée, rien d’écrit) et ${counted(staff.filter((s) => s.preparesTomorrow).length, 'conseiller qui prépare', 'conseillers qui préparent')} tous les rendez-vous du lendemain d’une traite à 16 h 15`,
      `portefeuilles par modalité (renforcé 70, guidé 150, suivi 350, suivi surchargé 1 100) : de ${caseloads.min} à ${caseloads.max} personnes, médiane ${caseloads.median}${caseloads.scale < 1 ? ` (réduits d’un facteur ${(1 / caseloads.scale).toFixed(1).replace('.', ',')} : la population simulée ne remplit pas des portefeuilles réels ; --persons ${Math.ceil(caseloads.persons / caseloads.scale / 1000) * 1000} les remplit)` : ''}`,
      `${counters.reads} lectures, ${counters.followUps} suivis écrits, ${counters.searches} recherches, ${counters.listings} pages de liste (tout le portefeuille à l’arrivée des conseillers, les 1 à 3 premières pages des personnes orientées à celle des partenaires ; ${counters.listingsRefused} refusées), ${counters.relogins} reconnexions (session inactive en temps réel)`,
      `actualisation mensuelle de ${openWindowAt(day)?.period ?? '—'} ouverte : ${counters.declarations} demandeurs d’emploi (sur ${declaring.due} qui doivent s’actualiser) déclarent leur mois depuis leur espace entre 7 h et 23 h, ${counters.corrections} le corrigent dans la journée ; ${counters.declarationsRefused} refusées`,
      `inscriptions à l’accueil (un conseiller sur dix, une ou deux personnes chacun, consentement signé, récépissé posté) : ${counters.registered} inscrites, ${counters.registrationsHeld} transmises à un agent comme doublons possibles, ${counters.registrationsRefused} refusées`,
      aidants.staff.length
        ? `${counted(aidants.staff.length, 'aidant', 'aidants')} France Services (en plus des agents) : ${counters.assisted} personnes aidées à s’actualiser sous mandat (mandat d’un jour pour l’actualisation, confirmé par le code reçu par la personne, puis la déclaration à son nom), ${counters.assistedRefused} refusées`
        : 'pas d’aidant France Services dans le réseau simulé',
      'portefeuilles répartis entre les conseillers simulés ; plafonds journaliers des conventions relevés en proportion de l’effectif (ceux de la démonstration valent l’effectif fois une journée chargée du rôle, avec de la marge), sans autre marge',
    ],
  };
  return { ...r, goals: checkGoals(r) };
}
