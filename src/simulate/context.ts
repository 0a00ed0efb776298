import { performance } from 'node:perf_hooks';
import { createSession, SESSION_COOKIE } from '../identity/index.ts';
import type { Runtime } from '../runtime/index.ts';
import { deterministicUuid } from '../seed/ids.ts';
import type { Executor } from '../store/index.ts';
import { DAY_MS, type SimulatedClock } from './clock.ts';

/** A seeded generator (mulberry32): the same seed plays the same day. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0 || 1;
  }

  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** Where a simulated actor works from: its own /24 inside 10.0.0.0/8, its own browser. */
export interface Client {
  address: string;
  network: string;
  userAgent: string;
  acceptLanguage: string;
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  /** The error code of a refusal (`error` of the JSON body). */
  error?: string;
  /** Wall-clock instant (performance.now) the request was sent, and how long it took. */
  sentAt: number;
  ms: number;
}

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36 Edg/128.0',
];

export interface RequestOptions {
  purpose?: string;
  caseReference?: string;
  body?: unknown;
}

/** Counters of one scenario's HTTP traffic. */
export class Traffic {
  requests = 0;
  refused = 0;
  /** Refusals by error code. */
  readonly reasons = new Map<string, number>();

  note(reply: Reply): void {
    this.requests++;
    if (reply.status >= 400) {
      this.refused++;
      const key = `${reply.status} ${reply.error ?? '?'}`;
      this.reasons.set(key, (this.reasons.get(key) ?? 0) + 1);
    }
  }

  /** What a scenario's report says of its traffic. */
  figures(): { requests: number; refused: number; refusals: Record<string, number> } {
    return { requests: this.requests, refused: this.refused, refusals: Object.fromEntries(this.reasons) };
  }
}

/**
 * A signed-in browser: the session cookie, its CSRF token, the client's address (sent as
 * X-Forwarded-For to a server that trusts only the loopback proxy) and its user agent.
 */
export class Agent {
  constructor(
    readonly ctx: SimContext,
    readonly actorId: string,
    readonly accountId: string,
    readonly client: Client,
    readonly session: { token: string; csrfToken: string; publicId: string },
    readonly traffic: Traffic,
  ) {}

  /** The same cookie and CSRF token, replayed by someone else from their own machine. */
  stolenBy(client: Client, traffic: Traffic): Agent {
    return new Agent(this.ctx, this.actorId, this.accountId, client, this.session, traffic);
  }

  async request(method: 'GET' | 'POST' | 'PATCH', path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = {
      cookie: `${SESSION_COOKIE}=${this.session.token}`,
      'x-csrf-token': this.session.csrfToken,
      'user-agent': this.client.userAgent,
      'accept-language': this.client.acceptLanguage,
      'x-forwarded-for': this.client.address,
    };
    if (options.purpose) headers['rempart-purpose'] = options.purpose;
    if (options.purpose) headers['rempart-case-reference'] = options.caseReference ?? 'SIM-2026-0001';
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const sentAt = performance.now();
    const res = await fetch(`${this.ctx.baseUrl}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    const ms = performance.now() - sentAt;
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { raw: text.slice(0, 200) };
    }
    const reply: Reply = {
      status: res.status,
      body,
      sentAt,
      ms,
      ...(res.status >= 400 && typeof body.error === 'string' ? { error: body.error } : {}),
    };
    this.traffic.note(reply);
    return reply;
  }
}

export interface SimContext {
  readonly runtime: Runtime;
  readonly db: Executor;
  readonly clock: SimulatedClock;
  readonly baseUrl: string;
  readonly seed: number;
  readonly rng: Rng;
  /** The population's decoys (the simulator's knowledge, for measuring; attackers find them by reading). */
  readonly decoys: ReadonlySet<string>;
  /** Networks handed out so far (one /24 per client). */
  readonly counters: { networks: number };
  /**
   * What each attacker actually received, from the answers on its side of the wire: actor →
   * person → field classes. The incident test holds the ledger's blast radius against it.
   */
  readonly received: Map<string, Map<string, Set<string>>>;
  progress(message: string): void;
}

/** The demo network's organisation id for a spec key (agency-bastide, mission-locale, …). */
export function organisationId(ctx: SimContext, key: string): string {
  return deterministicUuid(ctx.seed, 'organisation', key);
}

/** A new client: the next /24 of 10.0.0.0/8 (10.1.0.0/24, 10.1.1.0/24, …), a browser of its own. */
export function newClient(ctx: SimContext): Client {
  const n = ++ctx.counters.networks;
  const network = `10.${1 + Math.floor(n / 256)}.${n % 256}`;
  return {
    address: `${network}.${10 + ctx.rng.int(0, 200)}`,
    network: `${network}.0/24`,
    userAgent: ctx.rng.pick(BROWSERS),
    acceptLanguage: 'fr-FR,fr;q=0.9',
  };
}

export async function actorIdOf(ctx: SimContext, login: string): Promise<string> {
  return (await ctx.db.selectFrom('actors').select('id').where('login', '=', login).executeTakeFirstOrThrow()).id;
}

/** A staff actor created directly in the store (as if long established): `createdAt` in simulated time. */
export async function createActor(
  ctx: SimContext,
  organisationKey: string,
  login: string,
  roles: string[],
  createdAt: Date,
): Promise<string> {
  const id = deterministicUuid(ctx.seed, 'simulated-actor', login);
  await ctx.db
    .insertInto('actors')
    .values({
      id,
      organisation_id: organisationId(ctx, organisationKey),
      kind: 'human',
      login,
      display_name: `${login} (simulation)`,
      roles: JSON.stringify(roles),
      status: 'active',
      created_at: createdAt.toISOString(),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return id;
}

/**
 * The actor's staff account, created directly when it has none: no password (the simulator
 * opens its sessions itself), created and last changed `createdAt` (simulated time), so the
 * guard sees an established account, not a new one.
 */
export async function ensureAccount(ctx: SimContext, actorId: string, createdAt: Date): Promise<string> {
  const existing = await ctx.db.selectFrom('accounts').select('id').where('actor_id', '=', actorId).executeTakeFirst();
  if (existing) return existing.id;
  const actor = await ctx.db.selectFrom('actors').select('login').where('id', '=', actorId).executeTakeFirstOrThrow();
  const id = deterministicUuid(ctx.seed, 'simulated-account', actorId);
  const at = createdAt.toISOString();
  await ctx.db
    .insertInto('accounts')
    .values({
      id,
      kind: 'staff',
      actor_id: actorId,
      person_id: null,
      login: actor.login,
      password_hash: null,
      status: 'active',
      created_at: at,
      last_login_at: at,
      password_changed_at: at,
    })
    .execute();
  return id;
}

/**
 * A signed-in staff member: the session is created directly (password and second factor
 * taken as passed, the second factor just now for step-up), bound to the client's network
 * and browser exactly as a login would bind it. Sessions live in wall-clock time.
 */
export async function signIn(
  ctx: SimContext,
  actorId: string,
  client: Client,
  traffic: Traffic,
  options: { accountCreatedAt?: Date } = {},
): Promise<Agent> {
  const accountId = await ensureAccount(
    ctx,
    actorId,
    options.accountCreatedAt ?? new Date(ctx.clock.now().getTime() - 400 * DAY_MS),
  );
  const session = await createSession(
    ctx.db,
    accountId,
    'staff',
    { address: client.address, userAgent: client.userAgent, acceptLanguage: client.acceptLanguage },
    { secondFactorAt: new Date().toISOString(), requiresSecondFactor: true },
  );
  return new Agent(ctx, actorId, accountId, client, session, traffic);
}

/**
 * A job seeker signed in to their espace: their account created directly when they have none (a
 * year old, no password: the simulator opens the session itself), the session bound to their
 * own browser as a login would bind it. The Agent's actor is the person (no staff actor).
 */
export async function signInJobSeeker(
  ctx: SimContext,
  personId: string,
  client: Client,
  traffic: Traffic,
): Promise<Agent> {
  const id = await ensureJobSeekerAccount(ctx, personId);
  const session = await createSession(ctx.db, id, 'job_seeker', {
    address: client.address,
    userAgent: client.userAgent,
    acceptLanguage: client.acceptLanguage,
  });
  return new Agent(ctx, personId, id, client, session, traffic);
}

/** The person's espace account, created directly when they have none (a year old, no password). */
export async function ensureJobSeekerAccount(ctx: SimContext, personId: string): Promise<string> {
  const existing = await ctx.db
    .selectFrom('accounts')
    .select('id')
    .where('person_id', '=', personId)
    .where('kind', '=', 'job_seeker')
    .executeTakeFirst();
  if (existing) return existing.id;
  const id = deterministicUuid(ctx.seed, 'simulated-job-seeker', personId);
  const at = new Date(ctx.clock.now().getTime() - 400 * DAY_MS).toISOString();
  await ctx.db
    .insertInto('accounts')
    .values({
      id,
      kind: 'job_seeker',
      actor_id: null,
      person_id: personId,
      login: `sim.demandeur.${personId}`,
      password_hash: null,
      status: 'active',
      created_at: at,
      last_login_at: at,
      password_changed_at: at,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return id;
}

/** Persons referred to an organisation (active referrals), decoys included: what its records show. */
export async function referredTo(ctx: SimContext, organisationKey: string): Promise<string[]> {
  const rows = await ctx.db
    .selectFrom('referrals')
    .select('person_id')
    .distinct()
    .where('organisation_id', '=', organisationId(ctx, organisationKey))
    .where('status', '=', 'active')
    .orderBy('person_id')
    .execute();
  return rows.map((r) => r.person_id);
}
